"""Pure figure builders for the wall: (data, **opts) -> go.Figure, one theme, one empty state."""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from dash import Patch

from layouts.i18n import label, t
from layouts.wall import map_view, theme
from layouts.wall.map_view import MapView

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


# Classes of the map's colour scale: a zero class when there are zeros, then up to this
# many quantile classes of the values above zero.
MAP_CLASSES = 5
def value_classes(values: list[float], share: bool, k: int = MAP_CLASSES
                  ) -> tuple[list[tuple[int, int]], list[int]]:
    """Quantile classes that separate the values however skewed they are: ([(low, high)]
    inclusive bounds, in whole counts or whole percent), and each value's class index.

    Zero is a class of its own (most grids have no open case at a time: the rest must not
    share one colour with them); the values above zero are split at their quantiles, so each
    class holds about as many units."""
    whole = [round(v * 100) if share else round(v) for v in values]
    positive = sorted(v for v in whole if v > 0)
    bounds: list[tuple[int, int]] = [(0, 0)] if (not positive or min(whole) <= 0) else []
    if positive:
        edges = sorted({positive[min(len(positive) - 1, math.ceil(len(positive) * q / k) - 1)]
                        for q in range(1, k + 1)})
        low = 1
        for edge in edges:
            if edge >= low:
                bounds.append((low, edge))
                low = edge + 1
    index = [next(i for i, (lo, hi) in enumerate(bounds) if v <= hi or i == len(bounds) - 1)
             for v in whole]
    return bounds, index


def class_label(bounds: tuple[int, int], share: bool) -> str:
    low, high = bounds
    unit = "%" if share else ""
    return f"{low:,}{unit}" if low == high else f"{low:,}–{high:,}{unit}"


def measure_style(values: pd.DataFrame, measure: str, lang: str) -> dict:
    """What of the map's fill trace changes with the measure and its values: each unit's
    class, the classes' colours, and the colour bar's title and class bounds (never the
    geometry)."""
    share = measure == "patrol"
    bounds, index = value_classes(values["value"].tolist(), share)
    palette = theme.MAP_ALERT_CLASSES if measure == "overdue" else theme.MAP_CLASSES
    zero = bounds[0] == (0, 0)
    colours = [theme.MAP_ZERO] * zero + list(palette[:len(bounds) - zero])
    n = len(colours)
    # Steps: class i is one flat colour over [i, i + 1) of the normalized range.
    scale = [[edge / n, colour] for i, colour in enumerate(colours) for edge in (i, i + 1)]
    # customdata: each unit's own value (the class only bounds it), for whoever reads the
    # figure (a click's count in /ops is the unit's value, not its class).
    return {
        "z": index, "customdata": values["value"].tolist(), "zmin": -0.5, "zmax": n - 0.5,
        "colorscale": scale,
        "colorbar": {"title": {"text": t(f"wall.measure.{measure}", lang)},
                     "tickvals": list(range(n)),
                     "ticktext": [class_label(b, share) for b in bounds]},
    }


def coverage_patch(values: pd.DataFrame, measure: str, lang: str,
                   markers: pd.DataFrame | None = None) -> Patch:
    """A map already on screen, brought to new values or another measure: only what
    measure_style names travels, and the markers' positions."""
    style = measure_style(values, measure, lang)
    patch = Patch()
    fill = patch["data"][0]
    for key in ("z", "customdata", "zmin", "zmax", "colorscale"):
        fill[key] = style[key]
    fill["colorbar"]["title"]["text"] = style["colorbar"]["title"]["text"]
    fill["colorbar"]["tickvals"] = style["colorbar"]["tickvals"]
    fill["colorbar"]["ticktext"] = style["colorbar"]["ticktext"]
    if markers is not None:
        for i, kind in enumerate(MARKER_KINDS):
            rows = markers[markers["kind"] == kind]
            patch["data"][MARKER_TRACE + i]["lon"] = [round(x, 5) for x in rows["lon"]]
            patch["data"][MARKER_TRACE + i]["lat"] = [round(y, 5) for y in rows["lat"]]
    return patch


MARKER_KINDS = ("overdue", "urgent")
MARKER_TRACE = 2  # fill, outlines, one trace per marker kind, then the names


