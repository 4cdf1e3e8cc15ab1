"""What of a report's text tells one problem from another: its words without the parts every
report shares, and the numbered spots it names.

Two reports compared for 智能比对 always lie in the same or a neighbouring village and
category, so the place names (county, township, village), the way a channel opens a report
(来电人反映：…) and the request every report ends with (请相关部门尽快处理) are shared by
related and unrelated reports alike: kept, they made two different problems of one community
look alike (their Jaccard inflated by 10–20 shared shingles) and two paraphrases of one problem
look less alike (their few shared content shingles diluted). `content` strips them.

What is left of a paraphrase shares words (井盖, 路灯, 堵塞), rarely three characters in a row,
so the shingles are character bigrams (Chinese words are mostly two characters long).

The numbered spots (5号楼, 和平路57号, 三单元, 二组) are how a caller says *where* the problem
is; two reports that both name a building (or a house number, a unit, a group) and name
different ones are about different problems however alike their words (`spots_agree`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

SHINGLE = 2

# How channels open a report and what every report asks for: shared by unrelated reports.
BOILERPLATE = (
    "市民致电12345反映", "致电12345反映", "110非警务警情转办", "110接警后转来", "来电人反映",
    "来电人称", "市民来电反映", "来电反映", "群众来访反映", "信访件反映", "群众通过随手拍上报",
    "群众通过小程序反映", "视频监控巡检发现", "物联感知设备告警", "职能部门移交", "相关部门推送",
    "网格员日常巡查中发现", "网格员巡查发现", "网格员入户走访了解到", "网格员走访中了解到",
    "市民反映", "群众反映", "居民反映", "我要反映", "反映人称", "反映",
    "已现场拍照取证", "请核实处置", "已现场劝导", "需相关部门协同处置", "请属地网格员现场核实",
    "请派员现场核实处置", "请相关部门尽快处理", "请有关部门尽快处理", "请相关部门处理",
    "请有关部门处理", "群众反映强烈", "希望尽快解决", "希望尽快处理", "请尽快处理",
    "此前已多次反映", "至今未解决",
    # how callers introduce themselves and their place
    "我是附近居民", "我是这里的居民", "我家附近", "我要反映一下", "您好", "你好", "我们小区",
    "小区里", "小区",
)
_BOILERPLATE = re.compile("|".join(re.escape(p) for p in sorted(BOILERPLATE, key=len,
                                                                 reverse=True)))
_ADMIN_SUFFIXES = ("街道", "社区", "居委会", "村委会", "村", "镇", "乡", "区", "县", "市")
_PUNCT = re.compile(r"[\s\u3000，。、：；！？,.:;!?·（）()\[\]【】\"'“”‘’/\\-]+")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
# A number and what it numbers; the kinds a caller uses for the same thing are one kind.
_SPOT = re.compile(r"([0-9]+|[零〇一二两三四五六七八九十百]+)\s*(号楼|栋|幢|号院|单元|组|号)")
# A house number on a road is that road's: 和平路44号 and 复兴路44号 are two places.
_ROAD_HOUSE = re.compile(r"([\u4e00-\u9fff]{2})(大道|路|街|巷)"
                         r"([0-9]+|[零〇一二两三四五六七八九十百]+)\s*号(?!楼|院)")
_SPOT_KIND = {"号楼": "building", "栋": "building", "幢": "building",
              "号院": "yard", "单元": "unit", "组": "group", "号": "house"}


def chinese_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 三百零五 → 305; None if it is not a number."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in ("十", "百"):
            total += (1 if digit is None else digit) * (10 if char == "十" else 100)
            digit = None
        else:
            return None
    return total + (digit or 0)


def place_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names to strip for a case's units (county, township, village), each also without
    its suffix (子房社区 → 子房: callers say 子房小区), longest first."""
    found = set()
    for name in names:
        if not name:
            continue
        found.add(name)
        for suffix in _ADMIN_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                found.add(name[:-len(suffix)])
                break
    return tuple(sorted(found, key=lambda n: (-len(n), n)))


def _arabic_spots(text: str) -> str:
    def arabic(match: re.Match) -> str:
        number = chinese_number(match.group(1))
        return match.group(0) if number is None else f"{number}{match.group(2)}"
    return _SPOT.sub(arabic, text.translate(_FULL_WIDTH_DIGITS))


def spots(text: str, places: Iterable[str] = ()) -> frozenset[str]:
    """The numbered spots a text names, as kind:number (building:5, house:和平路57), read
    after the place names (五号井社区 names no house 5)."""
    plain = (text or "").translate(_FULL_WIDTH_DIGITS)
    for name in places:
        plain = plain.replace(name, " ")
    found = set()
    for road, suffix, number in _ROAD_HOUSE.findall(plain):
        if (value := chinese_number(number)) is not None:
            found.add(f"house:{road}{suffix}{value}")
    plain = _ROAD_HOUSE.sub(" ", plain)
    for number, kind in _SPOT.findall(plain):
        if (value := chinese_number(number)) is not None:
            found.add(f"{_SPOT_KIND[kind]}:{value}")
    return frozenset(found)


def spots_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    """False when both name a spot of some kind and none of the same number."""
    for kind in {s.split(":", 1)[0] for s in a} & {s.split(":", 1)[0] for s in b}:
        if not {s for s in a if s.startswith(kind + ":")} & \
                {s for s in b if s.startswith(kind + ":")}:
            return False
    return True


# One way to say a side or a spot of a place (东侧 / 东边 / 东面 are the same side).
_SIDES = re.compile(r"([东南西北])(?:侧|边|面|头)")
_NEAR = re.compile(r"(?:旁边|边上|附近|跟前|周边)")
_FRONT = re.compile(r"(?:门前|门那里|门这里|大门)")


def content(text: str, places: Iterable[str] = ()) -> str:
    """The text without place names, channel boilerplate, punctuation and spaces; numbers
    written in Arabic, sides and spots of a place in one wording."""
    plain = _arabic_spots(text or "")
    for name in places:
        plain = plain.replace(name, " ")
    plain = _BOILERPLATE.sub(" ", plain)
    plain = _FRONT.sub("门口", _NEAR.sub("旁", _SIDES.sub(r"\1侧", plain)))
    return _PUNCT.sub("", plain)


def shingles(text: str, places: Iterable[str] = (), k: int = SHINGLE) -> set[str]:
    """Character k-grams of the text's content."""
    plain = content(text, places)
    if len(plain) <= k:
        return {plain} if plain else set()
    return {plain[i:i + k] for i in range(len(plain) - k + 1)}
