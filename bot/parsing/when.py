"""When something happened, as the range of dates it could have happened on.

"2019" could be any day of 2019; "3 years ago" is one day; "over 5 years ago" is any day up to five
years back. Several statements in one answer ("since 2019, about 7 years") must agree: the answer
is what they have in common, or unreadable when they contradict each other.
"""

from __future__ import annotations

import datetime
import re

from dateutil.relativedelta import relativedelta

from bot.parsing import holidays
from bot.parsing.dates import (
    MONTHS,
    DateRange,
    YearlessDate,
    find_dates,
    find_yearless_dates,
    month_range,
)
from bot.parsing.numbers import looks_like_code, words_to_digits
from bot.parsing.text import CHOICE_WORDS, UNSURE, is_unsure, prepare

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
_CHINESE_UNITS |= {"个星期": "weeks", "天": "days", "个礼拜": "weeks", "礼拜": "weeks"}
_LIMITS = {"years": 120, "months": 1440, "weeks": 6300, "days": 44000}
_OVER = r"(?P<over>more than|over|at least|longer than|upwards of)"
_UNDER = (
    r"(?P<under>less than|under|within the last|within the past|within|not even|almost|nearly"
    r"|in the last|in the past|during the last|during the past)"
)
_AMOUNT = (
    r"(?P<amount>\d+(?:\.\d+)?|an?|one|a couple of|couple of|a couple"
    r"|(?P<few>a few|few|several|a number of))"
)
# "a few years", "several months": how many that can be (the answer is the range they span).
_FEW = {"a few": (2, 5), "few": (2, 5), "several": (3, 9), "a number of": (3, 9)}
_UNIT = "(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_DURATION = re.compile(
    rf"(?:\b(?:{_OVER}|{_UNDER})\s+)?\b{_AMOUNT}\s*{_UNIT}\b"
    rf"(?P<half>\s+and\s+a\s+half)?(?:\s+(?P<ago>ago|back|before))?"
)
_HALF_YEAR = re.compile(r"\b(?:half\s+a\s+year|half\s+year|6\s+months?\s+and\s+a\s+half)\b|半年")
# "这两年内", "近两年", "三个月以内": within that time, not that long ago.
_CHINESE_DURATION = re.compile(
    r"(?P<over>超过|多于|不止)?(?P<within>这|最近|近)?(?P<amount>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>个月|个星期|星期|个礼拜|礼拜|年|周|天)"
    r"(?P<half>半)?(?P<more>多)?(?P<inside>内|之内|以内|里)?(?:前|以前|之前)?"
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
        # (month, part, day) said without a year: dated once everything else is read
        self.yearless_months: list[tuple[int, str | None, int | None]] = []

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
        elif under:  # "within 2 years", "less than 2 years ago": after that day, not on it
            self.add(min(point + datetime.timedelta(days=1), self.today), self.today)
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
        r"\blast week\b|上周|上个星期|上星期|上个?礼拜": (
            monday - relativedelta(days=7),
            monday - one_day,
        ),
        r"\bthis week\b|这周|本周|这个星期|这个?礼拜": (monday, today),
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


# "十几年了" (11 to 19 years), "十来年" (about ten), "二十多年".
_ABOUT_TENS_OF_YEARS = re.compile(
    r"(?:(?P<tens>[一二三四五六])?十|(?P<digits>[1-6])0)(?P<approx>几|来|多)\s*(?:个)?年(?:了|前)?"
)


# "7 or 8 years ago", "3-4 months", "两到三年": the answer spans both amounts.
_CHINESE_UNIT = "(?P<cjkunit>" + "|".join(sorted(_CHINESE_UNITS, key=len, reverse=True)) + ")"
_AMOUNT_RANGE = re.compile(
    r"(?<![\d.])(?P<low>\d+|(?<![零一二两三四五六七八九十])[一两二三四五六七八九])\s*"
    r"(?:-|–|~|to|or|到|至|或者|或)\s*(?P<high>\d+)\s*"
    rf"(?:{_UNIT}\b|{_CHINESE_UNIT})"
)
# "七八年" (seven or eight years), "两三个月", "三四周": two neighbouring numbers, about that long.
_NEIGHBOURS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}
_NEIGHBOURS["九"] = 9
_NEIGHBOUR_AMOUNTS = re.compile(
    r"(?<![零一二两三四五六七八九十])(?P<low>[一两二三四五六七八])(?P<high>[二三四五六七八九])"
    rf"\s*{_CHINESE_UNIT}"
)


