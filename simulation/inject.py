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
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from data_access import case_store as cs
from data_access.counters import Counters
from simulation.territory import load_grids

KINDS = ("surge", "cluster", "caller")
ACTOR = "inject"

# subclass -> (major class, title, slots a report's sentence is built from)
PROBLEMS: dict[str, tuple[str, str, dict[str, tuple[str, ...]]]] = {
    "manhole": ("urban", "井盖缺失", {
        "obj": ("井盖", "窨井盖", "下水道井盖", "雨水井盖"),
        "state": ("缺失", "不见了", "被人偷走了", "丢了好几天"),
        "risk": ("晚上行人容易踩空", "夜里走路很危险", "电动车经过容易摔倒", "存在很大安全隐患"),
        "ask": ("请尽快处理", "希望尽快修复", "请有关部门赶紧补上", "麻烦尽快派人来看看")}),
    "street_light": ("urban", "路灯不亮", {
        "obj": ("路灯", "路边的灯", "小区路灯", "路口照明灯"),
        "state": ("一直不亮", "坏了好几天", "晚上不亮", "全部熄灭"),
        "risk": ("晚上一片漆黑", "夜里出行很不方便", "老人晚上不敢出门", "天黑后看不清路"),
        "ask": ("请尽快维修", "希望早点修好", "请相关部门处理", "麻烦派人来修一下")}),
    "garbage": ("urban", "垃圾未清运", {
        "obj": ("垃圾桶", "垃圾箱", "垃圾堆", "生活垃圾"),
        "state": ("满了没人清运", "好几天没人收", "堆得满地都是", "一直没清理"),
        "risk": ("气味很大", "臭味熏人", "招来很多蚊蝇", "影响居民生活"),
        "ask": ("请尽快清运", "希望及时处理", "请环卫部门来清理", "麻烦安排人清走")}),
    "noise": ("environment", "噪声扰民", {
        "obj": ("工地", "夜间施工", "施工机械", "工地打桩"),
        "state": ("半夜还在施工", "深夜噪声很大", "凌晨还在作业", "每天夜里响个不停"),
        "risk": ("吵得睡不着觉", "严重影响休息", "老人孩子没法睡", "居民无法入睡"),
        "ask": ("请尽快制止", "希望有关部门管一管", "请执法部门处理", "麻烦来现场查看")}),
    "drainage": ("urban", "下水道堵塞", {
        "obj": ("下水道", "排水管", "雨水管道", "污水井"),
        "state": ("堵塞了", "堵住了往外冒水", "污水外溢", "排水不畅"),
        "risk": ("路面全是污水", "臭气熏天", "行人没法通过", "积水越来越多"),
        "ask": ("请尽快疏通", "希望尽快处理", "请有关部门派人疏通", "麻烦赶紧来看看")}),
}
_ORDERS = ("{place}{obj}{state}，{risk}，{ask}。",
           "{ask}：{place}的{obj}{state}，{risk}。",
           "反映{place}附近{obj}{state}，{risk}，{ask}。",
           "{place}{obj}{state}了，{ask}，{risk}。")


def paraphrase(rng: np.random.Generator, subclass: str, place: str) -> str:
    """One report of the problem in other words."""
    _major, _title, slots = PROBLEMS[subclass]
    words = {k: options[int(rng.integers(len(options)))] for k, options in slots.items()}
    return _ORDERS[int(rng.integers(len(_ORDERS)))].format(place=place, **words)


def _report(sessions: sessionmaker[Session], counters: Counters, at: datetime,
            draft: cs.CaseDraft) -> int:
    with cs.case_change(sessions, counters) as session:
        case_id = cs.report_case(session, draft, at, ACTOR, None)
    assert case_id is not None
    return case_id


def _draft(rng: np.random.Generator, key: str, grid: str, lon: float, lat: float,
           subclass: str, description: str, source: str = "citizen_app",
           phone: str | None = None, address: str | None = None) -> cs.CaseDraft:
    major, title, _slots = PROBLEMS.get(subclass, ("urban", "乱停放", {}))
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
            ids.append(_report(sessions, counters, at, _draft(
                rng, "S", grids.codes[i], float(grids.lon[i]), float(grids.lat[i]),
                "illegal_parking", f"{grids.village[i]}机动车乱停放堵塞路口（{k + 1}）")))
        truth["surge"] = {"township": township, "category": "urban", "cases": ids}
    if "cluster" in kinds:
        i = (pick + 1) % len(grids.codes)
        subclass = list(PROBLEMS)[int(rng.integers(len(PROBLEMS)))]
        place = f"{grids.village[i]}{int(rng.integers(1, 40))}号楼"
        ids = [_report(sessions, counters, now - timedelta(hours=1 + 20 * k), _draft(
            rng, "C", grids.codes[i], float(grids.lon[i]), float(grids.lat[i]), subclass,
            paraphrase(rng, subclass, place), source=("citizen_app", "hotline_12345")[k % 2],
            phone=f"139{int(rng.integers(10**8)):08d}"))
            for k in range(cluster_size)]
        truth["cluster"] = {"grid": grids.codes[i], "subclass": subclass, "cases": ids}
    if "caller" in kinds:
        i = (pick + 2) % len(grids.codes)
        phone = f"186{int(rng.integers(10**8)):08d}"
        subclasses = ("street_light", "garbage", "noise")
        ids = [_report(sessions, counters, now - timedelta(days=9 * k, hours=2), _draft(
            rng, "R", grids.codes[i], float(grids.lon[i]), float(grids.lat[i]), sub,
            paraphrase(rng, sub, f"{grids.village[i]}{3 + k}号"), source="hotline_12345",
            phone=phone, address=f"{grids.village[i]}{3 + k}号"))
            for k, sub in enumerate(subclasses)]
        truth["caller"] = {"grid": grids.codes[i], "cases": ids}
    return truth
