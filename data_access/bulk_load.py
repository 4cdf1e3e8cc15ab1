"""Bulk loading of generated rows: PostgreSQL COPY, SQLite executemany.

Rows come as column arrays (numpy) with explicit ids, so that dependent rows can reference
them without round trips. Timestamps are numpy datetime64 (UTC; NaT for none).

`bulk_loading` is the fast path for millions of rows: one transaction, the target tables'
secondary indexes (and on PostgreSQL their unique and foreign-key constraints) dropped for the
load and recreated at the end from the models' metadata, so the schema after the load is the
migrated one. On PostgreSQL, indexes that a migration made outside the models (the trigram
indexes of migration 0005, which need an extension) are dropped too and recreated from their
catalogue definition. Building an index once is several times cheaper than maintaining it
row by row.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from sqlalchemy import (
    Connection,
    Engine,
    ForeignKeyConstraint,
    Index,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import AddConstraint, Constraint, DropConstraint

from data_access.copy_text import copy_text
from data_access.models import Case, CaseTransition, GridWorker, PatrolCheckin

log = logging.getLogger(__name__)

ID_TABLES = (Case.__table__, CaseTransition.__table__, PatrolCheckin.__table__,
             GridWorker.__table__)
# Index builds after the load sort millions of keys: give them memory (this session only).
POSTGRES_LOAD_SETTINGS = {"synchronous_commit": "off", "maintenance_work_mem": "512MB"}
# No rollback journal, no fsync and no per-row foreign-key lookups while loading; restored
# after. A crash mid-load can leave a broken file, which is acceptable for a seed.
SQLITE_LOAD_PRAGMAS = {"journal_mode": "OFF", "synchronous": "OFF", "foreign_keys": "OFF"}


def next_id(connection: Connection, table: Table) -> int:
    return (connection.scalar(select(func.max(table.c.id))) or 0) + 1


@dataclass(frozen=True)
class Batch:
    """Rows ready for one database: COPY text for PostgreSQL, column arrays for SQLite.
    Preparing is pure CPU work, so it can run in another thread than the writing."""

    names: list[str]
    rows: int
    payload: bytes | list[np.ndarray]


def prepare(dialect: str, columns: Mapping[str, np.ndarray]) -> Batch:
    """Column arrays (names as in the table) made ready to write with `write`."""
    names = list(columns)
    arrays = [np.asarray(columns[name]) for name in names]
    rows = len(arrays[0])
    if dialect == "postgresql":
        return Batch(names, rows, copy_text(arrays) if rows else b"")
    return Batch(names, rows, arrays)


@contextmanager
def _as_sqlalchemy_errors(table: Table) -> Iterator[None]:
    """A COPY's psycopg error raised as SQLAlchemy would have raised it (IntegrityError for
    a unique violation, OperationalError for a lost server): callers catch SQLAlchemy's
    classes — a racing sender's id must send the import's chunk down the row path
    (ColumnImport.write), and as psycopg's error it ended the import."""
    try:
        yield
    except psycopg.Error as exc:
        raise DBAPIError.instance(f"COPY {table.name}", None, exc, psycopg.Error) from exc


def write(connection: Connection, table: Table, batch: Batch) -> int:
    """Insert a prepared batch; returns the row count."""
    if not batch.rows:
        return 0
    if isinstance(batch.payload, bytes):
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, batch.names)))
        raw = connection.connection.driver_connection
        with _as_sqlalchemy_errors(table), raw.cursor() as cursor, \
                cursor.copy(statement) as copy:
            copy.write(batch.payload)
    else:
        _executemany(connection, table, batch.names, batch.payload)
    return batch.rows


def load(connection: Connection, table: Table, columns: Mapping[str, np.ndarray]) -> int:
    """Insert the rows given as column arrays (names as in `table`); returns the row count."""
    return write(connection, table, prepare(connection.dialect.name, columns))


