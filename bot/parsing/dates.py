"""Calendar dates written by patients ("3/4/1980", "April 3 1980", "2024-03", "1980年4月3日").

A written date may be incomplete (a month, a year) or ambiguous (3/4 is 3 April or 4 March), so
each mention is read as the list of date ranges it could mean; the callers decide what follows.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_PLACEHOLDER = " # "


@dataclass(frozen=True)
class DateRange:
    earliest: datetime.date
    latest: datetime.date


@dataclass(frozen=True)
class DateMention:
    """One written date: the ranges it could mean; `has_year` is False for "March" or "June 3"."""

    ranges: tuple[DateRange, ...]
    has_year: bool


def _day_range(year: int, month: int, day: int) -> DateRange | None:
    try:
        day_date = datetime.date(year, month, day)
    except ValueError:
        return None
    return DateRange(day_date, day_date)


def month_range(year: int, month: int) -> DateRange | None:
    if not (1 <= month <= 12 and datetime.MINYEAR <= year <= datetime.MAXYEAR):
        return None
    last_day = calendar.monthrange(year, month)[1]
    return DateRange(datetime.date(year, month, 1), datetime.date(year, month, last_day))


def year_range(year: int) -> DateRange | None:
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        return None
    return DateRange(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def _years_of(written: str) -> list[int]:
    """A 4-digit year as is; a 2-digit year as 19xx or 20xx (the caller rules one out)."""
    number = int(written)
    return [number] if len(written) == 4 else [1900 + number, 2000 + number]


def _unique(ranges: list[DateRange | None]) -> tuple[DateRange, ...]:
    found: list[DateRange] = []
    for date_range in ranges:
        if date_range is not None and date_range not in found:
            found.append(date_range)
    return tuple(found)


def _month_number(written: str) -> int:
    return MONTHS[written.rstrip(".")]


def _numeric_full(match: re.Match[str]) -> DateMention:
    first, second = int(match[1]), int(match[2])
    ranges = []
    for year in _years_of(match[3]):
        ranges.append(_day_range(year, second, first))
        ranges.append(_day_range(year, first, second))
    return DateMention(_unique(ranges), has_year=True)


def _pattern_readers() -> list[tuple[re.Pattern[str], object]]:
    def iso_day(m: re.Match[str]) -> DateMention:
        return DateMention(_unique([_day_range(int(m[1]), int(m[2]), int(m[3]))]), True)

    def chinese(m: re.Match[str]) -> DateMention:
        year = int(m[1])
        if m[2] and m[3]:
            found = _day_range(year, int(m[2]), int(m[3]))
        elif m[2]:
            found = month_range(year, int(m[2]))
        else:
            found = year_range(year)
        return DateMention(_unique([found]), True)

    def day_month_year(m: re.Match[str]) -> DateMention:
        month = _month_number(m[2])
        return DateMention(
            _unique([_day_range(y, month, int(m[1])) for y in _years_of(m[3])]), True
        )

    def month_day_year(m: re.Match[str]) -> DateMention:
        month = _month_number(m[1])
        return DateMention(
            _unique([_day_range(y, month, int(m[2])) for y in _years_of(m[3])]), True
        )

    def month_year(m: re.Match[str]) -> DateMention:
        return DateMention(_unique([month_range(int(m[2]), _month_number(m[1]))]), True)

    def numeric_month_year(m: re.Match[str]) -> DateMention:
        return DateMention(_unique([month_range(int(m[2]), int(m[1]))]), True)

    def iso_month(m: re.Match[str]) -> DateMention:
        return DateMention(_unique([month_range(int(m[1]), int(m[2]))]), True)

    def year_only(m: re.Match[str]) -> DateMention:
        return DateMention(_unique([year_range(int(m[1]))]), True)

    return [
        (re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"), iso_day),
        (re.compile(r"(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?)?"), chinese),
        (re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b"), _numeric_full),
        (re.compile(rf"\b{_DAY}(?:\s+of)?\s+({_MONTH}),?\s+(\d{{4}})\b"), day_month_year),
        (re.compile(rf"\b({_MONTH})\s+{_DAY},?\s+(\d{{4}})\b"), month_day_year),
        (re.compile(rf"\b({_MONTH}),?\s+(?:of\s+)?(\d{{4}})\b"), month_year),
        (re.compile(r"\b(\d{1,2})[/-](\d{4})\b"), numeric_month_year),
        (re.compile(r"\b(\d{4})[-/](\d{1,2})\b"), iso_month),
        (re.compile(r"\b(1[89]\d\d|2\d\d\d)\b"), year_only),
    ]


_READERS = _pattern_readers()
_DAY_MONTH = re.compile(rf"\b{_DAY}(?:\s+of)?\s+({_MONTH})(?![a-z])")
_MONTH_DAY = re.compile(rf"\b({_MONTH})\s+{_DAY}\b(?!\s*(?:mg|years?|months?|weeks?|days?))")
# A month name alone: full names, except "may" (a common verb), which needs a lead-in word.
_FULL_MONTH = "|".join(name for name in MONTHS if len(name) > 4 and name != "may") + "|june|july"
_MONTH_ALONE = re.compile(
    rf"\b(?:(?P<lead>in|last|since|early|late|mid|this|past|of)\s+(?P<led>{_MONTH})(?![a-z])"
    rf"|(?P<alone>{_FULL_MONTH}))\b"
)
_CHINESE_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?")


@dataclass(frozen=True)
class YearlessDate:
    """A month, or a month and day, written without a year ("March", "June 3", "3月")."""

    month: int
    day: int | None
    before_this_month: bool = False  # "last March" said in March means a year ago


def find_dates(prepared: str) -> tuple[list[DateMention], str]:
    """Dates that name a year, and the text with them blanked out (for the other readers)."""
    mentions: list[DateMention] = []
    rest = prepared
    for pattern, reader in _READERS:

        def consume(match: re.Match[str], reader: object = reader) -> str:
            mentions.append(reader(match))  # type: ignore[operator]
            return _PLACEHOLDER

        rest = pattern.sub(consume, rest)
    return mentions, rest


def find_yearless_dates(rest: str) -> tuple[list[YearlessDate], str]:
    """Month names, or month and day, without a year ("in June", "last March", "November 10")."""
    found: list[YearlessDate] = []

    def with_day(month_group: int, day_group: int):
        def consume(match: re.Match[str]) -> str:
            found.append(YearlessDate(_month_number(match[month_group]), int(match[day_group])))
            return _PLACEHOLDER

        return consume

    def chinese(match: re.Match[str]) -> str:
        found.append(YearlessDate(int(match[1]), int(match[2]) if match[2] else None))
        return _PLACEHOLDER

    def month_alone(match: re.Match[str]) -> str:
        before_this_month = match["lead"] in ("last", "past")
        month = _month_number(match["led"] or match["alone"])
        found.append(YearlessDate(month, None, before_this_month))
        return _PLACEHOLDER

    rest = _DAY_MONTH.sub(with_day(2, 1), rest)
    rest = _MONTH_DAY.sub(with_day(1, 2), rest)
    rest = _CHINESE_MONTH_DAY.sub(chinese, rest)
    rest = _MONTH_ALONE.sub(month_alone, rest)
    return found, rest
