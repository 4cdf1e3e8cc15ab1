"""Bulk mode of `govwall import` (PostgreSQL): the secondary indexes and foreign keys of the
tables an import loads are dropped for the load and recreated after it, as the seed does
(bulk_load.bulk_loading) — but here every chunk still commits on its own, so the drop must
survive a crash.

Why: a new case costs the server far more in index upkeep than in the row itself. Measured on
this machine (README, "bulk mode"): COPY of 100,000 import rows into a scratch copy of
`cases` with its 13 secondary indexes (3 trigram GIN) against the same COPY with only the
primary key and the unique external id. Building an index once over the whole table is
several times cheaper than keeping it row by row, so when a file is at least as big as the
table, dropping and rebuilding wins.

What is kept: the primary keys and the unique indexes (external id, the intake record's
(source, source case id) and case id) — the duplicates and a racing sender are decided by
them while the load runs. What is dropped: every other index of cases, case_transitions and
intake_records, and their foreign keys (the import checks grid codes against the territory
and writes the transitions and intake records of the cases it has just written).

What it costs a live wall: for the import's duration the wall's, /ops' and the briefing's
queries on cases and transitions find no index but the keys (sequential scans), and the
/ops free-text search scans every title. Hence automatic only where the file is at least as
big as the table (a first load, a migration from an old system), or when asked for
(`govwall import --bulk on`).

Crash safety: the dropped objects' recreating statements are written to import_held_indexes
in the same transaction as the drop. The import holds a session-level advisory lock
(LOCK_KEY) from the drop until everything is back; `restore_held(engine)` recreates what a
table row says is missing, only when it can take that lock (no bulk import is running) —
called at the end of the import, at the start of the next one and by migrate.upgrade
(`govwall init-db`, `serve`'s demo, `source poll`, `import`). A restored foreign key is added
NOT VALID and then validated; if validation finds a bad row it stays NOT VALID (enforced for
new rows) and the log says so.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.schema import CreateIndex

from data_access.models import Base

log = logging.getLogger(__name__)

TABLES = ("cases", "case_transitions", "intake_records")
# pg_advisory_lock's key for "a bulk import holds these tables' indexes" ('govwimpt').
LOCK_KEY = 0x676F7677_696D7074 - (1 << 63)
# Index builds sort a million keys each: give them memory (these sessions only).
BUILD_MEMORY = "512MB"
# Connections rebuilding the indexes at once (the import's Python is idle by then: two cores).
BUILDERS = 2
# Automatic bulk mode: a file of at least this many rows...
AUTO_MIN_ROWS = 200_000
# ...and at least this many times the rows `cases` holds already (its rebuild reads them).
AUTO_TABLE_FACTOR = 1.0
# A case row's bytes in the heap, to estimate the table from its size (a bench import's rows
# measured 361: pg_relation_size / count; real descriptions are longer, and an overestimate of
# the rows only makes auto mode more careful).
CASE_ROW_BYTES = 400


def available(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def estimated_cases(connection: Connection) -> int:
    """The rows of `cases`, from its size (reltuples needs an ANALYZE, and autovacuum may be
    off; count(*) reads the whole table)."""
    size = connection.execute(text("SELECT pg_relation_size('cases')")).scalar_one()
    return int(size) // CASE_ROW_BYTES


def pays(file_rows: int, table_rows: int) -> bool:
    """A big file, at least as big as the table it lands in (the rebuild reads both)."""
    return file_rows >= AUTO_MIN_ROWS and file_rows >= AUTO_TABLE_FACTOR * table_rows


def worth_it(engine: Engine, file_rows: int) -> bool:
    """Auto mode's choice (PostgreSQL only)."""
    if not available(engine) or file_rows < AUTO_MIN_ROWS:
        return False
    with engine.connect() as connection:
        return pays(file_rows, estimated_cases(connection))


def _droppable(connection: Connection) -> list[tuple[str, str, str, str]]:
    """(name, table, kind, recreating statement) of the tables' secondary indexes (not
    unique, not a key) and foreign keys: foreign keys first (they are dropped first and
    recreated last)."""
    foreign = connection.execute(text(
        "SELECT c.conname, r.relname, 'foreign', "
        "       format('ALTER TABLE %I ADD CONSTRAINT %I %s', r.relname, c.conname, "
        "              pg_get_constraintdef(c.oid)) "
        "FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid "
        "JOIN pg_namespace n ON n.oid = r.relnamespace "
        "WHERE c.contype = 'f' AND n.nspname = current_schema() "
        "AND r.relname = ANY(:tables) ORDER BY r.relname, c.conname"),
        {"tables": list(TABLES)}).all()
    indexes = connection.execute(text(
        "SELECT i.relname, r.relname, 'index', pg_get_indexdef(i.oid) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class r ON r.oid = x.indrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
        "WHERE NOT x.indisunique AND NOT x.indisprimary AND n.nspname = current_schema() "
        "AND r.relname = ANY(:tables) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
        "ORDER BY r.relname, i.relname"), {"tables": list(TABLES)}).all()
    # A model's index is recreated from the model, as the migrations made it (the catalogue's
    # text of a partial index's predicate reads back differently); the trigram indexes of
    # migration 0005 are not in the models: from the catalogue.
    modelled = {index.name: str(CreateIndex(index).compile(dialect=connection.dialect))
                for name in TABLES for index in Base.metadata.tables[name].indexes}
    return [*(tuple(row) for row in foreign),  # type: ignore[misc]
            *((name, table, kind, modelled.get(name, definition))
              for name, table, kind, definition in indexes)]


def _try_lock(connection: Connection) -> bool:
    return bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                   {"key": LOCK_KEY}).scalar_one())


