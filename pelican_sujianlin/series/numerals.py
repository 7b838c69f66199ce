"""Numbers as written in titles: Arabic, full-width and Chinese numerals.

:func:`parse_number` turns ``"15"``, ``"１５"``, ``"十五"``, ``"一百零五"``,
``"两千"``, ``"二〇二四"`` or ``"壹佰"`` into an ``int`` and returns ``None``
for anything that is not one well-formed number. It is pure and strict: a
title parser relies on it to tell ``（十五）`` (a part number) from ``（续）``.
"""

from __future__ import annotations

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

CHINESE_NUMERAL_CHARS = (
    frozenset(DIGITS) | frozenset(SMALL_UNITS) | frozenset(BIG_UNITS)
)
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_number(text: str) -> int | None:
    """The value of one number written in Arabic or Chinese numerals, or None."""
    text = text.strip()
    if not text:
        return None
    ascii_text = text.translate(FULL_WIDTH_DIGITS)
    if ascii_text.isascii():
        return int(ascii_text) if ascii_text.isdigit() else None
    if not set(text) <= CHINESE_NUMERAL_CHARS:
        return None
    if not any(ch in SMALL_UNITS or ch in BIG_UNITS for ch in text):
        return _parse_positional(text)
    return _parse_with_units(text)


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


# --- writing: the inverse, for part numbers in generated text and for tests ----

WRITE_DIGITS = "零一二三四五六七八九"
GROUP_NAMES = ("", "万", "亿")


def to_chinese(
    number: int, *, explicit_ten: bool = False, liang: bool = False, zero: str = "零"
) -> str:
    """Write 0 <= number < 10**12 in standard Chinese numerals: 105 -> 一百零五.

    ``explicit_ten`` writes 10-19 as 一十, 一十五 instead of 十, 十五; ``liang``
    writes a 2 before 百, 千, 万 or 亿 as 两; ``zero`` is the zero sign (零 or 〇).
    """
    if not 0 <= number < 10**12:
        raise ValueError(f"{number} is out of range")
    if number == 0:
        return zero
    groups = []  # groups of four digits, lowest first
    while number:
        number, group = divmod(number, 10**4)
        groups.append(group)
    out: list[str] = []
    gap = False  # a whole group of zeros since the last one written
    for position in range(len(groups) - 1, -1, -1):
        group = groups[position]
        if group == 0:
            gap = bool(out)
            continue
        if out and (gap or group < 1000):
            out.append(zero)
        bare_ten = not out and not explicit_ten
        out.append(_write_group(group, bare_ten=bare_ten, liang=liang, zero=zero))
        out.append(GROUP_NAMES[position])
        gap = False
    text = "".join(out)
    if liang and text.startswith("二") and len(text) > 1 and text[1] in "万亿":
        text = "两" + text[1:]
    return text


def _write_group(group: int, *, bare_ten: bool, liang: bool, zero: str) -> str:
    """Write 1..9999 without a leading zero: 1005 -> 一千零五, 15 -> 十五."""
    out = []
    started = pending_zero = False
    for digit, unit in zip(f"{group:04d}", ("千", "百", "十", ""), strict=True):
        value = int(digit)
        if value == 0:
            pending_zero = started
            continue
        if pending_zero:
            out.append(zero)
            pending_zero = False
        if unit == "十" and value == 1 and not started and bare_ten:
            pass  # 十五, not 一十五
        elif value == 2 and liang and unit in ("千", "百"):
            out.append("两")
        else:
            out.append(WRITE_DIGITS[value])
        out.append(unit)
        started = True
    return "".join(out)


def to_positional(number: int, *, zero: str = "〇") -> str:
    """Write a non-negative int digit by digit, as years are: 2024 -> 二〇二四."""
    return "".join(zero if d == "0" else WRITE_DIGITS[int(d)] for d in str(number))