def _amount_ranges(reader: _Reader) -> None:
    def between(unit: str, low: float, high: float) -> None:
        if low >= high:
            reader.unreadable = True
            return
        reader.add(_shift(reader.today, unit, high), _shift(reader.today, unit, low))

    def digits(match: re.Match[str]) -> None:
        unit = _UNITS[match["unit"]] if match["unit"] else _CHINESE_UNITS[match["cjkunit"]]
        low = _NEIGHBOURS.get(match["low"]) or int(match["low"])
        between(unit, low, int(match["high"]))

    def neighbours(match: re.Match[str]) -> None:
        low, high = _NEIGHBOURS[match["low"]], _NEIGHBOURS[match["high"]]
        if high != low + 1:  # not two neighbouring numbers ("五八" is no amount)
            reader.unreadable = True
            return
        between(_CHINESE_UNITS[match["cjkunit"]], low, high)

    reader.read(_AMOUNT_RANGE, digits)
    reader.read(_NEIGHBOUR_AMOUNTS, neighbours)


def _durations(reader: _Reader) -> None:
    def english(match: re.Match[str]) -> None:
        unit = _UNITS[match["unit"]]
        if match["few"]:
            if match["over"] or match["under"] or match["half"]:
                reader.unreadable = True
                return
            fewest, most = _FEW[match["few"]]
            reader.add(_shift(reader.today, unit, most), _shift(reader.today, unit, fewest))
            return
        amount = _amount_value(match["amount"]) + (0.5 if match["half"] else 0)
        reader.add_shift(unit, amount, bool(match["over"]), bool(match["under"]))

    def chinese(match: re.Match[str]) -> None:
        amount = float(match["amount"]) + (0.5 if match["half"] else 0)
        over = bool(match["over"] or match["more"])
        within = bool(match["within"] or match["inside"])
        reader.add_shift(_CHINESE_UNITS[match["unit"]], amount, over, within)

    def about_tens(match: re.Match[str]) -> None:
        tens = 10 * int(match["digits"] or _CJK_DIGIT.get(match["tens"] or "一", 1))
        fewest, most = (tens - 1, tens + 2) if match["approx"] == "来" else (tens + 1, tens + 9)
        reader.add(_shift(reader.today, "years", most), _shift(reader.today, "years", fewest))

    _amount_ranges(reader)
    reader.read(_ABOUT_TENS_OF_YEARS, about_tens)
    reader.read(_HALF_YEAR, lambda _m: reader.add_shift("months", 6, False, False))
    reader.read(_DURATION, english)
    reader.read(_CHINESE_DURATION, chinese)


