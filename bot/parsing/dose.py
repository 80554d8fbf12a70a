"""Daily steroid dose from "10mg", "ten milligrams", "7.5", "2.5 mg twice a day", "4 mg Medrol"."""

from __future__ import annotations

import re

from bot.lexicon import Lexicon
from bot.parsing.numbers import words_to_digits
from bot.parsing.text import UNSURE, has_phrase, is_unsure, phrase_pattern, prepare
from bot.parsing.yes_no import yes_no_signal

MAX_BARE_MG = 200.0
MAX_MG = 2000.0
_NUMBER = r"(\d+,\d(?!\d)|\d+(?:\.\d+)?)"
_MG = r"(?:mg|mgs|milligrams?|milligrammes?|millig|毫克)"
_MICROGRAMS = r"(?:mcg|µg|μg|micrograms?|微克)"
_GRAMS = r"(?:g|gm|grams?|克)"
_TABLET = r"(?:tablets?|tabs?|pills?|caps?|capsules?|片|粒)"
_STRENGTH_COUNT = re.compile(
    rf"\b{_NUMBER}\s*(?:x|×|\*|times)\s*{_NUMBER}\s*{_MG}"
    rf"|\b{_NUMBER}\s*{_TABLET}\s+(?:of\s+)?{_NUMBER}\s*{_MG}"
    rf"|\b{_NUMBER}\s+(?:of\s+)?(?:the\s+)?{_NUMBER}\s*{_MG}\s*{_TABLET}"
)
_AMOUNT = re.compile(
    rf"(?<![\d./])(?P<value>{_NUMBER[1:-1]})\s*"
    rf"(?P<unit>{_MG}|{_MICROGRAMS}|{_GRAMS}(?![a-z])|{_TABLET})?(?!\d)(?!/\d)"
)
# A number followed by one of these is a duration or a count, not a dose ("for 2 weeks").
_NOT_A_DOSE = re.compile(
    r"\s*(?:days?|weeks?|months?|years?|yrs?|hours?|hrs?|times|years? old|yo\b"
    r"|天|周|个月|年|次|岁|小时)"
)
# Times a day; searched longest first. 'a day' / 'daily' alone change nothing.
_FREQUENCIES = {
    "four times a day": 4,
    "four times daily": 4,
    "4 times a day": 4,
    "4 times daily": 4,
    "qid": 4,
    "q i d": 4,
    "every 6 hours": 4,
    "three times a day": 3,
    "three times daily": 3,
    "3 times a day": 3,
    "3 times daily": 3,
    "thrice daily": 3,
    "thrice a day": 3,
    "tid": 3,
    "t i d": 3,
    "tds": 3,
    "every 8 hours": 3,
    "twice a day": 2,
    "twice daily": 2,
    "twice per day": 2,
    "two times a day": 2,
    "2 times a day": 2,
    "2 times daily": 2,
    "2x a day": 2,
    "2x daily": 2,
    "bid": 2,
    "b i d": 2,
    "bd": 2,
    "every 12 hours": 2,
    "morning and evening": 2,
    "morning and night": 2,
    "every other day": 0.5,
    "every second day": 0.5,
    "alternate days": 0.5,
    "on alternate days": 0.5,
    "once a week": 1 / 7,
    "twice a week": 2 / 7,
    "three times a week": 3 / 7,
    "weekly": 1 / 7,
    "a week": 1 / 7,
    "per week": 1 / 7,
    "每日两次": 2,
    "一日两次": 2,
    "每天两次": 2,
    "一天两次": 2,
    "每日2次": 2,
    "每天2次": 2,
    "一天2次": 2,
    "每日三次": 3,
    "每天三次": 3,
    "每日3次": 3,
    "每天3次": 3,
    "一天3次": 3,
    "隔日": 0.5,
    "隔天": 0.5,
}
_NONE_PHRASES = (
    "none",
    "no steroid",
    "no steroids",
    "not taking",
    "not on",
    "dont take",
    "do not take",
    "stopped",
    "quit",
    "not anymore",
    "no longer",
    "off steroids",
    "nothing",
    "停了",
    "停药",
    "不吃",
    "没吃",
    "没有",
)


