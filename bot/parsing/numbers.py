"""Numbers written in words ("thirty-four", "seven and a half", "三十四") turned into digits."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}


def _alternatives(table: dict[str, int]) -> str:
    return "|".join(sorted(table, key=len, reverse=True))


_ENGLISH_NUMBER = re.compile(
    rf"\b(?:(?P<tens>{_alternatives(_TENS)})(?:[\s-]+(?P<tens_unit>{_alternatives(_UNITS)}))?"
    rf"|(?P<teen>{_alternatives(_TEENS)})|(?P<unit>{_alternatives(_UNITS)}))\b"
    rf"(?:(?P<half>\s+and\s+a\s+half)|\s+point\s+(?P<decimal>{_alternatives(_UNITS)}))?"
)

_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CHINESE_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CHINESE_NUMBER = re.compile(
    r"(?P<number>[零一二两三四五六七八九十]+)(?:点(?P<decimal>[零一二三四五六七八九]{1,3}))?"
    # then a unit, a particle that ends a spoken sentence (了, 咧, 嘞, 啦...), or no more Chinese
    r"(?=[岁周年个月天星日号次片颗毫粒了咧嘞啦呀啊吧呢哦噢左mM]|$|[^\u4e00-\u9fff])"
)


def _english_value(match: re.Match[str]) -> str:
    if match["tens"]:
        value: float = _TENS[match["tens"]] + (
            _UNITS[match["tens_unit"]] if match["tens_unit"] else 0
        )
    elif match["teen"]:
        value = _TEENS[match["teen"]]
    else:
        value = _UNITS[match["unit"]]
    if match["half"]:
        return f"{value}.5"
    if match["decimal"]:
        return f"{value}.{_UNITS[match['decimal']]}"
    return str(value)


def _chinese_integer(numeral: str) -> int | None:
    """0..99 written in Chinese numerals ("三十四", "十二", "七"); None for other shapes."""
    if "十" not in numeral:
        return _CHINESE_DIGITS[numeral] if len(numeral) == 1 else None
    tens_part, _, units_part = numeral.partition("十")
    if len(tens_part) > 1 or len(units_part) > 1 or "十" in units_part:
        return None
    tens = _CHINESE_DIGITS[tens_part] if tens_part else 1
    units = _CHINESE_DIGITS[units_part] if units_part else 0
    return tens * 10 + units


def _chinese_value(match: re.Match[str]) -> str:
    value = _chinese_integer(match["number"])
    if value is None:
        return match.group()
    if match["decimal"]:
        return f"{value}." + "".join(str(_CHINESE_DIGITS[digit]) for digit in match["decimal"])
    return str(value)


def words_to_digits(prepared: str) -> str:
    """Replace numbers written in English or Chinese words by digits; the rest is unchanged."""
    converted = _ENGLISH_NUMBER.sub(_english_value, prepared)
    return _CHINESE_NUMBER.sub(_chinese_value, converted)


# Markup, templates and code ("<script>alert(1)</script>", "{{7*7}}", "${7*7}", "&#52;"): their
# digits are never an answer.
_MARKUP = re.compile(
    r"[<>{}\[\]$`\\|^=]|&#?\w+;|/\*|\*/|;\s*--"
    r"|\b(?:select|insert|drop|union|delete|update)\b.*\b(?:from|table|into|select|set)\b"
)
# Arithmetic and calls ("7*7", "6+1", "print(34)"): code-like where a bare number is expected.
_CODE = re.compile(r"\d\s*[*×+]|[*×]\s*\d|[a-z_]\(")


def looks_like_code(prepared: str, *, arithmetic: bool = True) -> bool:
    """True for markup, templating or code-like text, whose numbers must not be read. With
    `arithmetic` False, "2 x 5mg" style products and "medrol(4mg)" are allowed (doses)."""
    if _MARKUP.search(prepared):
        return True
    return arithmetic and bool(_CODE.search(prepared))
