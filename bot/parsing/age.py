"""Age in years, from "34", "thirty four", "I'm 34 years old", "34岁" or a date of birth."""

from __future__ import annotations

import datetime
import re

from bot.parsing.dates import MONTHS, find_dates
from bot.parsing.numbers import looks_like_code, words_to_digits
from bot.parsing.text import UNSURE, is_unsure, prepare

MAX_AGE = 120
# A whole number that may be an age: not part of a decimal or a date, and not followed by a unit
# that makes it something else ("60 kg", "10 mg", "3 kids").
_AGE_NUMBER = re.compile(
    r"(?<![a-z\d.,/_-])(\d{1,3})(?!\d)(?![.,]\d)(?!\s*'?s\b)(?!\s*(?:kg|kgs|kilo|lb|lbs|pounds?|cm|m\b|mg|ml|g\b|%|mmol|"
    r"months?|weeks?|days?|hours?|kids|children|times|公斤|斤|厘米|毫克|个月|月|号|日|周|天|次|个礼拜|礼拜|个星期|星期|年))"
)


# Digits glued to letters, other than the ways people write "years old" ("34yo", "34y", "34yrs").
_DIGITS_RUN_INTO_LETTERS = re.compile(r"\d(?!(?:yo|y|yrs?|years?|岁)\b)[a-z]", re.IGNORECASE)


