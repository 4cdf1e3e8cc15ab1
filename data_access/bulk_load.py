"""Bulk loading of generated rows: PostgreSQL COPY, SQLite executemany in one transaction.

Rows come as column arrays (numpy/pandas) with explicit ids, so that dependent rows can
reference them without round trips. Timestamps are passed as numpy datetime64 (UTC; NaT for
none) and written in each database's own text form.
"""
from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
import pandas as pd
from psycopg import sql
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from data_access.models import Case, CaseTransition, GridWorker, PatrolCheckin

ID_TABLES = (Case.__table__, CaseTransition.__table__, PatrolCheckin.__table__,
             GridWorker.__table__)


def next_id(session: Session, table: Table) -> int:
    return (session.scalar(select(func.max(table.c.id))) or 0) + 1


def _timestamps(values: np.ndarray, postgres: bool) -> np.ndarray:
    """datetime64 -> the text each database reads back as UTC; None for NaT."""
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    text = np.char.replace(text, "T", " ")
    if postgres:
        text = np.char.add(text, "+00")
    out = text.astype(object)
    out[np.isnat(values)] = None
    return out


def load(session: Session, table: Table, columns: Mapping[str, np.ndarray | pd.Series]) -> int:
    """Insert the rows given as column arrays (names as in `table`); returns the row count."""
    postgres = session.get_bind().dialect.name == "postgresql"
    prepared = {}
    for name, values in columns.items():
        array = np.asarray(values)
        if np.issubdtype(array.dtype, np.datetime64):
            array = _timestamps(array, postgres)
        prepared[name] = array
    frame = pd.DataFrame(prepared)
    if frame.empty:
        return 0
    if postgres:
        _copy(session, table, frame)
    else:
        _executemany(session, table, frame)
    return len(frame)


def _copy(session: Session, table: Table, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    # Empty unquoted fields are NULL in COPY's csv format; real empty strings get quoted.
    frame.to_csv(buffer, header=False, index=False, na_rep="")
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, frame.columns)))
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(buffer.getvalue())


def _executemany(session: Session, table: Table, frame: pd.DataFrame) -> None:
    statement = str(insert(table).compile(dialect=session.get_bind().dialect,
                                          column_keys=list(frame.columns)))
    frame = frame.astype(object).where(frame.notna(), None)
    rows = list(zip(*(frame[c].tolist() for c in frame.columns), strict=True))
    session.connection().exec_driver_sql(statement, rows)


def reset_sequences(session: Session) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ID_TABLES:
        session.execute(select(func.setval(
            func.pg_get_serial_sequence(table.name, "id"),
            select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery(), False)))
