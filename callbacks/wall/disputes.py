"""Disputes: trend, resolution levels (721), outcomes, today vs last week."""
from __future__ import annotations

from dash import Dash, Output

from callbacks.wall.common import built, register_tile, tile_answer
from data_access import disputes
from layouts.wall import ids
from layouts.wall.disputes import footer, today_text, trend_legend
from layouts.wall.figures import dispute_series, dispute_trend, share_bar

INPUTS = ("disputes",)


def build(summary: disputes.DisputeSummary, lang: str, scale: float) -> tuple:
    # Figures as plain dicts: they are cached, and a pickled go.Figure re-validates on load.
    return (dispute_trend(summary.daily, lang, scale).to_dict(),
            trend_legend(dispute_series(summary.daily, lang), lang),
            share_bar(summary.resolved_levels, "level", "resolved", lang, scale).to_dict(),
            footer(summary.resolved_levels, summary.outcomes, lang),
            today_text(summary.today, summary.same_weekday_last_week, lang))


def refresh_disputes(request, unit: str | None, config: dict, state: dict | None):
    lang, scale = config["lang"], config["unit_px"]
    return tile_answer("disputes", INPUTS, unit, request, state, config, 5,
                       lambda scope, snaps: built("disputes", scope, snaps,
                                                  lambda: build(snaps[0].value, lang, scale),
                                                  lang=lang, scale=scale))


def register(app: Dash) -> None:
    register_tile(app, "disputes", refresh_disputes,
                  [Output(ids.DISPUTES_TREND, "figure"), Output(ids.DISPUTES_LEGEND, "children"),
                   Output(ids.DISPUTES_LEVELS, "figure"),
                   Output(ids.DISPUTES_OUTCOMES, "children"),
                   Output(ids.DISPUTES_TODAY, "children")])
