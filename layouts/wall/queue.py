"""The live incident board: newest cases, paged; pages advance on their own (assets/wall.js)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from dash import dcc, html

from layouts.i18n import label, t
from layouts.wall import ids
from layouts.wall.tile import no_data, tile

NEW_FOR = timedelta(minutes=3)
PAGE_SECONDS = 8
OPEN_ENDED = ("closed", "rejected")


def layout(lang: str) -> html.Section:
    return tile("queue", lang, html.Div(t("wall.waiting", lang), className="no-data"),
                extra=[dcc.Interval(id=ids.QUEUE_PAGER, interval=PAGE_SECONDS * 1000)])


def order_for_board(frame: pd.DataFrame) -> pd.DataFrame:
    """Urgent open cases first (they must not wait for their page), then newest first."""
    urgent = (frame["priority"] == "urgent") & ~frame["stage"].isin(OPEN_ENDED)
    return pd.concat([frame[urgent], frame[~urgent]])


def _row(case, lang: str, now: datetime, zone: ZoneInfo, href: Callable[[str, int], str]):
    is_new = now - case.reported_at < NEW_FOR
    urgent = case.priority == "urgent" and case.stage not in OPEN_ENDED
    # A case not yet registered has no deadline: NaT in the frame (and NaT is a datetime).
    due = case.due if pd.notna(case.due) and case.stage not in OPEN_ENDED else None
    classes = "queue-row" + (" new" if is_new else "") + (" urgent" if urgent else "")
    return html.A(className=classes, href=href(case.external_id, case.id), children=[
        html.Span(case.reported_at.astimezone(zone).strftime("%H:%M"), className="q-time"),
        html.Span([html.B(t("wall.queue.new", lang), className="badge-new") if is_new else None,
                   html.B(label("priority", "urgent", lang), className="badge-urgent")
                   if urgent else None, case.title], className="q-title"),
        html.Span("—" if due is None else "", className="q-left countdown",
                  **({"data-due": int(due.timestamp() * 1000)} if due is not None else {})),
        html.Span(className="q-line2", children=[
            html.Span(f"{label('subclass', case.subclass, lang)} · "
                      f"{label('source', case.source, lang)}", className="q-cat"),
            html.Span(case.place, className="q-place"),
        ]),
        html.Span(label("stage", case.stage, lang), className=f"q-stage stage-{case.stage}"),
    ])


def queue_pages(frame: pd.DataFrame, lang: str, now: datetime, zone: ZoneInfo,
                href: Callable[[str, int], str], rows_per_page: int) -> list:
    """Pages of rows (only one shows at a time); `href(external_id, case_id)` links a case
    to /ops."""
    if frame.empty:
        return [no_data(lang)]
    ordered = list(order_for_board(frame).itertuples(index=False))
    pages = [ordered[i:i + rows_per_page] for i in range(0, len(ordered), rows_per_page)]
    return [html.Div(className="queue-page", children=[
        *[_row(case, lang, now, zone, href) for case in page],
        html.Div(t("wall.queue.page", lang).format(page=n + 1, pages=len(pages)),
                 className="queue-page-no"),
    ]) for n, page in enumerate(pages)]
