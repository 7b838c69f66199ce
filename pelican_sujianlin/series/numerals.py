"""Numbers as written in titles: Arabic, full-width and Chinese numerals.

:func:`parse_number` turns ``"15"``, ``"１５"``, ``"十五"``, ``"一百零五"``,
``"两千"``, ``"二〇二四"``, ``"壹佰"``, Roman ``"XIV"`` or English ``"three"``
(up to twenty, as English titles write parts) into an ``int`` and returns ``None``
for anything that is not one well-formed number. It is pure and strict: a
title parser relies on it to tell ``（十五）`` (a part number) from ``（续）``.
"""

from __future__ import annotations

import re

DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "壹": 1,
    "二": 2,
    "贰": 2,
    "貳": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "叁": 3,
    "參": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "陸": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
ZEROS = frozenset("零〇○")
NO_UNIT = 10**5
MAX_NUMBER = 10**15
MAX_NUMERAL_CHARS = 40

CHINESE_NUMERAL_CHARS = (
    frozenset(DIGITS) | frozenset(SMALL_UNITS) | frozenset(BIG_UNITS)
)
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

ENGLISH_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen"
    " fourteen fifteen sixteen seventeen eighteen nineteen twenty"
)
ENGLISH_NUMBERS = {
    word: value for value, word in enumerate(ENGLISH_WORDS.split(), start=1)
}
ROMAN = re.compile(r"(?=[IVX])X{0,3}(?:IX|IV|V?I{0,3})")  # I to XXXIX
ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}


def parse_number(text: str) -> int | None:
    """The value of one number written in Arabic, Chinese or Roman numerals or
    English words, or None (also above :data:`MAX_NUMBER`: no series has that
    many parts, and int() refuses more than 4,300 digits)."""
    text = text.strip()
    if not text:
        return None
    ascii_text = text.translate(FULL_WIDTH_DIGITS)
    if ascii_text.isascii():
        if ascii_text.isdigit():
            digits = ascii_text.lstrip("0") or "0"
            if len(digits) > len(str(MAX_NUMBER)):
                return None
            value = int(digits)
            return value if value <= MAX_NUMBER else None
        if ROMAN.fullmatch(ascii_text):
            return _parse_roman(ascii_text)
        return ENGLISH_NUMBERS.get(ascii_text.lower())
    if not set(text) <= CHINESE_NUMERAL_CHARS or len(text) > MAX_NUMERAL_CHARS:
        return None
    if not any(ch in SMALL_UNITS or ch in BIG_UNITS for ch in text):
        value = _parse_positional(text)
    else:
        value = _parse_with_units(text)
    return value if value is not None and value <= MAX_NUMBER else None


def _parse_roman(text: str) -> int:
    """XIV is 14 (``text`` matched :data:`ROMAN`, so it is well formed)."""
    values = [ROMAN_VALUES[ch] for ch in text]
    return sum(
        -value if value < following else value
        for value, following in zip(values, [*values[1:], 0], strict=True)
    )


def _parse_positional(text: str) -> int:
    """Digit by digit, as years are written: 二〇二四 is 2024."""
    value = 0
    for ch in text:
        value = value * 10 + DIGITS[ch]
    return value


def _parse_with_units(text: str) -> int | None:
    """十五, 一百零五, 三万五千, 一亿零一万, and the colloquial 一百五 (150)."""
    total = 0  # the part already multiplied by 亿
    wan: int | None = None  # the part already multiplied by 万 (below 亿)
    section = 0  # the part below 万
    digit: int | None = None  # a digit waiting for its unit (0 for 零)
    last_unit = NO_UNIT  # inside a section units must decrease: 千 > 百 > 十
    for ch in text:
        if ch in DIGITS:
            zero = ch in ZEROS
            if digit not in (None, 0) or (digit == 0 and zero):
                return None  # two digits in a row (五五十) or 零零
            if zero and not (section or wan is not None or total):
                return None  # a leading 零
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            unit = SMALL_UNITS[ch]
            if unit >= last_unit:
                return None  # 十十, 十百
            if not digit:
                # Only 十 stands without a digit: at the start of a section
                # (十五, 十万) or after 零 (一千零十, tolerated).
                if unit != 10 or (section and digit is None):
                    return None
                digit = 1
            section += digit * unit
            last_unit, digit = unit, None
        else:
            unit = BIG_UNITS[ch]
            value = section + (digit or 0)
            if value == 0 or (unit == 10**4 and wan is not None):
                return None  # a bare 万, 一万二万
            if unit == 10**4:
                wan = value * unit
            else:
                total = (total + (wan or 0) + value) * unit
                wan = None
            section, digit, last_unit = 0, None, NO_UNIT
    if digit == 0:
        return None  # a trailing 零
    if digit is not None and text[-2] in SMALL_UNITS and last_unit >= 100:
        digit *= last_unit // 10  # colloquial 一百五 = 150, 三千二 = 3200
    return total + (wan or 0) + section + (digit or 0)
