"""Known truth for the early warnings: scenarios written into the database through the one
write path (`data_access.case_store`), so that the demo shows warnings and the bench and
tests know what should be found.

- `surge`: `surge_size` extra reports today in one township and category;
- `cluster`: reports of one problem in one grid over the last days, each in other words
  (a paraphrase: other synonyms, another order — never a copy);
- `caller`: one phone number reporting three times within 30 days through the hotline.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from data_access import case_store as cs
from data_access.counters import Counters
from simulation.lifecycle import deadlines
from simulation.territory import load_grids

KINDS = ("surge", "cluster", "caller")
ACTOR = "inject"

# subclass -> (major class, title, slots a report's sentence is built from, the details
# that set one such problem apart from another: each problem has one, its callers say it in
# one of its wordings or leave it out)
PROBLEMS: dict[str, tuple[str, str, dict[str, tuple[str, ...]], tuple[tuple[str, ...], ...]]] = {
    "manhole": ("urban", "井盖缺失", {
        "obj": ("井盖", "窨井盖", "下水道井盖", "雨水井盖"),
        "state": ("缺失", "不见了", "被人偷走了", "丢了好几天"),
        "risk": ("晚上行人容易踩空", "夜里走路很危险", "电动车经过容易摔倒", "存在很大安全隐患"),
        "ask": ("请尽快处理", "希望尽快修复", "请有关部门赶紧补上", "麻烦尽快派人来看看")}, (
        ("只拿一块木板盖着", "上面就搭了块木板", "用木板临时挡着"),
        ("前天有个小孩差点掉进去", "已经有孩子差点掉下去", "差点有小孩摔进井里"),
        ("旁边放了个破桶当标记", "有人在上面扣了个破桶", "只放了个桶提醒"),
        ("井口有一米多深", "井很深看不到底", "下面有一米多深"))),
    "street_light": ("urban", "路灯不亮", {
        "obj": ("路灯", "路边的灯", "小区路灯", "路口照明灯"),
        "state": ("一直不亮", "坏了好几天", "晚上不亮", "全部熄灭"),
        "risk": ("晚上一片漆黑", "夜里出行很不方便", "老人晚上不敢出门", "天黑后看不清路"),
        "ask": ("请尽快维修", "希望早点修好", "请相关部门处理", "麻烦派人来修一下")}, (
        ("灯杆被车撞歪了", "有辆车把灯杆撞斜了", "灯柱让车撞弯了"),
        ("一闪一闪的", "忽明忽暗一直闪", "时亮时不亮老是闪"),
        ("电线露在外面", "灯下面的电线裸露着", "底座电线露出来了"),
        ("连着三盏都不亮", "一排三个灯全不亮", "三盏灯都坏了"))),
    "garbage": ("urban", "垃圾未清运", {
        "obj": ("垃圾桶", "垃圾箱", "垃圾堆", "生活垃圾"),
        "state": ("满了没人清运", "好几天没人收", "堆得满地都是", "一直没清理"),
        "risk": ("气味很大", "臭味熏人", "招来很多蚊蝇", "影响居民生活"),
        "ask": ("请尽快清运", "希望及时处理", "请环卫部门来清理", "麻烦安排人清走")}, (
        ("桶被狗翻倒了", "垃圾桶让野狗扒倒了", "野狗把桶拱翻了"),
        ("还有人倒了旧沙发", "旁边扔了一张破沙发", "有人把旧沙发丢在那"),
        ("污水流到马路上", "垃圾水淌到路面上", "脏水流得满路都是"),
        ("挨着早餐店", "就在早点铺旁边", "紧挨着卖早饭的店"))),
    "noise": ("environment", "噪声扰民", {
        "obj": ("工地", "夜间施工", "施工机械", "工地打桩"),
        "state": ("半夜还在施工", "深夜噪声很大", "凌晨还在作业", "每天夜里响个不停"),
        "risk": ("吵得睡不着觉", "严重影响休息", "老人孩子没法睡", "居民无法入睡"),
        "ask": ("请尽快制止", "希望有关部门管一管", "请执法部门处理", "麻烦来现场查看")}, (
        ("搅拌车进进出出", "混凝土罐车来回跑", "搅拌车整夜进出"),
        ("切割钢筋的声音刺耳", "割钢筋的声音特别尖", "一直在切钢筋很刺耳"),
        ("十二点以后还在干", "过了零点还不停", "半夜十二点后还施工"),
        ("探照灯照进家里", "大灯直接照到窗户里", "工地的灯晃得屋里通亮"))),
    "drainage": ("urban", "下水道堵塞", {
        "obj": ("下水道", "排水管", "雨水管道", "污水井"),
        "state": ("堵塞了", "堵住了往外冒水", "污水外溢", "排水不畅"),
        "risk": ("路面全是污水", "臭气熏天", "行人没法通过", "积水越来越多"),
        "ask": ("请尽快疏通", "希望尽快处理", "请有关部门派人疏通", "麻烦赶紧来看看")}, (
        ("一楼住户家里返水", "一楼家里往上冒水", "底楼住户屋里返水了"),
        ("积水有十几公分深", "水有一巴掌深", "积水没过脚踝"),
        ("饭店往里倒泔水", "旁边饭店把泔水倒进去", "有餐馆往下水道倒剩菜"),
        ("井盖都被顶起来了", "水把井盖都冲开了", "井盖被污水顶开了"))),
}
URBAN = tuple(sub for sub, (major, *_rest) in PROBLEMS.items() if major == "urban")
# Where in a place a problem is; a problem has one, said in one of its wordings.
SPOTS = (("楼下", "楼底下", "楼前", "楼跟前"), ("单元门口", "单元门前", "楼道口", "单元入口"),
         ("东侧", "东边", "东面", "靠东头那块"), ("停车场旁边", "停车场边上", "停车的地方",
                                         "停车场那一片"),
         ("北门口", "北大门", "北门那里", "北门进来"), ("菜市场旁边", "菜场边上", "农贸市场旁",
                                                  "菜市场门口"),
         ("健身器材旁边", "健身广场边上", "锻炼器材那边"),
         ("幼儿园门口", "幼儿园旁边", "幼儿园那里"))
# What callers add that says nothing of the problem (realistic noise, not content).
_ASIDES = ("已经打过好几次电话了，", "物业说不归他们管，", "都一个多星期了，", "之前反映过没人管，",
           "大家意见很大，", "")
# Typing and speech-to-text slips of the hotline's records (one at most a report).
_SLIPS = (("的", "得"), ("在", "再"), ("已经", "以经"), ("反映", "反应"), ("一直", "一值"),
          ("麻烦", "麻凡"), ("处理", "处里"))
_OPENINGS = ("", "", "我家附近", "我要反映一下", "您好，", "我是附近居民，")
_ORDERS = ("{open}{where}{obj}{state}，{detail}{risk}，{ask}。",
           "{open}{ask}：{where}的{obj}{state}，{detail}{risk}。",
           "{open}{where}附近{obj}{state}，{risk}，{detail}{ask}。",
           "{open}{where}{obj}{state}了，{detail}{ask}，{risk}。")
_CN_NUMERALS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    tens, ones = divmod(n, 10)
    if not tens:
        return _CN_NUMERALS[ones]
    return ("" if tens == 1 else _CN_NUMERALS[tens]) + "十" + \
        (_CN_NUMERALS[ones] if ones else "")


@dataclass(frozen=True)
class Problem:
    """One problem at one place: what (a subclass and its detail) and where (a community, a
    building, a spot). Its reports say it in other words."""

    subclass: str
    community: str
    building: int
    spot: int
    detail: int


def draw_problem(rng: np.random.Generator, community: str, subclass: str | None = None
                 ) -> Problem:
    subclass = subclass or list(PROBLEMS)[int(rng.integers(len(PROBLEMS)))]
    return Problem(subclass, community, int(rng.integers(1, 40)), int(rng.integers(len(SPOTS))),
                   int(rng.integers(len(PROBLEMS[subclass][3]))))


def paraphrase(rng: np.random.Generator, problem: Problem) -> str:
    """One report of the problem in a caller's own words: other synonyms, another order,
    the building written 5号楼 / 五号楼 / 5栋 or not said, the place named or not, the
    spot in one of its wordings (or only "这边"), the detail said in one of its wordings or
    left out, an aside that says nothing of the problem, now and then a typing slip or no
    punctuation — never a copy."""
    _major, _title, slots, details = PROBLEMS[problem.subclass]
    words = {k: options[int(rng.integers(len(options)))] for k, options in slots.items()}

    def pick(options):
        return options[int(rng.integers(len(options)))]
    building = pick((f"{problem.building}号楼", f"{_chinese(problem.building)}号楼",
                     f"{problem.building}栋", ""))  # a quarter say no building
    community = pick((problem.community, problem.community, "我们小区", "小区里"))
    # One in ten says only "here", not where in the place.
    spot = pick(SPOTS[problem.spot]) if rng.random() >= 0.1 else "这边"
    where = f"{community}{building}{spot}"
    detail = f"{pick(details[problem.detail])}，" if rng.random() < 0.7 else ""
    aside = pick(_ASIDES) if rng.random() < 0.4 else ""
    text = pick(_ORDERS).format(open=pick(_OPENINGS) + aside, where=where, detail=detail,
                                **words)
    if rng.random() < 0.3:  # a slip of the keyboard or of speech-to-text
        wrong, slip = pick([s for s in _SLIPS if s[0] in text] or [("", "")])
        text = text.replace(wrong, slip, 1) if wrong else text
    if rng.random() < 0.2:  # a hotline record without punctuation
        text = text.replace("，", " ").replace("。", "")
    return text


def _report(sessions: sessionmaker[Session], counters: Counters, at: datetime,
            draft: cs.CaseDraft) -> int:
    # Its time limit as any report of its kind has (the queue's countdown showed "—").
    due = deadlines(np.array([at.astimezone(UTC).replace(tzinfo=None)], dtype="datetime64[us]"),
                    np.array([draft.major_class]), np.array([draft.subclass]),
                    np.array([draft.priority]), np.array([draft.source]), counters.zone)[0]
    deadline = datetime.fromtimestamp(due.astype("int64") / 1e6, UTC)
    with cs.case_change(sessions, counters) as session:
        case_id = cs.report_case(session, draft, at, ACTOR, deadline)
    assert case_id is not None
    return case_id


def _draft(rng: np.random.Generator, key: str, grid: str, lon: float, lat: float,
           subclass: str, description: str, source: str = "citizen_app",
           phone: str | None = None, address: str | None = None) -> cs.CaseDraft:
    major, title = PROBLEMS[subclass][:2] if subclass in PROBLEMS else ("urban", "乱停放")
    return cs.CaseDraft(
        external_id=f"INJ-{key}-{int(rng.integers(10**12)):012d}", source=source,
        major_class=major, subclass=subclass, priority="normal", title=title,
        description=description, grid_code=grid, lon=lon, lat=lat, reporter_name="群众",
        reporter_phone=phone, address=address)


def inject(sessions: sessionmaker[Session], counters: Counters, region: str,
           kinds: Sequence[str], now: datetime, seed: int = 1, surge_size: int = 25,
           cluster_size: int = 4) -> dict:
    """Write the scenarios; returns what was written where (the known truth)."""
    rng = np.random.default_rng(seed)
    with sessions() as session:
        grids = load_grids(session, region)
    truth: dict = {}
    pick = int(rng.integers(len(grids.codes)))
    if "surge" in kinds:
        township = grids.codes[pick][:9]
        inside = [i for i, c in enumerate(grids.codes) if c.startswith(township)]
        ids = []
        for k in range(surge_size):
            i = inside[int(rng.integers(len(inside)))]
            at = now - timedelta(minutes=int(rng.integers(5, 240)))
            # Many problems, one each (its own building, spot and detail): a surge is more
            # reports of a category, not one problem reported again (a repeat complaint).
            problem = draw_problem(rng, grids.village[i], URBAN[k % len(URBAN)])
            ids.append(_report(sessions, counters, at, _draft(
                rng, "S", grids.codes[i], float(grids.lon[i]), float(grids.lat[i]),
                problem.subclass, paraphrase(rng, problem))))
        truth["surge"] = {"township": township, "category": "urban", "cases": ids}
    if "cluster" in kinds:
        i = (pick + 1) % len(grids.codes)
        problem = draw_problem(rng, grids.village[i])
        ids = [_report(sessions, counters, now - timedelta(hours=1 + 20 * k), _draft(
            rng, "C", grids.codes[i], float(grids.lon[i]), float(grids.lat[i]),
            problem.subclass, paraphrase(rng, problem),
            source=("citizen_app", "hotline_12345")[k % 2],
            phone=f"139{int(rng.integers(10**8)):08d}"))
            for k in range(cluster_size)]
        truth["cluster"] = {"grid": grids.codes[i], "subclass": problem.subclass, "cases": ids}
    if "caller" in kinds:
        i = (pick + 2) % len(grids.codes)
        phone = f"186{int(rng.integers(10**8)):08d}"
        subclasses = ("street_light", "garbage", "noise")
        ids = [_report(sessions, counters, now - timedelta(days=9 * k, hours=2), _draft(
            rng, "R", grids.codes[i], float(grids.lon[i]), float(grids.lat[i]), sub,
            paraphrase(rng, draw_problem(rng, grids.village[i], sub)), source="hotline_12345",
            phone=phone, address=f"{grids.village[i]}{3 + k}号"))
            for k, sub in enumerate(subclasses)]
        truth["caller"] = {"grid": grids.codes[i], "cases": ids}
    return truth