_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_PART_WORDS = {
    "early": "early",
    "beginning of": "early",
    "start of": "early",
    "the beginning of": "early",
    "the start of": "early",
    "mid": "mid",
    "middle of": "mid",
    "the middle of": "mid",
    "late": "late",
    "end of": "late",
    "the end of": "late",
}
_PART_EN = "(?P<part>" + "|".join(sorted(_PART_WORDS, key=len, reverse=True)) + ")"
_PART_CJK = {"初": "early", "上旬": "early", "中": "mid", "中旬": "mid", "底": "late"}
_PART_CJK |= {"末": "late", "下旬": "late", "年初": "early", "年中": "mid", "年底": "late"}
_PART_CJK |= {"年末": "late"}
_PART_CJK_ALTERNATIVES = "|".join(sorted(_PART_CJK, key=len, reverse=True))
_YEARS_BACK_CJK = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
_YEARS_BACK_EN = {"this year": 0, "last year": 1, "the year before last": 2}
_YEAR_NAME_CJK = "(?P<named>大前年|前年|去年|今年)"
_YEAR_NAME_EN = "(?P<named>the year before last|last year|this year)"
# Part of a month, or of a year ("early September", "late 2019", "3月初", "2019年底").
_PART_OF_MONTH = re.compile(
    rf"\b{_PART_EN}\s*-?\s*{_MONTH}(?![a-z])(?:,?\s+(?:of\s+)?(?:(?P<year>\d{{4}})\b"
    rf"|{_YEAR_NAME_EN}))?"
)
_PART_OF_YEAR = re.compile(rf"\b{_PART_EN}\s*-?\s*(?:(?P<year>\d{{4}})\b|{_YEAR_NAME_EN})")
# A month of a named year ("去年3月", "March last year", "last year in March").
_MONTH_OF_NAMED_YEAR = re.compile(
    rf"{_YEAR_NAME_CJK}\s*(?P<month>\d{{1,2}})\s*月(?:\s*(?P<day>\d{{1,2}})\s*[日号])?"
    rf"(?P<part>{_PART_CJK_ALTERNATIVES})?"
)
_MONTH_NAMED_YEAR_EN = re.compile(
    rf"\b{_MONTH}(?![a-z]),?\s+(?:of\s+)?{_YEAR_NAME_EN}\b"
    rf"|\b{_YEAR_NAME_EN.replace('named', 'named2')},?\s+in\s+{_MONTH.replace('month', 'month2')}"
    r"(?![a-z])"
)
_PART_OF_NAMED_YEAR_CJK = re.compile(rf"{_YEAR_NAME_CJK}\s*(?P<part>{_PART_CJK_ALTERNATIVES})")
_NAMED_YEAR_ALONE = re.compile(r"大前年|前年|\bthe year before last\b")
_CJK_PART_OF_MONTH = re.compile(
    rf"(?:(?P<year>\d{{4}})\s*年\s*)?(?P<month>\d{{1,2}})\s*月\s*(?P<part>{_PART_CJK_ALTERNATIVES})"
)
_CJK_PART_OF_YEAR = re.compile(r"(?P<year>\d{4})\s*(?P<part>年初|年中|年底|年末)")
# Part of last or this month ("上个月初", "本月中旬", "early last month", "end of this month").
_PART_OF_NEAR_MONTH = re.compile(
    rf"(?P<cjk>上个?月|这个月|本月)\s*(?P<part>{_PART_CJK_ALTERNATIVES})"
    rf"|\b{_PART_EN.replace('part', 'part_en')}\s+(?P<en>last|this)\s+month\b"
)


# A day of last or this month ("上个月25号", "the 25th of last month").
_DAY_OF_NEAR_MONTH = re.compile(
    r"(?P<cjk>上个?月|这个月|本月)\s*(?P<day>\d{1,2})\s*[号日]"
    r"|\bthe\s+(?P<day_en>\d{1,2})(?:st|nd|rd|th)?\s+of\s+(?P<en>last|this)\s+month\b"
)


def _month_part(date_range: DateRange, part: str | None) -> DateRange:
    """Days 1-10, 11-20 or 21-end of a month's range (the whole range without a part)."""
    first, last = date_range.earliest, date_range.latest
    if part == "early":
        return DateRange(first, min(last, first.replace(day=10)))
    if part == "mid":
        return DateRange(first.replace(day=11), min(last, first.replace(day=20)))
    if part == "late":
        return DateRange(first.replace(day=21), last)
    return date_range


def _year_part(year: int, part: str) -> DateRange:
    """January-April, May-August or September-December of a year."""
    months = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}[part]
    first, last = month_range(year, months[0]), month_range(year, months[1])
    return DateRange(first.earliest, last.latest)  # type: ignore[union-attr]


# Seasons (the site is in the northern hemisphere): their first and last month, winter across
# the turn of the year ("winter 2023" is read wide: December 2022 to February 2024).
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11)}
_SEASONS_CJK = {"春": "spring", "夏": "summer", "秋": "autumn", "冬": "winter"}
_SEASON_EN = r"(?P<season>spring|summer|autumn|fall|winter)"
_SEASON_OF_YEAR = re.compile(
    rf"\b(?:in\s+)?(?:the\s+)?{_SEASON_EN}\s*(?:of\s+)?(?P<year>\d{{4}})\b"
    r"|(?P<year2>\d{4})\s*年?\s*的?\s*(?P<cjk>春|夏|秋|冬)(?:天|季)?"
)
_NEAR_SEASON = re.compile(
    rf"\b(?P<near>last|this|past)\s+{_SEASON_EN}\b"
    r"|(?P<named>去年|今年|前年)\s*的?\s*(?P<cjk>春|夏|秋|冬)(?:天|季)?"
)