def label_size(count: int, unit: float) -> int:
    """Names of a few units large; of many (a county's 30-odd townships) smaller, never
    under the wall's minimum."""
    return theme.px(20 if count <= 16 else 16, unit)


# The map's graph box (design px) when the page does not say (layouts/wall/arrangement.py
# map_area gives each canvas's).
MAP_DESIGN_PX = (566, 562)
# What lies over the map's corners, whose place no name may take (design px): the measure's
# caption top left (HTML, layouts/wall/coverage.py), the colour bar bottom left (at most
# COLORBAR_MAX_PX long) and the markers' legend bottom right.
CAPTION_H = 36
COLORBAR_H = 84
COLORBAR_SHARE = 0.6
COLORBAR_MAX_PX = 480
LEGEND_H = 34
# Between two names, and between a name and the tile's edge (design px).
NAME_GAP = 4
LEGEND_BG = "rgba(6,16,31,0.72)"


def text_px(text: str, font_px: float) -> float:
    """A text's width: a CJK character about one font size, other characters about 0.6."""
    return sum(font_px if ord(ch) > 0x2E80 else 0.6 * font_px for ch in text)


def reserved_boxes(area_px: tuple[float, float], lang: str
                   ) -> list[tuple[float, float, float, float]]:
    """(left, right, top, bottom) in design px of what is drawn over the map's corners."""
    width, height = area_px
    caption = max(text_px(t(f"wall.measure.{m}", lang), 20) for m in
                  ("patrol", "online", "open", "overdue")) + 32
    legend = sum(text_px(t(f"wall.map.{kind}", lang), theme.MIN_FONT_PX) + 44
                 for kind in MARKER_KINDS)
    return [(0, caption, 0, CAPTION_H),
            (0, colorbar_px(width) + 24, height - COLORBAR_H, height),
            (width - legend, width, height - LEGEND_H, height)]


def colorbar_px(width: float) -> float:
    return min(COLORBAR_SHARE * width, COLORBAR_MAX_PX)


def territory_bounds(labels: pd.DataFrame, markers: pd.DataFrame
                     ) -> tuple[float, float, float, float]:
    """For a map given no bounds: the box of its names and markers, grown by a fifth each
    side (the names sit inside their units, which reach beyond them), or Jiangsu's."""
    lon = pd.concat([labels["lon"], markers["lon"]]).astype(float)
    lat = pd.concat([labels["lat"], markers["lat"]]).astype(float)
    if lon.empty:
        return (116.3, 30.7, 121.9, 35.2)
    grow_x, grow_y = (lon.max() - lon.min()) / 5, (lat.max() - lat.min()) / 5
    return (lon.min() - grow_x, lat.min() - grow_y, lon.max() + grow_x, lat.max() + grow_y)


def spaced_labels(labels: pd.DataFrame, font_px: float, view: MapView,
                  area_px: tuple[float, float], lang: str = "zh") -> pd.DataFrame:
    """The names that fit without touching another, the tile's edge or what lies over the
    map's corners: the largest units (`area` when given, else in order) are placed first,
    and a name whose box would overlap one placed is left out (its unit stays outlined and
    coloured). Boxes are in design px where `view` draws them."""
    if labels.empty:
        return labels
    order = labels.sort_values("area", ascending=False, kind="stable") \
        if "area" in labels else labels
    width, height = area_px
    placed = list(reserved_boxes(area_px, lang))
    keep = []
    for index, name, lon, lat in zip(order.index, order["name"], order["lon"], order["lat"],
                                     strict=True):
        x, y = view.to_px(lon, lat)
        half_w, half_h = text_px(name, font_px) / 2 + NAME_GAP, font_px * 0.65 + NAME_GAP / 2
        box = (x - half_w, x + half_w, y - half_h, y + half_h)
        inside = box[0] >= 0 and box[1] <= width and box[2] >= 0 and box[3] <= height
        if inside and all(box[1] < b[0] or b[1] < box[0] or box[3] < b[2] or b[3] < box[2]
                          for b in placed):
            placed.append(box)
            keep.append(index)
    return labels.loc[sorted(keep, key=list(labels.index).index)]


