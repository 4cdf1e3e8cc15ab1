"""预警: the early warnings of the last day (surges, repeat complaints, repeat callers),
newest first, with what was expected against what came. Sizes are relative to the tile
(--u, the canvas unit), so the tile fits any arrangement of the wall."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import dcc, html

from layouts.i18n import label, t
from layouts.wall import ids
from layouts.wall.tile import tile

KIND_TONES = {"surge": "red", "cluster": "orange", "repeat_caller": "yellow",
              "repeat_address": "yellow", "reopened": "orange", "escalated": "red"}


def layout(lang: str) -> html.Section:
    return tile("warnings", lang, html.Div(t("wall.waiting", lang), className="no-data"),
                extra=[dcc.Store(id=ids.WARNING_IDS, data=[])])


def _figures(row: dict, lang: str) -> str:
    if row["kind"] == "surge" and row["expected"] is not None:
        return t("wall.warnings.vs", lang).format(observed=row["observed"],
                                                  expected=f"{row['expected']:.1f}")
    return t("wall.warnings.cases", lang).format(n=row["observed"])


def _row(row: dict, lang: str, zone: ZoneInfo, href) -> html.A:
    when = datetime.fromtimestamp(row["created_at"], zone).strftime("%H:%M")
    return html.A(className=f"warning-row {KIND_TONES.get(row['kind'], 'yellow')}"
                  + (" new" if row["status"] == "new" else ""), href=href(row["id"]), children=[
        html.Span(t(f"wall.warnings.kind.{row['kind']}", lang), className="w-kind"),
        html.Span(row["place"], className="w-place"),
        html.Span(label("major", row["category"], lang) if row["category"] else "",
                  className="w-cat"),
        html.Span(_figures(row, lang), className="w-figures"),
        html.Span(when, className="w-when"),
    ])


def warning_board(rows: list[dict], open_by_kind: dict[str, int], total_open: int,
                  lang: str, zone: ZoneInfo, href, max_rows: int) -> html.Div:
    """Counts of open warnings per kind, then the newest rows. Case text never appears
    here: places and categories are the territory's names and the vocabulary's labels."""
    counts = [html.Span([t(f"wall.warnings.kind.{k}", lang), html.B(f" {n}")],
                        className=f"w-count {KIND_TONES.get(k, 'yellow')}")
              for k, n in sorted(open_by_kind.items(), key=lambda kv: -kv[1])]
    listing = [_row(r, lang, zone, href) for r in rows[:max_rows]]
    return html.Div(className="warnings", children=[
        html.Div(className="warning-totals", children=[
            html.Span([t("wall.warnings.open", lang), html.B(f" {total_open}")],
                      className="w-total"), *counts]),
        *(listing or [html.Div(t("wall.warnings.none", lang), className="no-data calm")]),
    ])


def new_ids(rows: list[dict]) -> list[int]:
    """Ids of the warnings no officer has looked at yet: a new one takes the focus."""
    return [int(r["id"]) for r in rows if r["status"] == "new"]