def _season(year: int, season: str) -> DateRange:
    if season == "winter":
        return DateRange(datetime.date(year - 1, 12, 1), month_range(year + 1, 2).latest)  # type: ignore[union-attr]
    first, last = _SEASONS[season]
    return DateRange(month_range(year, first).earliest, month_range(year, last).latest)  # type: ignore[union-attr]


def _seasons(reader: _Reader) -> None:
    """ "summer 2024", "last spring", "去年夏天": the months of that season."""
    today = reader.today

    def of_year(m: re.Match[str]) -> None:
        season = m["season"] or _SEASONS_CJK[m["cjk"]]
        _add_range(reader, _season(int(m["year"] or m["year2"]), season))

    def near(m: re.Match[str]) -> None:
        if m["named"]:
            season = _SEASONS_CJK[m["cjk"]]
            _add_range(reader, _season(_named_year(reader, m["named"]), season))
            return
        season = m["season"]
        year = today.year
        while _season(year, season).earliest > today:
            year -= 1
        found = _season(year, season)
        if m["near"] in ("last", "past") and found.latest >= today:
            found = _season(year - 1, season)  # "last summer" while it is still summer
        _add_range(reader, DateRange(found.earliest, min(found.latest, today)))

    reader.read(_SEASON_OF_YEAR, of_year)
    reader.read(_NEAR_SEASON, near)


_HOLIDAY_NAMES = "|".join(sorted((re.escape(n) for n in holidays.WRITTEN), key=len, reverse=True))
_HOLIDAY = re.compile(
    rf"(?:\b(?P<side_en>before|after|around|at|over|during|on)\s+)?(?:\b(?P<near>last|this)\s+)?"
    rf"(?:{_YEAR_NAME_CJK}|(?P<year>\d{{4}})\s*年?)?\s*的?\s*"
    rf"(?P<name>{_HOLIDAY_NAMES})(?![a-z])(?:\s*(?P<year_after>\d{{4}})\b)?"
    r"(?:\s*(?P<side>前后|之前|以前|之后|以后|前|后|期间|的时候|那会儿?|那阵子?|左右))?"
    r"(?:\s*(?P<count>\d+|几)\s*(?P<unit>个?礼拜|个?星期|周|天|个月))?"
)
# How far from the holiday each side reaches (days): "国庆节后" is within a month after it.
_BEFORE, _AFTER, _AROUND = (-30, -1), (1, 30), (-7, 7)
_SIDES = {
    **dict.fromkeys(("前", "之前", "以前", "before"), _BEFORE),
    **dict.fromkeys(("后", "之后", "以后", "after"), _AFTER),
}
_UNIT_DAYS = {"礼拜": 7, "星期": 7, "周": 7, "天": 1, "月": 30}


def _holiday_dates(reader: _Reader) -> None:
    """ "今年春节前确诊的", "过年前一个礼拜", "国庆节后", "last Christmas": days around that
    holiday, in the year named or its latest one up to today."""

    def found(m: re.Match[str]) -> None:
        name = holidays.WRITTEN[m["name"]]
        year = m["year"] or m["year_after"]
        if year:
            day = holidays.holiday_date(name, int(year))
        elif m["named"]:
            day = holidays.holiday_date(name, _named_year(reader, m["named"]))
        elif m["near"] == "this":
            day = holidays.holiday_date(name, reader.today.year)  # still to come: unreadable
        else:
            day = holidays.latest_on_or_before(name, reader.today)
        if day is None:
            reader.unreadable = True
            return
        first, last = _SIDES.get(m["side"] or m["side_en"] or "", _AROUND)
        if m["count"] and m["side"] in ("前", "之前", "以前", "后", "之后", "以后"):
            amount = 3 if m["count"] == "几" else int(m["count"])
            offset = amount * _UNIT_DAYS[m["unit"].lstrip("个")] * (1 if first > 0 else -1)
            first, last = offset - 3, offset + 3
        _add_range(
            reader,
            DateRange(day + datetime.timedelta(days=first), day + datetime.timedelta(days=last)),
        )

    reader.read(_HOLIDAY, found)


