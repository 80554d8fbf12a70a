"""Issue 8: infections being treated, heart events, medicine changes and the flu vaccine's form
are read by meaning, "but / except / although" clauses included; unclear is never a "no"."""

from __future__ import annotations

import pytest

from bot.parsing import UNSURE, parse_answer


def read(kind, text, today, lexicon):
    return parse_answer(kind, text, today=today, lexicon=lexicon)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No, but I'm on antibiotics for a UTI", "yes"),
        ("no, I had shingles last year but it's gone", "no"),
        ("my son has a cold", "no"),
        ("我妈感冒了", "no"),
        ("没有", "no"),
        ("在吃抗生素", "yes"),
        ("正在治疗肺炎", "yes"),
        ("no", "no"),
        ("No infections", "no"),
        ("no, no antibiotics", "no"),
        ("yes", "yes"),
        ("I have pneumonia, still on antibiotics", "yes"),
        ("I finished antibiotics last week", "no"),
        ("not sure", UNSURE),
        ("I have a cold, not being treated", UNSURE),
    ],
)
def test_active_infection(text, expected, today, lexicon):
    assert read("active_infection", text, today, lexicon) == expected


@pytest.mark.parametrize(
    "text",
    [
        "not sure if a UTI counts, I'm taking antibiotics",
        "maybe a UTI",
        "yes and no",
        "I have a cold, not being treated",
        "I had a UTI",
        "hello",
    ],
)
def test_active_infection_unclear_is_never_no(text, today, lexicon):
    assert read("active_infection", text, today, lexicon) in ("yes", UNSURE, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No heart attack, but treated for an irregular heartbeat in September", "yes"),
        ("no, my dad had a heart attack", "no"),
        ("heart palpitations sometimes, never treated", "no"),
        ("palpitations sometimes", UNSURE),
        ("chest pain", UNSURE),
        ("I had a heart attack in 2019", "yes"),  # its date is asked next
        ("房颤，在吃药", "yes"),
        ("上个月得过心梗", "yes"),  # a past event is the patient's: its date decides (regression)
        ("I used to have an irregular heartbeat, treated with ablation", "yes"),
        ("没有", "no"),
        ("no heart problems", "no"),
        ("no", "no"),
        ("yes", "yes"),
        ("not sure", UNSURE),
    ],
)
def test_cardiac_events(text, expected, today, lexicon):
    assert read("cardiac_events", text, today, lexicon) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes, it's been the same for ages, nothing new", "yes"),
        ("yes, and nothing has changed", "yes"),
        ("Yes, no changes since June", "yes"),
        ("no dose changes, same meds", "yes"),
        ("没有变化", "yes"),
        ("是的", "yes"),
        ("yes, but my doctor wants me to start Benlysta next month", "yes"),
        ("yes, except I raised my prednisone last week", "dose_changed"),
        ("I upped my prednisone 10 days ago", "dose_changed"),
        ("my dose changed", "dose_changed"),
        ("started Benlysta 3 weeks ago", "new_medicine"),
        ("no", "no"),
        ("not sure", UNSURE),
    ],
)
def test_treatment_stable(text, expected, today, lexicon):
    assert read("treatment_stable", text, today, lexicon) == expected


@pytest.mark.parametrize("text", ["no, nothing has changed", "yes, but it changed", "hmm"])
def test_treatment_stable_contradictions_are_asked_again(text, today, lexicon):
    assert read("treatment_stable", text, today, lexicon) is None


@pytest.mark.parametrize(
    ("text", "earliest", "change"),
    [
        ("I upped my prednisone 10 days ago", "2026-11-14", "dose_changed"),
        ("started Benlysta 3 weeks ago", "2026-11-03", "new_medicine"),
        ("3 weeks ago", "2026-11-03", None),
    ],
)
def test_treatment_change_records_which_change(text, earliest, change, today, lexicon):
    value = read("treatment_change", text, today, lexicon)
    assert value == {"earliest": earliest, "latest": earliest, "change": change}


def test_treatment_change_not_sure(today, lexicon):
    assert read("treatment_change", "not sure", today, lexicon) == UNSURE


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("a shot", "flu_injected"),
        ("in the arm", "flu_injected"),
        ("nasal spray", "flumist"),
        ("up my nose", "flumist"),
        ("鼻喷的", "flumist"),
    ],
)
def test_flu_vaccine_form(text, product, today, lexicon):
    expected = {"products": [product], "generic_covid": False, "none": False}
    assert read("flu_vaccine_form", text, today, lexicon) == expected


@pytest.mark.parametrize(("text", "expected"), [("not sure", UNSURE), ("hello", None)])
def test_flu_vaccine_form_unclear(text, expected, today, lexicon):
    assert read("flu_vaccine_form", text, today, lexicon) == expected
