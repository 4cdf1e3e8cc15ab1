"""import_held_indexes: the secondary indexes and foreign keys a bulk `govwall import` dropped
for its load, with the statements that recreate them

A row exists only while an import in bulk mode runs, or after one was killed: the import
recreates them at its end, and an interrupted one's are recreated by the next import, by
`govwall init-db` and by every other caller of migrate.upgrade
(data_access/intake/bulk_mode.py).

Revision ID: 7c2e4a9d1b18
Revises: 8d3f5a7c9e02
Create Date: 2026-12-03 10:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7c2e4a9d1b18'
down_revision = '8d3f5a7c9e02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'import_held_indexes',
        sa.Column('name', sa.String(length=63), nullable=False),
        sa.Column('table_name', sa.String(length=63), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('definition', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('name', name='pk_import_held_indexes'),
    )


def downgrade() -> None:
    op.drop_table('import_held_indexes')