def _add_range(reader: _Reader, date_range: DateRange | None) -> None:
    if date_range is None or date_range.earliest > reader.today:
        reader.unreadable = True
    else:
        reader.add(date_range.earliest, date_range.latest)


def _named_year(reader: _Reader, written: str) -> int:
    back = _YEARS_BACK_CJK.get(written, _YEARS_BACK_EN.get(written, 0))
    return reader.today.year - back


def _date_month(
    reader: _Reader, years: list[int], month: int, part: str | None, day: int | None
) -> None:
    """That month (or its part, or day) in the first of `years` where it is not in the future."""
    today = reader.today
    for candidate in years:
        found = month_range(candidate, month)
        if found is None:
            break
        if day is not None:
            try:
                found = DateRange(*(datetime.date(candidate, month, day),) * 2)
            except ValueError:
                break
        found = _month_part(found, part)
        if found.earliest <= today:
            _add_range(reader, found)
            return
    reader.unreadable = True


def _parts_and_named_years(reader: _Reader) -> None:
    """Parts of months and years, and months of a named year ("early September", "late 2019",
    "去年三月", "前年", "March last year")."""
    today = reader.today

    def month_of(year: int | None, month: int, part: str | None, day: int | None = None) -> None:
        if not 1 <= month <= 12:
            reader.unreadable = True
            return
        if year is None:
            reader.yearless_months.append((month, part, day))
            return
        _date_month(reader, [year], month, part, day)

    def part_of_month(m: re.Match[str]) -> None:
        year = int(m["year"]) if m["year"] else None
        if m["named"]:
            year = _named_year(reader, m["named"])
        month_of(year, MONTHS[m["month"]], _PART_WORDS[m["part"]])

    def part_of_year(m: re.Match[str]) -> None:
        year = int(m["year"]) if m["year"] else _named_year(reader, m["named"])
        _add_range(reader, _year_part(year, _PART_WORDS[m["part"]]))

    def month_of_named_year(m: re.Match[str]) -> None:
        day = int(m["day"]) if m["day"] else None
        part = _PART_CJK[m["part"]] if m["part"] else None
        month_of(_named_year(reader, m["named"]), int(m["month"]), part, day)

    def month_named_year_en(m: re.Match[str]) -> None:
        named, month = m["named"] or m["named2"], m["month"] or m["month2"]
        month_of(_named_year(reader, named), MONTHS[month], None)

    def part_of_named_year(m: re.Match[str]) -> None:
        _add_range(reader, _year_part(_named_year(reader, m["named"]), _PART_CJK[m["part"]]))

    def named_year_alone(m: re.Match[str]) -> None:
        year = _named_year(reader, m.group().strip())
        _add_range(reader, DateRange(datetime.date(year, 1, 1), datetime.date(year, 12, 31)))

    def cjk_part_of_month(m: re.Match[str]) -> None:
        year = int(m["year"]) if m["year"] else None
        month_of(year, int(m["month"]), _PART_CJK[m["part"]])

    def cjk_part_of_year(m: re.Match[str]) -> None:
        _add_range(reader, _year_part(int(m["year"]), _PART_CJK[m["part"]]))

    def part_of_near_month(m: re.Match[str]) -> None:
        month = today.replace(day=1)
        if (m["cjk"] or "").startswith("上") or m["en"] == "last":
            month -= relativedelta(months=1)
        part = _PART_CJK[m["part"]] if m["part"] else _PART_WORDS[m["part_en"]]
        month_of(month.year, month.month, part)

    def day_of_near_month(m: re.Match[str]) -> None:
        month = today.replace(day=1)
        if (m["cjk"] or "").startswith("上") or m["en"] == "last":
            month -= relativedelta(months=1)
        month_of(month.year, month.month, None, int(m["day"] or m["day_en"]))

    reader.read(_DAY_OF_NEAR_MONTH, day_of_near_month)
    reader.read(_PART_OF_NEAR_MONTH, part_of_near_month)
    reader.read(_PART_OF_MONTH, part_of_month)
    reader.read(_PART_OF_YEAR, part_of_year)
    reader.read(_MONTH_OF_NAMED_YEAR, month_of_named_year)
    reader.read(_MONTH_NAMED_YEAR_EN, month_named_year_en)
    reader.read(_PART_OF_NAMED_YEAR_CJK, part_of_named_year)
    reader.read(_CJK_PART_OF_MONTH, cjk_part_of_month)
    reader.read(_CJK_PART_OF_YEAR, cjk_part_of_year)
    reader.read(_NAMED_YEAR_ALONE, named_year_alone)


