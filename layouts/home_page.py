"""The landing page: where to go."""
from __future__ import annotations

from dash import html

from layouts.i18n import normalize_lang


def layout(lang: str | None = None, **_query) -> html.Div:
    lang = normalize_lang(lang)
    zh = lang == "zh"
    return html.Div(className="home", children=[
        html.H1("社会治理现代化指挥中心" if zh else "Social-governance command center"),
        html.Ul([
            html.Li(html.A("大屏 /wall" if zh else "The wall /wall", href="/wall")),
            html.Li(html.A("值班 /ops" if zh else "Duty officers /ops", href="/ops")),
            html.Li(html.A("领导简报 /briefing" if zh else "Leaders' briefing /briefing",
                           href="/briefing")),
        ]),
    ])
