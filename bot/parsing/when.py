"""When something happened, as the range of dates it could have happened on.

"2019" could be any day of 2019; "3 years ago" is one day; "over 5 years ago" is any day up to five
years back. Several statements in one answer ("since 2019, about 7 years") must agree: the answer
is what they have in common, or unreadable when they contradict each other.
"""

from __future__ import annotations

import datetime
import re

from dateutil.relativedelta import relativedelta

from bot.parsing.dates import DateRange, YearlessDate, find_dates, find_yearless_dates, month_range
from bot.parsing.numbers import words_to_digits
from bot.parsing.text import UNSURE, is_unsure, prepare

# How far back "more than N years ago" can reach: a lifetime.
_OPEN_START_YEARS = 120
_UNITS = {
    "year": "years",
    "years": "years",
    "yr": "years",
    "yrs": "years",
    "month": "months",
    "months": "months",
    "mo": "months",
    "mos": "months",
    "mth": "months",
    "mths": "months",
    "week": "weeks",
    "weeks": "weeks",
    "wk": "weeks",
    "wks": "weeks",
    "day": "days",
    "days": "days",
}
_CHINESE_UNITS = {"年": "years", "个月": "months", "周": "weeks", "星期": "weeks"}
_CHINESE_UNITS |= {"个星期": "weeks", "天": "days"}
_LIMITS = {"years": 120, "months": 1440, "weeks": 6300, "days": 44000}
_OVER = r"(?P<over>more than|over|at least|longer than|upwards of)"
_UNDER = r"(?P<under>less than|under|within|not even|almost|nearly|in the last|in the past)"
_AMOUNT = r"(?P<amount>\d+(?:\.\d+)?|an?|one|a couple of|couple of|a couple)"
_UNIT = "(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_DURATION = re.compile(
    rf"(?:\b(?:{_OVER}|{_UNDER})\s+)?\b{_AMOUNT}\s*{_UNIT}\b"
    rf"(?P<half>\s+and\s+a\s+half)?(?:\s+(?P<ago>ago|back|before))?"
)
_HALF_YEAR = re.compile(r"\b(?:half\s+a\s+year|half\s+year|6\s+months?\s+and\s+a\s+half)\b|半年")
_CHINESE_DURATION = re.compile(
    r"(?P<over>超过|多于|不止)?(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>个月|个星期|星期|年|周|天)"
    r"(?P<half>半)?(?P<more>多)?(?:前|以前|之前)?"
)
_NAMED_DAYS = {"day before yesterday": 2, "yesterday": 1, "today": 0, "this morning": 0}
_NAMED_DAYS |= {"前天": 2, "昨天": 1, "今天": 0}


def _shift(today: datetime.date, unit: str, amount: float) -> datetime.date | None:
    """`today` minus an amount of a unit; months and years by calendar (relativedelta)."""
    if amount > _LIMITS[unit]:
        return None
    if unit == "years":
        return today - relativedelta(months=round(amount * 12))
    if unit == "months":
        whole = int(amount)
        extra_days = round((amount - whole) * 30)
        return today - relativedelta(months=whole) - datetime.timedelta(days=extra_days)
    days = amount * 7 if unit == "weeks" else amount
    return today - datetime.timedelta(days=round(days))


def _amount_value(written: str) -> float:
    if written in ("a", "an", "one"):
        return 1.0
    if "couple" in written:
        return 2.0
    return float(written)


class _Reader:
    """Collects the ranges an answer states and blanks out what it has read."""

    def __init__(self, prepared: str, today: datetime.date):
        self.rest = prepared
        self.today = today
        self.ranges: list[DateRange] = []
        self.unreadable = False

    def add(self, earliest: datetime.date | None, latest: datetime.date | None) -> None:
        if earliest is None or latest is None or earliest > self.today:
            self.unreadable = True
            return
        self.ranges.append(DateRange(earliest, min(latest, self.today)))

    def add_shift(self, unit: str, amount: float, over: bool, under: bool) -> None:
        point = _shift(self.today, unit, amount)
        if point is None:
            self.unreadable = True
        elif over:
            self.add(self.today - relativedelta(years=_OPEN_START_YEARS), point)
        elif under:
            self.add(point, self.today)
        else:
            self.add(point, point)

    def read(self, pattern: re.Pattern[str], handle) -> None:
        def consume(match: re.Match[str]) -> str:
            handle(match)
            return " # "

        self.rest = pattern.sub(consume, self.rest)


