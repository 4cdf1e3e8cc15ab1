"""/ops duty queue: what needs the signed-in officer now (data_access/duty_queue.py), its counts
per group, and the sound toggle. Everything shown is a plain string child (Dash escapes it):
case titles and places never become markup.

Each row carries `data-keys`: its case id, and `<id>:overdue` once overdue. assets/ops.js
highlights a row for a while when one of its keys is new to the page (a case new in the queue,
or one that has just become overdue) and, if the officer turned the sound on, beeps.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from dash import dcc, html

from layouts.i18n import label, t
from layouts.ops_table import local_text, overdue_text

GROUPS = ("overdue", "approaching", "unacknowledged", "supervised")
GROUP_COLOURS = {"overdue": "danger", "approaching": "warning", "unacknowledged": "primary",
                 "supervised": "dark"}
# The page asks for the queue every POLL_SECONDS, and only when its last answer is in
# (assets/ops.js opsDutyGate); the server computes one answer per area per 5 s for everyone.
POLL_SECONDS = 5


def panel(lang: str) -> html.Div:
    """The queue's frame; its counts and rows arrive from the first poll."""
    sound = html.Button(
        id="ops-duty-sound", n_clicks=0, className="btn btn-sm btn-outline-secondary sound-off",
        title=t("duty.sound_off", lang), **{"aria-pressed": "false"},
        children=[html.Span(t("duty.sound_on", lang), className="sound-on-label"),
                  html.Span(t("duty.sound_off", lang), className="sound-off-label")])
    return html.Div(id="ops-duty-view", className="ops-duty-view", children=[
        dcc.Interval(id="ops-duty-tick", interval=1000),
        dcc.Store(id="ops-duty-request", data={"seq": 0, "at": 0}),
        dcc.Store(id="ops-duty-state"),
        html.Div(className="ops-duty-head", children=[
            html.Span(id="ops-duty-area", className="ops-duty-area me-3"),
            html.Div(id="ops-duty-counts", className="ops-duty-counts"),
            html.Span(id="ops-duty-updated", className="text-muted small ms-auto me-2"),
            sound,
            html.Span(id="ops-duty-signal", hidden=True),
        ]),
        html.Div(id="ops-duty-body", className="ops-duty-body",
                 children=html.P(t("duty.loading", lang), className="text-muted p-3")),
    ])


def counts_badges(counts: dict[str, int], lang: str) -> list:
    items = [html.Span([html.Span(t(f"duty.group.{g}", lang), className="me-1"),
                        html.B(f"{counts.get(g, 0):,}", id=f"ops-duty-count-{g}")],
                       className=f"badge bg-{GROUP_COLOURS[g]} me-2 ops-count"
                       + (" text-dark" if g == "approaching" else ""))
             for g in GROUPS]
    items.append(html.Span([html.Span(t("duty.total", lang), className="me-1"),
                            html.B(f"{counts.get('total', 0):,}", id="ops-duty-count-total")],
                           className="badge bg-light text-dark me-2 ops-count"))
    return items


def row_keys(row: dict) -> list[str]:
    keys = [str(row["id"])]
    if "overdue" in row["groups"]:
        keys.append(f"{row['id']}:overdue")
    return keys


def case_href(row: dict, lang: str) -> str:
    """The case open in the full case list: its township's open cases, longest overdue
    first."""
    query = {"unit": row["township_code"], "open": "1", "sort": "overdue",
             "case": str(row["id"])}
    if lang != "zh":
        query["lang"] = lang
    return f"/ops?{urlencode(query)}"


def _when(row: dict, lang: str, zone: ZoneInfo) -> str:
    if row["groups"] and "overdue" in row["groups"]:
        return overdue_text(row.get("overdue_for"), lang)
    due = row.get("extended_until") or row.get("deadline_at")
    return t("duty.due", lang).format(at=local_text(due, zone)) if due \
        else t("duty.no_deadline", lang)


def _row(row: dict, lang: str, zone: ZoneInfo) -> html.A:
    state = row.get("deadline_state") or "normal"
    badges = [html.Span(t(f"duty.group.{g}", lang),
                        className=f"badge bg-{GROUP_COLOURS[g]} me-1"
                        + (" text-dark" if g == "approaching" else ""))
              for g in row["groups"]]
    if row.get("priority") == "urgent":
        badges.append(html.Span(label("priority", "urgent", lang),
                                className="badge bg-danger-subtle text-danger me-1"))
    if row.get("supervision_level"):
        badges.append(html.Span(label("supervision", str(row["supervision_level"]), lang),
                                className="badge border border-dark text-dark me-1"))
    place = "·".join(row.get(k) or "" for k in ("township_name", "grid_name"))
    return html.A(
        href=case_href(row, lang), className=f"duty-row duty-{state}",
        **{"data-keys": " ".join(row_keys(row)), "data-case": str(row["id"])},
        children=[
            html.Span(badges, className="duty-badges"),
            html.Span(row.get("title") or "", className="duty-title", title=row.get("title")),
            html.Span(place, className="duty-place", title=place),
            html.Span(label("stage", row.get("stage"), lang), className="duty-stage"),
            html.Span(_when(row, lang, zone), className="duty-when",
                      title=local_text(row.get("extended_until") or row.get("deadline_at"),
                                       zone)),
            html.Span(local_text(row.get("reported_at"), zone), className="duty-reported"),
        ])


def queue_rows(rows: list[dict], total: int, lang: str, zone: ZoneInfo) -> list:
    if not rows:
        return [html.P(t("duty.empty", lang), className="text-muted p-3", id="ops-duty-empty")]
    out: list = [_row(r, lang, zone) for r in rows]
    if total > len(rows):
        out.append(html.P(t("duty.more", lang).format(n=len(rows), total=f"{total:,}"),
                          className="text-muted small p-2"))
    return out


def area_text(area_name: str, lang: str) -> str:
    return f"{t('duty.area', lang)}：{area_name}" if lang == "zh" \
        else f"{t('duty.area', lang)}: {area_name}"


def updated_text(now: datetime, lang: str, zone: ZoneInfo) -> str:
    return t("duty.updated", lang).format(at=now.astimezone(zone).strftime("%H:%M:%S"))
