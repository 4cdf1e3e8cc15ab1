"""The grids the simulator places cases in, with the names titles and addresses use, and
their grid workers."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data_access.models import GridWorker, Unit


@dataclass(frozen=True)
class WorkerTable:
    ids: np.ndarray  # grid_workers.id
    grid: np.ndarray  # index of each worker's grid in the GridTable
    in_service: np.ndarray  # grid_workers.on_duty: False for a worker on leave

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class GridTable:
    codes: np.ndarray  # grid codes (object)
    weights: np.ndarray  # report propensity, ∝ households
    lon: np.ndarray
    lat: np.ndarray
    place: np.ndarray  # "县区乡镇村" prefix for titles
    village: np.ndarray  # village/community name for addresses
    township: np.ndarray  # township code of each grid
    worker_ids: np.ndarray  # one worker per grid (the patrol's usual walker); 0 if none
    workers: WorkerTable  # every worker of these grids

    def __len__(self) -> int:
        return len(self.codes)


def load_grids(session: Session, region: str) -> GridTable:
    """The region's grids (a city, county or the province, by code prefix)."""
    village, township, county = aliased(Unit), aliased(Unit), aliased(Unit)
    prefix = region.rstrip("0") if region.endswith("0000") else region[:4] \
        if region.endswith("00") else region
    rows = session.execute(
        select(Unit.code, Unit.households, Unit.lon, Unit.lat, village.name, township.name,
               county.name)
        .join(village, village.code == Unit.parent_code)
        .join(township, township.code == village.parent_code)
        .join(county, county.code == township.parent_code)
        .where(Unit.level == "grid", Unit.code.startswith(prefix))
        .order_by(Unit.code)).all()
    codes = np.array([r[0] for r in rows], dtype=object)
    index = {code: i for i, code in enumerate(codes)}
    people = session.execute(select(GridWorker.id, GridWorker.grid_code, GridWorker.on_duty)
                             .where(GridWorker.grid_code.startswith(prefix))
                             .order_by(GridWorker.id)).all()
    people = [p for p in people if p[1] in index]
    workers = WorkerTable(np.array([p[0] for p in people], dtype=np.int64),
                          np.array([index[p[1]] for p in people], dtype=np.int64),
                          np.array([bool(p[2]) for p in people], dtype=bool))
    first = np.zeros(len(codes), dtype=np.int64)
    staffed, position = np.unique(workers.grid, return_index=True)  # ids ascend: the first
    first[staffed] = workers.ids[position]
    households = np.array([r[1] or 300 for r in rows], dtype=float)
    return GridTable(
        codes=codes, weights=households / households.sum() if len(rows) else households,
        lon=np.array([r[2] or 0.0 for r in rows]), lat=np.array([r[3] or 0.0 for r in rows]),
        place=np.array([f"{r[6]}{r[5]}{r[4]}" for r in rows], dtype=object),
        village=np.array([r[4] for r in rows], dtype=object),
        township=np.array([c[:9] for c in codes], dtype=object),
        worker_ids=first, workers=workers)
