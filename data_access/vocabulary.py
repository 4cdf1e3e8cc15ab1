"""The fixed words of the domain: territory levels, case stages, transition kinds.

Stored as short ASCII codes; the interface translates them (layouts/i18n). Kept in one
place so that the database, the simulator, the counters and the screens agree.
"""
from __future__ import annotations

LEVELS = ("province", "city", "county", "township", "village", "grid")
# Digits of a unit's code at each level: GB/T 2260 (6) + township (3) + village (3) + grid (3).
CODE_LENGTH = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12, "grid": 15}

# The closed loop, in order. `rejected` (不予受理) ends a case at registration.
STAGES = ("reported", "registered", "dispatched", "handling", "handled", "verified", "closed")
TERMINAL_STAGES = ("closed", "rejected")
ALL_STAGES = STAGES + ("rejected",)
OPEN_STAGES = tuple(s for s in STAGES if s not in TERMINAL_STAGES)

# Transition kinds: a stage change, or a side event that leaves the stage as it is.
STAGE_CHANGE = "stage"
SIDE_EVENTS = (
    "escalation",  # 上报上级
    "supervision",  # 督办, with a level 1..3 (3 = 挂牌督办)
    "acknowledgement",  # 签收
    "extension",  # 延期
    "rework",  # 返工: verification failed, back to handling
    "return",  # 退回: misrouted, back to registration for re-dispatch
    "note",  # 备注
    "followup",  # 回访 with a satisfaction result
    "unmask",  # a person saw the reporter's contact in clear
)
TRANSITION_KINDS = (STAGE_CHANGE,) + SIDE_EVENTS

PRIORITIES = ("normal", "urgent")
SATISFACTION = ("satisfied", "basically", "unsatisfied")
SUPERVISION_LEVELS = (1, 2, 3)

# Where a case was finally resolved (the 721 picture reads these).
RESOLUTION_LEVELS = ("grid", "village", "township", "county", "city")
AT_OR_BELOW_TOWNSHIP = ("grid", "village", "township")

DEADLINE_STATES = ("normal", "approaching", "overdue", "long_overdue")

# Where cases come from (渠道). Labels for the screen are in layouts/i18n/domain.py.
SOURCES = ("grid_patrol", "hotline_12345", "police_110", "petition", "citizen_app", "video_iot",
           "department")

# Major classes and their subclasses. `dispute` (矛盾纠纷) is its own family with a dispute
# type; `service` holds hotline consultations and requests for help.
SUBCLASSES: dict[str, tuple[str, ...]] = {
    "urban": ("road_damage", "street_light", "manhole", "illegal_parking", "street_vending",
              "illegal_building", "garbage", "advertising", "greenery", "drainage"),
    "environment": ("noise", "smoke", "sewage", "dust", "burning_straw", "waste_dumping"),
    "safety": ("gas", "fire_hazard", "building_safety", "hazardous_goods", "construction_site",
               "electric_bike_charging"),
    "order": ("public_order", "fraud_risk", "key_persons", "gathering", "campus_safety"),
    "dispute": ("dispute",),
    "service": ("consultation", "help", "suggestion", "complaint"),
}
MAJOR_CLASSES = tuple(SUBCLASSES)
# 未分类: the class and subclass of an ingested case whose category code no mapping names
# (data_access/intake). Not a class the simulator draws, so kept out of SUBCLASSES.
UNCLASSIFIED = "unclassified"

DISPUTE_TYPES = ("marriage_family", "neighbour", "labour", "land", "property_mgmt",
                 "real_estate", "traffic", "medical", "contract_consumer", "damages",
                 "demolition", "debt", "forest_water", "environment", "village_affairs", "other")
MEDIATION_TYPES = ("people", "administrative", "judicial", "professional")
MEDIATION_OUTCOMES = ("agreement", "judicial_confirmation", "arbitration", "litigation",
                      "in_progress")