_FRACTION_WORDS = re.compile(r"\b(?:half|halves|quarter|third)\b|半片|半粒")
_CLAUSE_BREAK = re.compile(r"[,;，；、]|\band\b|\bplus\b|\balso\b|\bwith\b|和|还有|加上")


def _number(written: str) -> float:
    return float(written.replace(",", "."))


_FREQUENCY_PATTERNS = [
    (phrase_pattern(phrase), times)
    for phrase, times in sorted(_FREQUENCIES.items(), key=lambda item: -len(item[0]))
]


def _take_frequencies(prepared: str) -> tuple[list[float], str]:
    """Times-a-day phrases found (longest first), and the text with them blanked out."""
    found = []
    rest = prepared
    for pattern, times in _FREQUENCY_PATTERNS:
        rest, count = pattern.subn(" # ", rest)
        found.extend([times] * count)
    return found, rest


def _amounts(prepared: str) -> list[float] | None:
    """Milligram amounts written in the text; None when an amount is in tablets only or bare
    numbers leave it open which one is the dose. With a unit written, bare numbers are ignored."""
    strength = _STRENGTH_COUNT.search(prepared)
    if strength:
        numbers = [_number(group) for group in strength.groups() if group is not None]
        return [numbers[0] * numbers[1]]
    with_unit: list[float] = []
    bare: list[float] = []
    for match in _AMOUNT.finditer(prepared):
        value, unit = _number(match["value"]), match["unit"] or ""
        if re.fullmatch(_TABLET, unit):
            return None
        if re.fullmatch(_MICROGRAMS, unit):
            with_unit.append(value / 1000)
        elif re.fullmatch(_GRAMS, unit):
            with_unit.append(value * 1000)
        elif unit:
            with_unit.append(value)
        elif 0 <= value <= MAX_BARE_MG and not _NOT_A_DOSE.match(prepared, match.end()):
            bare.append(value)
    if with_unit:
        return with_unit
    return bare if len(bare) <= 1 else None


def _is_steroid(lexicon: Lexicon, medicine_id: str) -> bool:
    return lexicon.medicine(medicine_id).drug_class == "corticosteroid"


def _steroid_part(prepared: str, lexicon: Lexicon) -> tuple[str | None, str | None]:
    """The first steroid named, and the part of the text about it: when other medicines are
    named too ("7.5 mg prednisone, 400 mg Plaquenil"), only the clauses naming the steroid."""
    named = lexicon.find_medicines(prepared)
    steroids = [m for m in named if _is_steroid(lexicon, m)]
    steroid = steroids[0] if steroids else None
    if len(steroids) == len(named):
        return steroid, prepared
    if steroid is None:
        return None, None
    clauses = [
        clause
        for clause in _CLAUSE_BREAK.split(prepared)
        if any(_is_steroid(lexicon, m) for m in lexicon.find_medicines(clause))
    ]
    return steroid, " ".join(clauses)


def parse_steroid_dose(text: str, lexicon: Lexicon) -> dict[str, object] | str | None:
    """{"medicine": steroid id | None, "mg_per_day": float} | "none" | UNSURE | None."""
    prepared = prepare(text)
    steroid, about_steroid = _steroid_part(prepared, lexicon)
    if about_steroid is None or _FRACTION_WORDS.search(words_to_digits(prepared)):
        return None
    frequencies, rest = _take_frequencies(about_steroid)
    amounts = _amounts(words_to_digits(rest))
    if amounts is None:
        return None
    if not amounts:
        if has_phrase(prepared, _NONE_PHRASES) or yes_no_signal(prepared) == "no":
            return "none"
        return UNSURE if is_unsure(prepared) else None
    if len(frequencies) > 1 or (frequencies and len(amounts) > 1):
        return None
    times_a_day = frequencies[0] if frequencies else 1.0
    mg_per_day = round(sum(amounts) * times_a_day, 4)
    if mg_per_day == 0:
        return "none"
    if mg_per_day > MAX_MG:
        return None
    return {"medicine": steroid, "mg_per_day": mg_per_day}
