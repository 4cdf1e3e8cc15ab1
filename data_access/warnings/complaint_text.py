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
    """False when both name a spot of some kind and none of the same number, or objects
    and none the same (landmarks, place:…, are not compared here: `clusters.alike`)."""
    for kind in ({s.split(":", 1)[0] for s in a} & {s.split(":", 1)[0] for s in b}) - {"place"}:
        if not {s for s in a if s.startswith(kind + ":")} & \
                {s for s in b if s.startswith(kind + ":")}:
            return False
    return True


# One way to say a side or a spot of a place (东侧 / 东边 / 东面 are the same side).
_SIDES = re.compile(r"(?:靠)?([东南西北])(?:侧|边|面|头)(?:那块|那边|那一片)?")
_NEAR = re.compile(r"(?:旁边|边上|附近|跟前|周边|那一片|那里|那边|这边)")
_FRONT = re.compile(r"(?:门前|门那里|门这里|大门)")
_GATES = re.compile(r"([东南西北])(?:大门|门口|门那里|门进来|门出口|门)")

# Governance vocabulary said many ways, one wording each (applied before shingling, longest
# first): the objects of complaints, their states, where in a community. Every paraphrase
# that says 窨井盖 for 井盖 or 农贸市场 for 菜市场 shared no bigram there before.
CANONICAL: dict[str, tuple[str, ...]] = {
    # objects
    "井盖": ("窨井盖", "下水道井盖", "雨水井盖", "污水井盖", "检查井盖", "井盖子", "马葫芦盖"),
    "下水道": ("排水管道", "排水管", "雨水管道", "污水管道", "下水管道", "下水管", "污水井",
            "雨水井", "阴沟", "排水沟"),
    "路灯": ("路边的灯", "路边灯", "小区路灯", "路口照明灯", "照明灯", "街灯", "灯柱", "灯杆"),
    "垃圾": ("垃圾桶", "垃圾箱", "垃圾堆", "生活垃圾", "垃圾房", "垃圾点"),
    "施工": ("夜间施工", "施工机械", "工地打桩", "打桩", "工地", "作业", "干活"),
    "噪声": ("噪音", "噪声", "扰民", "吵得", "太吵", "很吵", "响个不停", "声音很大"),
    "电线": ("电线杆", "电缆", "线缆", "飞线"),
    "树": ("树木", "树枝", "大树", "行道树"),
    # states
    "缺失": ("不见了", "被人偷走了", "被偷了", "被盗", "丢失", "丢了", "没了"),
    "不亮": ("熄灭", "黑着", "不亮了"),
    "闪": ("一闪一闪", "忽明忽暗", "时亮时不亮"),
    "堵塞": ("堵住了", "堵住", "堵了", "不通", "排水不畅"),
    "外溢": ("往外冒水", "冒水", "溢出", "返水", "漫出来", "淌到", "流到", "流得"),
    "未清运": ("没人清运", "没人清理", "没人收", "一直没清理", "没清理", "没人管"),
    "异味": ("气味很大", "臭味熏人", "臭气熏天", "臭味", "很臭", "臭气"),
    "隐患": ("安全隐患", "很危险", "危险"),
    "夜间": ("半夜", "深夜", "凌晨", "夜里", "晚上", "天黑后", "零点"),
    "损坏": ("坏了", "坏掉", "破损", "损毁", "撞歪", "撞斜", "撞弯"),
    # where in a community
    "楼下": ("楼底下", "楼下面", "楼前", "楼跟前", "楼门口"),
    "单元门口": ("单元门前", "单元入口", "楼道门口", "楼道口"),
    "停车场": ("停车的地方", "停车区", "停车位"),
    "菜市场": ("农贸市场", "菜场", "菜市"),
    "健身区": ("健身器材", "健身广场", "锻炼器材", "健身设施"),
    "公交站": ("公交站台", "公交车站", "站台"),
    "公厕": ("公共厕所", "厕所"),
}
# An object and its state said as one (路灯坏了 is 路灯不亮), after CANONICAL.
PHRASES: dict[str, tuple[str, ...]] = {
    "路灯不亮": ("路灯损坏", "路灯一直损坏", "路灯全部不亮", "路灯一直不亮"),
    "施工噪声": ("施工声音", "施工噪声太大", "施工声响"),
    "下水道堵塞": ("下水道不畅", "下水道淤堵"),
}
# Each canonical word stands for itself too, so that 菜市场 is never read as 菜市 + 场.
_CANONICAL = {k: k for k in CANONICAL} | {v: k for k, variants in CANONICAL.items()
                                          for v in variants}
