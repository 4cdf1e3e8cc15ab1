"""Exports keep officers' and citizens' text as text: a cell that a spreadsheet would read as
a formula (= + - @, or a leading tab or CR) gets a leading apostrophe, in CSV and in XLSX;
markup stays literal."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from dashboard import export
from data_access.case_filters import CaseFilter
from data_access.models import Case
from tests.support.ops_cases import ZONE
from tests.support.tiny_territory import COUNTY, GRIDS, insert_tiny_territory

AT = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
TITLES = {
    "=HYPERLINK(\"https://example.invalid/\",\"点此\")": "'=HYPERLINK(\"https://example.invalid/\",\"点此\")",
    "+86 13800000000 来电": "'+86 13800000000 来电",
    "-1 度 路面结冰": "'-1 度 路面结冰",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\t=1+1": "'\t=1+1",
    "<img src=x onerror=alert(1)>": "<img src=x onerror=alert(1)>",
    "路灯不亮 = 不安全": "路灯不亮 = 不安全",
}


def _insert(backend) -> None:
    with backend.sessions.begin() as session:
        insert_tiny_territory(session)
        session.add_all(Case(
            external_id=f"INJ-{i}", source="hotline_12345", major_class="urban",
            subclass="street_light", priority="normal", title=title, description="",
            reporter_name="王小明", reporter_phone="13812345678", address="=1+1",
            grid_code=GRIDS[0], township_code=GRIDS[0][:9], county_code=COUNTY,
            stage="handling", reported_at=AT, rework_count=0, supervision_level=0,
            updated_at=AT) for i, title in enumerate(TITLES))


def _lines(backend) -> list[list[str]]:
    return list(export.export_rows(backend.sessions, CaseFilter(unit=COUNTY), AT, ZONE, "zh"))


def test_csv_cells_never_start_a_formula(fresh_backend):
    _insert(fresh_backend)
    body = b"".join(export.csv_chunks(iter(_lines(fresh_backend)))).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert sorted(r["标题"] for r in records) == sorted(TITLES.values())
    assert {r["地址"] for r in records} == {"'=1+1"}


def test_xlsx_cells_are_strings_never_formulas(fresh_backend, tmp_path):
    _insert(fresh_backend)
    path = tmp_path / "cases.xlsx"
    export.write_xlsx(iter(_lines(fresh_backend)), str(path), "cases")
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    title, address = header.index("标题"), header.index("地址")
    rows = list(sheet.iter_rows(min_row=2))
    assert {row[title].data_type for row in rows} == {"s"}
    assert {row[address].data_type for row in rows} == {"s"}
    assert sorted(row[title].value for row in rows) == sorted(TITLES.values())
    assert {row[address].value for row in rows} == {"'=1+1"}
