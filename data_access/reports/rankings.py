"""红黑榜: the units one level down (cities of the province, counties of a city, townships of
a county, grids of a township) ranked by a composite score and by each indicator, with the
rank change against the previous period.

The composite score is out of 100: the weighted mean of the rates that have data, a rate
where lower is better (返工率) counting as 1 − rate. The weights are published on the page
and in the report, and configurable (GOVWALL_BRIEFING_WEIGHTS); the defaults
follow the assessments of DOMAIN.md (Lianyungang's 按时办结率, 及时签收率, 满意率; Yulin's
返工/重办率). Ties share a rank (1, 1, 3); tied units are listed by code.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.geography import admin_areas, counties_of
from data_access.models import Unit
from data_access.reports.figures import DIRECTION, KEYS, RATES, sums_by_unit, value_of
from data_access.reports.periods import Period
from data_access.unit_names import unit_names
from data_access.wall_scope import Scope, scope_for

DEFAULT_WEIGHTS: dict[str, float] = {"on_time_rate": 30, "satisfaction": 25,
                                     "ack_in_time_rate": 15,
                                     "resolved_at_or_below_township": 15, "rework_rate": 15}
SCORE_DECIMALS = 2  # scores equal to this many decimals tie


def parse_weights(text: str) -> dict[str, float]:
    """`on_time_rate=30,satisfaction=25,...`: rates only, weights ≥ 0, not all zero."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, number = item.partition("=")
        key = key.strip()
        if key not in RATES:
            raise ValueError(f"weight {key!r}: one of {', '.join(sorted(RATES))}")
        try:
            weights[key] = float(number)
        except ValueError as exc:
            raise ValueError(f"weight {key!r}: {number!r} is not a number") from exc
        if weights[key] < 0:
            raise ValueError(f"weight {key!r} is negative")
    if not weights or not any(weights.values()):
        raise ValueError("weights: at least one rate with a positive weight")
    return weights


def score(values: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    parts = [(w, values[k] if DIRECTION[k] > 0 else 1 - values[k])
             for k, w in weights.items() if w and values.get(k) is not None]
    total = sum(w for w, _ in parts)
    return None if not total else round(100 * sum(w * x for w, x in parts) / total,
                                        SCORE_DECIMALS)


def competition_rank(values: pd.Series, better: int) -> pd.Series:
    """1, 1, 3 ranks: `better` +1 ranks the highest first, −1 the lowest, 0 the highest
    (volumes); missing values rank after all others, together. A unit's rank is one more
    than the count of values better than its own (in numpy: a ranking asks this 28 times,
    and pandas' rank with a masked assignment took ~0.7 ms each)."""
    key = values.to_numpy(dtype="float64") * (1 if better >= 0 else -1)
    missing = np.isnan(key)
    present = np.sort(key[~missing])
    ranks = 1 + len(present) - np.searchsorted(present, key, side="right")
    ranks[missing] = len(present) + 1
    return pd.Series(ranks.astype("int64"), index=values.index)


def children(session: Session, scope: Scope) -> dict[str, str]:
    """The units one level down, code → name (a township's: its grids, whose codes extend
    the township's)."""
    if scope.level == "province":
        codes = [a.code for a in admin_areas().values() if a.level == "city"]
    elif scope.level == "city":
        codes = [a.code for a in counties_of(scope.unit)]
    elif scope.level == "county":
        codes = list(session.scalars(select(Unit.code).where(
            Unit.level == "township", Unit.parent_code == scope.unit)))
    else:
        codes = list(session.scalars(select(Unit.code).where(
            Unit.level == "grid", Unit.code.startswith(scope.unit, autoescape=True))))
    return dict(sorted(unit_names(session, codes).items()))


def _table(session: Session, scope: Scope, names: dict[str, str], period: Period,
           zone: ZoneInfo, now: datetime, weights: Mapping[str, float]) -> pd.DataFrame:
    sums = sums_by_unit(session, scope, period, zone, now, level=scope.level)
    rows = []
    for code, name in names.items():
        got = sums.loc[code].to_dict() if code in sums.index else {}
        values = {k: value_of(k, got) for k in KEYS}
        rows.append({"code": code, "name": name, **values, "score": score(values, weights)})
    frame = pd.DataFrame(rows, columns=["code", "name", *KEYS, "score"])
    frame = frame.astype({k: "float64" for k in (*KEYS, "score")})
    frame["rank"] = competition_rank(frame["score"], 1)
    for key in KEYS:
        frame[f"rank_{key}"] = competition_rank(frame[key], DIRECTION[key])
    return frame


def rankings(session: Session, unit: str, period: Period, zone: ZoneInfo, now: datetime,
             weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per unit one level down, best score first (ties by code): its indicators,
    composite score, rank, previous rank and rank change (positive: moved up)."""
    weights = dict(weights or DEFAULT_WEIGHTS)
    scope = scope_for(unit)
    names = children(session, scope)
    now_table = _table(session, scope, names, period, zone, now, weights)
    before = _table(session, scope, names, period.previous(), zone, now, weights)
    previous = before.set_index("code")["rank"].where(before.set_index("code")["score"].notna())
    now_table["previous_rank"] = now_table["code"].map(previous).astype("Int64")
    now_table["rank_change"] = (now_table["previous_rank"] - now_table["rank"]).astype("Int64")
    return now_table.sort_values(["rank", "code"]).reset_index(drop=True)
