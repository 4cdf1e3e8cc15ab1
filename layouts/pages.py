"""The pages and their paths. Each page module exposes `layout(**query)`."""
from __future__ import annotations

from collections.abc import Callable

from layouts import briefing_page, home_page, intake_page, ops_page, ops_warnings
from layouts.wall import page as wall_page


def register(register_page: Callable) -> None:
    register_page("home", path="/", layout=home_page.layout, title="govwall")
    register_page("wall", path="/wall", layout=wall_page.layout, title="govwall")
    register_page("ops", path="/ops", layout=ops_page.layout, title="值班处置台 · govwall")
    register_page("intake", path="/intake", layout=intake_page.layout,
                  title="数据接入质量 · govwall")
    register_page("briefing", path="/briefing", layout=briefing_page.layout,
                  title="领导研判简报 · govwall")
    register_page("ops-warnings", path="/ops/warnings", layout=ops_warnings.layout,
                  title="预警处置 · govwall")
