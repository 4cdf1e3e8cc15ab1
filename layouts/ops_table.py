"""The case table (AG Grid, infinite row model: rows are fetched page by page from the
server, sorted there) and the counts above it."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dash_ag_grid as dag
from dash import html

from layouts.i18n import label, t
from layouts.i18n.widgets import grid_locale

# Not "ops-grid": that is the grid (网格) filter's id.
GRID_ID = "ops-cases"
# What an officer scans a row by comes first, so that these columns stay in view when the
# case detail takes the right of a narrow screen (the rest scroll in from the right).
KEY_COLUMNS = ("reported_at", "title", "place", "deadline_state", "deadline_at")
# How long overdue comes next: at 1366 px with the detail open it no longer fits beside them.
COLUMNS = (*KEY_COLUMNS, "overdue_for", "stage", "external_id", "category", "source", "priority",
           "responsible_unit", "supervision_level", "acknowledged_by")
SORTABLE = {"external_id", "title", "stage", "reported_at", "deadline_at", "major_class",
            "source", "priority", "supervision_level", "overdue_for"}
# The grid's first order for a link's named sort (CaseFilter.sort), as (colId, direction);
# data_access.case_query.NAMED_SORTS is the same order for a request that names none.
INITIAL_SORT = {"overdue": ("overdue_for", "desc")}
# Vocabulary columns: the cell shows the label, the row carries the code.
CODED = {"deadline_state": "deadline", "stage": "stage", "source": "source",
         "priority": "priority"}
# Shown columns that sort by another field (the grid sends the colId).
SORT_AS = {"category": "major_class"}
# Pixel widths at 14 px Noto Sans CJK; the title and the place share what is left.
WIDTHS = {"external_id": 150, "deadline_state": 108, "overdue_for": 120, "stage": 100,
          "category": 170, "source": 112, "priority": 92, "reported_at": 158, "deadline_at": 158,
          "responsible_unit": 130, "supervision_level": 96, "acknowledged_by": 96}
FLEX = {"title": (3, 170), "place": (2, 150)}
# Long text gets the browser's own tooltip (the title attribute: plain text, never HTML).
TOOLTIPS = {"external_id", "title", "place", "category", "responsible_unit"}
PLACE_PARTS = ("county_name", "township_name", "grid_name")
STATE_COLOURS = {"normal": "success", "approaching": "warning", "overdue": "danger",
                 "long_overdue": "dark", "open": "primary", "closed": "secondary",
                 "total": "light"}
BLOCK_SIZE = 100


def column_defs(lang: str, sort: str | None = None) -> list[dict]:
    first = INITIAL_SORT.get(sort or "")
    defs = []
    for col in COLUMNS:
        d: dict = {"field": col, "headerName": t(f"col.{col}", lang),
                   "headerTooltip": t(f"col.{col}", lang),
                   "sortable": SORT_AS.get(col, col) in SORTABLE}
        if col in SORT_AS:
            d["colId"] = SORT_AS[col]
        if col in FLEX:
            d["flex"], d["minWidth"] = FLEX[col]
        else:
            d["width"] = WIDTHS[col]
        if col in TOOLTIPS:
            d["tooltipField"] = col
        if first and d.get("colId", col) == first[0]:
            d["sort"] = first[1]
        if col == "deadline_state":
            d["cellClassRules"] = {f"ops-state-{s}": f"params.data && params.data.{col}_code"
                                   f" == '{s}'" for s in ("approaching", "overdue",
                                                           "long_overdue")}
        defs.append(d)
    return defs


def grid(lang: str, sort: str | None = None) -> dag.AgGrid:
    return dag.AgGrid(
        id=GRID_ID,
        rowModelType="infinite",
        columnDefs=column_defs(lang, sort),
        defaultColDef={"resizable": True, "filter": False, "minWidth": 70},
        getRowId="params.data.id",
        dashGridOptions={"cacheBlockSize": BLOCK_SIZE, "maxBlocksInCache": 20,
                         "infiniteInitialRowCount": 1, "rowSelection": {"mode": "singleRow",
                                                                        "checkboxes": False},
                         "animateRows": False, "suppressCellFocus": True,
                         "enableBrowserTooltips": True, "rowHeight": 34,
                         "headerHeight": 36, "localeText": grid_locale(lang)},
        className="ag-theme-alpine",
        style={"height": "100%", "width": "100%"},
    )


def local_text(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""


def duration_text(value: timedelta | None, lang: str) -> str:
    if value is None:
        return ""
    minutes = int(abs(value).total_seconds() // 60)
    text = f"{minutes // 60}{t('detail.hours', lang)}{minutes % 60:02d}′"
    return f"-{text}" if value < timedelta(0) else text


def overdue_text(overdue: tuple[int, int, int] | None, lang: str) -> str:
    """(working days, hours, minutes) past the deadline as the table shows it; minutes only
    under a day, where they still tell cases apart."""
    if overdue is None:
        return ""
    days, hours, minutes = overdue
    if days:
        return t("overdue.days", lang).format(d=days, h=hours)
    return t("overdue.hours", lang).format(h=hours, m=minutes)


def grid_rows(rows: list[dict], lang: str, zone: ZoneInfo) -> list[dict]:
    """Rows as the grid shows them: labels for codes, local times, plain text only."""
    out = []
    for r in rows:
        row = {c: r.get(c) for c in COLUMNS}
        row["id"] = str(r["id"])
        for col, kind in CODED.items():
            row[f"{col}_code"] = r.get(col)
            row[col] = label(kind, r.get(col), lang)
        row["place"] = "·".join(r.get(p) or "" for p in PLACE_PARTS)
        row["category"] = f"{label('major', r.get('major_class'), lang)}·" \
                          f"{label('subclass', r.get('subclass'), lang)}"
        if r.get("deadline_state") == "closed":
            row["deadline_state"] = t("ops.count.closed", lang)
        row["reported_at"] = local_text(r["reported_at"], zone)
        row["deadline_at"] = local_text(r.get("extended_until") or r.get("deadline_at"), zone)
        row["overdue_for"] = overdue_text(r.get("overdue_for"), lang)
        row["supervision_level"] = label("supervision", str(r["supervision_level"]), lang) \
            if r["supervision_level"] else ""
        out.append(row)
    return out


def counts_bar(counts: dict[str, int], lang: str) -> list:
    items = []
    for key in ("normal", "approaching", "overdue", "long_overdue", "open", "closed", "total"):
        name = label("deadline", key, lang) if key in STATE_COLOURS and \
            key not in ("open", "closed", "total") else t(f"ops.count.{key}", lang)
        text_class = "text-dark" if key in ("approaching", "total") else ""
        items.append(html.Span(
            [html.Span(name, className="me-1"),
             html.B(f"{counts.get(key, 0):,}", id=f"ops-count-{key}")],
            className=f"badge bg-{STATE_COLOURS[key]} {text_class} me-2 ops-count"))
    return items
