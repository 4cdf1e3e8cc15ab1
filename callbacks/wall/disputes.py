"""Disputes: trend, resolution levels (721), outcomes, today vs last week."""
from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from callbacks.context import current
from callbacks.wall.common import FAILURES, fresh, load, now, stale, view
from data_access import disputes
from layouts.wall import ids
from layouts.wall.disputes import outcome_chips, today_text
from layouts.wall.figures import dispute_trend, share_bar

BUCKET_SECONDS = 60


def refresh_disputes(_n, unit: str | None, config: dict, state: dict | None):
    lang, scale = config["lang"], config["unit_px"]
    try:
        scope = view(unit)
        got = load("disputes", scope, BUCKET_SECONDS,
                   lambda s: disputes.dispute_summary(s, scope, now(),
                                                      current().runtime.settings.zone))
    except FAILURES:
        return no_update, no_update, no_update, no_update, *stale("disputes", state, lang)
    summary = got.value
    return (dispute_trend(summary.daily, lang, scale),
            share_bar(summary.resolved_levels, "level", "resolved", lang, scale),
            outcome_chips(summary.outcomes, lang),
            today_text(summary.today, summary.same_weekday_last_week, lang),
            *fresh("disputes", got, lang))


def register(app: Dash) -> None:
    app.callback(
        Output(ids.DISPUTES_TREND, "figure"), Output(ids.DISPUTES_LEVELS, "figure"),
        Output(ids.DISPUTES_OUTCOMES, "children"), Output(ids.DISPUTES_TODAY, "children"),
        Output(ids.status("disputes"), "children"), Output(ids.tile("disputes"), "className"),
        Output(ids.state("disputes"), "data"),
        Input(ids.tick("disputes"), "n_intervals"), Input(ids.UNIT, "data"),
        State(ids.CONFIG, "data"), State(ids.state("disputes"), "data"),
    )(refresh_disputes)