def _sqlite_values(values: np.ndarray) -> list:
    """Python values sqlite3 binds: ISO text for timestamps (as SQLAlchemy stores them),
    None for NaT/NaN."""
    if np.issubdtype(values.dtype, np.datetime64):
        text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
        out = np.char.replace(text, "T", " ").astype(object)
        out[np.isnat(values)] = None
        return out.tolist()
    if values.dtype.kind == "f":
        return np.where(np.isnan(values), None, values).tolist()
    if values.dtype == object:
        return pd.Series(values).where(pd.notna(values), None).tolist()
    return values.tolist()


def _executemany(connection: Connection, table: Table, names: list[str],
                 arrays: list[np.ndarray]) -> None:
    statement = str(insert(table).compile(dialect=connection.dialect, column_keys=names))
    rows = list(zip(*(_sqlite_values(a) for a in arrays), strict=True))
    connection.exec_driver_sql(statement, rows)


def _droppable(table: Table, postgres: bool) -> tuple[list[Index], list[Constraint]]:
    """The table's secondary indexes, and (PostgreSQL only: SQLite cannot drop them) its
    unique and foreign-key constraints. The primary key stays: ids come in ascending order,
    so it only ever appends."""
    constraints = [c for c in table.constraints
                   if isinstance(c, UniqueConstraint | ForeignKeyConstraint)] if postgres else []
    return list(table.indexes), constraints


def _catalog_only_indexes(connection: Connection, table: Table) -> list[tuple[str, str]]:
    """PostgreSQL: (name, CREATE statement) of the table's indexes that are not in the models
    and back no constraint."""
    known = {index.name for index in table.indexes}
    rows = connection.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = :table "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"),
        {"table": table.name})
    return [(name, definition) for name, definition in rows if name not in known]


@contextmanager
def bulk_loading(engine: Engine, tables: Sequence[Table]) -> Iterator[Connection]:
    """A connection in one transaction for loading many rows into `tables` (see the module
    docstring); indexes and constraints come back, and the tables are ANALYZEd, on commit."""
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        saved = {} if postgres else _set_sqlite_pragmas(connection)
        try:
            with connection.begin():
                if postgres:
                    for name, value in POSTGRES_LOAD_SETTINGS.items():
                        connection.execute(select(func.set_config(name, value, True)))
                dropped = [_droppable(t, postgres) for t in tables]
                unmodelled = [i for t in tables for i in _catalog_only_indexes(connection, t)] \
                    if postgres else []
                for name, _ in unmodelled:
                    connection.exec_driver_sql(f'DROP INDEX "{name}"')
                for indexes, constraints in dropped:
                    for constraint in constraints:
                        connection.execute(DropConstraint(constraint))
                    for index in indexes:
                        index.drop(connection)
                loading = time.perf_counter()
                yield connection
                rebuilding = time.perf_counter()
                for indexes, constraints in dropped:
                    for index in indexes:
                        index.create(connection)
                    for constraint in constraints:
                        connection.execute(AddConstraint(constraint))
                for _, definition in unmodelled:
                    connection.exec_driver_sql(definition)
                # Fresh statistics on both: without them SQLite's planner starts the wall's
                # "yesterday" join from every county's cases instead of the transitions' time
                # index (5.3 s instead of 0.12 s on a 60-day Xuzhou, bench/wall.py).
                connection.exec_driver_sql(
                    ("ANALYZE " + ", ".join(f'"{t.name}"' for t in tables)) if postgres
                    else "ANALYZE")
                log.info("bulk load: %.1f s loading, %.1f s rebuilding indexes and constraints",
                         rebuilding - loading, time.perf_counter() - rebuilding)
        finally:
            for pragma, value in saved.items():
                connection.exec_driver_sql(f"PRAGMA {pragma}={value}")


def _set_sqlite_pragmas(connection: Connection) -> dict[str, str]:
    """Set SQLITE_LOAD_PRAGMAS (outside any transaction, where SQLite allows it); returns
    the values to restore."""
    saved = {p: str(connection.exec_driver_sql(f"PRAGMA {p}").scalar())
             for p in SQLITE_LOAD_PRAGMAS}
    for pragma, value in SQLITE_LOAD_PRAGMAS.items():
        connection.exec_driver_sql(f"PRAGMA {pragma}={value}")
    connection.commit()
    return saved


