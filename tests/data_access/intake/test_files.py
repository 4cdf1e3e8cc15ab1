"""`govwall import`'s reader and batches: CSV in UTF-8 and GBK, XLSX, JSONL; per-row reasons
in the rejected-rows file; a run interrupted after a batch resumes after it; counters and
rollups right afterwards without a rebuild."""
from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from data_access.intake.files import import_file
from data_access.models import Case, CaseDaily, IntakeRejection
from tests.support.intake import NOW, ZONE, assert_counts_match_a_rebuild, make_intake, make_source
from tests.support.tiny_territory import GRIDS

FIELDS = ("source_case_id", "reported_at", "category", "channel", "title", "grid_code",
          "address")


def rows(prefix: str, n: int) -> list[dict]:
    local = NOW.astimezone(ZONE)
    out = [{"source_case_id": f"{prefix}{i:03d}",
            # no offset: the center's local time, as Chinese systems export it
            "reported_at": (local - timedelta(minutes=5 + i)).strftime("%Y-%m-%d %H:%M:%S"),
            "category": "0101" if i % 3 else "噪声", "channel": "12345",
            "title": f"反映问题{i}，路面塌陷", "grid_code": GRIDS[i % len(GRIDS)], "address": ""}
           for i in range(n)]
    out[3]["title"] = ""  # refused: a title is required
    out[4]["reported_at"] = "昨天"  # refused: not a time
    out[5]["source_case_id"] = out[6]["source_case_id"]  # the second one is a duplicate
    return out


def write(path, fmt: str, data: list[dict]) -> None:
    if fmt in ("csv-utf8", "csv-gbk"):
        with path.open("w", newline="", encoding="utf-8" if fmt == "csv-utf8" else "gbk") as f:
            writer = csv.DictWriter(f, FIELDS)
            writer.writeheader()
            writer.writerows(data)
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as f:
            for row in data:
                f.write(json.dumps({k: v for k, v in row.items() if v}, ensure_ascii=False)
                        + "\n")
            f.write("{broken\n")
    else:
        book = Workbook()
        sheet = book.active
        sheet.append(list(FIELDS))
        for row in data:
            sheet.append([row[k] for k in FIELDS])
        book.save(path)


SUFFIX = {"csv-utf8": "csv", "csv-gbk": "csv", "jsonl": "jsonl", "xlsx": "xlsx"}


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_each_format_imports_with_reasons_and_counts_right(fresh_backend, tmp_path, fmt):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / f"cases.{SUFFIX[fmt]}"
    write(path, fmt, rows("R", 40))
    result = import_file(intake, src, path, batch_size=16)
    broken_line = fmt == "jsonl"
    assert (result.rows, result.accepted, result.duplicate, result.rejected) == (
        40 + broken_line, 37, 1, 2 + broken_line)
    assert result.batches == 3
    with result.rejected_file.open(encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    assert [r["source_case_id"] for r in rejected[:2]] == ["R003", "R004"]
    assert rejected[0]["row"] == ("5" if fmt != "jsonl" else "4")
    assert "title" in rejected[0]["reasons"] and "reported_at" in rejected[1]["reasons"]
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 37
        assert s.scalar(select(func.sum(CaseDaily.cases))) == 37
        assert s.scalar(select(func.count()).select_from(IntakeRejection)) == 2 + broken_line
        noise = s.scalar(select(func.count()).select_from(Case)
                         .where(Case.subclass == "noise"))
        first = s.scalar(select(Case.reported_at).where(Case.external_id == "hotline:R000"))
    assert noise == 12  # rows 0, 3, …, 39 less R003 (refused) and row 6 (its id was row 5's)
    # "2026-11-18 09:55:00" without an offset is Shanghai time: 01:55 UTC
    assert first.replace(tzinfo=None) == (NOW - timedelta(minutes=5)).replace(tzinfo=None)
    day = fresh_backend.counters.local_day(NOW)
    assert sum(r.count for r in fresh_backend.counters.day_counts(day)
               if r.event == "reported") == 37
    assert_counts_match_a_rebuild(fresh_backend)
    assert not path.with_name(path.name + ".progress.json").exists()


class Crash(Exception):
    pass


def test_an_interrupted_import_resumes_after_its_last_batch(fresh_backend, tmp_path):
    intake = make_intake(fresh_backend)
    src, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / "cases.csv"
    write(path, "csv-utf8", rows("C", 50))
    batches = []

    def crash_after_two(position, result):
        batches.append(result.accepted)
        if len(batches) == 2:
            raise Crash

    with pytest.raises(Crash):
        import_file(intake, src, path, batch_size=10, progress=crash_after_two)
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 17  # 20 rows: 2 refused, 1 dup
    again = import_file(intake, src, path, batch_size=10)
    assert (again.skipped, again.rows, again.accepted, again.duplicate, again.rejected) == (
        20, 30, 30, 0, 0)
    with fresh_backend.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 47
        assert s.scalar(select(func.sum(CaseDaily.cases))) == 47
    assert_counts_match_a_rebuild(fresh_backend)
    with again.rejected_file.open(encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 2  # from the first run, kept
