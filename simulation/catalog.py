"""What cases are like: the mixes of sources, classes, dispute types, outcomes and where
cases are resolved, calibrated on the real figures in shared/DOMAIN.md, plus the Chinese
text (titles, descriptions, names) the screens show.

Every mix is a (codes, weights) pair; `pick` draws from one with a numpy Generator, so the
seed and the live simulator draw the same way.
"""
from __future__ import annotations

import numpy as np

from data_access import vocabulary as v

Mix = tuple[tuple[str, ...], np.ndarray]


def mix(weights: dict[str, float]) -> Mix:
    codes = tuple(weights)
    values = np.array([weights[c] for c in codes], dtype=float)
    return codes, values / values.sum()


def pick(rng: np.random.Generator, m: Mix, n: int) -> np.ndarray:
    """n indexes into m's codes."""
    return rng.choice(len(m[0]), size=n, p=m[1])


# -- what and who ---------------------------------------------------------------------------
MAJOR_CLASS = mix({"urban": 38, "environment": 14, "safety": 10, "order": 8, "dispute": 18,
                   "service": 12})

# Source given the major class. Grid patrol leads everywhere (Xuzhou's 1.49 M grid-reported
# events); the hotline carries most consultations, 110 hands over order and dispute calls,
# petitions are mostly disputes. Marginal: ≈ 63 % patrol, 13 % 12345, 5 % 110, 3 % petition,
# 7 % app, 6 % video, 2 % department.
SOURCE_BY_CLASS: dict[str, Mix] = {
    "urban": mix({"grid_patrol": 72, "hotline_12345": 8, "police_110": 1, "petition": 0,
                  "citizen_app": 7, "video_iot": 10, "department": 2}),
    "environment": mix({"grid_patrol": 62, "hotline_12345": 14, "police_110": 2, "petition": 2,
                        "citizen_app": 9, "video_iot": 8, "department": 3}),
    "safety": mix({"grid_patrol": 72, "hotline_12345": 6, "police_110": 4, "petition": 0,
                   "citizen_app": 5, "video_iot": 8, "department": 5}),
    "order": mix({"grid_patrol": 55, "hotline_12345": 8, "police_110": 22, "petition": 3,
                  "citizen_app": 4, "video_iot": 6, "department": 2}),
    "dispute": mix({"grid_patrol": 62, "hotline_12345": 12, "police_110": 10, "petition": 8,
                    "citizen_app": 6, "video_iot": 0, "department": 2}),
    "service": mix({"grid_patrol": 40, "hotline_12345": 42, "police_110": 0, "petition": 6,
                    "citizen_app": 10, "video_iot": 0, "department": 2}),
}

SUBCLASS: dict[str, Mix] = {
    "urban": mix({"road_damage": 12, "street_light": 11, "manhole": 6, "illegal_parking": 14,
                  "street_vending": 14, "illegal_building": 5, "garbage": 18, "advertising": 6,
                  "greenery": 6, "drainage": 8}),
    "environment": mix({"noise": 30, "smoke": 12, "sewage": 14, "dust": 16, "burning_straw": 10,
                        "waste_dumping": 18}),
    "safety": mix({"gas": 14, "fire_hazard": 26, "building_safety": 10, "hazardous_goods": 8,
                   "construction_site": 14, "electric_bike_charging": 28}),
    "order": mix({"public_order": 34, "fraud_risk": 22, "key_persons": 18, "gathering": 8,
                  "campus_safety": 18}),
    "dispute": mix({"dispute": 1}),
    "service": mix({"consultation": 40, "help": 25, "suggestion": 10, "complaint": 25}),
}

# Seasonal multipliers of a subclass's weight by month (1..12): summer noise and straw
# burning after the June wheat harvest and the October rice harvest; gas and fire in winter.
SEASONAL_SUBCLASS: dict[str, dict[int, float]] = {
    "noise": {6: 1.5, 7: 1.8, 8: 1.7},
    "burning_straw": {1: 0.2, 2: 0.2, 3: 0.4, 5: 1.5, 6: 4.0, 10: 3.0, 11: 1.5, 12: 0.3},
    "gas": {1: 1.8, 2: 1.6, 11: 1.4, 12: 1.8, 6: 0.6, 7: 0.5, 8: 0.5},
    "fire_hazard": {1: 1.5, 2: 1.6, 12: 1.4, 7: 0.8},
    "electric_bike_charging": {7: 1.3, 8: 1.3},
    "drainage": {6: 1.6, 7: 2.2, 8: 1.8},
}

DISPUTE_TYPE = mix({"neighbour": 24, "marriage_family": 18, "labour": 11, "property_mgmt": 10,
                    "land": 7, "debt": 7, "traffic": 5, "contract_consumer": 4, "damages": 3,
                    "real_estate": 2, "medical": 1.5, "demolition": 1.5, "forest_water": 1,
                    "environment": 1.5, "village_affairs": 2, "other": 1.5})
