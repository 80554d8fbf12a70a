"""Yes / no / not sure in their many forms."""

from __future__ import annotations

import pytest

from bot.parsing import UNSURE
from bot.parsing.yes_no import parse_yes_no


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yes.",
        "YES!!",
        "yeah",
        "yep",
        "yup",
        "y",
        "sure",
        "correct",
        "I think so",
        "of course",
        "是",
        "是的",
        "对",
        "对的",
        "有",
        "👍",
        "  yes 🙂 ",
        "yes please",
        "definitely",
    ],
)
def test_yes(text):
    assert parse_yes_no(text) == "yes"


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "No.",
        "nope",
        "nah",
        "n",
        "not really",
        "never",
        "none",
        "没有",
        "不是",
        "没",
        "👎",
        "no, I have never had that",
        "I have not",
        "not at all",
        "ok so 没有",  # a weak "ok" yields to the Chinese no (regression)
    ],
)
def test_no(text):
    assert parse_yes_no(text) == "no"


@pytest.mark.parametrize(
    "text",
    [
        "not sure",
        "Not sure...",
        "idk",
        "IDK",
        "dunno",
        "no idea",
        "I don't remember",
        "i dont know",
        "I don’t know",
        "can't remember",
        "maybe",
        "不知道",
        "不清楚",
        "不记得了",
        "🤷",
        "?",
        "yes, but not sure",
    ],
)
def test_unsure(text):
    assert parse_yes_no(text) == UNSURE


@pytest.mark.parametrize("text", ["yes and no", "", "   ", "hello", "banana", "🙂", "42"])
def test_unreadable(text):
    assert parse_yes_no(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't think so", "no"),
        ("I'm not so sure", UNSURE),
        ("not really sure", UNSURE),
        ("I don't really know", UNSURE),
        ("can't quite remember", UNSURE),
    ],
)
def test_hedged_forms(text, expected):
    assert parse_yes_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # issue 8: a remark that only says nothing changed is not a "no"
        ("yes, it's been the same for ages, nothing new", "yes"),
        ("yes, and nothing has changed", "yes"),
        ("Yes, no changes since June", "yes"),
        # a real contradiction stays unreadable, a hedge stays unsure
        ("yes and no", None),
        ("yes, not sure", UNSURE),
    ],
)
def test_yes_no_with_a_remark(text, expected):
    assert parse_yes_no(text) == expected