def reset_sequences(connection: Connection) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for table in ID_TABLES:
        connection.execute(select(func.setval(
            func.pg_get_serial_sequence(table.name, "id"),
            select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery(), False)))


# -- rows of a live write path (intake batches) -----------------------------------------------

# The sequence looked up once, not per id: pg_get_serial_sequence in the select list is
# evaluated for every row of generate_series (a catalogue lookup each), which made 20,000
# ids take 220 ms instead of 35 ms (psql, 2026-12-03).
_RESERVE = ("(WITH s AS MATERIALIZED (SELECT CAST(pg_get_serial_sequence(:table{j}, 'id') "
            "AS regclass) AS seq) SELECT array_agg(nextval(s.seq)) FROM s, "
            "generate_series(1, :count{j}))")


def reserve_ids_together(connection: Connection, wanted: Sequence[tuple[Table, int]]
                         ) -> list[list[int]] | None:
    """PostgreSQL: ids from each table's sequence, as many as asked for each, in one
    statement (one round trip: the intake's batch of cases and their first transitions),
    so that rows can be COPYed with their ids and dependent rows can point at them; each
    table's ids come as one array, not one row per id. SQLite: None (the caller reads
    them back after its insert)."""
    if connection.dialect.name != "postgresql":
        return None
    params: dict[str, object] = {}
    for j, (table, count) in enumerate(wanted):
        params.update({f"table{j}": table.name, f"count{j}": count})
    statement = "SELECT " + ", ".join(_RESERVE.format(j=j) for j in range(len(wanted)))
    return [list(ids or []) for ids in connection.execute(text(statement), params).one()]


def copy_rows(connection: Connection, table: Table, rows: Sequence[Mapping]) -> int:
    """Insert rows (dicts of the same keys, values as Python objects) in the caller's
    transaction: PostgreSQL COPY (psycopg 3's cursor.copy, rows adapted by psycopg: no SQL
    text to build and parse per row), else one executemany. Returns the row count.

    Why not executemany on PostgreSQL too: SQLAlchemy makes it one INSERT … VALUES of every
    row, whose thousands of placeholders psycopg parses in Python on every call — most of a
    batch's time in a profile of the intake."""
    if not rows:
        return 0
    names = list(rows[0])
    if connection.dialect.name == "postgresql":
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names)))
        raw = connection.connection.driver_connection
        with _as_sqlalchemy_errors(table), raw.cursor() as cursor, \
                cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])
    else:
        connection.execute(insert(table), list(rows))
    return len(rows)


def add_rows(connection: Connection, table: Table, keys: Sequence[str],
             rows: Sequence[Mapping]) -> None:
    """Upsert counting rows: insert each row, or add its other columns to the row of the
    same `keys` (rollups). Rows in the order given (callers sort them, so that concurrent
    writers lock rows in one order); no two rows may share their keys.

    PostgreSQL: one INSERT … SELECT FROM unnest(one array per column) — the same SQL text
    for any number of rows, so psycopg and the server parse and plan it once, where a
    multi-row VALUES is a new statement of thousands of placeholders every time. SQLite:
    one multi-row INSERT … ON CONFLICT DO UPDATE per ADD_ROWS_CHUNK rows."""
    if not rows:
        return
    names = list(rows[0])
    added = [n for n in names if n not in keys]
    if connection.dialect.name == "postgresql":
        arrays = {f"a{i}": [row[name] for row in rows] for i, name in enumerate(names)}
        connection.exec_driver_sql(_unnest_upsert(table, tuple(names), tuple(keys)),
                                   arrays)
        return
    from sqlalchemy.dialects import sqlite

    for start in range(0, len(rows), ADD_ROWS_CHUNK):
        stmt = sqlite.insert(table).values(list(rows[start:start + ADD_ROWS_CHUNK]))
        connection.execute(stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={n: table.c[n] + getattr(stmt.excluded, n) for n in added}))


