"""Exports: Chinese headers, masked contacts, local times; streamed in bounded memory."""
from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from dashboard import export
from data_access.case_filters import CaseFilter
from data_access.models import Case
from tests.ops.test_auth import app, client_as  # noqa: F401 - the signed-in app fixture
from tests.support.ops_cases import ZONE, insert_ops_cases
from tests.support.tiny_territory import COUNTY, GRIDS

__all__ = ["app"]


def test_csv_has_a_bom_chinese_headers_masked_phones_and_local_times(app):  # noqa: F811
    client = client_as(app, "lead")
    response = client.get(f"/ops/export.csv?unit={GRIDS[2]}")  # case C only
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, (row,) = rows[0], rows[1:]
    assert header[:3] == ["编号", "标题", "上报时间"]
    record = dict(zip(header, row, strict=True))
    assert record["编号"] == "OPS-C"
    assert record["联系电话"] == "138****5678"
    assert record["反映人"] == "王**"
    assert record["环节"] == "处置中"
    assert record["办理时限"] == "2026-11-18 09:00:00"  # Shanghai time, as stored 01:00 UTC
    english = client.get(f"/ops/export.csv?unit={COUNTY}&lang=en").get_data().decode("utf-8-sig")
    assert english.splitlines()[0].startswith("Number,Title,Reported")
    assert len(english.splitlines()) == 9


def test_xlsx_export(app):  # noqa: F811
    client = client_as(app, "duty")
    response = client.get(f"/ops/export.xlsx?unit={COUNTY}&stage=closed,rejected")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "编号" and len(values) == 3
    assert {r[-1] for r in values[1:]} == {"138****5678"}
    response.close()


def test_bad_filter_is_a_400_that_names_the_parameter(app):  # noqa: F811
    response = client_as(app, "duty").get("/ops/export.csv?deadline=soon")
    assert response.status_code == 400
    assert "deadline" in response.get_data(as_text=True)


def test_streaming_keeps_memory_bounded(fresh_backend):
    """The peak is one fetched chunk (2,000 rows), whatever the size of the export: it does
    not grow from 5,000 to 20,000 rows (bench/ops.py measures 100,000)."""
    insert_ops_cases(fresh_backend.sessions)
    n = 20_000
    at = datetime(2026, 11, 1, tzinfo=UTC)
    with fresh_backend.sessions.begin() as session:
        session.execute(Case.__table__.insert(), [dict(
            external_id=f"BULK-{i}", source="grid_patrol", major_class="urban",
            subclass="street_light", priority="normal", title=f"路灯不亮 {i}",
            description="", reporter_name="王小明", reporter_phone="13812345678",
            address="和平路", grid_code=GRIDS[0] if i < 5000 else GRIDS[6],
            township_code=(GRIDS[0] if i < 5000 else GRIDS[6])[:9],
            county_code=COUNTY, stage="handling", reported_at=at + timedelta(seconds=i),
            deadline_at=at + timedelta(days=2), rework_count=0, supervision_level=0,
            updated_at=at) for i in range(n)])

    def run(f: CaseFilter) -> int:
        lines = export.export_rows(fresh_backend.sessions, f, datetime.now(UTC), ZONE, "zh")
        return sum(len(chunk) for chunk in export.csv_chunks(lines))

    def peak(f: CaseFilter) -> tuple[int, int]:
        tracemalloc.start()
        try:
            size = run(f)
            return size, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    run(CaseFilter(unit=GRIDS[1]))  # one-off costs: compiled SQL, the holiday calendar
    small_size, small_peak = peak(CaseFilter(unit=GRIDS[0]))
    size, big_peak = peak(CaseFilter(unit=COUNTY))
    assert size > 3.5 * small_size
    assert big_peak < 1.2 * small_peak, (small_peak, big_peak)
    assert big_peak < 16_000_000