def _yearless_range(found: YearlessDate, today: datetime.date) -> DateRange | None:
    """The most recent such month (or day) that is not in the future."""
    for years_back in range(2):
        year = today.year - years_back
        if found.before_this_month and year == today.year and found.month >= today.month:
            continue
        month = month_range(year, found.month)
        if month is None:
            return None
        if found.day is None:
            if month.earliest <= today:
                return DateRange(month.earliest, min(month.latest, today))
            continue
        try:
            day = datetime.date(year, found.month, found.day)
        except ValueError:
            return None
        if day <= today:
            return DateRange(day, day)
    return None


def _calendar_phrases(reader: _Reader) -> None:
    today = reader.today
    one_day = datetime.timedelta(days=1)
    monday = today - datetime.timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    previous_month = first_of_month - relativedelta(months=1)
    last_year = today.year - 1
    phrases = {
        r"\blast week\b|上周|上个星期|上星期": (monday - relativedelta(days=7), monday - one_day),
        r"\bthis week\b|这周|本周|这个星期": (monday, today),
        r"\blast month\b|上个月|上月": (previous_month, first_of_month - one_day),
        r"\bthis month\b|这个月|本月": (first_of_month, today),
        r"\blast year\b|去年": (datetime.date(last_year, 1, 1), datetime.date(last_year, 12, 31)),
        r"\bthis year\b|今年": (datetime.date(today.year, 1, 1), today),
    }
    for pattern, (earliest, latest) in phrases.items():
        reader.read(re.compile(pattern), lambda _m, e=earliest, la=latest: reader.add(e, la))
    for name, days in _NAMED_DAYS.items():
        day = today - datetime.timedelta(days=days)
        pattern = re.compile(rf"\b{name}\b" if name.isascii() else name)
        reader.read(pattern, lambda _m, d=day: reader.add(d, d))


def _durations(reader: _Reader) -> None:
    def english(match: re.Match[str]) -> None:
        amount = _amount_value(match["amount"]) + (0.5 if match["half"] else 0)
        reader.add_shift(_UNITS[match["unit"]], amount, bool(match["over"]), bool(match["under"]))

    def chinese(match: re.Match[str]) -> None:
        amount = float(match["amount"]) + (0.5 if match["half"] else 0)
        over = bool(match["over"] or match["more"])
        reader.add_shift(_CHINESE_UNITS[match["unit"]], amount, over, False)

    reader.read(_HALF_YEAR, lambda _m: reader.add_shift("months", 6, False, False))
    reader.read(_DURATION, english)
    reader.read(_CHINESE_DURATION, chinese)


def _common_range(ranges: list[DateRange]) -> DateRange | None:
    earliest = max(r.earliest for r in ranges)
    latest = min(r.latest for r in ranges)
    return DateRange(earliest, latest) if earliest <= latest else None


def parse_when(text: str, today: datetime.date) -> dict[str, str] | str | None:
    """{"earliest": ISO, "latest": ISO} with earliest <= latest <= today | UNSURE | None."""
    prepared = words_to_digits(prepare(text))
    reader = _Reader(prepared, today)
    mentions, reader.rest = find_dates(reader.rest)
    for mention in mentions:
        possible = [r for r in mention.ranges if r.earliest <= today]
        if not possible:
            reader.unreadable = True
            continue
        earliest = min(r.earliest for r in possible)
        latest = max(r.latest for r in possible)
        reader.add(earliest, latest)
    _calendar_phrases(reader)
    _durations(reader)
    yearless, reader.rest = find_yearless_dates(reader.rest)
    for found in yearless:
        date_range = _yearless_range(found, today)
        if date_range is None:
            reader.unreadable = True
        else:
            reader.add(date_range.earliest, date_range.latest)
    if reader.unreadable:
        return None
    if not reader.ranges:
        return UNSURE if is_unsure(prepared) else None
    common = _common_range(reader.ranges)
    if common is None:
        return None
    return {"earliest": common.earliest.isoformat(), "latest": common.latest.isoformat()}
