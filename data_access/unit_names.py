"""Names of territory units, for labels such as 铜山区·柳新镇·第3网格."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.geography import admin_areas
from data_access.models import Unit

MAX_BOUND_CODES = 500


def unit_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names by code: cities and counties from the shipped index, the rest from `units`."""
    areas = admin_areas()
    wanted = set(codes)
    names = {c: areas[c].name for c in wanted if c in areas}
    rest = sorted(wanted - names.keys())
    for start in range(0, len(rest), MAX_BOUND_CODES):
        chunk = rest[start:start + MAX_BOUND_CODES]
        found = session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(chunk)))
        names.update(found.all())
    return names


def place_label(names: dict[str, str], county: str, township: str, grid: str) -> str:
    return "·".join(names.get(code, code) for code in (county, township, grid))
