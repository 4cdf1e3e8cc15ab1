"""A hand-sized territory for data tests: one county (320303), 2 townships, 4 villages,
12 grids with one grid worker each. Small enough to check figures by hand."""
from __future__ import annotations

from sqlalchemy.orm import Session

from data_access.models import GridWorker, Unit

COUNTY = "320303"
TOWNSHIPS = ("320303001", "320303002")
VILLAGES = tuple(f"{t}{v:03d}" for t in TOWNSHIPS for v in (1, 2))
GRIDS = tuple(f"{vil}{g:03d}" for vil in VILLAGES for g in (1, 2, 3))


def insert_tiny_territory(session: Session) -> None:
    units = [
        Unit(code="320300", name="徐州市", level="city", parent_code=None, county_code=None),
        Unit(code=COUNTY, name="云龙区", level="county", parent_code="320300",
             county_code=COUNTY, lon=117.25, lat=34.25),
    ]
    units += [Unit(code=t, name=f"第{i + 1:02d}街道", level="township", parent_code=COUNTY,
                   county_code=COUNTY, lon=117.2 + i / 50, lat=34.2, urban=True)
              for i, t in enumerate(TOWNSHIPS)]
    units += [Unit(code=vil, name=f"第{i + 1:02d}社区", level="village", parent_code=vil[:9],
                   county_code=COUNTY, lon=117.2 + i / 100, lat=34.21, urban=True)
              for i, vil in enumerate(VILLAGES)]
    units += [Unit(code=g, name=f"第{i + 1:02d}网格", level="grid", parent_code=g[:12],
                   county_code=COUNTY, lon=117.2 + i / 200, lat=34.22, households=400,
                   urban=True)
              for i, g in enumerate(GRIDS)]
    session.add_all(units)
    session.flush()
    session.add_all(GridWorker(code=f"W{g}", name=f"网格员{i + 1}", phone=f"1390000{i:04d}",
                               grid_code=g, on_duty=True) for i, g in enumerate(GRIDS))
    session.flush()
