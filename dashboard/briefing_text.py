"""`govwall briefing --format text|json`: a period's figures for a terminal or a program."""
from __future__ import annotations

import json
import unicodedata

from data_access.reports.figures import PeriodFigures
from layouts.briefing_format import arrow, change_text, value_text


def figures_json(result: PeriodFigures) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=2)


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)


def figures_text(result: PeriodFigures, lang: str = "zh") -> str:
    data = result.as_dict()
    zh = lang == "zh"
    head = (f"{data['unit']} {data['period']} ({data['first']}–{data['last']})  "
            + (f"环比 {data['previous']}  同比 {data['year_before']}" if zh else
               f"vs previous {data['previous']}  vs a year before {data['year_before']}"))
    lines = [head]
    if data["unbuilt_days"]:
        lines.append(f"注意：汇总表缺 {data['unbuilt_days']} 天（govwall rollup rebuild）" if zh
                     else f"note: {data['unbuilt_days']} days not in the rollup yet "
                     "(govwall rollup rebuild)")
    for f in data["figures"]:
        name = f["name_zh"] if zh else f["name_en"]
        mom = _pad(change_text(f, f["mom"], lang), 14)
        lines.append(
            f"  {_pad(name, 20 if zh else 30)} {value_text(f, lang=lang):>12}   "
            f"{'环比' if zh else 'MoM'} {arrow(f['mom'])} {mom} "
            f"{'同比' if zh else 'YoY'} {arrow(f['yoy'])} {change_text(f, f['yoy'], lang)}")
    return "\n".join(lines)
