"""The schema comes up from empty on both backends, and goes down cleanly."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from data_access.migrate import current_revision, downgrade, head_revision, upgrade
from data_access.models import Base
from tests.support.backends import backend_names, open_backend


def index_names(engine, table: str) -> set[str]:
    """From the catalogue: SQLAlchemy's inspector skips (with a warning) SQLite's
    expression indexes."""
    query = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
             if engine.dialect.name == "sqlite" else
             "SELECT indexname FROM pg_indexes WHERE tablename = :t")
    with engine.connect() as conn:
        return set(conn.execute(text(query), {"t": table}).scalars())


@pytest.mark.parametrize("kind", backend_names())
def test_upgrade_from_empty_creates_every_table_and_index(kind, tmp_path):
    with open_backend(kind, tmp_path, migrate=False) as b:
        assert current_revision(b.engine) is None
        upgrade(b.engine)
        assert current_revision(b.engine) == head_revision()
        inspector = inspect(b.engine)
        assert set(Base.metadata.tables) <= set(inspector.get_table_names())
        assert {"ix_cases_open_deadline", "ix_cases_reported_at", "ix_cases_registered_at",
                "ix_cases_effective_deadline", "ix_cases_county_due"} <= \
            index_names(b.engine, "cases")
        trigram = {f"ix_cases_{c}_trgm" for c in ("title", "description", "external_id")}
        # PostgreSQL only (pg_trgm); SQLite's search scans
        assert (trigram <= index_names(b.engine, "cases")) == \
            (b.engine.dialect.name == "postgresql")
        downgrade(b.engine)
        assert set(Base.metadata.tables).isdisjoint(inspect(b.engine).get_table_names())
