"""The CSV reader of `govwall import` (files.read_chunks: the csv module's rows kept as
columns) gives exactly the rows the row-at-a-time reader gave (csv.reader, one dict per
row): quoted newlines and commas, a byte-order mark, GBK, blank rows skipped with their
numbers kept, an empty cell as ''. A ragged row (more or fewer cells than the header) is
refused with a clear reason instead of being zipped short; a resumed import skips the rows
an earlier run committed."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from data_access.intake.files import _Counting, import_file, read_chunks
from tests.support.intake import NOW, ZONE, make_intake, make_source
from tests.support.tiny_territory import GRIDS

HEADER = ["source_case_id", "reported_at", "category", "title", "description", "grid_code"]
WHEN = NOW.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S")


def lines() -> str:
    """A CSV text: line numbers of its records in comments on the right."""
    g = GRIDS[0]
    return (",".join(HEADER) + "\r\n"                                            # 1
            + f"A1,{WHEN},0101,路灯不亮,\"第一行\n第二行, 有逗号\",{g}\r\n"      # 2 (2 lines)
            + "\r\n"                                                           # 3 blank
            + f"A2,{WHEN},噪声,\"引号\"\"里\"\"的字\",,{g}\r\n"                 # 4
            + ",,,,,\r\n"                                                      # 5 all empty
            + f"A3,{WHEN},0101,多一格,描述,{g},多余\r\n"                        # 6 ragged: 7
            + f"A4,{WHEN},0101,少一格\r\n"                                      # 7 ragged: 4
            + f"A5,{WHEN},0301,\t空白 ,\"a\\b\",{g}\r\n")                      # 8


def old_reader(text: str) -> list[tuple[int, dict]]:
    """What files.read_rows did with a CSV before the column reader."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    return [(number, dict(zip(header, cells, strict=False)))
            for number, cells in enumerate(reader, start=2) if any(cells)]


def chunks_of(path: Path, batch: int, done: int = 0):
    with path.open("rb") as raw:
        return list(read_chunks(path, "csv", None, _Counting(raw), batch, done))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_the_column_reader_gives_the_old_readers_rows(tmp_path, encoding):
    path = tmp_path / "cases.csv"
    path.write_bytes(lines().encode(encoding))
    chunks = chunks_of(path, batch=2)
    rows = [r for chunk, _, _ in chunks for r in chunk.rows()]
    assert [r.number for r in rows] == [2, 4, 6, 7, 8]
    readable = [(r.number, r.values) for r in rows if not isinstance(r.values, str)]
    old = {number: values for number, values in old_reader(lines())}
    assert readable == [(n, old[n]) for n in (2, 4, 8)]
    assert readable[0][1]["description"] == "第一行\n第二行, 有逗号"
    assert readable[1][1] == {"source_case_id": "A2", "reported_at": WHEN, "category": "噪声",
                              "title": '引号"里"的字', "description": "",
                              "grid_code": GRIDS[0]}
    assert readable[2][1]["title"] == "\t空白 " and readable[2][1]["description"] == "a\\b"
    assert [r.values for r in rows if isinstance(r.values, str)] == [
        "7 cells where the header has 6: a row must have one cell per column",
        "4 cells where the header has 6: a row must have one cell per column"]
    # chunks of 2 rows (blank rows not counted), the rows seen up to each chunk's end
    assert [(len(c), seen, skipped) for c, seen, skipped in chunks] == [
        (2, 2, 0), (2, 4, 0), (1, 5, 0)]
    columns = chunks[0][0].columns()
    assert columns["description"].tolist() == ["第一行\n第二行, 有逗号", None]  # '' is None
    # resumed after 3 rows: rows 2, 4 and 6 skipped
    again = chunks_of(path, batch=2, done=3)
    assert [r.number for c, _, _ in again for r in c.rows()] == [7, 8]
    assert [(len(c), seen, skipped) for c, seen, skipped in again] == [(2, 5, 3), (0, 5, 0)]


def test_a_ragged_row_is_refused_with_its_reason(fresh_backend, tmp_path):
    intake = make_intake(fresh_backend)
    source, _ = make_source(fresh_backend, "hotline")
    path = tmp_path / "cases.csv"
    path.write_bytes(lines().encode("utf-8-sig"))
    result = import_file(intake, source, path, batch_size=2)
    # A1 and A2 in; A5's title has a tab, which CaseIn refuses (the row path's reason)
    assert (result.rows, result.accepted, result.duplicate, result.rejected) == (5, 2, 0, 3)
    with result.rejected_file.open(encoding="utf-8") as f:
        rejected = list(csv.DictReader(f))
    assert [(r["row"], r["reasons"]) for r in rejected] == [
        ("6", "7 cells where the header has 6: a row must have one cell per column"),
        ("7", "4 cells where the header has 6: a row must have one cell per column"),
        ("8", "title: Value error, control characters (NUL, line breaks …) are not allowed "
              "here")]
