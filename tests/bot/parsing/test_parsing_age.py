"""Ages and dates of birth, with ambiguous and impossible ones marked unreadable."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize(
    ("text", "age"),
    [
        # An age the patient will soon be is the age before it.
        ("I'll be 18 next month", 17),
        ("turning 18 in January", 17),
        ("18 in two weeks", 17),
        ("almost 70", 69),
        ("nearly 70", 69),
        ("almost seventy", 69),
        ("I'll be 70 in March", 69),
        ("70 next month", 69),
        ("70 in May", 69),
        ("快四十了", 39),
        ("快40岁了", 39),
        ("下个月就四十了", 39),
        # Two ages that say the same thing: the one the patient is now.
        ("I am fifty, fifty one in June", 50),
        ("forty four, forty five in May", 44),
        ("I'm 17, turning 18 in January", 17),
        ("I turned 18 last month", 18),
        # Words and Chinese.
        ("forty one", 41),
        ("sixty-nine", 69),
        ("三十八岁", 38),
        ("我今年三十八岁", 38),
        ("我38岁", 38),
        # The illness named beside the age does not hide it.
        ("I'm 40, diagnosed in 2019", 40),
        ("I'm 40 and was diagnosed at 25", 40),
        ("40 with lupus", 40),
        ("我今年38岁，2019年确诊", 38),
        ("I'm 45, born 1980", 45),  # the year of birth agrees
        ("born April 3rd, 1980, diagnosed 2019", 46),
    ],
)
def test_age_as_patients_write_it(text, age, today):
    assert parse_age(text, today) == age


@pytest.mark.parametrize(
    ("text", "youngest"),
    [
        ("1988年出生", 37),
        ("born 1988", 37),
        ("18 next year", 16),  # turns 18 some day next year: 16 or 17 now
        ("明年四十", 38),
        ("I'm 70 this month", 69),  # the birthday may have passed or not
    ],
)
def test_ages_that_leave_two_possible(text, youngest, today):
    assert parse_age(text, today) == {"min_years": youngest, "max_years": youngest + 1}


@pytest.mark.parametrize(
    "text",
    [
        # A year with the diagnosis is not a year of birth.
        "2019年确诊",
        "diagnosed in 2019",
        "lupus in 2019",
        "diagnosed April 3rd, 2019",
        "I've had lupus since I was 19",  # an age in the past, not now
        # Ages that disagree or leave a choice.
        "34-35",
        "34 or 35",
        "I'm 50, 53 in June",
        # Markup, templates, code: never an age.
        "<script>alert(1)</script>",
        "{{7*7}}",
        "7*7",
        "${7*7}",
        "#{7*7}",
        "<%= 7*7 %>",
        "print(34)",
        "age=34",
        "&#52;&#48;",
        "'; drop table users; --",
        "34; select * from patients",
    ],
)
def test_not_an_age(text, today):
    assert parse_age(text, today) is None


# --- properties of the forms above ------------------------------------------------------------

TODAY = datetime.date(2026, 11, 24)
AGES = st.integers(min_value=1, max_value=120)
SOON = st.sampled_from(
    [
        "I'll be {n} next month",
        "turning {n} in January",
        "{n} in two weeks",
        "almost {n}",
        "nearly {n}",
        "I'll be {n} in March",
        "{n} next month",
        "快{n}岁了",
    ]
)


@given(age=AGES, template=SOON)
def test_an_age_soon_to_be_is_the_age_before_it(age, template):
    assert parse_age(template.format(n=age), TODAY) == age - 1


@given(age=st.integers(min_value=0, max_value=119), month=st.sampled_from(["June", "May"]))
def test_now_and_next_birthday_give_the_age_now(age, month):
    assert parse_age(f"I am {age}, {age + 1} in {month}", TODAY) == age


@given(age=AGES, other=AGES)
def test_two_different_ages_now_are_unreadable(age, other):
    result = parse_age(f"I'm {age}, I'm {other}", TODAY)
    assert result == (age if age == other else None)


@given(
    age=AGES,
    wrapper=st.sampled_from(
        ["<b>{n}</b>", "{{{{{n}}}}}", "${{{n}}}", "{n}*1", "1*{n}", "alert({n})", "[{n}]", "{n}+0"]
    ),
)
def test_code_like_text_is_never_an_age(age, wrapper):
    assert parse_age(wrapper.format(n=age), TODAY) is None


@given(
    year=st.integers(min_value=1950, max_value=2026),
    style=st.sampled_from(
        ["diagnosed in {y}", "{y}年确诊", "diagnosed with lupus in {y}", "I was diagnosed {y}"]
    ),
)
def test_a_year_with_the_diagnosis_is_not_an_age(year, style):
    assert parse_age(style.format(y=year), TODAY) is None
