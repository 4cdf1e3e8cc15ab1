"""A first load (the source has no intake records when `govwall import` starts) looks up only
the ids this run has committed itself (ColumnImport._known); what it decides is what the
look-up of every id decides: ids repeated across chunks are duplicates, a hash collision
loses no case, a rerun after a kill finds the committed rows duplicates, and a racing
sender's commit sends its chunk down the row path and every later chunk to the look-up."""
from __future__ import annotations

import csv
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from data_access.intake import columns as column_path
from data_access.intake.files import import_file
from data_access.intake.schema import CaseIn
from data_access.models import Case, IntakeRecord
from tests.support.intake import NOW, ZONE, assert_counts_match_a_rebuild, make_intake, make_source
from tests.support.tiny_territory import GRIDS

FIELDS = ("source_case_id", "reported_at", "category", "channel", "title", "grid_code")


def write_csv(path, ids: list[str]) -> None:
    local = NOW.astimezone(ZONE)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        for i, sid in enumerate(ids):
            writer.writerow({"source_case_id": sid,
                             "reported_at": (local - timedelta(minutes=5 + i))
                             .strftime("%Y-%m-%d %H:%M:%S"),
                             "category": "0101", "channel": "12345", "title": f"第{i}号",
                             "grid_code": GRIDS[i % len(GRIDS)]})


@pytest.fixture
def looked_up(monkeypatch) -> list[list[str]]:
    """The ids each chunk of the column path looks up (a call each)."""
    calls: list[list[str]] = []
    real = column_path._case_ids

    def spy(session, source, ids):
        calls.append(list(ids))
        return real(session, source, ids)

    monkeypatch.setattr(column_path, "_case_ids", spy)
    return calls


def cases(backend) -> int:
    with backend.sessions() as s:
        return s.scalar(select(func.count()).select_from(Case))


# 30 rows in chunks of 10: chunk 2 repeats A001 (chunk 1's) and chunk 3 repeats A012
# (chunk 2's) and A025 (its own, the row path's rule).
REPEATING = [f"A{i:03d}" for i in range(30)]
REPEATING[14], REPEATING[27], REPEATING[28] = "A001", "A012", "A025"


def _first_load_of_repeating(backend, tmp_path) -> None:
    """REPEATING imported by a new source in chunks of 10: 27 cases, 3 duplicates."""
    intake = make_intake(backend)
    src, _ = make_source(backend, "hotline")
    path = tmp_path / "cases.csv"
    write_csv(path, REPEATING)
    result = import_file(intake, src, path, batch_size=10)
    assert (result.accepted, result.duplicate, result.rejected) == (27, 3, 0)
    assert cases(backend) == 27


def test_a_first_load_looks_up_only_the_ids_it_committed(fresh_backend, tmp_path, looked_up):
    _first_load_of_repeating(fresh_backend, tmp_path)
    # Chunk 1: nothing committed yet, nothing looked up; then only the hash hits.
    assert {sid for call in looked_up for sid in call} == {"A001", "A012"}
    assert_counts_match_a_rebuild(fresh_backend)


def test_a_source_with_records_looks_every_chunk_up(fresh_backend, tmp_path, looked_up):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    write_csv(first, ["B000"])
    import_file(intake, src, first)
    looked_up.clear()
    write_csv(second, ["B000", *REPEATING])
    result = import_file(intake, src, second, batch_size=10)
    assert (result.accepted, result.duplicate) == (27, 4)
    assert len(looked_up) == 4 and "B000" in looked_up[0] and "A029" in looked_up[3]


def test_a_hash_collision_loses_no_case(fresh_backend, tmp_path, monkeypatch, looked_up):
    # Every id hashes alike: every id of chunks 2 and 3 hits the set, is looked up exactly,
    # and only the ones stored are duplicates.
    monkeypatch.setattr(column_path, "_id_hashes",
                        lambda ids: np.zeros(len(ids), np.uint64))
    _first_load_of_repeating(fresh_backend, tmp_path)
    # every distinct id of chunks 2 and 3 (A012 is in both)
    assert len({sid for call in looked_up for sid in call}) == 18
    assert_counts_match_a_rebuild(fresh_backend)


