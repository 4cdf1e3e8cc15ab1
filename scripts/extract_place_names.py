"""Developer tool: extract Jiangsu's township and village/community names from the jionlp
wheel into data_access/geodata/jiangsu_places.json.gz (and PLACES-LICENSE.txt).

    pip download --no-deps jionlp==1.5.31 -d /tmp/jionlp
    .venv/bin/python scripts/extract_place_names.py /tmp/jionlp/jionlp-1.5.31-py2.py3-none-any.whl

The wheel is read as a zip archive; jionlp is never imported or installed, and the product
reads only the file written here. `jionlp/dictionary/china_location.zip` holds one text file,
a tab-indented tree: province, city and county lines carry `name<TAB>code<TAB>short name`;
township and village/community lines carry the name only (no statistical codes), so the
township and village codes of the synthesized territory stay sequential numbers.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
import zipfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data_access.geography import admin_areas  # noqa: E402

TARGET = ROOT / "data_access" / "geodata"
DICTIONARY = "jionlp/dictionary/china_location.zip"
PROVINCE = "320000"

# Development zones are county-level units in the statistics but have no boundary of their
# own in the shipped data: their townships join the district that holds most of the zone.
ZONE_HOST = {
    "320371": "320312",  # 徐州经济技术开发区 -> 铜山区
    "320571": "320506",  # 苏州工业园区 -> 吴中区
    "320671": "320613",  # 南通经济技术开发区 -> 崇川区
    "320771": "320703",  # 连云港经济技术开发区 -> 连云区
    "320772": "320706",  # 连云港高新技术产业开发区 -> 海州区
    "320871": "320812",  # 淮安经济技术开发区 -> 清江浦区
    "320971": "320902",  # 盐城经济技术开发区 -> 亭湖区
    "321071": "321003",  # 扬州经济技术开发区 -> 邗江区
    "321171": "321102",  # 镇江新区 -> 京口区
    "321271": "321202",  # 泰州医药高新技术产业开发区 -> 海陵区
    "321371": "321302",  # 宿迁经济技术开发区 -> 宿城区
}
# The statistics list a "virtual community" (虚拟社区, 虚拟生活区) where a township-level
# area (a development zone, a farm, a prison) has no residents' committee: nobody to report.
VIRTUAL = "虚拟"
TOWNSHIP_WORDS = ("街道", "镇", "乡")

Tree = dict[tuple[str, str, str], dict[str, list[str]]]  # (code, name, city) -> townships


class ExtractError(Exception):
    pass


def read_dictionary(wheel: Path) -> tuple[list[str], str, date]:
    """The location tree's lines, the wheel's version and the tree file's date."""
    try:
        with zipfile.ZipFile(wheel) as outer:
            version = next(line.split(":", 1)[1].strip()
                           for line in outer.read(metadata_name(outer)).decode().splitlines()
                           if line.startswith("Version:"))
            with zipfile.ZipFile(io.BytesIO(outer.read(DICTIONARY))) as inner:
                [entry] = inner.infolist()
                text = inner.read(entry).decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, StopIteration) as exc:
        raise ExtractError(f"{wheel}: not a jionlp wheel with {DICTIONARY} ({exc})") from exc
    return text.splitlines(), version, date(*entry.date_time[:3])


def metadata_name(wheel: zipfile.ZipFile) -> str:
    return next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))


