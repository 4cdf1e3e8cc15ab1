"""Export the filtered case table: /ops/export.csv and /ops/export.xlsx.

Both take the same query as /ops (CaseFilter) and stream: rows come from a server-side
cursor in chunks, the CSV is written to the response as it goes, the XLSX is written by
openpyxl's write-only workbook to a temporary file that is then sent. Contacts are masked,
times are local, headers are in the reader's language.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, Response, request, send_file
from openpyxl import Workbook

from data_access import case_query
from data_access.case_detail import mask_name, mask_phone
from data_access.case_filters import CaseFilter, FilterError
from layouts.i18n import filter_problem, label, normalize_lang, t

COLUMNS = ("external_id", "title", "reported_at", "source", "major_class", "subclass",
           "dispute_type", "priority", "stage", "deadline_state", "deadline_at", "county_name",
           "township_name", "grid_name", "grid_code", "responsible_unit", "handler",
           "supervision_level", "acknowledged_by", "address", "reporter_name",
           "reporter_phone")
CODED = {"source": "source", "major_class": "major", "subclass": "subclass",
         "dispute_type": "dispute", "priority": "priority", "stage": "stage",
         "deadline_state": "deadline"}
CHUNK = 2000
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV and XLSX
# alike; openpyxl also writes such a string as a formula): officers' and citizens' text
# could compute or call out (=HYPERLINK, =WEBSERVICE); a leading tab or CR is skipped by
# some spreadsheets before they read the formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """The text as a spreadsheet shows it, never as a formula: a leading apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def headers(lang: str) -> list[str]:
    return [t(f"col.{c}", lang) for c in COLUMNS]


def cells(row: dict, lang: str, zone: ZoneInfo) -> list[str]:
    out = []
    for col in COLUMNS:
        value = row.get(col)
        if col == "deadline_state" and value == "closed":
            value = t("ops.count.closed", lang)
        elif col in CODED:
            value = label(CODED[col], value, lang) if value else ""
        elif col == "deadline_at":
            value = row.get("extended_until") or value
        if col == "reporter_phone":
            value = mask_phone(value)
        elif col == "reporter_name":
            value = mask_name(value)
        elif col == "supervision_level":
            value = label("supervision", str(value), lang) if value else ""
        if isinstance(value, datetime):
            value = value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        out.append("" if value is None else spreadsheet_text(str(value)))
    return out


def export_rows(sessions, f: CaseFilter, now: datetime, zone: ZoneInfo,
                lang: str) -> Iterator[list[str]]:
    """Header, then every case of the filter as text cells, from one streamed query."""
    yield headers(lang)
    with sessions() as session:
        for row in case_query.iter_rows(session, f, now, zone, chunk=CHUNK):
            yield cells(row, lang, zone)


def csv_chunks(lines: Iterator[list[str]], rows_per_chunk: int = 500) -> Iterator[bytes]:
    """UTF-8 with a BOM, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for n, line in enumerate(lines, 1):
        writer.writerow(line)
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(lines: Iterator[list[str]], path: str, sheet_title: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    for line in lines:
        sheet.append(line)
    workbook.save(path)


def add_routes(server: Flask, runtime) -> None:
    zone = runtime.settings.zone

    def _request_filter() -> tuple[CaseFilter | None, str, str]:
        lang = normalize_lang(request.args.get("lang"))
        try:
            return CaseFilter.from_query(request.args.to_dict()), lang, ""
        except FilterError as exc:
            return None, lang, filter_problem(exc.reason, exc.params, lang)

    def _name(ext: str) -> str:
        return f"cases-{datetime.now(zone):%Y%m%d-%H%M}.{ext}"

    def export_csv():
        f, lang, error = _request_filter()
        if f is None:
            return Response(error, 400)
        lines = export_rows(runtime.sessions, f, datetime.now(UTC), zone, lang)
        return Response(csv_chunks(lines), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={_name('csv')}"})

    def export_xlsx():
        f, lang, error = _request_filter()
        if f is None:
            return Response(error, 400)
        handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="govwall-export-")
        os.close(handle)
        try:
            write_xlsx(export_rows(runtime.sessions, f, datetime.now(UTC), zone, lang), path,
                       t("ops.title", lang))
            stream = open(path, "rb")  # noqa: SIM115 - closed by the response
        finally:
            os.unlink(path)  # the open handle keeps the data until the response is sent
        return send_file(stream, as_attachment=True, download_name=_name("xlsx"),
                         mimetype="application/vnd.openxmlformats-officedocument"
                                  ".spreadsheetml.sheet")

    server.add_url_rule("/ops/export.csv", "export_csv", export_csv)
    server.add_url_rule("/ops/export.xlsx", "export_xlsx", export_xlsx)
