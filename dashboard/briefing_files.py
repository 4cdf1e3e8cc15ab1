"""The briefing's files: the page's download (/briefing/download.docx|pdf|xlsx), `govwall
briefing --format docx|pdf|xlsx` and the scheduled generation into a folder."""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, Response, request
from sqlalchemy.orm import Session, sessionmaker

from dashboard.briefing_report import FORMATS, MEDIA, render
from data_access.reports import periods
from data_access.reports.briefing import collect
from data_access.wall_scope import ScopeError
from layouts.i18n import normalize_lang

_SAFE = re.compile(r"[^0-9A-Za-z._-]")


def file_name(unit: str, period: periods.Period, fmt: str) -> str:
    return _SAFE.sub("_", f"briefing-{unit}-{period.label}") + f".{fmt}"


def make(sessions: sessionmaker[Session], unit: str, period: periods.Period, zone: ZoneInfo,
         now: datetime, fmt: str, lang: str = "zh",
         weights: dict[str, float] | None = None) -> bytes:
    with sessions() as session:
        data = collect(session, unit, period, zone, now, weights)
    return render(data, fmt, lang)


def add_routes(server: Flask, runtime) -> None:
    @server.get("/briefing/download.<fmt>")
    def briefing_download(fmt: str) -> Response:
        if fmt not in FORMATS:
            return Response(f"format: one of {', '.join(FORMATS)}", 404, mimetype="text/plain")
        args = request.args
        try:
            period = periods.parse(args.get("period", "month"), args.get("date", ""))
            unit = args.get("unit") or runtime.settings.region
            body = make(runtime.sessions, unit, period, runtime.settings.zone, runtime.clock(),
                        fmt, normalize_lang(args.get("lang")), runtime.settings.weights)
        except (ValueError, ScopeError) as exc:
            return Response(str(exc), 400, mimetype="text/plain")
        return Response(body, mimetype=MEDIA[fmt], headers={
            "Content-Disposition": f'attachment; filename="{file_name(unit, period, fmt)}"'})


def due_periods(every: str, today: date, back: int = 1) -> list[periods.Period]:
    """The last `back` whole periods of `every` (week or month) before today's."""
    current = periods.of(every, today)
    return [current.shifted(-i) for i in range(back, 0, -1)]


def generate(sessions: sessionmaker[Session], folder: Path, unit: str, every: str,
             formats: list[str], zone: ZoneInfo, now: datetime, lang: str = "zh",
             back: int = 1, weights: dict[str, float] | None = None
             ) -> list[tuple[Path, bool]]:
    """Write the last whole periods' files into `folder` unless they are there already
    (so that a daily cron line makes each file once); returns (path, written)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for period in due_periods(every, now.astimezone(zone).date(), back):
        for fmt in formats:
            path = folder / file_name(unit, period, fmt)
            if path.exists():
                out.append((path, False))
                continue
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(make(sessions, unit, period, zone, now, fmt, lang, weights))
            partial.replace(path)  # a reader never sees half a file
            out.append((path, True))
    return out