# An age the patient was ("since I was 19", "at 25", "从19岁开始"): a date only with the age now.
_YEARS_OLD = r"(?:\s*-?\s*(?:years?|yrs?)(?:\s*-?\s*old)?|\s*yo\b)?"
_AT_AGE = re.compile(
    rf"\b(?:(?:ever\s+)?since|from|when|after|before)\s+(?:i|she|he|they)\s+(?:was|were)\s+"
    rf"(?:about\s+|around\s+|only\s+|just\s+)?"
    rf"(?P<age>\d{{1,3}}){_YEARS_OLD}(?![\d.])"
    rf"|\b(?:(?:ever\s+)?since|from|at|after)\s+(?:the\s+)?age\s+(?:of\s+)?(?P<age2>\d{{1,3}})"
    rf"(?![\d.])|\baged?\s+(?P<age3>\d{{1,3}})(?![\d.:])"
    rf"|\bat\s+(?P<age4>\d{{1,3}}){_YEARS_OLD}(?![\d.:])(?!\s*(?:am|pm|o'?clock|h\b|mg))"
    r"|(?:从|自从|自|在)?\s*(?P<age5>\d{1,3})\s*岁"
    r"(?:起|开始|时候|时|的时候|那年|以来|左右)?"
)


# A stretch of life ("since my early thirties", "in my 20s", "二十多岁的时候", "三十出头"): the
# ages it spans.
_DECADES = {"teens": 1, "twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6}
_PART_OF_DECADE = {"early": (0, 3), "mid": (4, 6), "late": (7, 9)}
_AGE_SPAN = re.compile(
    r"\b(?:(?:ever\s+)?since|in|during|from|when\s+i\s+was\s+in)\s+(?:my|her|his)\s+"
    r"(?:(?P<part>early|mid|late)[\s-]*)?"
    r"(?P<decade>teens|twenties|thirties|forties|fifties|sixties|(?P<tens>[1-6])0'?s)\b"
    r"|(?P<cjk>[1-6一二三四五六])(?:0|十)\s*(?:(?P<cjkpart>多|几|来)\s*岁|(?P<early>出头))"
)
_CJK_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}


def _span_of(m: re.Match[str]) -> tuple[int, int]:
    """The youngest and oldest age a stretch of life means."""
    if m["cjk"]:
        tens = int(_CJK_DIGIT.get(m["cjk"], m["cjk"])) * 10
        return (tens, tens + 3) if m["early"] else (tens, tens + 9)
    tens = 10 * (int(m["tens"]) if m["tens"] else _DECADES[m["decade"]])
    low, high = _PART_OF_DECADE.get(m["part"] or "", (0, 9))
    if tens == 10:  # teens: 13 to 19
        return max(13, tens + low), tens + high
    return tens + low, tens + high


# "17年查出来的", "09年确诊": a year of this century (or the last), not 17 years; "病了17年",
# "17年了", "17年前" are durations.
_SHORT_CHINESE_YEAR = re.compile(
    r"(?<![\d.])(?P<year>\d{2})年(?!前|以前|之前|了|多|来|半|左右|内|之内|以内|里|的时间)"
)
_BEFORE_A_DURATION = ("了", "有", "病", "快", "近", "满", "都", "已经", "这", "过", "共", "得")


def _with_short_chinese_years(prepared: str, today: datetime.date) -> str:
    def year(match: re.Match[str]) -> str:
        before = prepared[max(0, match.start() - 2) : match.start()]
        if any(before.endswith(word) for word in _BEFORE_A_DURATION):
            return match[0]
        two = int(match["year"])
        full = 2000 + two if 2000 + two <= today.year else 1900 + two
        return f"{full}年"

    return _SHORT_CHINESE_YEAR.sub(year, prepared)


