"""What Dash will bind for a POST to /_dash-update-component, read from the app's own
callback map, so that the guard judges the call Dash makes and not the labels a client sent.

Dash finds the callback by the body's `output` string and passes the body's inputs, then its
states, to the function by position; the ids and properties in the body are not checked.
So the guard takes the callback's outputs from the registration, reads the page path at the
position the registration gives its `pathname` input, and refuses a body whose outputs,
inputs or states do not name the registered ones in order.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

PAGES_OUTPUT = "_pages_content"
PAGES_LOCATION = "_pages_location"
# Pattern-matching wildcards as a registration stores them (["MATCH"], ["ALL"], ...).
_WILDCARDS = ("MATCH", "ALL", "ALLSMALLER")


class BadCallback(ValueError):
    """A body that names no registered callback, or not in the registered shape."""


@dataclass(frozen=True)
class Binding:
    output_ids: list[str]  # a pattern-matching id by its "type"
    pathname: str | None  # the pages callback: the path Dash will render
    problem: str | None  # why the body does not match the registration, if it does not


def _split_output(key: str) -> list[tuple[str, str]]:
    """`..a.children...b.data..` (or `a.children`) -> [("a", "children"), ("b", "data")]."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [tuple(part.rsplit(".", 1)) for part in parts]


def _id_name(raw: str) -> str:
    return str(json.loads(raw).get("type", "")) if raw.startswith("{") else raw


def _id_matches(registered: str, given: object) -> bool:
    if not registered.startswith("{"):
        return given == registered
    pattern = json.loads(registered)
    if not isinstance(given, dict) or set(given) != set(pattern):
        return False
    return all(isinstance(want, list) and want and want[0] in _WILDCARDS or given[key] == want
               for key, want in pattern.items())


def _item_matches(registered_id: str, prop: str, given: object) -> bool:
    if isinstance(given, list):  # a wildcard ALL / ALLSMALLER: every matching component
        return registered_id.startswith("{") and \
            all(_item_matches(registered_id, prop, item) for item in given)
    return isinstance(given, dict) and given.get("property") == prop and \
        _id_matches(registered_id, given.get("id"))


def _spec_id(item: Mapping) -> str:
    raw = item["id"]
    return raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True)


def _list_problem(what: str, registered: list[tuple[str, str]], given: object) -> str | None:
    if not isinstance(given, list) or len(given) != len(registered):
        return f"the callback's {what} are not the registered ones"
    for (registered_id, prop), item in zip(registered, given, strict=True):
        if not _item_matches(registered_id, prop, item):
            return f"the callback's {what} are not the registered ones, in order"
    return None


def bind(callback_map: Mapping[str, dict], body: object) -> Binding:
    """How Dash will run this body; BadCallback if it runs no server callback."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        raise BadCallback("not a Dash callback request")
    spec = callback_map.get(body["output"])
    if spec is None or "callback" not in spec:  # clientside callbacks never reach the server
        raise BadCallback("no such callback")
    outputs = _split_output(body["output"])
    inputs = [(_spec_id(i), i["property"]) for i in spec["inputs"]]
    states = [(_spec_id(s), s["property"]) for s in spec["state"]]
    given_outputs = body.get("outputs")
    problem = (_list_problem("outputs", outputs, [given_outputs] if len(outputs) == 1
                             and not body["output"].startswith("..") else given_outputs)
               or _list_problem("inputs", inputs, body.get("inputs"))
               or _list_problem("states", states, body.get("state", [])))
    ids = [_id_name(raw) for raw, _prop in outputs]
    pathname = None
    if PAGES_OUTPUT in ids:
        pathname = "/"
        position = inputs.index((PAGES_LOCATION, "pathname"))
        given = body.get("inputs")
        if isinstance(given, list) and position < len(given) and \
                isinstance(given[position], dict) and isinstance(given[position].get("value"), str):
            pathname = given[position]["value"]
    return Binding(ids, pathname, problem)
