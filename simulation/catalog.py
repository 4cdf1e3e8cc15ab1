"""What cases are like: the mixes of sources, classes, dispute types, outcomes and where
cases are resolved, calibrated on the real figures in shared/DOMAIN.md, plus the Chinese
text (titles, descriptions, names) the screens show.

Every mix is a (codes, weights) pair; `pick` draws from one with a numpy Generator, so the
seed and the live simulator draw the same way.
"""
from __future__ import annotations

import zlib
from typing import TypeVar

import numpy as np
import pandas as pd

from data_access import vocabulary as v

Mix = tuple[tuple[str, ...], np.ndarray]
T = TypeVar("T")


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
# Each template is (problem, details): the problem opens the title, short enough to survive
# a row cut at about 12 characters; the details are the report's sentence.
Template = tuple[str, str]
MAX_PROBLEM_CHARS = 8

TEMPLATES: dict[str, tuple[Template, ...]] = {
    "road_damage": (("路面坑洼", "道路路面破损坑洼，影响车辆通行"),
                    ("人行道破损", "人行道地砖松动破损，行人易绊倒")),
    "street_light": (("路灯不亮", "路灯损坏多日未修，夜间出行不便"),
                     ("路灯损坏", "小区门口路灯不亮，夜间照明不足")),
    "manhole": (("井盖缺失", "窨井盖缺失，存在安全隐患"),
                ("井盖破损", "雨水井盖破损下沉，行人车辆易踩空")),
    "illegal_parking": (("占用消防通道", "车辆长期占用消防通道"),
                        ("乱停放堵路口", "机动车乱停放堵塞路口")),
    "street_vending": (("占道经营", "流动摊贩占道经营，影响通行"),
                       ("摊点占人行道", "早市摊点占用人行道")),
    "illegal_building": (("楼顶违建", "居民楼顶违法搭建彩钢棚"),
                         ("商户私自扩建", "沿街商户私自扩建，占用公共空间")),
    "garbage": (("垃圾未清运", "垃圾桶满溢未及时清运，异味明显"),
                ("乱堆建筑垃圾", "路边堆放建筑垃圾，未覆盖")),
    "advertising": (("小广告", "墙面和电线杆上违规张贴小广告"),
                    ("广告牌松动", "户外广告牌松动，有坠落风险")),
    "greenery": (("树木倒伏", "绿化带树木倒伏，阻挡道路"),
                 ("毁绿种菜", "公共绿地被毁种菜")),
    "drainage": (("路面积水", "雨后路面积水严重，行人无法通行"),
                 ("下水道堵塞", "下水道堵塞，污水外溢")),
    "noise": (("夜间施工扰民", "夜间施工噪声扰民"),
              ("广场舞噪声", "广场舞音响声音过大，影响居民休息"),
              ("油烟机噪声", "餐饮店油烟机噪声扰民")),
    "smoke": (("油烟直排", "餐饮油烟直排，影响周边居民"),
              ("露天烧烤", "露天烧烤油烟污染")),
    "sewage": (("偷排污水", "企业疑似偷排污水"),
               ("河道黑臭", "河道发黑发臭")),
    "dust": (("工地扬尘", "工地扬尘未覆盖"),
             ("渣土车撒漏", "渣土车撒漏，路面污染")),
    "burning_straw": (("焚烧秸秆", "田间焚烧秸秆，浓烟较大"),
                      ("露天焚烧垃圾", "露天焚烧垃圾冒黑烟")),
    "waste_dumping": (("河边倒垃圾", "河边倾倒生活垃圾"),
                      ("偷倒渣土", "空地偷倒建筑渣土")),
    "gas": (("燃气异味", "居民楼道闻到燃气味"),
            ("气瓶存放不规范", "餐馆液化气瓶存放不规范")),
    "fire_hazard": (("楼道堆物", "楼道堆放杂物堵塞消防通道"),
                    ("消防器材过期", "沿街门店消防器材过期")),
    "building_safety": (("房屋墙体开裂", "老旧房屋墙体开裂"),
                        ("自建房隐患", "自建房存在结构安全隐患")),
    "hazardous_goods": (("违规存放危化品", "小作坊违规存放危化品"),
                        ("违规售油", "加油站周边有人违规售油")),
    "construction_site": (("未戴安全帽", "工地作业人员未戴安全帽"),
                          ("脚手架不规范", "脚手架搭设不规范")),
    "electric_bike_charging": (("飞线充电", "电动车楼道飞线充电"),
                               ("电动车入户充电", "电动车进楼入户充电")),
    "public_order": (("酗酒滋事", "夜市有人酗酒滋事"),
                     ("出租屋需核查", "出租屋人员流动频繁，需核查登记")),
    "fraud_risk": (("疑似电信诈骗", "老人疑似遭遇电信诈骗"),
                   ("上门推销诈骗", "有人上门推销保健品，疑似诈骗")),
    "key_persons": (("重点人员关注", "重点人员近期情绪不稳，需关注"),
                    ("社区矫正走访", "社区矫正人员定期走访")),
    "gathering": (("讨薪聚集", "多名工人聚集讨要工资"),
                  ("聚集反映拆迁", "群众聚集反映拆迁补偿问题")),
    "campus_safety": (("校园周边交通乱", "校园周边交通秩序混乱"),
                      ("校门口摊贩聚集", "学校门口流动摊贩聚集")),
    "consultation": (("医保备案咨询", "居民咨询医保异地备案办理流程"),
                     ("优待证办理咨询", "老人咨询老年人优待证办理")),
    "help": (("独居老人断水", "独居老人家中断水，请求帮助"),
             ("临时救助申请", "低保户申请临时救助")),
    "suggestion": (("建议增设红绿灯", "居民建议在路口增设红绿灯"),
                   ("建议增设充电桩", "居民建议小区增设电动车充电桩")),
    "complaint": (("物业服务投诉", "居民投诉物业服务不到位"),
                  ("缺斤少两投诉", "居民投诉商户缺斤少两")),
}
DISPUTE_TEMPLATES: dict[str, tuple[Template, ...]] = {
    "neighbour": (("楼上漏水纠纷", "邻里因楼上漏水发生纠纷"),
                  ("占用楼道矛盾", "邻居占用公共楼道引发矛盾")),
    "marriage_family": (("家庭矛盾", "夫妻因家庭琐事发生争吵"),
                        ("赡养纠纷", "子女赡养老人问题引发家庭纠纷")),
    "labour": (("拖欠工资", "务工人员反映被拖欠工资"),
               ("工伤赔偿争议", "员工与企业因工伤赔偿发生争议")),
    "property_mgmt": (("物业收费纠纷", "业主与物业因收费问题发生纠纷"),
                      ("停车位矛盾", "小区停车位管理引发矛盾")),
    "land": (("宅基地边界纠纷", "村民因宅基地边界发生争执"),
             ("土地流转纠纷", "承包地流转费用纠纷")),
    "debt": (("借贷纠纷", "民间借贷到期未还引发纠纷"),
             ("欠款纠纷", "熟人之间欠款纠纷")),
    "traffic": (("交通事故赔偿", "交通事故赔偿协商未果"),
                ("电动车碰撞纠纷", "电动车与行人碰撞赔偿纠纷")),
    "contract_consumer": (("预付卡退费纠纷", "预付卡商家关门退费纠纷"),
                          ("装修合同纠纷", "装修合同质量纠纷")),
    "damages": (("宠物咬伤赔偿", "宠物咬伤赔偿纠纷"),
                ("高空坠物赔偿", "高空坠物致车辆损坏赔偿纠纷")),
    "real_estate": (("房屋逾期交付", "商品房逾期交付引发业主不满"),
                    ("房屋质量纠纷", "房屋质量问题维修纠纷")),
    "medical": (("诊疗结果异议", "患者家属对诊疗结果有异议"),
                ("医疗费用纠纷", "患者与医院因医疗费用发生纠纷")),
    "demolition": (("拆迁补偿异议", "征地拆迁补偿标准有异议"),
                   ("安置房分配纠纷", "拆迁安置房分配纠纷")),
    "forest_water": (("灌溉用水纠纷", "灌溉用水分配纠纷"),
                     ("林地权属纠纷", "两户村民因林地权属发生争执")),
    "environment": (("养殖异味纠纷", "养殖场异味引发邻里纠纷"),
                    ("厂房噪声纠纷", "厂房噪声影响周边居民引发纠纷")),
    "village_affairs": (("村务公开异议", "村民对村务公开有异议"),
                        ("集体收益分配", "集体收益分配纠纷")),
    "other": (("口角纠纷", "群众之间口角引发纠纷"),
              ("民间纠纷", "其他民间纠纷")),
}

