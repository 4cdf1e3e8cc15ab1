"""Labels of the domain's codes (data_access/vocabulary.py), in the words users read."""
from __future__ import annotations


def _table(kind: str, pairs: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {f"{kind}.{code}": {"zh": zh, "en": en} for code, (zh, en) in pairs.items()}


TEXT: dict[str, dict[str, str]] = {
    **_table("level", {
        "province": ("省", "Province"), "city": ("市", "City"), "county": ("县(市、区)", "County"),
        "township": ("乡镇(街道)", "Township"), "village": ("村(社区)", "Village"),
        "grid": ("网格", "Grid"), "unplaced": ("未定位", "Unplaced"),
    }),
    **_table("stage", {
        "reported": ("上报", "Reported"), "registered": ("立案", "Registered"),
        "dispatched": ("派遣", "Dispatched"), "handling": ("处置中", "In handling"),
        "handled": ("已反馈", "Handled"), "verified": ("已核查", "Verified"),
        "closed": ("结案", "Closed"), "rejected": ("不予受理", "Rejected"),
    }),
    **_table("event", {
        "stage": ("环节流转", "Stage change"), "escalation": ("上报上级", "Escalation"),
        "supervision": ("督办", "Supervision order"), "acknowledgement": ("签收", "Acknowledged"),
        "extension": ("延期", "Extension"), "rework": ("返工", "Rework"),
        "return": ("退回", "Returned"), "note": ("备注", "Note"),
        "followup": ("回访", "Follow-up"), "unmask": ("查看联系方式", "Contact unmasked"),
    }),
    **_table("priority", {"normal": ("一般", "Normal"), "urgent": ("紧急", "Urgent")}),
    **_table("satisfaction", {
        "satisfied": ("满意", "Satisfied"), "basically": ("基本满意", "Basically satisfied"),
        "unsatisfied": ("不满意", "Not satisfied"),
    }),
    **_table("deadline", {
        "normal": ("正常", "On time"), "approaching": ("临期", "Approaching"),
        "overdue": ("超期", "Overdue"), "long_overdue": ("严重超期", "Long overdue"),
    }),
    **_table("supervision", {
        "1": ("一般督办", "Supervision L1"), "2": ("重点督办", "Supervision L2"),
        "3": ("挂牌督办", "Listed supervision"),
    }),
    **_table("resolved", {
        "grid": ("网格", "Grid"), "village": ("村(社区)", "Village"),
        "township": ("乡镇(街道)", "Township"), "county": ("县(区)", "County"),
        "city": ("市", "City"),
    }),
    **_table("source", {
        "grid_patrol": ("网格员巡查", "Grid patrol"), "hotline_12345": ("12345热线", "12345 hotline"),
        "police_110": ("110非警务", "110 non-police"), "petition": ("信访", "Petition"),
        "citizen_app": ("群众自报", "Citizen app"), "video_iot": ("视频物联感知", "Video / IoT"),
        "department": ("部门移交", "Department referral"),
    }),
    **_table("major", {
        "urban": ("城市管理", "Urban management"), "environment": ("环境保护", "Environment"),
        "safety": ("安全生产", "Work safety"), "order": ("社会治安", "Public order"),
        "dispute": ("矛盾纠纷", "Disputes"), "service": ("民生服务", "Public services"),
        "unclassified": ("未分类", "Unclassified"),
    }),
    **_table("subclass", {
        "unclassified": ("未分类", "Unclassified"),
        "road_damage": ("道路破损", "Road damage"), "street_light": ("路灯故障", "Street light"),
        "manhole": ("井盖缺失", "Manhole cover"), "illegal_parking": ("违章停车", "Illegal parking"),
        "street_vending": ("占道经营", "Street vending"),
        "illegal_building": ("违法建设", "Illegal building"),
        "garbage": ("垃圾堆放", "Garbage"), "advertising": ("违规广告", "Illegal advertising"),
        "greenery": ("绿化损毁", "Damaged greenery"), "drainage": ("排水不畅", "Drainage"),
        "noise": ("噪声扰民", "Noise"), "smoke": ("油烟污染", "Cooking fumes"),
        "sewage": ("污水排放", "Sewage"), "dust": ("扬尘污染", "Dust"),
        "burning_straw": ("秸秆焚烧", "Straw burning"), "waste_dumping": ("偷倒垃圾", "Waste dumping"),
        "gas": ("燃气隐患", "Gas hazard"), "fire_hazard": ("消防隐患", "Fire hazard"),
        "building_safety": ("房屋安全", "Building safety"),
        "hazardous_goods": ("危化品", "Hazardous goods"),
        "construction_site": ("工地安全", "Construction site"),
        "electric_bike_charging": ("电动车违规充电", "E-bike charging"),
        "public_order": ("治安隐患", "Public order"), "fraud_risk": ("涉诈风险", "Fraud risk"),
        "key_persons": ("重点人员", "Key persons"), "gathering": ("群体聚集", "Gathering"),
        "campus_safety": ("校园周边", "Campus safety"), "dispute": ("矛盾纠纷", "Dispute"),
        "consultation": ("政策咨询", "Consultation"), "help": ("求助", "Help"),
        "suggestion": ("建议", "Suggestion"), "complaint": ("投诉举报", "Complaint"),
    }),
    **_table("dispute", {
        "marriage_family": ("婚姻家庭", "Marriage & family"), "neighbour": ("邻里纠纷", "Neighbours"),
        "labour": ("劳动争议", "Labour & wages"), "land": ("土地纠纷", "Land"),
        "property_mgmt": ("物业纠纷", "Property management"),
        "real_estate": ("房地产纠纷", "Real estate"), "traffic": ("道路交通", "Traffic"),
        "medical": ("医疗纠纷", "Medical"), "contract_consumer": ("合同消费", "Contracts & consumption"),
        "damages": ("损害赔偿", "Damages"), "demolition": ("征地拆迁", "Demolition & acquisition"),
        "debt": ("债务纠纷", "Debts"), "forest_water": ("山林水利", "Forest & water"),
        "environment": ("环境污染", "Pollution"), "village_affairs": ("村务管理", "Village affairs"),
        "other": ("其他纠纷", "Other"),
    }),
    **_table("mediation", {
        "people": ("人民调解", "People's mediation"),
        "administrative": ("行政调解", "Administrative mediation"),
        "judicial": ("司法调解", "Judicial mediation"),
        "professional": ("行业专业调解", "Professional mediation"),
    }),
    **_table("outcome", {
        "agreement": ("达成协议", "Agreement"),
        "judicial_confirmation": ("司法确认", "Judicially confirmed"),
        "arbitration": ("转仲裁", "To arbitration"), "litigation": ("转诉讼", "To court"),
        "in_progress": ("调解中", "In mediation"),
    }),
}
