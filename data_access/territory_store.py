"""Writing the territory (units) and its grid workers in bulk.

The caller owns the transaction: pass a session inside `db.transaction(...)`, so a failure
leaves the tables as they were.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import asdict

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data_access.models import GridWorker, Unit
from data_access.territory_synth import UnitRecord

BATCH = 5_000  # rows per executemany: bounded memory for the province's ~130k units

# Common surnames (roughly by frequency) and characters of given names; every worker gets
# a surname and one or two given-name characters, drawn from a seeded generator.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰华红建国文玉峰海燕波斌辉鹏宇晨"
    "欣婷雪梅琳颖晶亮俊浩然宁志新春林佳慧德成云飞凤萍"
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "157", "158", "159", "177", "180", "181", "182", "186", "187", "188", "189", "199",
)
# Workers per grid and their weights: mean 2.4, as Xuzhou's 26,000 for 10,840 grids.
WORKERS_PER_GRID = ((1, 2, 3), (1, 4, 5))
ON_DUTY_SHARE = 0.92


class TerritoryExists(RuntimeError):
    """The units table already holds a territory; the synthesizer only fills an empty one."""


def unit_row(unit: UnitRecord) -> dict:
    row = asdict(unit)
    row["boundary"] = json.dumps(unit.boundary, separators=(",", ":"), ensure_ascii=False)
    return row


def replace_territory(session: Session, units: list[UnitRecord]) -> dict[str, int]:
    """Insert units (parents first, as synthesize_region returns them) into an empty
    territory; returns the number inserted per level. Raises TerritoryExists otherwise."""
    existing = session.scalar(select(func.count()).select_from(Unit))
    if existing:
        raise TerritoryExists(f"the units table already holds {existing} units")
    for start in range(0, len(units), BATCH):
        session.execute(insert(Unit), [unit_row(u) for u in units[start : start + BATCH]])
    return dict(Counter(u.level for u in units))


def units_count_by_level(session: Session) -> dict[str, int]:
    rows = session.execute(select(Unit.level, func.count()).group_by(Unit.level))
    return {level: count for level, count in rows}


def worker_name(rng: random.Random) -> str:
    given = "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def phone_number(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def create_grid_workers(session: Session, seed: int) -> int:
    """Give every grid its workers (about 2.4 each, deterministic for seed); returns how
    many were created."""
    rng = random.Random(seed)
    grid_codes = session.scalars(
        select(Unit.code).where(Unit.level == "grid").order_by(Unit.code)
    ).all()
    rows = [
        {
            "code": f"W{grid}{index:02d}",
            "name": worker_name(rng),
            "phone": phone_number(rng),
            "grid_code": grid,
            "on_duty": rng.random() < ON_DUTY_SHARE,
        }
        for grid in grid_codes
        for index in range(1, rng.choices(*WORKERS_PER_GRID)[0] + 1)
    ]
    for start in range(0, len(rows), BATCH):
        session.execute(insert(GridWorker), rows[start : start + BATCH])
    return len(rows)