def licence_text(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as outer:
        name = next(n for n in outer.namelist()
                    if ".dist-info/" in n and Path(n).name.startswith("LICENSE"))
        return outer.read(name).decode("utf-8")


def province_tree(lines: Iterable[str], province: str) -> Tree:
    """County -> township -> villages, in file order, for one province."""
    tree: Tree = {}
    inside = False
    city = ""
    county: dict[str, list[str]] = {}
    township: list[str] = []
    for line in lines:
        depth = len(line) - len(line.lstrip("\t"))
        fields = line.strip().split("\t")
        if depth == 0:
            inside = len(fields) > 1 and fields[1] == province
        elif not inside:
            continue
        elif depth == 1:
            city = fields[1]
        elif depth == 2:
            county = tree.setdefault((fields[1], fields[0], city), {})
        elif depth == 3:
            township = county.setdefault(fields[0], [])
        elif depth == 4:
            township.append(fields[0])
    if not tree:
        raise ExtractError(f"province {province} not found in {DICTIONARY}")
    return tree


def host_county(code: str, name: str, city: str) -> str:
    """The shipped boundary a jionlp county's townships belong to: the same code, else the
    same name in the same city (districts renumbered after a merger keep their name), else
    the zone's host."""
    areas = admin_areas()
    if code in areas and areas[code].level == "county":
        return code
    same_name = [a.code for a in areas.values()
                 if a.level == "county" and a.name == name and a.parent_code == city]
    if same_name:
        return same_name[0]
    if code in ZONE_HOST:
        return ZONE_HOST[code]
    raise ExtractError(f"county {code} {name} has no boundary and no host in ZONE_HOST")


def short_name(village: str, township: str) -> str:
    """A few names repeat their whole path (徐州市云龙区大郭庄街道润龙社区): keep what follows
    the township, unless that is only a bare word (悦来镇社区 is a community's real name)."""
    at = village.rfind(township)
    rest = village[at + len(township):] if at >= 0 else ""
    if township.endswith(TOWNSHIP_WORDS) and len(rest) >= 3:
        return rest
    return village


def places(tree: Tree) -> tuple[dict[str, list[list]], dict[str, int]]:
    """Per shipped county: [[township, [village, ...]], ...] sorted by township name, and
    the counts of what was left out."""
    merged: dict[str, dict[str, list[str]]] = {}
    dropped = {"virtual villages": 0, "townships without residents": 0}
    for (code, name, city), townships in tree.items():
        target = merged.setdefault(host_county(code, name, city), {})
        for township, villages in townships.items():
            real = [short_name(v, township) for v in villages if VIRTUAL not in v]
            dropped["virtual villages"] += len(villages) - len(real)
            if not real:
                dropped["townships without residents"] += 1
                continue
            if township in target:
                raise ExtractError(f"township {township} appears twice in county {code}")
            target[township] = list(dict.fromkeys(real))
    missing = [c for c, a in admin_areas().items() if a.level == "county" and c not in merged]
    if missing:
        raise ExtractError(f"no township names for counties {', '.join(missing)}")
    counties = {county: [[t, townships[t]] for t in sorted(townships)]
                for county, townships in sorted(merged.items())}
    return counties, dropped


def write_outputs(counties: dict[str, list[list]], version: str, snapshot: date,
                  licence: str, target: Path) -> Path:
    source = (f"jionlp {version} (https://github.com/dongrixinyu/JioNLP), {DICTIONARY}, "
              f"dated {snapshot.isoformat()}; Apache License 2.0")
    payload = {"source": source, "counties": counties}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    out = target / "jiangsu_places.json.gz"
    # mtime=0: regenerating from the same wheel gives the same bytes.
    out.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    notice = (
        "jiangsu_places.json.gz is derived from JioNLP (https://github.com/dongrixinyu/JioNLP)\n"
        f"by dongrixinyu, version {version}, file {DICTIONARY} (dated {snapshot}),\n"
        "licensed under the Apache License, Version 2.0 (below).\n"
        "Changes: only Jiangsu's township and village/community names were kept; virtual\n"
        "communities and townships without residents were left out; names that repeat\n"
        "their township's path were shortened; the townships of development zones were\n"
        "placed in a host district (scripts/extract_place_names.py).\n"
        "\n" + "-" * 78 + "\n\n"
    )
    (target / "PLACES-LICENSE.txt").write_text(notice + licence, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="the jionlp wheel (pip download --no-deps)")
    parser.add_argument("--target", type=Path, default=TARGET, help="where to write")
    args = parser.parse_args(argv)
    try:
        lines, version, snapshot = read_dictionary(args.wheel)
        counties, dropped = places(province_tree(lines, PROVINCE))
        out = write_outputs(counties, version, snapshot, licence_text(args.wheel), args.target)
    except (ExtractError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    townships = sum(len(t) for t in counties.values())
    villages = sum(len(v) for t in counties.values() for _, v in t)
    print(f"{out}: {len(counties)} counties, {townships} townships, {villages} villages "
          f"({out.stat().st_size:,} bytes); left out: "
          + ", ".join(f"{n} {what}" for what, n in dropped.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