def _unlock(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
    connection.commit()


def _held(connection: Connection) -> list[tuple[str, str, str, str]]:
    return [tuple(row) for row in connection.execute(text(  # type: ignore[misc]
        "SELECT name, table_name, kind, definition FROM import_held_indexes "
        "ORDER BY kind DESC, table_name, name"))]  # indexes before foreign keys


def _exists(connection: Connection, name: str, kind: str) -> bool:
    query = ("SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
             "WHERE c.conname = :name AND n.nspname = current_schema()") if kind == "foreign" \
        else ("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
              "WHERE c.relname = :name AND n.nspname = current_schema()")
    return connection.execute(text(query), {"name": name}).first() is not None


def _recreate_one(connection: Connection, name: str, kind: str, definition: str) -> None:
    """One held object back (if missing) and its row gone, in one transaction."""
    with connection.begin():
        connection.execute(text(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"))
        if not _exists(connection, name, kind):
            connection.exec_driver_sql(definition + (" NOT VALID" if kind == "foreign"
                                                     else ""))
        connection.execute(text("DELETE FROM import_held_indexes WHERE name = :name"),
                           {"name": name})


def _restore_foreign(connection: Connection, name: str, table: str, definition: str) -> None:
    """A held foreign key back: added NOT VALID, then validated (if a row breaks it, it
    stays NOT VALID: enforced for new rows, and the log says so)."""
    _recreate_one(connection, name, "foreign", definition)
    try:
        with connection.begin():
            connection.exec_driver_sql(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"')
    except Exception:  # noqa: BLE001 - kept NOT VALID: enforced for new rows
        log.warning("bulk import: foreign key %s of %s stays NOT VALID (a row "
                    "breaks it)", name, table, exc_info=True)


def _build_indexes(connection: Connection, held: list[tuple[str, str, str, str]]) -> None:
    """The held indexes rebuilt by BUILDERS connections at once, the trigram GINs (the
    longest builds, not parallel inside PostgreSQL 15) first, then the foreign keys added
    and validated, also two at a time: one build per core instead of one after the other.
    CREATE INDEX takes a SHARE lock, which two builds share; adding a foreign key waits for
    the builds on its two tables (each ALTER locks its own table, then the referenced one,
    and no referenced table is altered here: no deadlock)."""
    work: queue.Queue = queue.Queue()
    for item in sorted(held, key=lambda item: (item[2] == "foreign",
                                               " gin " not in item[3].lower())):
        work.put(item)
    failed: list[BaseException] = []

    def build(own: Connection) -> None:
        while not failed:
            try:
                name, table, kind, definition = work.get_nowait()
            except queue.Empty:
                return
            try:
                if kind == "foreign":
                    _restore_foreign(own, name, table, definition)
                else:
                    _recreate_one(own, name, kind, definition)
            except BaseException as exc:  # noqa: BLE001 - raised by the caller
                failed.append(exc)

    def helper() -> None:
        with connection.engine.connect() as own:
            build(own)

    helpers = [threading.Thread(target=helper, name="import-index-build", daemon=True)
               for _ in range(BUILDERS - 1)]
    for thread in helpers:
        thread.start()
    build(connection)
    for thread in helpers:
        thread.join()
    if failed:
        raise failed[0]


def _recreate(connection: Connection) -> int:
    """Recreate what import_held_indexes holds (this connection holds LOCK_KEY), one commit
    per object, so that a crash in between leaves the rest listed: the indexes, then the
    foreign keys (added NOT VALID, then validated). Returns how many."""
    held = _held(connection)
    connection.commit()
    if not held:
        return 0
    started = time.perf_counter()
    _build_indexes(connection, held)
    with connection.begin():
        connection.exec_driver_sql("ANALYZE " + ", ".join(f'"{t}"' for t in TABLES))
    log.info("bulk import: %d indexes and foreign keys recreated in %.1f s", len(held),
             time.perf_counter() - started)
    return len(held)


def restore_held(engine: Engine) -> int:
    """Recreate the indexes and foreign keys an interrupted bulk import left dropped, unless
    a bulk import is running now (it holds LOCK_KEY and will recreate them itself)."""
    if not available(engine):
        return 0
    with engine.connect() as connection:
        if not inspect(connection).has_table("import_held_indexes"):
            return 0
        if connection.execute(text("SELECT 1 FROM import_held_indexes LIMIT 1")).first() \
                is None:
            return 0
        connection.commit()
        if not _try_lock(connection):
            connection.rollback()
            return 0
        try:
            return _recreate(connection)
        finally:
            _unlock(connection)


@contextmanager
def indexes_held(engine: Engine) -> Iterator[bool]:
    """The secondary indexes and foreign keys of TABLES dropped for the block and recreated
    after it (also when it raises). Yields False, dropping nothing, when another bulk import
    holds them already (this import then writes as usual)."""
    with engine.connect() as connection:
        if not _try_lock(connection):
            connection.rollback()
            yield False
            return
        try:
            connection.commit()
            _recreate(connection)  # a killed run's leftovers (none when upgrade ran first)
            with connection.begin():
                droppable = _droppable(connection)
                for name, table, kind, definition in droppable:
                    connection.execute(text(
                        "INSERT INTO import_held_indexes (name, table_name, kind, definition) "
                        "VALUES (:name, :table, :kind, :definition)"),
                        {"name": name, "table": table, "kind": kind, "definition": definition})
                for name, table, kind, _ in droppable:
                    connection.exec_driver_sql(
                        f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"' if kind == "foreign"
                        else f'DROP INDEX "{name}"')
            log.info("bulk import: %d indexes and foreign keys dropped for the load",
                     len(droppable))
            yield True
        finally:
            try:
                _recreate(connection)
            finally:
                _unlock(connection)
