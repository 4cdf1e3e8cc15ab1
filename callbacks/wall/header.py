"""The header's title: the center of the configured region, and the unit now shown."""
from __future__ import annotations

from dash import Dash, Input, Output, State

from callbacks.context import current
from callbacks.wall.common import SERVICE_ERRORS, load, view
from data_access.geography import admin_areas
from data_access.unit_names import unit_names
from data_access.wall_scope import ScopeError
from layouts.i18n import t
from layouts.wall import ids

NAME_BUCKET_SECONDS = 3600


def view_title(unit: str | None, config: dict) -> str:
    lang = config["lang"]
    region = current().runtime.settings.region
    center = t("wall.center", lang).format(region=admin_areas()[region].name)
    if not unit or unit == region:
        return center
    try:
        scope = view(unit)
        names = load("names", scope, NAME_BUCKET_SECONDS,
                     lambda s: unit_names(s, [scope.unit])).value
    except ScopeError:
        return f"{center} · {t('wall.bad_unit', lang).format(unit=unit)}"
    except SERVICE_ERRORS:
        names = {}
    return f"{center} · {names.get(unit, unit)}"


def zone_name(_config: dict) -> str:
    return current().runtime.settings.timezone


def register(app: Dash) -> None:
    app.callback(Output(ids.ZONE, "data"), Input(ids.CONFIG, "data"))(zone_name)
    app.callback(Output(ids.VIEW_NAME, "children"), Input(ids.UNIT, "data"),
                 State(ids.CONFIG, "data"))(view_title)
