"""Each source's codes mapped to govwall's vocabulary, from a versioned JSON file the
center edits (data_access/intake/codes.json by default, GOVWALL_INTAKE_CODES to use its
own). govwall's own codes always map to themselves. An unknown code is not refused: the
case is taken with 未分类 / the default and the code is recorded for the data-quality
figures."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from data_access import vocabulary as v

KINDS = ("category", "channel", "stage", "urgency", "satisfaction")
UNCLASSIFIED = (v.UNCLASSIFIED, v.UNCLASSIFIED)


class CodeFileError(ValueError):
    """The mapping file names something govwall does not know."""


def _own_codes() -> dict[str, dict[str, object]]:
    category: dict[str, object] = {}
    for major, subs in v.SUBCLASSES.items():
        for sub in subs:
            category[f"{major}/{sub}"] = (major, sub)
            category.setdefault(sub, (major, sub))
    return {
        "category": category,
        "channel": {s: s for s in v.SOURCES},
        "stage": {s: s for s in v.ALL_STAGES},
        "urgency": {p: p for p in v.PRIORITIES},
        "satisfaction": {s: s for s in v.SATISFACTION},
    }


@dataclass(frozen=True)
class Mapped:
    value: object
    unknown: str | None = None  # "category=XYZ" when the code was not in the table


@dataclass
class CodeMap:
    tables: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)
    default_channel: dict[str, str] = field(default_factory=dict)
    version: int = 0

    def _table(self, source: str, kind: str) -> list[Mapping[str, object]]:
        return [self.tables.get(source, {}).get(kind, {}), self.tables["*"].get(kind, {})]

    def lookup(self, source: str, kind: str, code: str | None) -> Mapped:
        """The govwall value of a source's code; a missing code is the default quietly, an
        unknown one the default with the code noted."""
        default = self._default(source, kind)
        if code is None:
            return Mapped(default)
        for table in self._table(source, kind):
            if code in table:
                return Mapped(table[code])
        return Mapped(default, f"{kind}={code}")

    def _default(self, source: str, kind: str) -> object:
        if kind == "category":
            return UNCLASSIFIED
        if kind == "channel":
            return self.default_channel.get(source) or self.default_channel["*"]
        return {"stage": "reported", "urgency": "normal", "satisfaction": None}[kind]


def _checked(kind: str, code: str, value: object) -> object:
    if kind == "category":
        major, _, sub = str(value).partition("/")
        if sub not in v.SUBCLASSES.get(major, ()):
            raise CodeFileError(f"category {code!r}: {value!r} is not a govwall major/subclass")
        return (major, sub)
    allowed = {"channel": v.SOURCES, "stage": v.ALL_STAGES, "urgency": v.PRIORITIES,
               "satisfaction": v.SATISFACTION}[kind]
    if value not in allowed:
        raise CodeFileError(f"{kind} {code!r}: {value!r} is not one of {', '.join(allowed)}")
    return value


def parse(data: Mapping) -> CodeMap:
    own = _own_codes()
    tables: dict[str, dict[str, dict[str, object]]] = {}
    defaults: dict[str, str] = {}
    for source, section in data.items():
        if source in ("version", "comment"):
            continue
        tables[source] = {}
        for kind in KINDS:
            entries = {str(c): _checked(kind, str(c), val)
                       for c, val in section.get(kind, {}).items()}
            if source == "*":
                entries = {**own[kind], **entries}
            tables[source][kind] = entries
        if "default_channel" in section:
            defaults[source] = str(_checked("channel", "default_channel",
                                            section["default_channel"]))
    if "*" not in tables:
        tables["*"] = dict(own)
    defaults.setdefault("*", "department")
    return CodeMap(tables, defaults, int(data.get("version", 0)))


def load(path: str | Path | None = None) -> CodeMap:
    if path:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("data_access.intake").joinpath("codes.json").read_text("utf-8")
    return parse(json.loads(text))