_CANONICAL_RE = re.compile("|".join(re.escape(v) for v in sorted(_CANONICAL, key=len,
                                                                 reverse=True)))
_PHRASE = {v: k for k, variants in PHRASES.items() for v in variants}
_PHRASE_RE = re.compile("|".join(re.escape(v) for v in sorted(_PHRASE, key=len, reverse=True)))
# What a complaint is about: two reports naming objects and none the same are about two
# problems (a drain and a street light by one gate).
OBJECTS = ("井盖", "下水道", "路灯", "垃圾", "施工", "电线", "树", "违建", "油烟", "广告牌",
           "占道", "积水")
# Where in a community: two reports naming one share a spot; naming only others, probably
# not (soft: a caller may say 楼下 for a 单元门口).
LANDMARKS = ("楼下", "单元门口", "东侧", "南侧", "西侧", "北侧", "东门", "南门", "西门", "北门",
             "停车场", "菜市场", "健身区", "幼儿园", "学校", "公交站", "公厕", "超市", "广场",
             "路口", "桥下")
# A request (请… / 希望… / 麻烦…) says what the caller wants, not what the problem is; and
# what callers add about their calls says nothing of the problem either.
# A request is a short clause of its own: a longer run (a record without punctuation that
# opens with 请…) is left whole rather than lose the problem with it.
_REQUEST = re.compile(r"(?:^|(?<=[\s，。、：；！？,.:;!?]))(?:请|希望|麻烦|恳请|要求|盼)"
                      r"[^\s，。、：；！？,.:;!?]{0,12}(?=[\s，。、：；！？,.:;!?]|$)")
_ASIDES = re.compile(r"(?:已经|都)?打(?:过|了)(?:好几次|几次|多次|很多次)?电话了?"
                     r"|物业(?:说)?不(?:归他们)?管|(?:之前|以前)?反映过(?:好几次|多次)?"
                     r"|大家意见很大|意见很大")


def canonical(text: str) -> str:
    """The text with governance vocabulary in one wording (CANONICAL) and gates and sides
    of a place in one wording."""
    plain = _CANONICAL_RE.sub(lambda m: _CANONICAL[m.group(0)], _GATES.sub(r"\1门", text))
    return _PHRASE_RE.sub(lambda m: _PHRASE[m.group(0)], plain)


def marks(text: str, places: Iterable[str] = ()) -> frozenset[str]:
    """The objects (obj:路灯) and landmarks (place:北门) a text names, read from its
    content."""
    return marks_in(content(text, places))


def marks_in(plain: str) -> frozenset[str]:
    """`marks` of a text's content (`content`) already made."""
    return frozenset([f"obj:{o}" for o in OBJECTS if o in plain]
                     + [f"place:{p}" for p in LANDMARKS if p in plain])


def content(text: str, places: Iterable[str] = (), vocabulary: bool = True) -> str:
    """The text without place names, channel boilerplate, requests, punctuation and spaces;
    numbers written in Arabic, sides and spots of a place and governance vocabulary in one
    wording (`vocabulary=False`: without CANONICAL, to measure what it buys)."""
    plain = _arabic_spots(text or "")
    for name in places:
        plain = plain.replace(name, " ")
    plain = _REQUEST.sub(" ", _ASIDES.sub(" ", _BOILERPLATE.sub(" ", plain)))
    plain = canonical(plain) if vocabulary else plain
    plain = _FRONT.sub("门口", _NEAR.sub("旁", _SIDES.sub(r"\1侧", plain)))
    return _PUNCT.sub("", plain)


def shingles(text: str, places: Iterable[str] = (), k: int = SHINGLE,
             vocabulary: bool = True) -> set[str]:
    """Character k-grams of the text's content."""
    return grams_of(content(text, places, vocabulary), k)


def grams_of(plain: str, k: int = SHINGLE) -> set[str]:
    """Character k-grams of a text's content (`content`) already made."""
    if len(plain) <= k:
        return {plain} if plain else set()
    return {plain[i:i + k] for i in range(len(plain) - k + 1)}
