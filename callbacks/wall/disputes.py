"""Disputes: trend, resolution levels (721), outcomes, today vs last week."""
from __future__ import annotations

from dash import Dash, Output, no_update

from callbacks.context import current
from callbacks.wall.common import FAILURES, fresh, load, now, register_tile, stale, view
from data_access import disputes
from layouts.wall import ids
from layouts.wall.disputes import outcome_chips, today_text
from layouts.wall.figures import dispute_trend, share_bar

BUCKET_SECONDS = 60


def build(summary: disputes.DisputeSummary, lang: str, scale: float) -> tuple:
    # Figures as plain dicts: they are cached, and a pickled go.Figure re-validates on load.
    return (dispute_trend(summary.daily, lang, scale).to_dict(),
            share_bar(summary.resolved_levels, "level", "resolved", lang, scale).to_dict(),
            outcome_chips(summary.outcomes, lang),
            today_text(summary.today, summary.same_weekday_last_week, lang))


def refresh_disputes(_n, unit: str | None, config: dict, state: dict | None):
    lang, scale = config["lang"], config["unit_px"]
    zone = current().runtime.settings.zone
    try:
        scope = view(unit)
        # The built figures are cached too (per language and scale): building them costs
        # more than reading them, and every screen of a shape shows the same.
        got = load("disputes", scope, BUCKET_SECONDS,
                   lambda s: build(disputes.dispute_summary(s, scope, now(), zone), lang, scale),
                   lang=lang, scale=scale)
    except FAILURES:
        return no_update, no_update, no_update, no_update, *stale("disputes", state, lang)
    return (*got.value, *fresh("disputes", got, lang))


def register(app: Dash) -> None:
    register_tile(app, "disputes", refresh_disputes,
                  [Output(ids.DISPUTES_TREND, "figure"), Output(ids.DISPUTES_LEVELS, "figure"),
                   Output(ids.DISPUTES_OUTCOMES, "children"),
                   Output(ids.DISPUTES_TODAY, "children")])
