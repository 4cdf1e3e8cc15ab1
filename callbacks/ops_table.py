"""/ops case table: rows on demand (AG Grid infinite model), counts, URL and export links."""
from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update
from werkzeug.exceptions import BadRequest

from callbacks.context import current
from callbacks.ops_filters import bad_query
from data_access import case_query
from data_access.case_filters import CaseFilter, FilterError
from layouts import ops_table

# The grid asks in blocks of 100 rows; nothing needs more in one answer.
MAX_BLOCK = 1000


def _filter(query: dict | None) -> CaseFilter | None:
    try:
        return CaseFilter.from_query(query or {})
    except FilterError:
        return None


def rows(request: dict | None, query: dict | None, url_query: dict | None, lang: str) -> dict:
    """One block of rows for the grid; the row count once the last block is reached.

    The grid asks for its first block as soon as it exists, which can be before the filter
    bar has turned the URL into `ops-filter`: until then the URL's own query is the filter
    (never "no filter", which would list every case under the filtered counts)."""
    f = _filter(query if query is not None else url_query)
    if request is None or f is None:
        return {"rowData": [], "rowCount": 0}
    if not isinstance(request, dict) or not isinstance(request.get("sortModel") or [], list):
        raise BadRequest("ops-cases: the grid's request is not an object with a sortModel list")
    start, end = request.get("startRow", 0), request.get("endRow", 100)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end)) or \
            not 0 <= start < end <= start + MAX_BLOCK:
        raise BadRequest(f"ops-cases: startRow and endRow must be whole numbers, "
                         f"0 <= startRow < endRow <= startRow + {MAX_BLOCK}")
    sort = tuple((s["colId"], s.get("sort")) for s in request.get("sortModel") or []
                 if isinstance(s, dict) and s.get("colId") in ops_table.SORTABLE
                 and s.get("sort") in ("asc", "desc"))
    # The grid sends the link's sort itself (its column state); a request without one still
    # gets the order the link names.
    sort = sort or case_query.NAMED_SORTS.get(f.sort or "") or case_query.DEFAULT_SORT
    rt = current().runtime
    with rt.sessions() as session:
        found = case_query.page(session, f, rt.clock(), rt.settings.zone, sort, start,
                                end - start)
    response = {"rowData": ops_table.grid_rows(found, lang, rt.settings.zone)}
    if len(found) < end - start:
        response["rowCount"] = start + len(found)
    return response


def counts(query: dict | None, _version: int, view: str | None, lang: str,
           raw_query: dict | None = None) -> list:
    if view == "duty":  # the list is hidden: counted when the officer opens it
        return no_update
    if query is None:  # the filter bar has not read the URL yet: no figures rather than all
        # ... or the URL's filter is bad: it counts nothing (the filter bar says why).
        return ops_table.counts_bar({}, lang) if bad_query(raw_query) else no_update
    f = _filter(query)
    if f is None:
        return no_update
    rt = current().runtime
    with rt.sessions() as session:
        found = case_query.count_by_state(session, f, rt.clock(), rt.settings.zone)
    return ops_table.counts_bar(found, lang)


def pick_case(cell: dict | None, _close: int | None) -> str | None:
    """The clicked row's case, or none when the detail is closed."""
    if ctx.triggered_id == "ops-detail-close":
        return None
    return (cell or {}).get("rowId") or no_update


def register(app: Dash) -> None:
    grid = ops_table.GRID_ID
    app.callback(Output(grid, "getRowsResponse"), Input(grid, "getRowsRequest"),
                 State("ops-filter", "data"), State("ops-query", "data"),
                 State("ops-lang", "data"))(rows)
    app.callback(Output("ops-counts", "children"), Input("ops-filter", "data"),
                 Input("ops-action-version", "data"), Input("ops-view", "data"),
                 State("ops-lang", "data"), State("ops-query", "data"))(counts)
    app.callback(Output("ops-case-id", "data"), Input(grid, "cellClicked"),
                 Input("ops-detail-close", "n_clicks"), prevent_initial_call=True)(pick_case)
    app.clientside_callback(ClientsideFunction("govwall", "opsDetailOpen"),
                            Output("ops-main", "className"), Input("ops-case-id", "data"))
    app.clientside_callback(
        ClientsideFunction("govwall", "opsSync"),
        Output("ops-export-csv", "href"), Output("ops-export-xlsx", "href"),
        Input("ops-filter", "data"), Input("ops-case-id", "data"),
        Input("ops-action-version", "data"), Input("ops-view", "data"))