def coverage_map(values: pd.DataFrame, fill_geojson_url: str, outline_geojson_url: str,
                 outline_codes: list[str], measure: str, lang: str,
                 unit: float = 1.0, labels: pd.DataFrame | None = None,
                 markers: pd.DataFrame | None = None,
                 area_px: tuple[float, float] = MAP_DESIGN_PX,
                 bounds: tuple[float, float, float, float] | None = None) -> go.Figure:
    """Units coloured by a measure in classes, drawn from the app's own GeoJSON (no tiles),
    the outlined units named, urgent and overdue cases marked where they are. The territory
    (`bounds`: west, south, east, north) fills the whole graph (`area_px`, design px) along
    its binding dimension (layouts/wall/map_view.py); the colour bar and the markers' legend
    lie over its bottom corners, on a dark ground, and no name is placed under them."""
    labels = labels if labels is not None else pd.DataFrame(columns=["name", "lon", "lat"])
    markers = markers if markers is not None else pd.DataFrame(columns=["lon", "lat", "kind"])
    view = map_view.fit(bounds or territory_bounds(labels, markers), area_px)
    label_px = label_size(len(labels), unit)
    labels = spaced_labels(labels, label_px / unit, view, area_px, lang)
    fig = go.Figure()
    style = measure_style(values, measure, lang)
    colorbar = style.pop("colorbar")
    font = {"size": theme.px(theme.MIN_FONT_PX, unit), "color": theme.TEXT}
    fig.add_choropleth(
        geojson=fill_geojson_url, locations=values["code"].tolist(), **style,
        marker_line_color=theme.MAP_LINE, marker_line_width=0.4 * unit,
        colorbar={**colorbar, "orientation": "h", "x": 0, "xanchor": "left", "y": 0,
                  "yanchor": "bottom", "lenmode": "pixels",
                  "len": round(colorbar_px(area_px[0]) * unit), "thickness": round(12 * unit),
                  "outlinewidth": 0, "tickfont": font, "bgcolor": LEGEND_BG,
                  "title": {**colorbar["title"], "side": "top", "font": font}},
    )
    fig.add_choropleth(
        geojson=outline_geojson_url, locations=outline_codes, z=[0] * len(outline_codes),
        colorscale=[[0, TRANSPARENT], [1, TRANSPARENT]], showscale=False,
        marker_line_color=theme.ACCENT, marker_line_width=1.6 * unit,
        hoverinfo="skip",  # a click goes through the outlines to the area below
    )
    for kind in MARKER_KINDS:
        rows = markers[markers["kind"] == kind]
        fig.add_scattergeo(
            lon=[round(x, 5) for x in rows["lon"]], lat=[round(y, 5) for y in rows["lat"]],
            mode="markers", hoverinfo="skip", name=t(f"wall.map.{kind}", lang),
            marker={"size": round((7 if kind == "overdue" else 8) * unit),
                    "color": theme.RED if kind == "overdue" else theme.URGENT,
                    "symbol": "circle" if kind == "overdue" else "diamond",
                    "line": {"width": max(1, round(unit)), "color": theme.TEXT}},
        )
    # The names last: drawn over the markers.
    fig.add_scattergeo(
        lon=labels["lon"].tolist(), lat=labels["lat"].tolist(), text=labels["name"].tolist(),
        mode="text", hoverinfo="skip", showlegend=False,
        textfont={"size": label_px, "color": theme.TEXT,
                  "family": theme.FONT_FAMILY},
    )
    # Our own fit (not fitbounds: see layouts/wall/map_view.py): plotly fits the lon/lat
    # rectangle into the whole graph, which has the graph's aspect, so nothing is left over.
    fig.update_geos(visible=False, projection_type="mercator", bgcolor=TRANSPARENT,
                    showframe=False, lonaxis_range=list(view.lon_range),
                    lataxis_range=list(view.lat_range),
                    center={"lon": view.center[0], "lat": view.center[1]},
                    projection_rotation={"lon": view.center[0], "lat": 0, "roll": 0},
                    domain={"x": [0, 1], "y": [0, 1]})
    apply_theme(fig, unit)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0, "pad": 0}, showlegend=True,
                      legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 0,
                              "yanchor": "bottom", "font": font,
                              "bgcolor": LEGEND_BG, "itemclick": False,
                              "itemdoubleclick": False})
    return fig
