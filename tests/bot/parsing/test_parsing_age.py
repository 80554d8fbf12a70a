"""Ages and dates of birth, with ambiguous and impossible ones marked unreadable."""

from __future__ import annotations

import pytest

from bot.parsing import UNSURE
from bot.parsing.age import age_on, parse_age


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("34", 34),
        ("thirty four", 34),
        ("thirty-four", 34),
        ("Thirty Four", 34),
        ("I'm 34 years old", 34),
        ("34 yo", 34),
        ("34yo", 34),
        ("i am 34, I weigh 60 kg", 34),
        ("三十四岁", 34),
        ("34岁", 34),
        ("3/4/1980", 46),  # 3 April or 4 March: 46 either way on 24 November
        ("03/04/1980", 46),
        ("1980-04-03", 46),
        ("April 3 1980", 46),
        ("April 3rd, 1980", 46),
        ("3 April 1980", 46),
        ("born on the 3rd of April 1980", 46),
        ("1980年4月3日", 46),
        ("11/25/1980", 45),  # birthday tomorrow: still 45
        ("11/24/1980", 46),  # birthday today
        ("5/6/80", 46),  # 1980: 2080 is in the future
        ("0", 0),
        ("120", 120),
    ],
)
def test_age(text, age, today):
    assert parse_age(text, today) == age


@pytest.mark.parametrize(
    "text",
    [
        "150",
        "121",
        "i am 6o",  # regression: a typo for 60 was read as 6
        "12/25/2030",  # in the future
        "34.5",
        "in my 30s",
        "I'm 34, my son is 10",
        "",
        "hello",
    ],
)
def test_unreadable_or_ambiguous(text, today):
    assert parse_age(text, today) is None


def test_a_day_above_12_settles_the_day_month_order(today):
    assert parse_age("11/30/1980", today) == 45
    assert parse_age("30/11/1980", today) == 45


@pytest.mark.parametrize(
    ("text", "youngest"),
    [
        ("born in 1980", 45),
        ("1980", 45),
        ("November 1980", 45),  # born this month: 45 or 46
        ("12/1/2008", 17),  # 12 January 2008 (18) or 1 December 2008 (17)
        ("1/12/2008", 17),
    ],
)
def test_a_date_of_birth_that_leaves_two_ages_gives_both(text, youngest, today):
    assert parse_age(text, today) == {"min_years": youngest, "max_years": youngest + 1}


@pytest.mark.parametrize("text", ["not sure", "I don't know", "不知道"])
def test_unsure(text, today):
    assert parse_age(text, today) == UNSURE


def test_age_on_counts_whole_years(today):
    assert age_on(today.replace(year=2008), today) == 18
    assert age_on(today.replace(year=2008, day=25), today) == 17
