"""/intake: today's per-source data quality (admins)."""
from __future__ import annotations

from dataclasses import asdict

from dash import Dash, Input, Output, State, html

from callbacks.context import current
from data_access.intake.quality import day_quality
from layouts import intake_page


def quality_body(_tick: int | None, lang: str | None) -> html.Div:
    rt = current().runtime
    day = rt.clock().astimezone(rt.settings.zone).date()
    with rt.sessions() as session:
        rows = day_quality(session, day, rt.settings.zone)
    return intake_page.quality_table([asdict(r) for r in rows], day.isoformat(), lang or "zh")


def register(app: Dash) -> None:
    app.callback(Output(intake_page.BODY, "children"), Input(intake_page.TICK, "n_intervals"),
                 State(intake_page.LANG, "data"))(quality_body)
