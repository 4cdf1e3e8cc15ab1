"""Builders of the leaders' briefing: indicator cards, 红黑榜, hot issues, trends. Pure:
plain dicts in (data_access/reports/briefing.collect), Dash components and figures out. Case
text never reaches here; unit and category names are rendered as text, never as HTML."""
from __future__ import annotations

from urllib.parse import urlencode

from dash import dcc, html

from layouts.briefing_format import arrow, change_text, tone, value_text
from layouts.i18n import label, t

TREND_COLOR = "#b5121b"
TREND_WIDTH = 1000  # px: fixed, so that print can scale it to A4's text width
LAST_YEAR_COLOR = "rgba(90, 90, 90, 0.35)"
# The rankings' columns besides name, score and rank.
RANK_COLUMNS = ("on_time_rate", "satisfaction", "ack_in_time_rate",
                "resolved_at_or_below_township", "rework_rate", "overdue_in_period")


def _name(f: dict, lang: str) -> str:
    return f["name_zh"] if lang == "zh" else f["name_en"]


def _change(f: dict, which: str, lang: str) -> html.Span:
    change = f[which]
    return html.Span([html.Span(t(f"briefing.{which}", lang), className="bf-change-label"),
                      f" {arrow(change)} {change_text(f, change, lang)}"],
                     className=f"bf-change bf-{tone(f, change)}")


def cards(data: dict, lang: str) -> html.Div:
    out = []
    for f in data["figures"]:
        out.append(html.Div(className="bf-card", children=[
            html.Div(_name(f, lang), className="bf-card-name"),
            html.Div(value_text(f, lang=lang), className="bf-card-value"),
            _change(f, "mom", lang), _change(f, "yoy", lang),
            html.Details([html.Summary(t("briefing.formula", lang)),
                          html.Div(f["formula_zh"] if lang == "zh" else f["formula_en"])],
                         className="bf-formula"),
        ]))
    return html.Div(out, className="bf-cards")


def _figure_meta(data: dict) -> dict[str, dict]:
    return {f["key"]: f for f in data["figures"]}


def _rank_change(change: int | None) -> str:
    if change is None:
        return "—"
    return "→ 0" if change == 0 else (f"↑ {change}" if change > 0 else f"↓ {-change}")


def rank_by_options(data: dict, lang: str) -> list[dict]:
    return [{"label": t("briefing.score", lang), "value": "score"}] + [
        {"label": _name(f, lang), "value": f["key"]} for f in data["figures"]]


def drill_href(data: dict, code: str, lang: str) -> str:
    """The briefing of unit `code` over the same period (a ranking row's drill-down)."""
    query = {"period": data["kind"], "date": data["period"], "unit": code,
             **({"lang": lang} if lang == "en" else {})}
    return f"/briefing?{urlencode(query)}"


def rankings_table(data: dict, lang: str, by: str = "score") -> html.Div:
    rows = data["rankings"]
    if not rows:
        return html.P(t("briefing.no_children", lang), className="bf-note")
    meta = _figure_meta(data)
    rank_key = "rank" if by == "score" else f"rank_{by}"
    ordered = sorted(rows, key=lambda r: (r[rank_key], r["code"]))
    value_key = "score" if by == "score" else by
    # The lists name units with data only: a unit without a value is not on either list.
    scored = [r["code"] for r in ordered if r[value_key] is not None]
    n = min(data["top"], len(scored) // 2 or 1)
    red, black = set(scored[:n]), set(scored[len(scored) - n:]) - set(scored[:n])
    shown = RANK_COLUMNS if by in ("score", *RANK_COLUMNS) else (by, *RANK_COLUMNS)
    head = [t("briefing.rank", lang), t("briefing.name", lang), t("briefing.score", lang),
            *(_name(meta[k], lang) for k in shown), t("briefing.rank_change", lang)]
    body = []
    for r in ordered:
        listed = "bf-red" if r["code"] in red else ("bf-black" if r["code"] in black else "")
        body.append(html.Tr(className=listed, children=[
            html.Td(r[rank_key]),
            html.Td(html.A(r["name"], href=drill_href(data, r["code"], lang),
                           className="bf-drill") if data["level"] != "township"
                    else r["name"]),  # a grid has no briefing of its own
            html.Td("—" if r["score"] is None else f"{r['score']:.2f}"),
            *(html.Td(value_text(meta[k], r[k], lang),
                      className="bf-by" if k == by else "") for k in shown),
            html.Td(_rank_change(r["rank_change"])),
        ]))
    weights = "，".join(f"{_name(meta[k], lang)} {w:g}" for k, w in data["weights"].items())
    return html.Div([
        html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                   className="bf-table bf-rankings"),
        html.P(f"{t('briefing.weights', lang)}：{weights}" if lang == "zh"
               else f"{t('briefing.weights', lang)}: {weights}", className="bf-note"),
    ])


def _simple_table(head: list[str], rows: list[list]) -> html.Table:
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                       html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])],
                      className="bf-table")


def _pct_change(change: float | None) -> str:
    return "—" if change is None else f"{arrow(change)} {change * 100:+.1f}%"


