"""Interface text in zh-CN (default) and English.

`t(key, lang)` looks a key up in the merged tables of this package's modules; a missing key
falls back to Chinese, then to the key itself, so a screen never shows a blank.
"""
from __future__ import annotations

from functools import cache

from layouts.i18n import briefing, domain, ops, wall

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
_TABLES = (domain.TEXT, ops.TEXT, wall.TEXT, briefing.TEXT)


def normalize_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


@cache
def _merged() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for table in _TABLES:
        for key, texts in table.items():
            merged[key] = texts
    return merged


def t(key: str, lang: str = DEFAULT_LANG) -> str:
    texts = _merged().get(key)
    if texts is None:
        return key
    return texts.get(lang) or texts.get(DEFAULT_LANG) or key


def label(kind: str, code: str | None, lang: str = DEFAULT_LANG) -> str:
    """The label of a vocabulary code, e.g. label('stage', 'closed', 'zh') -> '结案'."""
    if code is None:
        return "—"
    return t(f"{kind}.{code}", lang) if f"{kind}.{code}" in _merged() else code


def codes(kind: str) -> list[str]:
    """The codes of a vocabulary kind in table order (the labels cover every code; the
    architecture test checks it), so that builders need not import data_access."""
    prefix = f"{kind}."
    return [key.removeprefix(prefix) for key in _merged() if key.startswith(prefix)]


MAX_QUOTED = 40  # a refused value is quoted back, cut so that a pasted essay stays readable


def filter_problem(reason: str, params: dict, lang: str = DEFAULT_LANG) -> str:
    """A refused filter parameter, said in the reader's language and naming the parameter
    as the URL spells it (data_access's FilterError carries `reason` and `params`)."""
    values = {k: (str(v)[:MAX_QUOTED] if isinstance(v, str) else v) for k, v in params.items()}
    name = str(values.get("name") or _FILTER_FIELD.get(reason, ""))
    label_key = f"ops.{name}"
    if lang == "zh" and label_key in _merged() and name:
        values["field"] = f"{t(label_key, lang)}（{name}）"
    else:
        values["field"] = name
    return t(f"filter.{reason}", lang).format(**values)


# The parameter a reason is about, where the error does not name it itself.
_FILTER_FIELD = {"bad_unit": "unit", "bad_on": "on", "bad_period": "period",
                 "bad_sort": "sort", "nul": "q"}
