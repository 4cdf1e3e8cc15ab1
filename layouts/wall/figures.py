"""Pure figure builders for the wall: (data, **opts) -> go.Figure, one theme, one empty state."""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from dash import Patch

from layouts.i18n import label, t
from layouts.wall import theme

TOP_DISPUTE_TYPES = 5
TRANSPARENT = "rgba(0,0,0,0)"
# Numbers group thousands with "," in both languages (16,737); decimals with ".".
SEPARATORS = ".,"


def apply_theme(fig: go.Figure, unit: float = 1.0) -> go.Figure:
    """The wall's look, on a figure whose traces are all added. No hover labels (nobody is
    there to read them), but hover stays on: plotly emits a click only for a hovered point,
    and clicks drill down to /ops. A trace marked hoverinfo="skip" (outlines) stays
    transparent to clicks. No height: the figure fills its container (the tile decides)."""
    fig.update_layout(
        paper_bgcolor=TRANSPARENT, plot_bgcolor=TRANSPARENT, separators=SEPARATORS,
        font={"family": theme.FONT_FAMILY, "color": theme.TEXT,
              "size": theme.px(theme.FIGURE_FONT_PX, unit)},
        margin={"l": round(8 * unit), "r": round(8 * unit), "t": round(8 * unit),
                "b": round(8 * unit)},
        showlegend=False, hovermode="closest", uirevision="wall", autosize=True,
    )
    fig.update_traces(hoverinfo="none", selector=lambda trace: trace.hoverinfo != "skip")
    axis = {"gridcolor": theme.GRID_LINE, "zerolinecolor": theme.GRID_LINE,
            "tickfont": {"size": theme.px(theme.MIN_FONT_PX, unit), "color": theme.MUTED},
            "automargin": True}
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    return fig


def empty_figure(message: str, unit: float = 1.0) -> go.Figure:
    """A figure with only a centred message (加载中… / 暂无数据) on the wall's ground: the
    initial figure of every graph and its no-data state, so plotly's white default never
    shows."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper",
                       yref="paper", font={"size": theme.px(20, unit), "color": theme.MUTED})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply_theme(fig, unit)


def loading_figure(lang: str, unit: float = 1.0) -> go.Figure:
    return empty_figure(t("wall.loading", lang), unit)


def series_colour(i: int, other: bool = False) -> str:
    return theme.OTHER if other else theme.SERIES[i % len(theme.SERIES)]


def dispute_series(daily: pd.DataFrame, lang: str) -> list[tuple[str, str, str]]:
    """The trend's series, largest type first and "other" last: (kind, name, colour). The
    tile names them in its own legend (layouts/wall/disputes.py trend_legend)."""
    totals = daily.groupby("dispute_type")["count"].sum().sort_values(ascending=False)
    top = list(totals.index[:TOP_DISPUTE_TYPES])
    kinds = [*top, "_other"] if len(totals) > len(top) else top
    return [(kind, t("wall.disputes.other", lang) if kind == "_other"
             else label("dispute", kind, lang), series_colour(i, kind == "_other"))
            for i, kind in enumerate(kinds)]


def dispute_trend(daily: pd.DataFrame, lang: str, unit: float = 1.0) -> go.Figure:
    """Stacked daily bars: the largest types, the rest as 'other'. No plotly legend: the
    tile's legend is HTML above the chart, so the plot keeps its height in any language."""
    if daily.empty or daily["count"].sum() == 0:
        return empty_figure(t("wall.no_data", lang), unit)
    series = dispute_series(daily, lang)
    top = [kind for kind, _name, _colour in series if kind != "_other"]
    totals = daily.groupby("dispute_type")["count"].sum()
    frame = daily.assign(kind=daily["dispute_type"].where(daily["dispute_type"].isin(top),
                                                          "_other"))
    pivot = frame.pivot_table(index="day", columns="kind", values="count", aggfunc="sum",
                              fill_value=0)
    rest = ",".join(sorted(set(totals.index) - set(top)))
    fig = go.Figure()
    for kind, name, colour in series:
        if kind not in pivot:
            continue
        types = rest if kind == "_other" else kind
        # customdata: what a click on a segment opens in /ops (assets/wall.js followDispute)
        fig.add_bar(x=[d.strftime("%m-%d") for d in pivot.index], y=pivot[kind].tolist(),
                    name=name, marker_color=colour,
                    customdata=[[types, d.isoformat()] for d in pivot.index])
    fig.update_layout(barmode="stack", bargap=0.15,
                      # largest type first, "other" last (plotly reverses stacked bars)
                      legend={"traceorder": "normal"})
    apply_theme(fig, unit)
    fig.update_layout(margin={"l": round(4 * unit), "r": round(4 * unit), "t": round(6 * unit),
                              "b": round(2 * unit)})
    # Category axis: "11-22" labels must not be read as dates; every 7th day, so no two
    # labels meet (and none meets the y axis's "0", which stands out to the left).
    days = [d.strftime("%m-%d") for d in pivot.index]
    ticks = [day for i, day in enumerate(days) if (len(days) - 1 - i) % 7 == 0 and i >= 3]
    fig.update_xaxes(type="category", tickmode="array", tickvals=ticks or days[-1:],
                     ticklabelstandoff=round(4 * unit))
    # Whole, distinct steps (a small range would repeat labels: "1, 1, 0"), about three.
    fig.update_yaxes(tickformat=",d", dtick=nice_step(float(pivot.sum(axis=1).max()) / 3),
                     rangemode="tozero", ticklabelstandoff=round(6 * unit))
    return fig


