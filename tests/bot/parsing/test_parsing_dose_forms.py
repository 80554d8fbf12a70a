"""Steroid doses as patients write them: tablets and strengths, past steroids, two steroids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.lexicon import load_lexicon
from bot.parsing import UNSURE
from bot.parsing.dose import parse_steroid_dose

LEXICON = load_lexicon()


@pytest.mark.parametrize(
    ("text", "medicine", "mg_per_day"),
    [
        ("40 mg daily, started a week ago", None, 40.0),  # a duration is not a frequency
        ("10 mg a day for the past 2 weeks", None, 10.0),
        ("stopped prednisone, now dexamethasone 6 mg", "dexamethasone", 6.0),
        ("以前吃泼尼松，现在地塞米松 0.75mg", "dexamethasone", 0.75),
        ("美卓乐 Medrol 4 mg, two tablets each morning", "methylprednisolone", 8.0),
        ("4 mg, two tablets a day", None, 8.0),
        ("5mg 一天两次", None, 10.0),
        ("每日一片 5mg", None, 5.0),
        ("隔日 10mg", None, 5.0),
        ("half a tablet of 5 mg", None, 2.5),
    ],
)
def test_dose_as_patients_write_it(text, medicine, mg_per_day):
    assert parse_steroid_dose(text, LEXICON) == {"medicine": medicine, "mg_per_day": mg_per_day}


def test_two_current_steroids_add_up_as_prednisone_equivalent():
    result = parse_steroid_dose("prednisone 10 mg and dexamethasone 0.75 mg", LEXICON)
    assert result == {
        "medicine": "prednisone",
        "mg_per_day": 15.0,
        "parts": [
            {"medicine": "prednisone", "mg_per_day": 10.0},
            {"medicine": "dexamethasone", "mg_per_day": 0.75},
        ],
    }


@pytest.mark.parametrize(
    "text", ["not sure, I'm not on a fixed dose", "it varies", "it depends on the week", "不固定"]
)
def test_a_dose_that_varies_is_unsure_never_none(text):
    assert parse_steroid_dose(text, LEXICON) == UNSURE


@pytest.mark.parametrize("text", ["{{7*7}} mg", "<b>10</b> mg", "${10} mg"])
def test_code_like_text_is_not_a_dose(text):
    assert parse_steroid_dose(text, LEXICON) is None


@given(
    strength=st.sampled_from([1, 2.5, 4, 5, 10]),
    count=st.integers(min_value=1, max_value=4),
    words=st.sampled_from(
        ["{s} mg, {c} tablets a day", "{c} tablets of {s} mg", "每日{c}片 {s}mg"]
    ),
)
def test_tablets_times_strength(strength, count, words):
    result = parse_steroid_dose(words.format(s=strength, c=count), LEXICON)
    assert result == {"medicine": None, "mg_per_day": float(strength * count)}


@given(
    milligrams=st.sampled_from([2.5, 5, 7.5, 10, 20]),
    started=st.sampled_from(["a week ago", "2 weeks ago", "a month ago", "3 days ago"]),
)
def test_when_it_started_is_not_a_frequency(milligrams, started):
    result = parse_steroid_dose(f"{milligrams} mg daily, started {started}", LEXICON)
    assert result == {"medicine": None, "mg_per_day": float(milligrams)}


@pytest.mark.parametrize(
    ("text", "mg_per_day"),
    [("prednisone 10 mg before breakfast", 10.0), ("prednisone 10mg, I stopped medrol", 10.0)],
)
def test_only_a_past_steroid_is_dropped(text, mg_per_day):
    assert parse_steroid_dose(text, LEXICON) == {"medicine": "prednisone", "mg_per_day": mg_per_day}


@pytest.mark.parametrize("text", ["no longer on prednisone", "stopped prednisone 2 weeks ago"])
def test_only_a_stopped_steroid_is_none(text):
    assert parse_steroid_dose(text, LEXICON) == "none"