MEDIATION_TYPE = mix({"people": 78, "administrative": 12, "judicial": 6, "professional": 4})
# Final outcomes of a closed dispute; `in_progress` is what an open one shows.
MEDIATION_OUTCOME = mix({"agreement": 90.5, "judicial_confirmation": 4.5, "arbitration": 2,
                         "litigation": 3})

# Where closed cases were resolved, by major class. Overall ≈ 55 % grid, 17 % village,
# 17 % township, 8 % county, 3 % city: 88–89 % at township or below (Xuzhou: 88.7 %).
RESOLUTION_BY_CLASS: dict[str, Mix] = {
    "urban": mix({"grid": 56, "village": 16, "township": 17, "county": 8.5, "city": 2.5}),
    "environment": mix({"grid": 45, "village": 15, "township": 24, "county": 12, "city": 4}),
    "safety": mix({"grid": 50, "village": 14, "township": 22, "county": 10, "city": 4}),
    "order": mix({"grid": 52, "village": 18, "township": 17, "county": 9, "city": 4}),
    "dispute": mix({"grid": 60, "village": 20, "township": 12, "county": 6, "city": 2}),
    "service": mix({"grid": 62, "village": 18, "township": 10, "county": 7, "city": 3}),
}

URGENT_SHARE = 0.06
REJECTED_SHARE = 0.015
REWORK_SHARE = 0.025
RETURN_SHARE = 0.01
EXTENSION_SHARE = 0.02
ESCALATION_SHARE_ABOVE_TOWNSHIP = 0.5  # cases resolved at county/city that were escalated
RANDOM_SUPERVISION_SHARE = 0.01
# Share of closed cases with a follow-up call, by whether the reporter is a citizen.
FOLLOWUP_SHARE_CITIZEN = 0.9
FOLLOWUP_SHARE_PATROL = 0.35
SATISFACTION = mix({"satisfied": 88.5, "basically": 9.0, "unsatisfied": 2.5})
CITIZEN_SOURCES = ("hotline_12345", "police_110", "petition", "citizen_app")

# Median hours from handling to handled per major class (log-normal, see lifecycle).
HANDLING_HOURS = {"urban": 7.0, "environment": 14.0, "safety": 9.0, "order": 6.0,
                  "dispute": 40.0, "service": 16.0}
SLOW_SUBCLASS_HOURS = {"illegal_building": 96.0, "building_safety": 48.0}

RESPONSIBLE_UNITS: dict[str, tuple[str, ...]] = {
    "urban": ("区城管局", "街道城管科", "区市政园林局", "区住建局"),
    "environment": ("区生态环境局", "街道环保办", "区城管局", "区农业农村局"),
    "safety": ("区应急管理局", "区消防救援大队", "区住建局", "街道安监办", "区燃气公司"),
    "order": ("派出所", "街道综治中心", "区公安分局", "区教育局"),
    "dispute": ("司法所", "人民调解委员会", "街道综治中心", "区劳动监察大队", "派出所"),
    "service": ("街道便民服务中心", "区12345工作站", "区人社局", "区民政局", "社区居委会"),
}

