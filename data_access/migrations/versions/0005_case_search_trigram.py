"""trigram indexes for /ops free-text search (PostgreSQL)

Revision ID: 9d4b2f6e1a07
Revises: 7c3e9a1f52d8
Create Date: 2026-12-01 20:10:00
"""
import logging

from alembic import op

revision = '9d4b2f6e1a07'
down_revision = '7c3e9a1f52d8'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# The columns /ops searches with ILIKE '%term%' (case_query._search). A b-tree cannot serve a
# leading wildcard, so without these a rare name or case number scanned a year of cases
# (≈ 2 s on 1.4 M); with them ≈ 5 ms. pg_trgm counts Chinese characters as word characters,
# so any term of three or more characters is served; shorter ones still scan, but they are
# common words, whose first page is found at once. pg_trgm is a trusted extension (a database
# owner may create it) and ships with PostgreSQL. SQLite has no trigram index and scans: the
# schemas' tables stay the same, only this PostgreSQL accelerator differs.
SEARCHED = ("title", "description", "external_id")


def index_name(column: str) -> str:
    return f"ix_cases_{column}_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").scalar()
    if not available:
        log.warning("pg_trgm is not installed on this PostgreSQL server: /ops free-text "
                    "search will scan (install the server's contrib package and migrate)")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        op.execute(f"CREATE INDEX IF NOT EXISTS {index_name(column)} "
                   f"ON cases USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS {index_name(column)}")
