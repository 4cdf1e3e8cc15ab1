"""/ops filter bar: the chained territory dropdowns and the filter they all make up."""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.context import current
from callbacks.identity import current_identity
from data_access import case_query
from data_access.case_filters import CaseFilter, FilterError
from layouts.i18n import filter_problem, t

CHILD_LEVEL = {"county": "township", "township": "village", "village": "grid"}


def _options(parent: str | None, level: str) -> list[dict]:
    with current().runtime.sessions() as session:
        return [{"label": name, "value": code}
                for code, name in case_query.units_under(session, parent, level)]


def county_options(_lang: str) -> list[dict]:
    # A wall view of a city (or the province) links here with its code: it must stay chosen.
    return [o for level in ("province", "city", "county") for o in _options(None, level)]


def child_options(parent: str | None, value: str | None, level: str) -> tuple[list, str | None]:
    """Options under the chosen parent; the child's value is kept only if it lies under it."""
    if not parent:
        return [], None
    keep = value if value and value.startswith(parent) else None
    return _options(parent, level), keep


def build_filter(county, township, village, grid, major, dispute, source, stage, deadline,
                 priority, satisfaction, on, period, date_from, date_to, flags, q, lang,
                 raw_query):
    """The filter bar as a URL query (validated), or the reason it is not one.

    A URL whose filter is bad keeps its message (and no filter: the counts say 0, never the
    whole database) until the officer sets a filter of their own: the dropdowns filling in
    after the page loads are not that."""
    url_problem = bad_query(raw_query, lang)
    args = {"unit": grid or village or township or county, "on": on, "period": period,
            "from": (date_from or "")[:10], "to": (date_to or "")[:10], "q": q,
            # The link's order has no widget: it stays in the URL as it came.
            "sort": (raw_query or {}).get("sort"),
            **{name: ",".join(v or []) for name, v in (
                ("major", major), ("dispute", dispute), ("source", source), ("stage", stage),
                ("deadline", deadline), ("priority", priority),
                ("satisfaction", satisfaction))},
            **{flag: "1" for flag in flags or []}}
    if url_problem and not any(args.values()):
        return no_update, f"{t('ops.bad_filter', lang)}: {url_problem}", True
    try:
        query = CaseFilter.from_query(args).to_query()
    except FilterError as exc:
        return no_update, f"{t('ops.bad_filter', lang)}: {said(exc, lang)}", True
    if lang != "zh":
        query["lang"] = lang
    return query, "", False


def bad_query(raw_query: dict | None, lang: str = "zh") -> str | None:
    """Why the page's URL query is not a filter, in the reader's language, or None."""
    try:
        CaseFilter.from_query(raw_query or {})
    except FilterError as exc:
        return said(exc, lang)
    return None


def said(exc: FilterError, lang: str) -> str:
    return filter_problem(exc.reason, exc.params, lang)


def who(lang: str) -> str:
    person = current_identity()
    return f"{person.display_name} · {t('role.' + person.role, lang)}" if person else ""


def register(app: Dash) -> None:
    app.callback(Output("ops-county", "options"), Input("ops-lang", "data"))(county_options)
    app.callback(Output("ops-who", "children"), Input("ops-lang", "data"))(who)
    for parent, child in CHILD_LEVEL.items():
        app.callback(
            Output(f"ops-{child}", "options"), Output(f"ops-{child}", "value"),
            Input(f"ops-{parent}", "value"), State(f"ops-{child}", "value"),
        )(lambda p, v, level=child: child_options(p, v, level))
    app.callback(
        Output("ops-filter", "data"), Output("ops-filter-error", "children"),
        Output("ops-filter-error", "is_open"),
        *(Input(f"ops-{n}", "value") for n in ("county", "township", "village", "grid",
                                                "major", "dispute", "source", "stage",
                                                "deadline", "priority", "satisfaction",
                                                "on", "period")),
        Input("ops-dates", "start_date"), Input("ops-dates", "end_date"),
        Input("ops-flags", "value"), Input("ops-q", "value"),
        State("ops-lang", "data"), State("ops-query", "data"),
    )(build_filter)
