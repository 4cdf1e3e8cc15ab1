"""The overdue column of /ops: its text, and the order a wall link asks for (sort=overdue),
through the app as the grid asks for rows."""
from __future__ import annotations

from layouts import ops_page, ops_table
from tests.support.tiny_territory import COUNTY

ORIGIN = {"Origin": "http://localhost"}


def grid_answer(app, client, request: dict, ops_filter: dict, lang: str = "zh") -> dict:
    key, spec = next((k, s) for k, s in app.callback_map.items() if "getRowsResponse" in k)
    values = {"ops-cases.getRowsRequest": request, "ops-filter.data": ops_filter,
              "ops-lang.data": lang}
    payload = {
        "output": key, "outputs": {"id": key.split(".")[0], "property": key.split(".")[1]},
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")}
                   for i in spec["inputs"]],
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")}
                  for s in spec["state"]],
        "changedPropIds": ["ops-cases.getRowsRequest"]}
    response = client.post("/_dash-update-component", json=payload, headers=ORIGIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]["ops-cases"]["getRowsResponse"]


def shown(answer: dict) -> list[tuple[str, str]]:
    return [(r["external_id"].removeprefix("OPS-"), r["overdue_for"])
            for r in answer["rowData"]]


def test_a_link_sorted_by_overdue_lists_the_longest_overdue_first(admin):
    app, client = admin
    wanted = {"unit": COUNTY, "deadline": "overdue,long_overdue", "sort": "overdue"}
    # the grid sends no sort model: the link's order
    assert shown(grid_answer(app, client, {"startRow": 0, "endRow": 100}, wanted)) == \
        [("D", "超 2天1时"), ("C", "超 1时00分")]
    # the grid sends the column's sort (its initial state): the same
    request = {"startRow": 0, "endRow": 100,
               "sortModel": [{"colId": "overdue_for", "sort": "desc"}]}
    answer = grid_answer(app, client, request, {"unit": COUNTY}, "en")
    assert shown(answer)[:3] == [("D", "2 d 1 h over"), ("C", "1 h 00 min over"), ("B", "")]
    # the officer re-sorts: his order wins over the link's
    request["sortModel"] = [{"colId": "reported_at", "sort": "asc"}]
    assert [k for k, _ in shown(grid_answer(app, client, request, wanted))] == ["C", "D"]


def _grid(component):
    if getattr(component, "id", None) == ops_table.GRID_ID:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        # A component without children is falsy (len 0): compare with None.
        found = None if child is None or isinstance(child, str) else _grid(child)
        if found is not None:
            return found
    return None


def test_the_page_opens_with_the_links_sort():
    def sorted_columns(**query):
        defs = _grid(ops_page.layout("zh", **query)).columnDefs
        return {d["field"]: d["sort"] for d in defs if "sort" in d}
    assert sorted_columns(deadline="overdue", sort="overdue") == {"overdue_for": "desc"}
    assert sorted_columns(deadline="overdue") == {}  # the grid's default: newest report first
    assert ops_table.overdue_text(None, "zh") == ""
    assert ops_table.overdue_text((0, 0, 5), "en") == "0 h 05 min over"
    assert ops_table.overdue_text((13, 2, 40), "zh") == "超 13天2时"
