"""Answers about diagnosis, pregnancy, contraception, transplant, asthma and allergy, viral
infections, organ function and lab markers."""

from __future__ import annotations

import pytest

from bot.parsing import UNSURE
from bot.parsing.conditions import (
    parse_asthma_allergy,
    parse_contraception,
    parse_diagnosis,
    parse_lab_markers,
    parse_organ_function,
    parse_pregnancy,
    parse_transplant,
    parse_viral_infections,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("yes, SLE", "yes"),
        ("lupus", "yes"),
        ("systemic lupus with kidney involvement", "yes"),
        ("系统性红斑狼疮", "yes"),
        ("yes but only skin", "skin_only"),
        ("only skin lupus", "skin_only"),
        ("discoid lupus", "skin_only"),
        ("cutaneous", "skin_only"),
        ("DLE", "skin_only"),
        ("皮肤型狼疮", "skin_only"),
        ("not just skin, it's systemic", "yes"),
        ("drug-induced lupus", "drug_induced"),
        ("no", "no"),
        ("not sure", UNSURE),
        ("hello", None),
    ],
)
def test_diagnosis(text, expected):
    assert parse_diagnosis(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no", "no"),
        ("not pregnant", "no"),
        ("I'm not pregnant or breastfeeding", "no"),
        ("yes", "yes"),
        ("pregnant", "yes"),
        ("breastfeeding", "yes"),
        ("nursing my baby", "yes"),
        ("怀孕了", "yes"),
        ("does not apply", "not_applicable"),
        ("doesn't apply", "not_applicable"),
        ("n/a", "not_applicable"),
        ("I'm a man", "not_applicable"),
        ("male", "not_applicable"),
        ("after menopause", "not_applicable"),
        ("不适用", "not_applicable"),
        ("not sure", UNSURE),
        ("hello", None),
        ("trying to get pregnant", None),  # regression: read as pregnant now
    ],
)
def test_pregnancy(text, expected):
    assert parse_pregnancy(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("I would", "yes"),
        ("willing", "yes"),
        ("already on the pill", "yes"),
        ("愿意", "yes"),
        ("no", "no"),
        ("not willing", "no"),
        ("I won't", "no"),
        ("不愿意", "no"),
        ("does not apply", "not_applicable"),
        ("I had my tubes tied", "not_applicable"),
        ("not sure", UNSURE),
        ("hello", None),
    ],
)
def test_contraception(text, expected):
    assert parse_contraception(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no", "no"),
        ("never", "no"),
        ("no kidney transplant", "no"),
        ("yes", "yes"),
        ("kidney transplant", "yes"),
        ("kidney", "yes"),
        ("bone marrow transplant in 2010", "yes"),
        ("stem cell", "yes"),
        ("肾移植", "yes"),
        ("corneal transplant", "minor_only"),
        ("only a skin graft", "minor_only"),
        ("角膜移植", "minor_only"),
        ("not sure", UNSURE),
        ("hello", None),
    ],
)
def test_transplant(text, expected):
    assert parse_transplant(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no", "no"),
        ("yes", "yes"),
        ("asthma", "yes"),
        ("I use an inhaler for asthma", "yes"),
        ("anaphylaxis to peanuts", "yes"),
        ("I carry an epipen", "yes"),
        ("needed adrenaline once", "yes"),
        ("no asthma but a severe allergy to bees", "yes"),
        ("哮喘", "yes"),
        ("hay fever", "hay_fever_only"),
        ("mild seasonal allergies", "hay_fever_only"),
        ("no asthma, just hay fever", "hay_fever_only"),
        ("过敏性鼻炎", "hay_fever_only"),
        ("not sure", UNSURE),
        ("hello", None),
    ],
)
def test_asthma_allergy(text, expected):
    assert parse_asthma_allergy(text) == expected


NO_VIRUS = {"hiv": False, "syphilis": False, "hepatitis_b": None, "hepatitis_c": None, "cmv": None}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("HIV", {"hiv": True}),
        ("艾滋病", {"hiv": True}),
        ("syphilis years ago, treated and cured", {"syphilis": True}),
        ("梅毒", {"syphilis": True}),
        ("hepatitis B", {"hepatitis_b": "unclear"}),
        ("hep b carrier not sure", {"hepatitis_b": "unclear"}),
        ("hepatitis B, but it is cleared", {"hepatitis_b": "past"}),
        ("HBV on entecavir", {"hepatitis_b": "active"}),
        ("乙肝，正在吃恩替卡韦", {"hepatitis_b": "active"}),
        ("hep c cured", {"hepatitis_c": "past"}),
        ("HCV active now", {"hepatitis_c": "active"}),
        ("CMV", {"cmv": "active"}),  # regression: "I have CMV" passed; naming it is having it
        ("no hiv, hep b in the past", {"hepatitis_b": "past"}),
        ("hep b cleared, hep c on treatment", {"hepatitis_b": "past", "hepatitis_c": "active"}),
    ],
)
def test_viral_infections_named(text, named):
    assert parse_viral_infections(text) == {**NO_VIRUS, **named, "none": False}


@pytest.mark.parametrize(
    "text", ["no", "none", "none of them", "没有", "vaccinated for hep b", "no hiv or hepatitis"]
)
def test_no_viral_infection(text):
    assert parse_viral_infections(text) == {**NO_VIRUS, "none": True}


def test_viral_infections_unsure_and_unreadable():
    assert parse_viral_infections("not sure") == UNSURE
    assert parse_viral_infections("yes") is None
    assert parse_viral_infections("hello") is None


NO_ORGAN_PROBLEM = dict.fromkeys(
    ["dialysis", "kidney_failure", "liver_disease", "heart_failure", "oxygen", "transfusion"],
    False,
)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("dialysis", ["dialysis"]),
        ("I'm on dialysis for kidney failure", ["dialysis", "kidney_failure"]),
        ("heart failure and I need oxygen", ["heart_failure", "oxygen"]),
        ("cirrhosis", ["liver_disease"]),
        ("a blood transfusion last week", ["transfusion"]),
        ("透析", ["dialysis"]),
        ("no dialysis, but heart failure", ["heart_failure"]),
    ],
)
def test_organ_function_named(text, named):
    expected = {**NO_ORGAN_PROBLEM, **dict.fromkeys(named, True), "none": False}
    assert parse_organ_function(text) == expected


@pytest.mark.parametrize("text", ["no", "none of these", "nothing", "没有", "no dialysis"])
def test_no_organ_problem(text):
    assert parse_organ_function(text) == {**NO_ORGAN_PROBLEM, "none": True}


def test_organ_function_unsure_and_unreadable():
    assert parse_organ_function("not sure") == UNSURE
    assert parse_organ_function("yes") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("ANA positive", "yes"),
        ("my complement was low", "yes"),
        ("ANA positive but dsDNA negative", "yes"),
        ("阳性", "yes"),
        ("all were negative", "all_negative"),
        ("no, all were negative", "all_negative"),
        ("both negative", "all_negative"),
        ("normal", "all_negative"),
        ("阴性", "all_negative"),
        ("no", "no"),
        ("never told", "no"),
        ("not sure", UNSURE),
        ("hello", None),
    ],
)
def test_lab_markers(text, expected):
    assert parse_lab_markers(text) == expected