# "生老二那年查出来的，老二今年五岁了": dated by a child's birth, and the child's age now.
_A_BIRTH_THAT_YEAR = re.compile(r"(?:生|出生|怀)[^，。,;；]{0,6}那一?年")
_CHILD_AGE_NOW = re.compile(
    r"(?:老大|老二|老三|孩子|儿子|女儿|小孩|宝宝|闺女|娃)[^，。,;；\d]{0,4}?(?:今年|现在)?\s*"
    r"(?P<age>\d{1,2})\s*(?:周岁|岁)"
)


def _a_childs_birth(reader: _Reader) -> None:
    """The year a child was born, from the child's age now: a child of 5 was born 5 to 6
    years ago."""
    born = _A_BIRTH_THAT_YEAR.search(reader.rest)
    child = _CHILD_AGE_NOW.search(reader.rest)
    if not (born and child):
        return
    years = int(child["age"])
    reader.rest = _CHILD_AGE_NOW.sub(" # ", _A_BIRTH_THAT_YEAR.sub(" # ", reader.rest))
    day = datetime.timedelta(days=1)
    today = reader.today
    reader.add(today - relativedelta(years=years + 1) + day, today - relativedelta(years=years))


def _ages_then(reader: _Reader, age_years: int | None) -> None:
    """The time the patient was a stated age, from their age now: being 19 spans two years of
    calendar when the birthday is unknown; "my early thirties" spans the years of 30 to 33."""

    def between_ages(youngest: int, oldest: int) -> None:
        if age_years is None or youngest > age_years:
            reader.unreadable = True
            return
        oldest = min(oldest, age_years)
        today = reader.today
        day = datetime.timedelta(days=1)
        earliest = today - relativedelta(years=age_years - youngest + 1) + day
        latest = today - relativedelta(years=age_years - oldest - 1) - day
        reader.add(earliest, min(latest, today))

    def at_age(m: re.Match[str]) -> None:
        then = int(next(group for group in m.group("age", "age2", "age3", "age4", "age5") if group))
        between_ages(then, then)

    def childhood(_m: re.Match[str]) -> None:
        if age_years is not None and age_years >= _CHILDHOOD_ENDS:
            between_ages(0, _CHILDHOOD_ENDS - 1)
        else:  # an adult patient's childhood ended years ago, whatever their age
            latest = reader.today - relativedelta(years=_ADULT_AGE - _CHILDHOOD_ENDS)
            reader.add(reader.today - relativedelta(years=_OPEN_START_YEARS), latest)

    reader.read(_AGE_SPAN, lambda m: between_ages(*_span_of(m)))
    reader.read(_AT_AGE, at_age)
    reader.read(_TEENS, lambda _m: between_ages(13, 19))
    reader.read(_CHILDHOOD, childhood)
    for pattern, years_ago in _LONG_AGO.items():
        latest = reader.today - relativedelta(years=years_ago)
        earliest = reader.today - relativedelta(years=_OPEN_START_YEARS)
        reader.read(pattern, lambda _m, e=earliest, la=latest: reader.add(e, la))


# "since I was a teenager", "十几岁的时候": the patient's teens (a date only with the age now).
_TEENS = re.compile(
    r"\b(?:as an?|when i was an?|since i was an?) teen(?:ager)?\b|\bin my teens\b"
    r"|青春期|十几岁(?:的时候)?"
)
# "for many years", "好多年了": at least that many years back; "a long time ago": at least one.
_LONG_AGO = {
    re.compile(
        r"\b(?:for |since )?(?:many|several many|so many) years\b|\byears and years\b"
        r"|好多年|很多年|许多年|(?<![\d零一二两三四五六七八九十几])多年(?:了|前)"
    ): 3,
    re.compile(r"\ba long time ago\b|\bages ago\b|很久以前|很久了|好久以前|好久了"): 1,
}


