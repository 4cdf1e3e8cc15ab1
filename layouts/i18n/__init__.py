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
