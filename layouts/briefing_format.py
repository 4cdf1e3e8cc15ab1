"""How a briefing writes its numbers: values, 环比/同比 changes and arrows, in zh or en.
Pure functions over the plain figure dicts of data_access/reports (no imports of it)."""
from __future__ import annotations

UNITS = {"overdue_days": {"zh": " 天", "en": " d"}, "handling_hours": {"zh": " 小时", "en": " h"}}


_OWN = object()


def value_text(figure: dict, value: float | None | object = _OWN, lang: str = "zh") -> str:
    """`value` (default: the figure's own) written as the figure's kind of number."""
    value = figure["value"] if value is _OWN else value
    if value is None:
        return "—"
    if figure["rate"]:
        return f"{value * 100:.1f}%"
    unit = UNITS.get(figure["key"])
    if unit:
        return f"{value:,.1f}{unit[lang]}"
    return f"{value:,.0f}"


def change_text(figure: dict, change: float | None, lang: str = "zh") -> str:
    """A rate's change in percentage points, a count's in per cent."""
    if change is None:
        return "—"
    if figure["rate"]:
        return f"{change * 100:+.1f}{'个百分点' if lang == 'zh' else ' pts'}"
    return f"{change * 100:+.1f}%"


def arrow(change: float | None) -> str:
    if change is None or abs(change) < 1e-9:
        return "→"
    return "↑" if change > 0 else "↓"


def tone(figure: dict, change: float | None) -> str:
    """good | bad | neutral: whether the change is for the better (a volume is neither)."""
    if change is None or abs(change) < 1e-9 or figure["direction"] == 0:
        return "neutral"
    return "good" if (change > 0) == (figure["direction"] > 0) else "bad"
