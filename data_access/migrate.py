"""Schema migrations (Alembic), run from code: `govwall init-db` and the tests call these."""
from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("data_access") / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """To `revision`; then the indexes an interrupted bulk import dropped are recreated
    (data_access/intake/bulk_mode.py: nothing to do unless one was killed)."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    from data_access.intake.bulk_mode import restore_held

    restore_held(engine)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config(None)).get_current_head()


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the difference to models.py."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