# How a report opens, by source. A grid worker finds a street problem on patrol but hears
# of a dispute or a request on a household visit.
REPORT_LEADS: dict[str, tuple[str, ...]] = {
    "grid_patrol": ("网格员巡查发现", "网格员日常巡查中发现"),
    "hotline_12345": ("市民致电12345反映", "来电人反映"),
    "police_110": ("110非警务警情转办", "110接警后转来"),
    "petition": ("群众来访反映", "信访件反映"),
    "citizen_app": ("群众通过随手拍上报", "群众通过小程序反映"),
    "video_iot": ("视频监控巡检发现", "物联感知设备告警"),
    "department": ("职能部门移交", "相关部门推送"),
}
VISIT_LEADS = ("网格员入户走访了解到", "网格员走访中了解到")
VISIT_CLASSES = ("dispute", "service")
PATROL_TAILS = ("已现场拍照取证，请核实处置。", "已现场劝导，需相关部门协同处置。",
                "已告知责任人限期整改，将跟踪复查。")
REMOTE_SOURCES = ("video_iot", "department")
REMOTE_TAILS = ("请属地网格员现场核实。", "请派员现场核实处置。")
CITIZEN_TAILS = ("请相关部门尽快处理。", "群众反映强烈，希望尽快解决。",
                 "反映人称此前已多次反映，至今未解决。")