def age_on(born: datetime.date, today: datetime.date) -> int:
    """Whole years from `born` to `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _ages_from_dates(
    prepared: str, today: datetime.date
) -> tuple[list[tuple[int, int]], str, bool]:
    """The (youngest, oldest) ages each written date of birth allows, the remaining text, and
    whether a date was impossible (in the future or more than 120 years ago)."""
    mentions, rest = find_dates(prepared)
    ages: list[tuple[int, int]] = []
    impossible = False
    for mention in mentions:
        possible: list[int] = []
        for date_range in mention.ranges:
            if date_range.earliest > today:
                continue
            latest = min(date_range.latest, today)
            oldest, youngest = age_on(date_range.earliest, today), age_on(latest, today)
            if youngest <= MAX_AGE:
                possible.extend({oldest, youngest})
        if not possible:
            impossible = True
        else:
            ages.append((min(possible), max(possible)))
    return ages, rest, impossible


_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
# Just before a number: it is the age the patient will soon be ("almost 70", "I'll be 18").
_SOON_BEFORE = re.compile(
    r"(?:\b(?:almost|nearly|not quite|just under|soon|about to (?:turn|be)|i'?ll be|i will be"
    r"|will be|will turn|turning|going to be|gonna be)|快要?满?|将近|马上就?要?满?|快到|就要满?"
    r"|(?:下个?月|下周|下星期|过几天|再过\S{1,4})\s*(?:就|要|就要)?满?)"
    r"\s*(?:the\s+age\s+of\s+|age\s+)?$"
)
# Just after a number: when the patient will be that age ("18 next month", "51 in June").
_SOON_AFTER = re.compile(
    r"^\s*(?:years?\s+old\s*|yrs?\s+old\s*|岁\s*)?(?:,\s*)?"
    r"(?:next\s+(?:week|month|spring|summer|autumn|fall|winter)|later\s+this\s+(?:year|month)"
    rf"|next\s+(?:{_MONTH_NAMES})\b|soon|shortly"
    r"|in\s+(?:\d+|a|an|a\s+few|a\s+couple\s+of|a\s+couple)\s+(?:days?|weeks?|months?)"
    rf"|in\s+(?:{_MONTH_NAMES})\b|come\s+(?:{_MONTH_NAMES}|spring|summer|autumn|fall|winter)\b"
    r"|on\s+(?:my\s+)?birthday|下个?月|下周|下星期|马上|快了)"
)
# Just before a number: how old someone feels or looks, not their age.
_NOT_THE_AGE_BEFORE = re.compile(
    r"\b(?:feel|feels|felt|look|looks|looked|act|acts)\s+(?:like\s+|about\s+|around\s+)*$"
    r"|(?:感觉|看着|看起来|像)(?:有|是)?$"
)
# Just before a number: an age already reached ("turned 70 in August", "just turned 18").
_REACHED_BEFORE = re.compile(
    r"\b(?:turned|became|hit|reached)\s*(?:the\s+age\s+of\s+)?$|(?:刚刚?|已经?)满\s*$"
)
_NEXT_YEAR_AFTER = re.compile(
    r"^\s*(?:(?:years?\s+old\s*)?(?:,\s*)?next\s+year|岁?明年)"  # not "17岁 明年2月才满18"
)
_NEXT_YEAR_BEFORE = re.compile(r"(?:\bnext\s+year\b|明年)[^,，;；]*$")
# "70 this month": the birthday may or may not have passed.
_THIS_AFTER = re.compile(r"^\s*(?:years?\s+old\s*|岁\s*)?(?:,\s*)?(?:this\s+(?:week|month|year))")
# A clause about the illness or the past: its dates and numbers are not the patient's age now
# ("diagnosed in 2019", "2019年确诊", "since I was 19").
_NOT_NOW = re.compile(
    r"diagnos|\b(?:dx|since|ago|when i was|back when|found out|started)\b"
    r"|确诊|诊断|发病|得病|查出|患病|以前|之前|那年|时候|开始"
)
# A clause naming the illness: its dates are not a date of birth ("lupus in 2019").
_ILLNESS = re.compile(r"\b(?:lupus|sle|flares?)\b|狼疮")
# Two ages given as a range or alternatives ("34-35", "34 or 35"): which one is it?
_ALTERNATIVES = re.compile(r"\d\s*(?:-|–|~|/|\bto\b|\bor\b|到|至|或)\s*\d")
# A two-digit year of birth ("88年的", "88年出生", "born in '88"): no one says their age with 年.
_TWO_DIGIT_BIRTH_YEAR = re.compile(
    r"(?<![\d.])(\d{2})\s*年(?!\s*(?:前|以前|之前|了|多|半|代|级))"
    r"|\b(?:born|birth)\s+(?:in\s+)?'?(\d{2})\b(?![.:/-]\d)"
    r"(?!\s*(?:st|nd|rd|th|of|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|\d))"
)


def _with_full_birth_years(prepared: str, today: datetime.date) -> str:
    """Two-digit years of birth written out: the latest such year that has passed."""

    def full(match: re.Match[str]) -> str:
        two = int(match[1] or match[2])
        year = 2000 + two if 2000 + two <= today.year else 1900 + two
        return match[0].replace(match[1] or match[2], str(year), 1)

    return _TWO_DIGIT_BIRTH_YEAR.sub(full, prepared)


# 周岁 is the age in full years (the one asked), written as 岁 so "周" is not read as weeks.
_FULL_YEARS = re.compile(r"(?<=[\d零一二两三四五六七八九十])\s*(?:周岁|足岁)")


# A school year is no age: "上高一", "读初三", "大二", "in grade 10", "year 11", "10th grade".
_SCHOOL_YEAR = re.compile(
    r"(?:[小初高大研][一二三四五六1-6])(?![\d岁])|[一二三四五六七八九1-9]年级"
    r"|\b(?:grade|year|form|yr)\s*\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)\s+grade\b"
)
_BORN = re.compile(r"\b(?:born|birth|dob|b\.)|出生|生日|生于")
_CLAUSE = re.compile(r",(?!\s*\d{4}\b)|[;!?，。；！？]|\.(?!\d)|\b(?:and|but)\b|但是|但|而且")


def _about_now(prepared: str) -> str:
    """The text without its clauses about the illness or the past."""
    kept = []
    for clause in _CLAUSE.split(prepared):
        if _NOT_NOW.search(clause) and not _BORN.search(clause):
            kept.append(" # ")
        elif _ILLNESS.search(clause) and not _BORN.search(clause):
            kept.append(find_dates(clause)[1])
        else:
            kept.append(clause)
    return " , ".join(kept)


def _number_ages(rest: str) -> list[tuple[int, int]] | None:
    """(youngest, oldest) for each number read as an age: the age now, or the age the patient
    will soon be ("turning 18 in January": 17); None for an impossible number."""
    found = []
    for match in _AGE_NUMBER.finditer(rest):
        age = int(match[1])
        if not 0 <= age <= MAX_AGE:
            return None
        before, after = rest[max(0, match.start() - 30) : match.start()], rest[match.end() :]
        if _NOT_THE_AGE_BEFORE.search(before):
            continue  # "but I feel about fifty"
        if _REACHED_BEFORE.search(before):
            found.append((age, age))  # "my mom turned 70 in August": that birthday is behind
        elif _NEXT_YEAR_AFTER.match(after) or _NEXT_YEAR_BEFORE.search(before):
            found.append((age - 2, age - 1))
        elif _SOON_BEFORE.search(before) or _SOON_AFTER.match(after):
            found.append((age - 1, age - 1))
        elif _THIS_AFTER.match(after):
            found.append((age - 1, age))
        else:
            found.append((age, age))
    return found


def parse_age(text: str, today: datetime.date) -> int | dict[str, int] | str | None:
    """Age in whole years (0..120) | {"min_years", "max_years"} | UNSURE | None.

    A date of birth that leaves two neighbouring ages possible (a year only, or day and month
    that may be swapped) gives that range: the engine decides whether it matters, so "born in
    1950" needs no second question while "born in 2008" does. An age the patient will soon be
    counts as the age before it ("almost 70", "I'll be 18 next month", 快四十了); two ages that
    say the same ("fifty, fifty one in June") give that age; ages that disagree, a year given
    with the diagnosis ("diagnosed in 2019") and code-like text give None.
    """
    prepared = _FULL_YEARS.sub("岁", prepare(text))
    if looks_like_code(prepared):
        return None
    prepared = _SCHOOL_YEAR.sub(" # ", _with_full_birth_years(words_to_digits(prepared), today))
    ages, rest, impossible = _ages_from_dates(_about_now(prepared), today)
    if _DIGITS_RUN_INTO_LETTERS.search(rest) or _ALTERNATIVES.search(rest):
        return None  # "6o", "3four": a typo we must not read as a smaller age; "34 or 35"
    numbers = _number_ages(rest)
    if numbers is None or impossible:
        return None
    ages.extend(numbers)
    if not ages:
        return UNSURE if is_unsure(prepared) else None
    youngest = max(low for low, _ in ages)
    oldest = min(high for _, high in ages)
    if youngest < 0 or oldest < youngest or oldest > MAX_AGE:
        return None
    if youngest == oldest:
        return youngest
    if oldest - youngest == 1:
        return {"min_years": youngest, "max_years": oldest}
    return None