# -- text -----------------------------------------------------------------------------------
TITLES: dict[str, tuple[str, ...]] = {
    "road_damage": ("道路路面破损坑洼，影响车辆通行", "人行道地砖松动破损"),
    "street_light": ("村民反映路灯损坏多日未修", "小区门口路灯不亮，夜间出行不便"),
    "manhole": ("窨井盖缺失，存在安全隐患", "雨水井盖破损下沉"),
    "illegal_parking": ("车辆长期占用消防通道", "机动车乱停放堵塞路口"),
    "street_vending": ("流动摊贩占道经营", "早市摊点占用人行道"),
    "illegal_building": ("居民楼顶违法搭建", "沿街商户私自扩建"),
    "garbage": ("垃圾桶满溢未及时清运", "路边堆放建筑垃圾"),
    "advertising": ("违规张贴小广告", "户外广告牌松动有坠落风险"),
    "greenery": ("绿化带树木倒伏", "公共绿地被毁种菜"),
    "drainage": ("雨后路面积水严重", "下水道堵塞污水外溢"),
    "noise": ("夜间施工噪声扰民", "广场舞音响声音过大", "餐饮店油烟机噪声扰民"),
    "smoke": ("餐饮油烟直排扰民", "露天烧烤油烟污染"),
    "sewage": ("企业疑似偷排污水", "河道发黑发臭"),
    "dust": ("工地扬尘未覆盖", "渣土车撒漏"),
    "burning_straw": ("田间焚烧秸秆", "露天焚烧垃圾冒黑烟"),
    "waste_dumping": ("河边倾倒生活垃圾", "空地偷倒建筑渣土"),
    "gas": ("居民楼道闻到燃气味", "餐馆液化气瓶存放不规范"),
    "fire_hazard": ("楼道堆放杂物堵塞消防通道", "沿街门店消防器材过期"),
    "building_safety": ("老旧房屋墙体开裂", "自建房存在结构安全隐患"),
    "hazardous_goods": ("小作坊违规存放危化品", "加油站周边违规售油"),
    "construction_site": ("工地作业人员未戴安全帽", "脚手架搭设不规范"),
    "electric_bike_charging": ("电动车楼道飞线充电", "电动车进楼入户充电"),
    "public_order": ("夜市有人酗酒滋事", "出租屋人员流动频繁需核查"),
    "fraud_risk": ("老人疑似遭遇电信诈骗", "有人上门推销保健品疑似诈骗"),
    "key_persons": ("重点人员近期情绪不稳需关注", "社区矫正人员走访"),
    "gathering": ("多名工人聚集讨要工资", "群众聚集反映拆迁补偿问题"),
    "campus_safety": ("校园周边交通秩序混乱", "学校门口流动摊贩聚集"),
    "consultation": ("咨询医保异地备案办理流程", "咨询老年人优待证办理"),
    "help": ("独居老人家中断水求助", "低保户申请临时救助"),
    "suggestion": ("建议在路口增设红绿灯", "建议小区增设电动车充电桩"),
    "complaint": ("投诉物业服务不到位", "投诉商户缺斤少两"),
}
DISPUTE_TITLES: dict[str, tuple[str, ...]] = {
    "neighbour": ("邻里因楼上漏水发生纠纷，请求调解", "邻居占用公共楼道引发矛盾"),
    "marriage_family": ("夫妻因家庭琐事发生争吵", "子女赡养老人问题引发家庭纠纷"),
    "labour": ("务工人员反映被拖欠工资", "员工与企业因工伤赔偿发生争议"),
    "property_mgmt": ("业主与物业因收费问题发生纠纷", "小区停车位管理引发矛盾"),
    "land": ("村民因宅基地边界发生争执", "承包地流转费用纠纷"),
    "debt": ("民间借贷到期未还引发纠纷", "熟人之间欠款纠纷"),
    "traffic": ("交通事故赔偿协商未果", "电动车与行人碰撞赔偿纠纷"),
    "contract_consumer": ("预付卡商家关门退费纠纷", "装修合同质量纠纷"),
    "damages": ("宠物咬伤赔偿纠纷", "高空坠物致车辆损坏赔偿纠纷"),
    "real_estate": ("商品房逾期交付引发业主不满", "房屋质量问题维修纠纷"),
    "medical": ("患者家属对诊疗结果有异议", "医疗费用纠纷"),
    "demolition": ("征地拆迁补偿标准有异议", "拆迁安置房分配纠纷"),
    "forest_water": ("灌溉用水分配纠纷", "林地权属纠纷"),
    "environment": ("养殖场异味引发邻里纠纷", "厂房噪声影响周边居民引发纠纷"),
    "village_affairs": ("村民对村务公开有异议", "集体收益分配纠纷"),
    "other": ("群众之间口角引发纠纷", "其他民间纠纷请求调解"),
}
DESCRIPTION_TAILS = ("请相关部门尽快处理。", "已现场拍照取证，请核实处置。",
                     "群众反映强烈，希望尽快解决。", "已多次反映，至今未解决。",
                     "网格员已初步劝导，需部门协同。")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰华红建国文玉峰海燕波斌辉鹏宇晨"
MOBILE_PREFIXES = ("130", "133", "135", "136", "138", "139", "151", "152", "158", "159",
                   "177", "180", "182", "187", "188", "189", "199")


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    surnames = np.array(list(SURNAMES), dtype=object)[rng.integers(0, len(SURNAMES), n)]
    given = np.array(list(GIVEN), dtype=object)
    first = given[rng.integers(0, len(GIVEN), n)]
    second = np.where(rng.random(n) < 0.6, given[rng.integers(0, len(GIVEN), n)], "")
    return surnames + first + second


def phone_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.array(MOBILE_PREFIXES, dtype=object)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    digits = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8).astype(object)
    return prefixes + digits


def title_choices(subclass: str, dispute_type: str | None) -> tuple[str, ...]:
    if subclass == "dispute":
        return DISPUTE_TITLES[dispute_type or "other"]
    return TITLES[subclass]


def check_catalog() -> None:
    """Every code in the mixes exists in the vocabulary (run by the tests)."""
    assert set(MAJOR_CLASS[0]) == set(v.MAJOR_CLASSES)
    for major, m in SUBCLASS.items():
        assert set(m[0]) == set(v.SUBCLASSES[major]), major
    assert set(DISPUTE_TYPE[0]) == set(v.DISPUTE_TYPES) == set(DISPUTE_TITLES)
    assert set(TITLES) | {"dispute"} == {s for subs in v.SUBCLASSES.values() for s in subs}
    for m in SOURCE_BY_CLASS.values():
        assert set(m[0]) == set(v.SOURCES)
    for m in RESOLUTION_BY_CLASS.values():
        assert set(m[0]) == set(v.RESOLUTION_LEVELS)
