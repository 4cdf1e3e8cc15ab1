"""/briefing: pickers -> one cached data_access collection -> the builders."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from dash import Dash, Input, Output, State, no_update

from callbacks.context import current
from data_access.reports import periods
from data_access.reports.briefing import collect, unit_choices
from data_access.wall_scope import ScopeError
from layouts import briefing as builders
from layouts.briefing_page import FORMATS
from layouts.i18n import t

CACHE_SECONDS = 120


def default_date(kind: str) -> str:
    """The last whole period before today's (the local day of the runtime's clock)."""
    rt = current().runtime
    today = rt.clock().astimezone(rt.settings.zone).date()
    if kind == "custom":
        return f"{today - timedelta(days=7)}..{today - timedelta(days=1)}"
    return periods.of(kind, today).previous().label


def briefing_data(kind: str, date: str | None, unit: str | None, lang: str = "zh"):
    """(data, built page, error) for the pickers: computed from the rollups at most every
    CACHE_SECONDS per unit, period and language, shared by every worker through the Redis
    cache (the page says as of when); or why there is none."""
    ctx = current()
    rt = ctx.runtime
    unit = unit or rt.settings.region
    try:
        period = periods.parse(kind, (date or "").strip() or default_date(kind))
    except ValueError as exc:
        return None, None, str(exc)
    key = f"briefing:{lang}:{unit}:{period.kind}:{period.label}"
    cached = ctx.cache.get(key)
    if cached is None:
        try:
            with rt.sessions() as session:
                data = collect(session, unit, period, rt.settings.zone, rt.clock(),
                               rt.settings.weights)
        except ScopeError as exc:
            return None, None, str(exc)
        cached = (data, builders.content(data, lang))
        ctx.cache.set(key, cached, timeout=CACHE_SECONDS)
    return *cached, None


def update(kind, date, unit, lang):
    data, content, error = briefing_data(kind, date, unit, lang)
    if error:
        return None, f"{t('briefing.bad_input', lang)}: {error}", [], no_update, "score"
    return data, "", content, builders.rank_by_options(data, lang), "score"


def rankings(rank_by, data, lang):
    if not data:
        return no_update
    return builders.rankings_table(data, lang, rank_by or "score")


def unit_options(lang):
    rt = current().runtime
    with rt.sessions() as session:
        return [{"label": f"{name}（{code}）", "value": code}
                for code, name in unit_choices(session, rt.settings.region)]


def downloads(data, lang):
    if not data:
        return ["#"] * len(FORMATS)
    query = {"period": data["kind"], "date": data["period"], "unit": data["unit"], "lang": lang}
    return [f"/briefing/download.{f}?{urlencode(query)}" for f in FORMATS]


def register(app: Dash) -> None:
    app.callback(Output("briefing-data", "data"), Output("briefing-error", "children"),
                 Output("briefing-content", "children"), Output("briefing-rank-by", "options"),
                 Output("briefing-rank-by", "value"), Input("briefing-period", "value"),
                 Input("briefing-date", "value"), Input("briefing-unit", "value"),
                 State("briefing-lang", "data"))(update)
    app.callback(Output("briefing-rankings", "children"), Input("briefing-rank-by", "value"),
                 State("briefing-data", "data"), State("briefing-lang", "data"),
                 prevent_initial_call=True)(rankings)
    app.callback(Output("briefing-unit", "options"), Input("briefing-lang", "data"))(unit_options)
    app.callback(*(Output(f"briefing-{f}", "href") for f in FORMATS),
                 Input("briefing-data", "data"), State("briefing-lang", "data"))(downloads)
    app.clientside_callback("function(n) { if (n) { window.print(); } return ''; }",
                            Output("briefing-print", "title"), Input("briefing-print",
                                                                       "n_clicks"),
                            prevent_initial_call=True)
