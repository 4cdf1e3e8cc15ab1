"""The schema comes up from empty on both backends, and goes down cleanly."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from data_access.migrate import current_revision, downgrade, head_revision, upgrade
from data_access.models import Base
from tests.support.backends import backend_names, open_backend


@pytest.mark.parametrize("kind", backend_names())
def test_upgrade_from_empty_creates_every_table_and_index(kind, tmp_path):
    with open_backend(kind, tmp_path, migrate=False) as b:
        assert current_revision(b.engine) is None
        upgrade(b.engine)
        assert current_revision(b.engine) == head_revision()
        inspector = inspect(b.engine)
        assert set(Base.metadata.tables) <= set(inspector.get_table_names())
        case_indexes = {ix["name"] for ix in inspector.get_indexes("cases")}
        assert {"ix_cases_open_deadline", "ix_cases_reported_at"} <= case_indexes
        downgrade(b.engine)
        assert set(Base.metadata.tables).isdisjoint(inspect(b.engine).get_table_names())