DISPUTE_TAILS = ("双方情绪较激动，请尽快组织调解。", "网格员已初步调解，双方未达成一致。",
                 "当事人请求调解。")
SERVICE_TAILS = ("已初步解答，需相关部门进一步答复。", "请相关部门跟进办理并回复。")

# Street names for community addresses; a community lies on a few of them (STREETS_EACH
# consecutive entries from a place-dependent start), villages use their groups (组) instead.
STREETS = ("和平路", "解放路", "建设路", "人民路", "中山路", "淮海路", "复兴路", "民主路",
           "文化路", "光明路", "新华路", "青年路", "胜利路", "长安路", "振兴路", "幸福路",
           "团结路", "育才路", "府前路", "工农路", "健康路", "朝阳路", "大同街", "北京路",
           "黄河路", "长江路", "泰山路", "庆丰路", "兴隆街", "东风路", "红旗路", "友谊路",
           "园林路", "环城路", "滨河路", "金山路", "汉源大道", "迎宾大道", "新城大道", "学府路")
STREETS_EACH = 3
GROUP_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def _choose(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def _choose_by_key(rng: np.random.Generator, keys: np.ndarray,
                   table: dict[str, tuple[T, ...]]) -> list[T]:
    """One of table[key] per element of keys, in one vectorized draw."""
    codes, present = pd.factorize(keys)
    options = [table[key] for key in present]
    sizes = np.array([len(o) for o in options], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    chosen = starts[codes] + (rng.random(len(keys)) * sizes[codes]).astype(np.int64)
    flat = [item for o in options for item in o]
    return [flat[i] for i in chosen.tolist()]


def addresses(rng: np.random.Generator, places: np.ndarray, villages: np.ndarray
              ) -> np.ndarray:
    """Place (county, township, village) + street and number for communities, + group
    and number for villages: 云龙区彭城街道子房社区和平路57号, 丰县华山镇王庄村三组15号."""
    n = len(places)
    codes, present = pd.factorize(places)
    # crc32, not hash(): Python salts str hashes per process, and seeds must repeat.
    start = np.array([zlib.crc32(p.encode()) % len(STREETS) for p in present], dtype=np.int64)
    street = (start[codes] + rng.integers(0, STREETS_EACH, n)) % len(STREETS)
    number = rng.integers(1, 300, n)
    group = rng.integers(0, len(GROUP_NUMERALS), n)
    house = rng.integers(1, 80, n)
    return np.array([
        f"{p}{GROUP_NUMERALS[g]}组{h}号" if v.endswith("村") else f"{p}{STREETS[s]}{k}号"
        for p, v, s, k, g, h in zip(places, villages, street.tolist(), number.tolist(),
                                    group.tolist(), house.tolist(), strict=True)
    ], dtype=object)


def case_texts(rng: np.random.Generator, keys: np.ndarray, majors: np.ndarray,
               sources: np.ndarray, places: np.ndarray, villages: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(titles, descriptions, addresses): 井盖缺失·子房社区, and a report that says who
    found what where and what was done: 网格员巡查发现：<address>，<details>。<tail>"""
    n = len(keys)
    templates = _choose_by_key(rng, keys, {**TEMPLATES, **DISPUTE_TEMPLATES})
    address = addresses(rng, places, villages)
    leads = np.array(_choose_by_key(rng, sources, REPORT_LEADS), dtype=object)
    visit = (sources == "grid_patrol") & np.isin(majors, VISIT_CLASSES)
    leads[visit] = _choose(rng, VISIT_LEADS, int(visit.sum()))
    tails = np.select(
        [majors == "dispute", majors == "service", sources == "grid_patrol",
         np.isin(sources, REMOTE_SOURCES)],
        [_choose(rng, DISPUTE_TAILS, n), _choose(rng, SERVICE_TAILS, n),
         _choose(rng, PATROL_TAILS, n), _choose(rng, REMOTE_TAILS, n)],
        _choose(rng, CITIZEN_TAILS, n))
    titles = [f"{problem}·{village}" for (problem, _), village
              in zip(templates, villages, strict=True)]
    descriptions = [f"{lead}：{where}，{details}。{tail}" for lead, where, (_, details), tail
                    in zip(leads, address, templates, tails, strict=True)]
    return np.array(titles, dtype=object), np.array(descriptions, dtype=object), address


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


def check_catalog() -> None:
    """Every code in the mixes exists in the vocabulary (run by the tests)."""
    assert set(MAJOR_CLASS[0]) == set(v.MAJOR_CLASSES)
    for major, m in SUBCLASS.items():
        assert set(m[0]) == set(v.SUBCLASSES[major]), major
    assert set(DISPUTE_TYPE[0]) == set(v.DISPUTE_TYPES) == set(DISPUTE_TEMPLATES)
    assert set(TEMPLATES) | {"dispute"} == {s for subs in v.SUBCLASSES.values() for s in subs}
    for templates in (*TEMPLATES.values(), *DISPUTE_TEMPLATES.values()):
        assert all(0 < len(problem) <= MAX_PROBLEM_CHARS for problem, _ in templates)
    assert set(REPORT_LEADS) == set(v.SOURCES)
    for m in SOURCE_BY_CLASS.values():
        assert set(m[0]) == set(v.SOURCES)
    for m in RESOLUTION_BY_CLASS.values():
        assert set(m[0]) == set(v.RESOLUTION_LEVELS)
