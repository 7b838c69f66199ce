"""Recognise the part of a series a title announces, as kexue.fm titles do.

:func:`parse_title` is pure: a title in, a :class:`TitleParts` (series name,
number, 上/中/下 part, subtitle) or ``None`` out. The recognised forms, with
full- or half-width brackets and colons::

    生成扩散模型漫谈（十五）：副标题       name, number 15, subtitle
    我们可以无损放大一个Transformer模型吗（一）
    名称（十五）：副标题（中）            number 15, part 中
    名称（上） / （中） / （下）            a part without a number
    Transformer升级之路：2、副标题       also 2. / 第2篇 / 一、
    《自然极值》系列——2.副标题           also 【名称】1. 副标题
    《新理解矩阵1》：副标题               also 《名称（1）》——副标题
    名称第3节 / 名称 第三篇：副标题         also 第2讲, 第5期, 第2课
    机器学习系列之三：副标题               Chinese numerals only
    Docker系列1：副标题                   also 系列一、副标题
    Attention, Part 2: subtitle           also Part III, Part Two of Five,
                                          Pt. 3, Chapter 2, Day 3, #3

It refuses what only looks like a number in brackets: ``（续）``, a year such
as ``（2010）`` (numbers above :data:`MAX_TITLE_NUMBER`), a formula such as
``SO(3)`` or ``exp(2)`` (an Arabic number right after a Latin or Greek
letter and a half-width bracket), ``2.5倍`` or ``3.x`` after a colon, a
fraction such as ``百分之五``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from pelican_sujianlin.series.numerals import (
    ENGLISH_NUMBERS,
    ROMAN,
    parse_number,
)

MAX_TITLE_NUMBER = 999  # a larger number in a title is a year or a quantity

PARTS = {"上": 0, "中": 1, "下": 2}


class TitleParts(NamedTuple):
    """What a title says about its place in a series."""

    name: str
    index: int | None
    part: str | None  # "上", "中" or "下"
    subtitle: str


_AR = r"[0-9０-９]+"
_CN = r"[零〇○一二两兩三四五六七八九十百千壹贰貳叁參肆伍陆陸柒捌玖拾佰仟]+"
_NUM = rf"{_AR}|{_CN}"
_NTH = r"(?:第\s*|[Pp]art\s+)?"
# A character after which "(3)" reads as a function call: SO(3), exp(2), ζ(2);
# nobody writes one with a full-width bracket, so "Transformer（3）" is a part
_FORMULA = r"[A-Za-z0-9\u00c0-\u024f\u0370-\u03ff_^')\]}$*+\-/=<>\\]"
_UNIT = r"(?:篇|讲|講|章|部分|回|集|期|节|節|课|課)"
_PART = r"[上中下](?:篇|部)?"
_OPEN, _CLOSE = r"[（(]", r"[）)]"
_SEP = r"(?:[:：]|——|—|--|－|\s[-–|]\s|\s)"
_TAIL_PART = rf"(?:\s*{_OPEN}\s*(?P<part2>{_PART})\s*{_CLOSE})?"
# English: "Part 3", "Pt. 3", "Chapter III", "Episode two", "Day 3"
_EN_PART = (
    r"(?:[Pp]art\s|[Pp]t\.|[Cc]hapter\s|[Ee]pisode\s|[Ll]ecture\s|[Ll]esson\s"
    r"|Day\s|Week\s|Vol\.|Volume\s)"
)
_ROMAN = ROMAN.pattern + r"\b"
_EN_WORD = r"(?i:{})\b".format("|".join(sorted(ENGLISH_NUMBERS, key=len, reverse=True)))
_HEADS = {"《": "》", "【": "】", "「": "」", "『": "』", "[": "]"}
_HEAD_OPEN = re.escape("".join(_HEADS))
_HEAD_CLOSE = re.escape("".join(_HEADS.values()))

# Each form captures name, index or part, and maybe subtitle and part2.
FORMS = [
    # 《自然极值》系列——2.副标题, 【中文分词系列】 2. 副标题, 《名称》之三：副标题
    re.compile(
        rf"^[{_HEAD_OPEN}](?P<name>[^{_HEAD_CLOSE}]+)[{_HEAD_CLOSE}]\s*(?:系列)?"
        rf"\s*{_SEP}?\s*(?:之|第)?\s*(?P<index>{_NUM})\s*{_UNIT}?"
        rf"\s*(?P<dot>[、．.:：]|\s)(?P<gap>\s*)(?P<subtitle>.+?){_TAIL_PART}$"
    ),
    # 【搜出来的文本】⋅（一）副标题
    re.compile(
        rf"^[{_HEAD_OPEN}](?P<name>[^{_HEAD_CLOSE}]+)[{_HEAD_CLOSE}]\s*[⋅·・]?\s*"
        rf"{_OPEN}\s*{_NTH}(?P<index>{_NUM})\s*{_UNIT}?\s*{_CLOSE}"
        rf"\s*{_SEP}?\s*(?P<subtitle>.*?){_TAIL_PART}$"
    ),
    # 《新理解矩阵1》：副标题, 《虚拟的实在（1）》——副标题
    re.compile(
        rf"^《(?P<name>[^》]+?)\s*(?:{_OPEN}\s*(?P<index>{_NUM})\s*{_CLOSE}"
        rf"|(?P<index_arabic>[0-9０-９]+))》\s*{_SEP}\s*(?P<subtitle>.+?){_TAIL_PART}$"
    ),
    # 名称（十五）, 名称（十五）：副标题（中）, 名称（第3篇）（上）, Name (Part 2)
    re.compile(
        rf"^(?P<name>.+?)(?:\s*{_OPEN}\s*{_NTH}(?P<index>{_CN})"
        rf"|(?:\s*（|\s+\(|(?<!{_FORMULA})\()\s*{_NTH}(?P<index_arabic>{_AR}))"
        rf"\s*{_UNIT}?\s*{_CLOSE}(?:\s*{_OPEN}\s*(?P<part>{_PART})\s*{_CLOSE})?"
        rf"(?:\s*{_SEP}\s*(?P<subtitle>.+?))?{_TAIL_PART}$"
    ),
    # Transformer升级之路：2、副标题, 名称：2. 副标题, 名称：第2讲 副标题
    re.compile(
        rf"^(?P<name>.+?)\s*(?:[:：]|——|—)\s*(?:第\s*)?(?P<index>{_NUM})"
        rf"\s*(?:(?P<dot>[、．.])|{_UNIT}\s*[、．.:：]?)(?P<gap>\s*)(?P<subtitle>.+?){_TAIL_PART}$"
    ),
    # 名称（上）, 名称（下）：副标题
    re.compile(
        rf"^(?P<name>.+?)\s*{_OPEN}\s*(?P<part>{_PART})\s*{_CLOSE}"
        rf"(?:\s*{_SEP}\s*(?P<subtitle>.+))?$"
    ),
    # 卷积网络入门第3节, 深度学习笔记 第三篇：副标题, 周刊第5期
    re.compile(
        rf"^(?P<name>.+?)\s*第\s*(?P<index>{_NUM})\s*{_UNIT}"
        rf"(?:\s*{_SEP}\s*(?P<subtitle>.+?))?{_TAIL_PART}$"
    ),
    # Docker系列1：安装, 机器学习系列一、线性回归 (a subtitle is required)
    re.compile(
        rf"^(?P<name>.+?)系列\s*(?P<index>{_NUM})\s*(?P<dot>[、．.:：]|——|—|\s)"
        rf"(?P<gap>\s*)(?P<subtitle>.+?){_TAIL_PART}$"
    ),
    # 机器学习系列之三：决策树, 四大名著之二 (not 百分之五: a fraction)
    re.compile(
        rf"^(?P<name>.+?)(?:系列)?(?<!分)之(?P<index>{_CN})"
        rf"(?:\s*{_SEP}\s*(?P<subtitle>.+?))?{_TAIL_PART}$"
    ),
    # Attention, Part 2: subtitle; Attention - part III; Notes, Part Two of Five
    re.compile(
        rf"^(?P<name>.+?)(?:,\s*|\s*[:：]\s*|\s+[-–—]\s+|\s+){_EN_PART}\s*"
        rf"(?P<index>[0-9]+|{_ROMAN}|{_EN_WORD})(?:\s+of\s+(?:[0-9]+|{_EN_WORD}))?"
        r"(?:\s*(?:[:：.]|\s[-–—])\s*(?P<subtitle>.+))?$"
    ),
    # Weekly notes #3: subtitle
    re.compile(
        r"^(?P<name>.+?)\s+#(?P<index>[0-9]+)"
        r"(?:\s*(?:[:：.]|\s[-–—])\s*(?P<subtitle>.+))?$"
    ),
]


def parse_title(
    title: str, extra_patterns: Iterable[re.Pattern[str]] = ()
) -> TitleParts | None:
    """The series a title announces, or None.

    ``extra_patterns`` (a site's own, tried first) must match the whole title
    and name their groups ``name`` and optionally ``index``, ``part``,
    ``subtitle``; a title they match without a number is placed by its date.
    """
    title = " ".join(title.split())
    for pattern in extra_patterns:
        match = pattern.fullmatch(title)
        if match:
            found = _accept(match.groupdict(), strict=False)
            if found:
                return found
    for pattern in FORMS:
        match = pattern.match(title)
        if match:
            found = _accept(match.groupdict(), strict=True)
            if found:
                return found
    return None


def _accept(groups: dict[str, str | None], *, strict: bool) -> TitleParts | None:
    """Check one regex match and turn it into TitleParts, or refuse it."""
    name = (groups.get("name") or "").strip(" :：—-–|·")
    if not name or not any(ch.isalnum() for ch in name):
        return None
    index_text = groups.get("index") or groups.get("index_arabic")
    index = None
    if index_text is not None:
        index = parse_number(index_text)
        if index is None or (strict and index > MAX_TITLE_NUMBER):
            return None
    subtitle = (groups.get("subtitle") or "").strip()
    dot = groups.get("dot")
    if strict and dot and _number_continues(dot + (groups.get("gap") or ""), subtitle):
        return None  # 2.5倍, 3.x, 2、3月
    part_text = groups.get("part2") or groups.get("part")
    part = part_text.strip()[0] if part_text and part_text.strip() else None
    if part not in PARTS:
        part = None
    if strict and index is None and part is None:
        return None  # a site's own pattern may name a series without a number
    return TitleParts(name, index, part, subtitle)


def _number_continues(dot: str, subtitle: str) -> bool:
    """True when the text after ``2.`` or ``2、`` continues a number: 2.5, 3.x
    (``dot`` is the delimiter with the spaces that follow it)."""
    if not subtitle:
        return False
    first = subtitle[0]
    if first.isdigit():
        return True
    return dot in (".", "．") and first.isascii() and first.isalnum()


def series_key(name: str) -> str:
    """The name two posts must share to be in one series: width, case and
    spaces do not count (``Transformer 升级之路`` is ``transformer升级之路``)."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())
