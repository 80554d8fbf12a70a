"""When something happened, as the range of days it could have been (today: Tue 24 Nov 2026)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import UNSURE
from bot.parsing.when import parse_when


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("since 2019", "2019-01-01", "2019-12-31"),
        ("2019", "2019-01-01", "2019-12-31"),
        ("in 2019", "2019-01-01", "2019-12-31"),
        ("this year", "2026-01-01", "2026-11-24"),
        ("2026", "2026-01-01", "2026-11-24"),  # clipped to today
        ("3 years ago", "2023-11-24", "2023-11-24"),
        ("three years ago", "2023-11-24", "2023-11-24"),
        ("about 6 months", "2026-05-24", "2026-05-24"),
        ("6 months ago", "2026-05-24", "2026-05-24"),
        ("around six months ago", "2026-05-24", "2026-05-24"),
        ("half a year", "2026-05-24", "2026-05-24"),
        ("a year and a half ago", "2025-05-24", "2025-05-24"),
        ("2 weeks ago", "2026-11-10", "2026-11-10"),
        ("10 days ago", "2026-11-14", "2026-11-14"),
        ("a week ago", "2026-11-17", "2026-11-17"),
        ("yesterday", "2026-11-23", "2026-11-23"),
        ("today", "2026-11-24", "2026-11-24"),
        ("last week", "2026-11-16", "2026-11-22"),
        ("last month", "2026-10-01", "2026-10-31"),
        ("last year", "2025-01-01", "2025-12-31"),
        ("last March", "2026-03-01", "2026-03-31"),
        ("last November", "2025-11-01", "2025-11-30"),  # said in November: a year ago
        ("in June", "2026-06-01", "2026-06-30"),
        ("in December", "2025-12-01", "2025-12-31"),  # the most recent December
        ("November", "2026-11-01", "2026-11-24"),
        ("November 10", "2026-11-10", "2026-11-10"),
        ("March 2024", "2024-03-01", "2024-03-31"),
        ("mar 2024", "2024-03-01", "2024-03-31"),
        ("2024-03", "2024-03-01", "2024-03-31"),
        ("3/2024", "2024-03-01", "2024-03-31"),
        ("2024-03-15", "2024-03-15", "2024-03-15"),
        ("15 March 2024", "2024-03-15", "2024-03-15"),
        ("March 15, 2024", "2024-03-15", "2024-03-15"),
        ("3/4/2024", "2024-03-04", "2024-04-03"),  # day and month could be either way
        ("2 years", "2024-11-24", "2024-11-24"),
        ("for 5 years", "2021-11-24", "2021-11-24"),
        ("more than 10 years ago", "1906-11-24", "2016-11-24"),
        ("less than 2 years ago", "2024-11-25", "2026-11-24"),  # after that day
        ("within the last two years", "2024-11-25", "2026-11-24"),
        ("反正是这两年内", "2024-11-25", "2026-11-24"),
        ("上礼拜", "2026-11-16", "2026-11-22"),
        ("since 2019, so about 7 years", "2019-11-24", "2019-11-24"),
        ("2023年3月", "2023-03-01", "2023-03-31"),
        ("2023年3月5日", "2023-03-05", "2023-03-05"),
        ("2019年", "2019-01-01", "2019-12-31"),
        ("三年前", "2023-11-24", "2023-11-24"),
        ("3个月前", "2026-08-24", "2026-08-24"),
        ("半年前", "2026-05-24", "2026-05-24"),
        ("去年", "2025-01-01", "2025-12-31"),
        ("上个月", "2026-10-01", "2026-10-31"),
        ("昨天", "2026-11-23", "2026-11-23"),
        ("两周前", "2026-11-10", "2026-11-10"),
        ("十天前", "2026-11-14", "2026-11-14"),
        ("一年半前", "2025-05-24", "2025-05-24"),
    ],
)
def test_when(text, earliest, latest, today):
    assert parse_when(text, today) == {"earliest": earliest, "latest": latest}


@pytest.mark.parametrize(
    "text",
    [
        "recently",
        "a while back",
        "2030",
        "2027-01-01",
        "in 2019, no wait, 2021",  # contradicts itself
        "",
        "hello",
        "99999999 years ago",
        "2024-13-45",
    ],
)
def test_unreadable(text, today):
    assert parse_when(text, today) is None


@pytest.mark.parametrize("text", ["not sure", "I can't remember", "不记得了"])
def test_unsure(text, today):
    assert parse_when(text, today) == UNSURE


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        # Approximate amounts: the range they can mean ("a few" is 2 to 5).
        ("a few years back", "2021-11-24", "2024-11-24"),
        ("a few years ago", "2021-11-24", "2024-11-24"),
        ("a few days ago", "2026-11-19", "2026-11-22"),
        ("several months ago", "2026-02-24", "2026-08-24"),
        ("a couple of years ago", "2024-11-24", "2024-11-24"),
        # Parts of a month or a year.
        ("early September", "2026-09-01", "2026-09-10"),
        ("mid September", "2026-09-11", "2026-09-20"),
        ("late November", "2026-11-21", "2026-11-24"),  # clipped to today
        ("the beginning of March", "2026-03-01", "2026-03-10"),
        ("early Sept 2024", "2024-09-01", "2024-09-10"),
        ("early 2019", "2019-01-01", "2019-04-30"),
        ("mid 2019", "2019-05-01", "2019-08-31"),
        ("end of 2020", "2020-09-01", "2020-12-31"),
        ("late last year", "2025-09-01", "2025-12-31"),
        ("3月初", "2026-03-01", "2026-03-10"),
        ("9月下旬", "2026-09-21", "2026-09-30"),
        ("2019年底", "2019-09-01", "2019-12-31"),
        ("去年年底", "2025-09-01", "2025-12-31"),
        # A month of a named year, and the year before last.
        ("去年三月", "2025-03-01", "2025-03-31"),
        ("去年3月初", "2025-03-01", "2025-03-10"),
        ("今年二月", "2026-02-01", "2026-02-28"),
        ("March last year", "2025-03-01", "2025-03-31"),
        ("last year in March", "2025-03-01", "2025-03-31"),
        ("前年", "2024-01-01", "2024-12-31"),
        ("大前年", "2023-01-01", "2023-12-31"),
        ("the year before last", "2024-01-01", "2024-12-31"),
        # Chinese and English forms that already read, kept.
        ("半年前", "2026-05-24", "2026-05-24"),
        ("三个月前", "2026-08-24", "2026-08-24"),
        ("上周", "2026-11-16", "2026-11-22"),
        ("since 2015", "2015-01-01", "2015-12-31"),
    ],
)
def test_when_as_patients_write_it(text, earliest, latest, today):
    assert parse_when(text, today) == {"earliest": earliest, "latest": latest}


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        # Aged 30 now: 19 was 11 or 12 years ago, a two-year span when the birthday is unknown.
        ("since I was 19", "2014-11-25", "2016-11-23"),
        ("从19岁开始", "2014-11-25", "2016-11-23"),
        ("19岁时", "2014-11-25", "2016-11-23"),
        ("since I was nineteen", "2014-11-25", "2016-11-23"),
        ("since I was 14", "2009-11-25", "2011-11-23"),
        ("when I was 14 years old", "2009-11-25", "2011-11-23"),
        ("since age 14", "2009-11-25", "2011-11-23"),
        ("at 25", "2020-11-25", "2022-11-23"),
        ("since I was 30", "2025-11-25", "2026-11-24"),  # clipped to today
    ],
)
def test_an_age_then_with_the_age_now(text, earliest, latest, today):
    assert parse_when(text, today, age_years=30) == {"earliest": earliest, "latest": latest}


@pytest.mark.parametrize("text", ["since I was 19", "从19岁开始", "since I was 14", "at 25"])
def test_an_age_then_without_the_age_now_is_unreadable(text, today):
    assert parse_when(text, today) is None
    assert parse_when(text, today, age_years=None) is None


@pytest.mark.parametrize("text", ["since I was 31", "从40岁开始"])
def test_an_age_then_older_than_now_is_unreadable(text, today):
    assert parse_when(text, today, age_years=30) is None


@pytest.mark.parametrize("text", ["<script>2019</script>", "{{2019}}", "${2019}"])
def test_code_like_text_is_not_a_date(text, today):
    assert parse_when(text, today) is None


def test_the_age_keyword_changes_nothing_else(today):
    assert parse_when("3 years ago", today, age_years=40) == parse_when("3 years ago", today)


# --- properties of the forms above ------------------------------------------------------------

TODAY = datetime.date(2026, 11, 24)


@given(now=st.integers(min_value=0, max_value=120), then=st.integers(min_value=0, max_value=120))
def test_an_age_then_is_the_span_of_that_year_of_life(now, then):
    result = parse_when(f"since I was {then}", TODAY, age_years=now)
    if then > now:
        assert result is None
        return
    assert result is not None and result != UNSURE
    earliest = datetime.date.fromisoformat(result["earliest"])
    latest = datetime.date.fromisoformat(result["latest"])
    assert earliest <= latest <= TODAY
    # Whatever the birthday, the day the patient turned `then` lies in the range.
    for birthday_offset in (1, 180, 365):
        born = TODAY.replace(year=TODAY.year - now - 1) + datetime.timedelta(days=birthday_offset)
        if born > TODAY.replace(year=TODAY.year - now):
            continue
        turned = (
            born.replace(year=born.year + then)
            if not (born.month == 2 and born.day == 29)
            else None
        )
        if turned is not None and turned <= TODAY:
            assert earliest <= turned <= latest


@given(
    part=st.sampled_from(["early", "mid", "late"]),
    month=st.sampled_from(["January", "March", "June", "September", "November", "December"]),
    year=st.integers(min_value=1950, max_value=2025),
)
def test_a_part_of_a_month_lies_inside_the_month(part, month, year):
    result = parse_when(f"{part} {month} {year}", TODAY)
    whole = parse_when(f"{month} {year}", TODAY)
    assert result is not None and whole is not None
    assert whole["earliest"] <= result["earliest"] <= result["latest"] <= whole["latest"]


@given(
    few=st.sampled_from(["a few", "several"]),
    unit=st.sampled_from(["days", "weeks", "months", "years"]),
    lead=st.sampled_from(["", "about "]),
)
def test_a_few_units_ago_is_a_range_in_the_past(few, unit, lead):
    result = parse_when(f"{lead}{few} {unit} ago", TODAY)
    assert result is not None and result != UNSURE
    assert result["earliest"] < result["latest"] < TODAY.isoformat()


# --- the engine gives the patient's known age to "when" answers --------------------------------


def test_read_answer_dates_an_age_then_from_the_age_answer(today):
    from bot.eligibility import Answer, read_answer
    from bot.trial import load_trial

    trial = load_trial()
    answers = {"age": Answer(text="thirty", value=30)}
    read = read_answer(trial, "sle_duration", "since I was 19", today, answers=answers)
    assert read is not None
    assert read.value == {"earliest": "2014-11-25", "latest": "2016-11-23"}
    # Positional callers (four arguments) and unknown ages: unreadable, so the bot asks again.
    assert read_answer(trial, "sle_duration", "since I was 19", today) is None
    unsure_age = {"age": Answer(text="not sure", value=UNSURE)}
    assert read_answer(trial, "sle_duration", "since I was 19", today, unsure_age) is None
    born_1996 = {"age": Answer(text="1996", value={"min_years": 29, "max_years": 30})}
    assert read_answer(trial, "sle_duration", "since I was 19", today, born_1996) is None
    # Other answers are read as before.
    assert read_answer(trial, "sle_duration", "2019", today, answers).value == {
        "earliest": "2019-01-01",
        "latest": "2019-12-31",
    }
    assert read_answer(trial, "age", "34", today, answers).value == 34


def test_parse_answer_passes_the_age_to_when_only(today, lexicon):
    from bot.parsing import parse_answer

    assert parse_answer("when", "从19岁开始", today=today, lexicon=lexicon, age_years=30) == {
        "earliest": "2014-11-25",
        "latest": "2016-11-23",
    }
    assert parse_answer("when", "从19岁开始", today=today, lexicon=lexicon) is None
    assert parse_answer("age", "34", today=today, lexicon=lexicon, age_years=30) == 34