ADD_ROWS_CHUNK = 500  # SQLite binds at most 32,766 values a statement

# One add_rows call as data: (table, key columns, rows).
Upsert = tuple[Table, Sequence[str], Sequence[Mapping]]


def add_rows_together(connection: Connection, upserts: Sequence[Upsert]) -> None:
    """Several add_rows in one statement, applied in the order given.

    PostgreSQL: one statement of data-modifying CTEs, each add_rows' INSERT … SELECT FROM
    unnest, read by the main query in the order given (so every writer locks the tables in
    that order): one round trip instead of one per table. The intake runs it just before
    its commit (case_store.report_cases): concurrent batches upsert the same rollup rows
    (today × township), so each waits for the rows' locks until the other commits — the
    shorter the time from the first upsert to the commit, the shorter that wait. SQLite: one
    add_rows after another."""
    upserts = [(t, tuple(k), rows) for t, k, rows in upserts if rows]
    if not upserts:
        return
    if connection.dialect.name != "postgresql":
        for table, keys, rows in upserts:
            add_rows(connection, table, keys, rows)
        return
    parts, counts, params = [], [], {}
    for j, (table, keys, rows) in enumerate(upserts):
        names = tuple(rows[0])
        # A column no row moves (most of a rollup's measures, for new cases) is a literal 0
        # and left out of the update: the array not built, sent nor unnested.
        moved = tuple(n for n in names if n in keys or any(row[n] for row in rows))
        parts.append(f"u{j} AS ({_sparse_upsert(table, names, tuple(keys), moved, j)})")
        counts.append(f"(SELECT count(*) FROM u{j})")
        params.update({f"u{j}_a{i}": [row[name] for row in rows]
                       for i, name in enumerate(moved)})
    connection.exec_driver_sql("WITH " + ", ".join(parts) + " SELECT " + ", ".join(counts),
                               params)


def _sparse_upsert(table: Table, names: tuple[str, ...], keys: tuple[str, ...],
                   moved: tuple[str, ...], j: int) -> str:
    """add_rows_together's INSERT for one table: the moved columns from arrays named
    u{j}_a0…, the others 0."""
    cached = _UNNEST_SQL.get((table.name, names, keys, moved, j))
    if cached is None:
        from sqlalchemy.dialects import postgresql

        dialect = postgresql.dialect()
        arrays = ", ".join(f"%(u{j}_a{i})s::{table.c[n].type.compile(dialect)}[]"
                           for i, n in enumerate(moved))
        columns = ", ".join(f"m{i}" for i in range(len(moved)))
        values = ", ".join(f"m{moved.index(n)}" if n in moved else "0" for n in names)
        added = [f'{n} = "{table.name}".{n} + excluded.{n}' for n in moved if n not in keys]
        cached = (f'INSERT INTO "{table.name}" ({", ".join(names)}) '
                  f"SELECT {values} FROM unnest({arrays}) AS m({columns}) "
                  f"ON CONFLICT ({', '.join(keys)}) "
                  + (f"DO UPDATE SET {', '.join(added)}" if added else "DO NOTHING")
                  + " RETURNING 1")
        _UNNEST_SQL[(table.name, names, keys, moved, j)] = cached
    return cached


_UNNEST_SQL: dict[tuple, str] = {}


def _unnest_upsert(table: Table, names: tuple[str, ...], keys: tuple[str, ...]) -> str:
    cached = _UNNEST_SQL.get((table.name, names, keys))
    if cached is None:
        from sqlalchemy.dialects import postgresql

        dialect = postgresql.dialect()
        arrays = ", ".join(f"%(a{i})s::{table.c[n].type.compile(dialect)}[]"
                           for i, n in enumerate(names))
        added = [n for n in names if n not in keys]
        cached = (f'INSERT INTO "{table.name}" ({", ".join(names)}) '
                  f"SELECT * FROM unnest({arrays}) "
                  f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
                  + ", ".join(f'{n} = "{table.name}".{n} + excluded.{n}' for n in added))
        _UNNEST_SQL[(table.name, names, keys)] = cached
    return cached