def hot_issues(data: dict, lang: str) -> html.Div:
    sub = _simple_table(
        [t("ops.major", lang), t("briefing.subclasses", lang), t("briefing.cases", lang),
         t("briefing.previous", lang), t("briefing.change", lang)],
        [[label("major", r["major_class"], lang), label("subclass", r["subclass"], lang),
          f"{r['cases']:,}", f"{r['previous']:,}", _pct_change(r["change"])]
         for r in data["subclasses"]])
    classes = _simple_table(
        [t("briefing.classes", lang), t("briefing.cases", lang), t("briefing.change", lang)],
        [[label("major", r["major_class"], lang), f"{r['cases']:,}", _pct_change(r["change"])]
         for r in data["classes"]])
    places = _simple_table(
        [t("briefing.place", lang), t("briefing.subclasses", lang), t("briefing.repeats", lang),
         t("briefing.reports", lang)],
        [[r["name"], label("subclass", r["subclass"], lang), f"{r['repeats']:,}",
          f"{r['reports']:,}"] for r in data["repeat_places"]])
    kinds = {"dispute_type": "dispute", "resolved_level": "resolved",
             "mediation_outcome": "outcome"}

    def dispute_label(key: str, code: str) -> str:
        return t("briefing.resolved_open", lang) if code == "open" else \
            label(kinds[key], code, lang)

    disputes = [html.Div([html.H4(t(f"briefing.{key}", lang)), _simple_table(
        [t(f"briefing.{key}", lang), t("briefing.cases", lang)],
        [[dispute_label(key, r[key]), f"{r['cases']:,}"] for r in rows] or
        [[t("briefing.none", lang), "0"]])], className="bf-col")
        for key, rows in data["disputes"].items()]
    return html.Div([
        html.Div([html.Div([html.H4(t("briefing.subclasses", lang)), sub], className="bf-col"),
                  html.Div([html.H4(t("briefing.classes", lang)), classes],
                           className="bf-col")], className="bf-row"),
        html.H4(t("briefing.repeat_places", lang)), places,
        html.H3(t("briefing.disputes", lang)), html.Div(disputes, className="bf-row"),
    ])


def _panel_domains(count: int, columns: int, h_gap: float = 0.05,
                   v_gap: float = 0.09) -> list[tuple[list[float], list[float]]]:
    """(x domain, y domain) of `count` panels in rows of `columns`, top row first."""
    rows = -(-count // columns)
    width = (1 - (columns - 1) * h_gap) / columns
    height = (1 - (rows - 1) * v_gap) / rows
    out = []
    for i in range(count):
        row, col = divmod(i, columns)
        x0, y1 = col * (width + h_gap), 1 - row * (height + v_gap)
        out.append(([x0, x0 + width], [y1 - height, y1]))
    return out


def trends_figure(data: dict, lang: str, columns: int = 4) -> dict:
    """One small panel per indicator: the last 12 periods, and a year before, faint. A
    plain figure dict laid out by hand: plotly's make_subplots and the validation of a
    go.Figure took most of a fresh briefing's second; the page and the report (kaleido)
    both take a dict."""
    meta = data["figures"]
    rows = -(-len(meta) // columns)
    periods = [r["period"] for r in data["trends"]]
    traces, layout = [], {
        "width": TREND_WIDTH, "height": 190 * rows, "autosize": False, "showlegend": False,
        "margin": {"l": 30, "r": 10, "t": 30, "b": 10}, "paper_bgcolor": "white",
        "plot_bgcolor": "#fafafa", "font": {"family": "Noto Sans CJK SC, sans-serif", "size": 10},
        "annotations": []}
    for i, (f, (x_domain, y_domain)) in enumerate(zip(meta, _panel_domains(len(meta), columns),
                                                      strict=True)):
        n = "" if i == 0 else str(i + 1)
        scale = 100 if f["rate"] else 1
        now = [None if r[f["key"]] is None else r[f["key"]] * scale for r in data["trends"]]
        before = [None if r[f["key"] + "_ly"] is None else r[f["key"] + "_ly"] * scale
                  for r in data["trends"]]
        traces += [
            {"type": "scatter", "x": periods, "y": before, "mode": "lines", "xaxis": f"x{n}",
             "yaxis": f"y{n}", "hoverinfo": "skip",
             "line": {"color": LAST_YEAR_COLOR, "dash": "dot", "width": 1.5}},
            {"type": "scatter", "x": periods, "y": now, "mode": "lines+markers",
             "xaxis": f"x{n}", "yaxis": f"y{n}", "name": _name(f, lang),
             "line": {"color": TREND_COLOR, "width": 2}, "marker": {"size": 4}}]
        layout[f"xaxis{n}"] = {"domain": x_domain, "anchor": f"y{n}", "showticklabels": False}
        layout[f"yaxis{n}"] = {"domain": y_domain, "anchor": f"x{n}"}
        layout["annotations"].append({
            "text": _name(f, lang), "x": sum(x_domain) / 2, "y": y_domain[1], "xref": "paper",
            "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 12}})
    return {"data": traces, "layout": layout}


def content(data: dict, lang: str) -> list:
    head = f"{data['unit_name']} · {data['period']}（{data['first']} — {data['last']}）"
    note = [html.P(t("briefing.unbuilt", lang).format(n=data["unbuilt_days"]),
                   className="bf-warning")] if data["unbuilt_days"] else []
    return [
        html.H2(head, className="bf-heading"),
        html.P(f"{t('briefing.mom', lang)} {data['previous']} · {t('briefing.yoy', lang)} "
               f"{data['year_before']} · {t('briefing.as_of', lang)} {data['as_of'][:16]}",
               className="bf-note"),
        *note,
        html.H3(t("briefing.indicators", lang)), cards(data, lang),
        html.Section([html.H3(t("briefing.rankings", lang)),
                      html.Div(rankings_table(data, lang), id="briefing-rankings")],
                     className="bf-section"),
        html.Section([html.H3(t("briefing.hot", lang)), hot_issues(data, lang)],
                     className="bf-section"),
        html.Section([html.H3(t("briefing.trends", lang)),
                      # A plain dict: the built page is cached, and a go.Figure
                      # validates every property again when it is unpickled.
                      dcc.Graph(figure=trends_figure(data, lang),
                                config={"displayModeBar": False, "staticPlot": False},
                                className="bf-trends")], className="bf-section"),
    ]