# "as a baby", "when I was a kid", "小时候": the patient's childhood (to age 11).
_CHILDHOOD = re.compile(
    r"\b(?:as an? |when i was an? |since i was an? )(?:baby|infant|child|kid|little girl"
    r"|little boy|toddler)\b|\bin (?:my )?(?:childhood|infancy)\b|\bat birth\b"
    r"|小时候|小的时候|很小的时候|出生时|刚出生|婴儿时|童年"
)
_CHILDHOOD_ENDS = 12
_ADULT_AGE = 18


def _common_range(ranges: list[DateRange]) -> DateRange | None:
    earliest = max(r.earliest for r in ranges)
    latest = min(r.latest for r in ranges)
    return DateRange(earliest, latest) if earliest <= latest else None


def parse_when(
    text: str, today: datetime.date, *, age_years: int | None = None
) -> dict[str, str] | str | None:
    """{"earliest": ISO, "latest": ISO} with earliest <= latest <= today | UNSURE | None.

    `age_years`, the patient's age now when known, dates an age they were ("since I was 19");
    without it such an answer is unreadable."""
    prepared = prepare(text)
    if looks_like_code(prepared, arithmetic=False):
        return None
    prepared = words_to_digits(prepared)
    if isinstance(age_years, bool) or not isinstance(age_years, int):
        age_years = None
    prepared = _with_short_chinese_years(prepared, today)
    reader = _Reader(prepared, today)
    _a_childs_birth(reader)
    _ages_then(reader, age_years)
    _holiday_dates(reader)
    _seasons(reader)
    _parts_and_named_years(reader)
    mentions, reader.rest = find_dates(reader.rest)
    for mention in mentions:
        possible = [r for r in mention.ranges if r.earliest <= today]
        # "15.8.26": a two-digit year of an event is this century's once that has passed
        recent = [r for r in possible if r.earliest > today - relativedelta(years=_CENTURY)]
        possible = recent or possible
        if not possible:
            reader.unreadable = True
            continue
        earliest = min(r.earliest for r in possible)
        latest = max(r.latest for r in possible)
        reader.add(earliest, latest)
    _calendar_phrases(reader)
    _durations(reader)
    for month, part, day in reader.yearless_months:
        _date_month(reader, _years_for(reader.ranges, month, today), month, part, day)
    yearless, reader.rest = find_yearless_dates(reader.rest)
    for found in yearless:
        if _month_already_dated(reader.ranges, found):
            continue  # "since June - June of last year, 2025": the month said again, with its year
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
    if common is None and _close_together(reader.ranges):
        # "今年6月底确诊的 才五个月": a date and a rounded duration that nearly agree
        common = DateRange(
            min(r.earliest for r in reader.ranges), max(r.latest for r in reader.ranges)
        )
    if common is None and _EITHER.search(prepared):  # "13年还是14年": one of them
        common = DateRange(
            min(r.earliest for r in reader.ranges), max(r.latest for r in reader.ranges)
        )
    if common is None:
        return None
    return {"earliest": common.earliest.isoformat(), "latest": common.latest.isoformat()}


_EITHER = re.compile(CHOICE_WORDS)
_CENTURY = 99
# Two readings of one answer this near each other are one date said roughly twice.
_ROUGHLY_THE_SAME = datetime.timedelta(days=45)


def _close_together(ranges: list[DateRange]) -> bool:
    latest_start = max(r.earliest for r in ranges)
    earliest_end = min(r.latest for r in ranges)
    return latest_start - earliest_end <= _ROUGHLY_THE_SAME


def _years_for(ranges: list[DateRange], month: int, today: datetime.date) -> list[int]:
    """The years to try for a month said without one: the year of a short range read in the same
    answer that falls in that month ("2025年中秋 10月初"), else this year, then last year."""
    dated = {
        day.year
        for r in ranges
        if (r.latest - r.earliest).days <= _SHORT_RANGE_DAYS
        for day in (r.earliest, r.latest)
        if day.month == month
    }
    return [dated.pop()] if len(dated) == 1 else [today.year, today.year - 1]


_SHORT_RANGE_DAYS = 62


def _month_already_dated(ranges: list[DateRange], found: YearlessDate) -> bool:
    """A range read already lies within that month of some year."""
    return any(
        r.earliest.month == r.latest.month == found.month and r.earliest.year == r.latest.year
        for r in ranges
    )
