"""The pages and their paths. Each page module exposes `layout(**query)`."""
from __future__ import annotations

from collections.abc import Callable

from layouts import home_page, ops_page, ops_warnings
from layouts.wall import page as wall_page


def register(register_page: Callable) -> None:
    register_page("home", path="/", layout=home_page.layout, title="govwall")
    register_page("wall", path="/wall", layout=wall_page.layout, title="govwall")
    register_page("ops", path="/ops", layout=ops_page.layout, title="值班处置台 · govwall")
    register_page("ops-warnings", path="/ops/warnings", layout=ops_warnings.layout,
                  title="预警处置 · govwall")
