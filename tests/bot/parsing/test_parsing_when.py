"""When something happened, as the range of days it could have been (today: Tue 24 Nov 2026)."""

from __future__ import annotations

import pytest

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
        ("less than 2 years ago", "2024-11-24", "2026-11-24"),
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
        "a few days ago",
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
