"""Age in years, from "34", "thirty four", "I'm 34 years old", "34岁" or a date of birth."""

from __future__ import annotations

import datetime
import re

from bot.parsing.dates import find_dates
from bot.parsing.numbers import words_to_digits
from bot.parsing.text import UNSURE, is_unsure, prepare

MAX_AGE = 120
# A whole number that may be an age: not part of a decimal or a date, and not followed by a unit
# that makes it something else ("60 kg", "10 mg", "3 kids").
_AGE_NUMBER = re.compile(
    r"(?<![\d.,/-])\b(\d{1,3})(?!\d)(?![.,]\d)(?!\s*'?s\b)(?!\s*(?:kg|kgs|kilo|lb|lbs|pounds?|cm|m\b|mg|ml|g\b|%|mmol|"
    r"months?|weeks?|days?|hours?|kids|children|times|公斤|斤|厘米|毫克|个月|周|天|次))"
)


# Digits glued to letters, other than the ways people write "years old" ("34yo", "34y", "34yrs").
_DIGITS_RUN_INTO_LETTERS = re.compile(r"\d(?!(?:yo|y|yrs?|years?|岁)\b)[a-z]", re.IGNORECASE)


def age_on(born: datetime.date, today: datetime.date) -> int:
    """Whole years from `born` to `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _ages_from_dates(prepared: str, today: datetime.date) -> tuple[set[int], str, bool]:
    """Possible ages from written dates of birth, the remaining text, and whether a date was
    impossible (in the future or more than 120 years ago)."""
    mentions, rest = find_dates(prepared)
    ages: set[int] = set()
    impossible = False
    for mention in mentions:
        possible = []
        for date_range in mention.ranges:
            if date_range.earliest > today:
                continue
            latest = min(date_range.latest, today)
            oldest, youngest = age_on(date_range.earliest, today), age_on(latest, today)
            if youngest <= MAX_AGE:
                possible.extend({oldest, youngest})
        if not possible:
            impossible = True
        ages.update(possible)
    return ages, rest, impossible


def parse_age(text: str, today: datetime.date) -> int | dict[str, int] | str | None:
    """Age in whole years (0..120) | {"min_years", "max_years"} | UNSURE | None.

    A date of birth that leaves two neighbouring ages possible (a year only, or day and month
    that may be swapped) gives that range: the engine decides whether it matters, so "born in
    1950" needs no second question while "born in 2008" does.
    """
    prepared = words_to_digits(prepare(text))
    ages, rest, impossible = _ages_from_dates(prepared, today)
    numbers = {int(match[1]) for match in _AGE_NUMBER.finditer(rest)}
    if _DIGITS_RUN_INTO_LETTERS.search(rest):
        return None  # "6o", "3four": a typo we must not read as a smaller age
    if impossible or not (ages or numbers) or (ages and numbers) or len(numbers) > 1:
        if not ages and not numbers and not impossible and is_unsure(prepared):
            return UNSURE
        return None
    if numbers:
        age = numbers.pop()
        return age if 0 <= age <= MAX_AGE else None
    youngest, oldest = min(ages), max(ages)
    if youngest == oldest:
        return youngest
    if oldest - youngest == 1:
        return {"min_years": youngest, "max_years": oldest}
    return None