class Crash(Exception):
    pass


def test_a_rerun_after_a_kill_finds_the_committed_rows_duplicates(fresh_backend, tmp_path):
    # Killed after two chunks' commits, before the progress file says so (here: the file
    # imported again from the start): those rows are duplicates, not refused by the index.
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / "cases.csv"
    write_csv(path, REPEATING)
    done = []

    def crash_after_two(position, result):
        done.append(result.accepted)
        if len(done) == 2:
            raise Crash

    with pytest.raises(Crash):
        import_file(intake, src, path, batch_size=10, progress=crash_after_two)
    assert cases(fresh_backend) == 19
    again = import_file(intake, src, path, batch_size=10, fresh=True)
    assert (again.accepted, again.duplicate, again.rejected) == (8, 22, 0)
    assert cases(fresh_backend) == 27
    assert_counts_match_a_rebuild(fresh_backend)


def test_a_racing_sender_sends_its_chunk_to_the_row_path(fresh_backend, tmp_path,
                                                         looked_up):
    # After chunk 1, the API commits ids of chunks 2 and 3: chunk 2's COPY fails on the
    # unique index (the row path: a duplicate), chunk 3 is looked up whole.
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / "cases.csv"
    ids = [f"C{i:03d}" for i in range(30)]
    write_csv(path, ids)
    local = NOW.astimezone(ZONE)
    sent = []

    def api_after_first(position, result):
        if not sent:
            sent.extend(intake.create(src, [
                CaseIn(source_case_id=sid, reported_at=local - timedelta(minutes=1),
                       category="0101", title="接口先到", grid_code=GRIDS[0])
                for sid in ("C012", "C025")], "api"))

    result = import_file(intake, src, path, batch_size=10, progress=api_after_first)
    assert [o.status for o in sent] == ["accepted", "accepted"]
    assert (result.accepted, result.duplicate, result.rejected) == (28, 2, 0)
    assert cases(fresh_backend) == 30
    assert ids[20:] in looked_up
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IntakeRecord)) == 30
    assert_counts_match_a_rebuild(fresh_backend)


def test_a_sender_committing_between_look_up_and_copy_sends_the_chunk_down_the_row_path(
        fresh_backend, tmp_path, monkeypatch):
    # The API commits C015 while chunk 2's transaction has looked its ids up and not yet
    # written them: the COPY meets it in the unique index. The prepared COPY raised that as
    # psycopg's UniqueViolation, which ColumnImport.write did not catch: the import ended.
    # (A source with a record: every chunk is looked up, the second call is chunk 2's.)
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    local = NOW.astimezone(ZONE)
    intake.create(src, [CaseIn(source_case_id="B000", category="0101", title="早先",
                               reported_at=local - timedelta(minutes=2),
                               grid_code=GRIDS[0])], "api")
    path = tmp_path / "cases.csv"
    write_csv(path, [f"C{i:03d}" for i in range(30)])
    real = column_path._case_ids
    calls = []

    def racing(session, source, ids):
        calls.append(ids)
        known = real(session, source, ids)
        if len(calls) == 2:
            intake.create(src, [CaseIn(source_case_id="C015", category="0101",
                                       reported_at=local - timedelta(minutes=1),
                                       title="接口先到", grid_code=GRIDS[0])], "api")
        return known

    monkeypatch.setattr(column_path, "_case_ids", racing)
    result = import_file(intake, src, path, batch_size=10)
    assert (result.accepted, result.duplicate, result.rejected) == (29, 1, 0)
    assert cases(fresh_backend) == 31
    assert_counts_match_a_rebuild(fresh_backend)
