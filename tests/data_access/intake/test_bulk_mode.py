"""`govwall import --bulk`: the secondary indexes and foreign keys of the loaded tables are
gone during the load and come back exactly as they were — after the import, after an error
in it, and (a killed import: tests/dashboard/intake/test_kill.py) by migrate.upgrade; while a
bulk import holds them nobody else recreates or drops them; the counts are as without it.
SQLite has no bulk mode: the same import runs as usual."""
from __future__ import annotations

from sqlalchemy import func, select, text

from data_access.intake import bulk_mode
from data_access.intake.files import import_file
from data_access.migrate import upgrade
from data_access.models import Case, CaseDaily, CaseTransition, IntakeRecord
from tests.data_access.intake.test_files import rows, write
from tests.support.intake import assert_counts_match_a_rebuild, make_intake, make_source


def schema_of(backend) -> set[tuple[str, str]]:
    """PostgreSQL: every index and constraint definition of the bulk tables."""
    with backend.engine.connect() as connection:
        indexes = connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(:t)"), {"t": list(bulk_mode.TABLES)}).all()
        constraints = connection.execute(text(
            "SELECT c.conname, pg_get_constraintdef(c.oid) || c.convalidated::text "
            "FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid "
            "WHERE r.relname = ANY(:t)"), {"t": list(bulk_mode.TABLES)}).all()
    return {tuple(r) for r in (*indexes, *constraints)}  # type: ignore[misc]


def held(backend) -> int:
    with backend.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM import_held_indexes")).scalar_one()


def secondary_indexes(backend) -> int:
    with backend.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_index x JOIN pg_class r ON r.oid = x.indrelid "
            "WHERE r.relname = ANY(:t) AND NOT x.indisunique"),
            {"t": list(bulk_mode.TABLES)}).scalar_one()


def test_a_bulk_import_counts_right_and_leaves_the_schema_as_it_was(fresh_backend, tmp_path):
    postgres = fresh_backend.engine.dialect.name == "postgresql"
    before = schema_of(fresh_backend) if postgres else None
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / "cases.csv"
    write(path, "csv-utf8", rows("B", 40))
    during: list[tuple[int, int]] = []

    def look(position, result):
        if postgres:
            during.append((secondary_indexes(fresh_backend), held(fresh_backend)))

    result = import_file(intake, src, path, batch_size=16, bulk=True, progress=look)
    assert (result.rows, result.accepted, result.duplicate, result.rejected) == (40, 37, 1, 2)
    assert result.bulk is postgres
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 37
        assert s.scalar(select(func.count()).select_from(CaseTransition)) == 37
        assert s.scalar(select(func.count()).select_from(IntakeRecord)) == 37
        assert s.scalar(select(func.sum(CaseDaily.cases))) == 37
    assert_counts_match_a_rebuild(fresh_backend)
    if postgres:
        # cases 13, case_transitions 2, intake_records 1 secondary indexes; 4 foreign keys
        assert during and all(d == (0, 20) for d in during)
        assert held(fresh_backend) == 0
        assert schema_of(fresh_backend) == before


class Crash(Exception):
    pass


def test_an_error_mid_bulk_import_recreates_the_indexes_and_resumes(fresh_backend, tmp_path):
    postgres = fresh_backend.engine.dialect.name == "postgresql"
    before = schema_of(fresh_backend) if postgres else None
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / "cases.csv"
    write(path, "csv-utf8", rows("E", 50))
    calls = []

    def crash_after_two(position, result):
        calls.append(position)
        if len(calls) == 2:
            raise Crash

    try:
        import_file(intake, src, path, batch_size=10, bulk=True, progress=crash_after_two)
    except Crash:
        pass
    if postgres:
        assert held(fresh_backend) == 0 and schema_of(fresh_backend) == before
    again = import_file(intake, src, path, batch_size=10, bulk=True)
    assert (again.skipped, again.accepted) == (20, 30)
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 47
    assert_counts_match_a_rebuild(fresh_backend)
    if postgres:
        assert schema_of(fresh_backend) == before


def test_while_a_bulk_import_holds_the_indexes_nobody_else_touches_them(fresh_backend):
    if fresh_backend.engine.dialect.name != "postgresql":
        assert bulk_mode.restore_held(fresh_backend.engine) == 0  # nothing on SQLite
        assert not bulk_mode.worth_it(fresh_backend.engine, 10_000_000)
        return
    before = schema_of(fresh_backend)
    with bulk_mode.indexes_held(fresh_backend.engine) as dropping:
        assert dropping
        assert (secondary_indexes(fresh_backend), held(fresh_backend)) == (0, 20)
        # Another process's upgrade (a poller starting) must not rebuild them mid-load...
        upgrade(fresh_backend.engine)
        assert bulk_mode.restore_held(fresh_backend.engine) == 0
        assert (secondary_indexes(fresh_backend), held(fresh_backend)) == (0, 20)
        # ...and a second import writes without dropping anything.
        with bulk_mode.indexes_held(fresh_backend.engine) as second:
            assert not second
        assert held(fresh_backend) == 20
    assert held(fresh_backend) == 0
    assert schema_of(fresh_backend) == before


def test_auto_mode_takes_bulk_only_for_a_big_file_at_least_the_tables_size(fresh_backend,
                                                                          tmp_path):
    assert not bulk_mode.pays(bulk_mode.AUTO_MIN_ROWS - 1, 0)  # a small file
    assert bulk_mode.pays(bulk_mode.AUTO_MIN_ROWS, 0)  # a first load
    assert not bulk_mode.pays(300_000, 400_000)  # smaller than the table
    assert bulk_mode.pays(1_000_000, 900_000)
    engine = fresh_backend.engine
    if engine.dialect.name != "postgresql":
        assert not bulk_mode.worth_it(engine, 10_000_000)  # no bulk mode on SQLite
        return
    assert bulk_mode.worth_it(engine, 10_000_000)
    assert not bulk_mode.worth_it(engine, bulk_mode.AUTO_MIN_ROWS - 1)
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / "cases.csv"
    write(path, "csv-utf8", rows("A", 40))
    assert import_file(intake, src, path).bulk is False  # auto: 40 rows
    with engine.connect() as connection:
        assert bulk_mode.estimated_cases(connection) > 0
