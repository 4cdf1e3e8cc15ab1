"""mediation_outcome wide enough for 'judicial_confirmation'

Revision ID: 5b1d0c2e7a41
Revises: 042a0577326d
Create Date: 2026-11-23 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5b1d0c2e7a41'
down_revision = '042a0577326d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths (and a batch rebuild would drop the partial
    # index's WHERE); only PostgreSQL needs the wider column.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("cases", "mediation_outcome", type_=sa.String(length=24),
                        existing_type=sa.String(length=16), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("cases", "mediation_outcome", type_=sa.String(length=16),
                        existing_type=sa.String(length=24), existing_nullable=True)
