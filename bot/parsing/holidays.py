"""Dates told by a holiday: "今年春节前确诊的", "国庆节后", "last Christmas", "around Thanksgiving".

The lunar holidays move every year (春节 was 29 January 2025 and 17 February 2026), so their
dates come from the `holidays` package's calendars (China's and the United States'), not from a
table of ours. Pure functions; nothing is downloaded.
"""

from __future__ import annotations

import datetime
import functools

import holidays
from dateutil.easter import easter

# Our names -> the name `holidays` gives the day (its en_US names), or a rule of our own.
_CHINA_NAMES = {
    "spring_festival": "Chinese New Year (Spring Festival)",
    "tomb_sweeping": "Tomb-Sweeping Day",
    "labour_day": "Labor Day",
    "dragon_boat": "Dragon Boat Festival",
    "mid_autumn": "Mid-Autumn Festival",
    "national_day": "National Day",
    "new_year": "New Year's Day",
}
# What patients write, in either language -> our name.
WRITTEN = {
    **dict.fromkeys(("春节", "过年", "过大年", "年初一", "大年初一"), "spring_festival"),
    **dict.fromkeys(
        ("chinese new year", "lunar new year", "spring festival", "cny"), "spring_festival"
    ),
    **dict.fromkeys(("除夕", "大年三十", "年三十"), "new_years_eve_lunar"),
    **dict.fromkeys(("元宵节", "元宵", "正月十五"), "lantern"),
    **dict.fromkeys(("清明节", "清明"), "tomb_sweeping"),
    **dict.fromkeys(("五一", "劳动节", "labour day", "may day"), "labour_day"),
    "labor day": "us_labor_day",  # the American spelling: the first Monday of September
    **dict.fromkeys(("端午节", "端午", "dragon boat festival", "dragon boat"), "dragon_boat"),
    **dict.fromkeys(
        ("中秋节", "中秋", "mid autumn festival", "mid autumn", "moon festival"), "mid_autumn"
    ),
    **dict.fromkeys(("国庆节", "国庆", "十一长假", "national day", "golden week"), "national_day"),
    **dict.fromkeys(("元旦", "new years day", "new year"), "new_year"),
    **dict.fromkeys(("圣诞节", "圣诞", "christmas", "xmas"), "christmas"),
    **dict.fromkeys(("感恩节", "thanksgiving"), "thanksgiving"),
    **dict.fromkeys(("复活节", "easter"), "easter"),
}


@functools.lru_cache(maxsize=64)
def holiday_date(name: str, year: int) -> datetime.date | None:
    """The (first) day of a holiday in a Gregorian year; None outside the calendars' range."""
    if not 1950 <= year <= 2100:
        return None
    if name == "christmas":
        return datetime.date(year, 12, 25)
    if name == "easter":
        return easter(year)
    if name in ("thanksgiving", "us_labor_day"):
        day_name = "Thanksgiving Day" if name == "thanksgiving" else "Labor Day"
        return _first_named(holidays.US(years=year, language="en_US"), day_name)
    if name in ("new_years_eve_lunar", "lantern"):
        new_year = holiday_date("spring_festival", year)
        if new_year is None:
            return None
        return new_year + datetime.timedelta(days=-1 if name == "new_years_eve_lunar" else 14)
    return _first_named(holidays.China(years=year, language="en_US"), _CHINA_NAMES[name])


def _first_named(calendar: holidays.HolidayBase, name: str) -> datetime.date | None:
    days = sorted(day for day, names in calendar.items() if name in names.split("; "))
    return days[0] if days else None


def latest_on_or_before(name: str, today: datetime.date) -> datetime.date | None:
    """The holiday's most recent day up to today ("过年前" in December: this year's 春节)."""
    for year in (today.year, today.year - 1):
        day = holiday_date(name, year)
        if day is not None and day <= today:
            return day
    return None
