"""Make sure the region's territory exists before history or live cases are written."""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data_access.models import Unit
from data_access.territory_store import create_grid_workers, replace_territory
from data_access.territory_synth import synthesize_region

log = logging.getLogger(__name__)


def ensure_territory(sessions: sessionmaker[Session], region: str, seed: int) -> None:
    """Synthesize and store the region's territory and grid workers if the units table is
    empty; a territory already there (synthesized or imported) is left alone."""
    with sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(Unit)):
            return
        counts = replace_territory(session, synthesize_region(region, seed))
        workers = create_grid_workers(session, seed)
    log.info("territory for %s: %s, %d grid workers", region, counts, workers)
