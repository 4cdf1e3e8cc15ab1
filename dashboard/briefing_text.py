"""`govwall briefing --format text|json`: a period's figures for a terminal or a program."""
from __future__ import annotations

import json

from data_access.reports.figures import PeriodFigures
from layouts.briefing_format import arrow, change_text, value_text


def figures_json(result: PeriodFigures) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=2)


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
        lines.append(
            f"  {name:<{10 if zh else 30}} {value_text(f, lang=lang):>12}   "
            f"{'环比' if zh else 'MoM'} {arrow(f['mom'])} {change_text(f, f['mom'], lang):>12}   "
            f"{'同比' if zh else 'YoY'} {arrow(f['yoy'])} {change_text(f, f['yoy'], lang):>12}")
    return "\n".join(lines)