def nice_step(raw: float) -> int:
    """The smallest 1, 2 or 5 × 10^k (at least 1) not under `raw`."""
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 1 else 1
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def share_bar(frame: pd.DataFrame, code_column: str, kind: str, lang: str,
              unit: float = 1.0) -> go.Figure:
    """One 100 % horizontal bar of shares (e.g. where disputes were resolved: the 721
    picture). No text in the bar (a thin segment cannot hold a readable label): every
    segment is named with its share in the tile's legend (layouts/wall/disputes.py)."""
    total = int(frame["count"].sum())
    if total == 0:
        return empty_figure(t("wall.no_data", lang), unit)
    fig = go.Figure()
    for i, (code, count) in enumerate(zip(frame[code_column], frame["count"], strict=True)):
        if count == 0:
            continue
        fig.add_bar(y=[""], x=[count / total], orientation="h", name=label(kind, code, lang),
                    marker_color=series_colour(i))
    fig.update_layout(barmode="stack", bargap=0.0)
    apply_theme(fig, unit)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
    fig.update_xaxes(visible=False, range=[0, 1])
    fig.update_yaxes(visible=False)
    return fig


def measure_style(values: pd.DataFrame, measure: str, lang: str) -> dict:
    """What of the map's fill trace changes with the measure and its values: the z values,
    their range and scale, and the colour bar's title and ticks (never the geometry)."""
    is_share = measure == "patrol"
    zmax = 1.0 if is_share else max(1.0, float(values["value"].max() or 0))
    return {
        "z": values["value"].tolist(), "zmax": zmax,
        "colorscale": theme.MAP_ALERT_SCALE if measure == "overdue" else theme.MAP_SCALE,
        "colorbar": {"title": {"text": t(f"wall.measure.{measure}", lang)},
                     "tickformat": ".0%" if is_share else "d",
                     # Whole steps for counts, or a small range repeats labels ("2, 2, 3, 3").
                     "dtick": 0.2 if is_share else max(1, math.ceil(zmax / 5))},
    }


def coverage_patch(values: pd.DataFrame, measure: str, lang: str) -> Patch:
    """A map already on screen, brought to new values or another measure: only what
    measure_style names travels."""
    style = measure_style(values, measure, lang)
    patch = Patch()
    fill = patch["data"][0]
    for key in ("z", "zmax", "colorscale"):
        fill[key] = style[key]
    fill["colorbar"]["title"]["text"] = style["colorbar"]["title"]["text"]
    fill["colorbar"]["tickformat"] = style["colorbar"]["tickformat"]
    fill["colorbar"]["dtick"] = style["colorbar"]["dtick"]
    return patch


def coverage_map(values: pd.DataFrame, fill_geojson_url: str, outline_geojson_url: str,
                 outline_codes: list[str], measure: str, lang: str,
                 unit: float = 1.0) -> go.Figure:
    """Units coloured by a measure, drawn from the app's own GeoJSON (no tiles)."""
    fig = go.Figure()
    style = measure_style(values, measure, lang)
    colorbar = style.pop("colorbar")
    colorbar["title"]["side"] = "right"
    fig.add_choropleth(
        geojson=fill_geojson_url, locations=values["code"].tolist(), zmin=0, **style,
        marker_line_color=theme.GRID_LINE, marker_line_width=0.4 * unit,
        colorbar={**colorbar, "thickness": round(14 * unit), "len": 0.7, "x": 1.0,
                  "outlinewidth": 0, "tickfont": {"size": theme.px(theme.MIN_FONT_PX, unit)}},
    )
    fig.add_choropleth(
        geojson=outline_geojson_url, locations=outline_codes, z=[0] * len(outline_codes),
        colorscale=[[0, TRANSPARENT], [1, TRANSPARENT]], showscale=False,
        marker_line_color=theme.ACCENT, marker_line_width=1.6 * unit,
        hoverinfo="skip",  # a click goes through the outlines to the area below
    )
    fig.update_geos(visible=False, fitbounds="locations", projection_type="mercator",
                    bgcolor=TRANSPARENT, showframe=False)
    return apply_theme(fig, unit)
