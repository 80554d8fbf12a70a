"""Answers listing medicines, vaccines or symptoms."""

from __future__ import annotations

import pytest

from bot.parsing import UNSURE
from bot.parsing.names import parse_medicines, parse_symptoms, parse_vaccines


@pytest.mark.parametrize(
    ("text", "medicines"),
    [
        ("Plaquenil and prednisone", ["hydroxychloroquine", "prednisone"]),
        ("hydroxychloroquine, CellCept", ["hydroxychloroquine", "mycophenolate_mofetil"]),
        ("plaquinil + cellcep", ["hydroxychloroquine", "mycophenolate_mofetil"]),
        ("羟氯喹和他克莫司", ["hydroxychloroquine", "tacrolimus"]),
        ("no methotrexate any more, just plaquenil", ["hydroxychloroquine"]),
        ("nothing other than plaquenil", ["hydroxychloroquine"]),
        ("我不吃泼尼松了，只吃羟氯喹", ["hydroxychloroquine"]),
    ],
)
def test_medicines_named(text, medicines, lexicon):
    parsed = parse_medicines(text, lexicon)
    assert parsed["medicines"] == medicines
    assert parsed["none"] is False
    assert parsed["planned"] == []


@pytest.mark.parametrize(
    ("text", "current", "past", "planned"),
    [
        (
            "I used to take CellCept and methotrexate but stopped both",
            [],
            ["mycophenolate_mofetil", "methotrexate"],
            [],
        ),
        ("I used imuran and methotrexate in the past", [], ["azathioprine", "methotrexate"], []),
        ("my rheumatologist wants me to try Benlysta next month", [], [], ["belimumab"]),
        ("Plaquenil now; I was on Imuran before", ["hydroxychloroquine"], ["azathioprine"], []),
        ("以前吃过甲氨蝶呤，现在吃羟氯喹", ["hydroxychloroquine"], ["methotrexate"], []),
        ("羟氯喹，医生说要加贝利尤单抗", ["hydroxychloroquine"], [], ["belimumab"]),
    ],
)
def test_medicines_in_context(text, current, past, planned, lexicon):
    parsed = parse_medicines(text, lexicon)
    assert parsed == {"medicines": current, "past": past, "planned": planned, "none": not current}


@pytest.mark.parametrize(
    "text", ["none", "no", "nothing", "no medicines", "I don't take any", "没有", "Nope 🙅"]
)
def test_no_medicines(text, lexicon):
    expected = {"medicines": [], "past": [], "planned": [], "none": True}
    assert parse_medicines(text, lexicon) == expected


@pytest.mark.parametrize(
    "text",
    [
        "vitamins",
        "yes",
        "steroids",
        "",
        "hello",
        # regressions: a "no" about something else was read as "no medicines", which ends the
        # screening on the medicine question
        "I'm not pregnant",
        "no steroids",
    ],
)
def test_medicines_unreadable(text, lexicon):
    assert parse_medicines(text, lexicon) is None


def test_medicines_unsure(lexicon):
    assert parse_medicines("not sure what it's called", lexicon) == UNSURE


@pytest.mark.parametrize(
    ("text", "products", "generic_covid"),
    [
        ("pfizer and moderna", ["pfizer_biontech_covid", "moderna_covid"], False),
        ("Sinovac", ["sinovac_coronavac"], False),
        ("科兴新冠疫苗", ["sinovac_coronavac"], False),
        ("the covid shot", [], True),
        ("covid vaccine, not sure which", [], True),
        ("新冠疫苗", [], True),
        ("a covid booster and a flu shot", ["flu_injected"], True),
        ("chickenpox vaccine 2 weeks ago", ["varicella"], False),
        ("Onpattro", ["patisiran"], False),
        ("Pfizer in 2021, none in the last 2 years", ["pfizer_biontech_covid"], False),
        ("no other vaccines besides Sinovac", ["sinovac_coronavac"], False),
        ("我打过辉瑞", ["pfizer_biontech_covid"], False),
    ],
)
def test_vaccines_named(text, products, generic_covid, lexicon):
    expected = {"products": products, "generic_covid": generic_covid, "none": False}
    assert parse_vaccines(text, lexicon) == expected


@pytest.mark.parametrize(
    "text",
    ["no", "none", "not in the last 2 years", "no covid vaccine", "没有", "nope", "我没有打过辉瑞"],
)
def test_no_vaccines(text, lexicon):
    assert parse_vaccines(text, lexicon) == {"products": [], "generic_covid": False, "none": True}


@pytest.mark.parametrize("text", ["yes", "a vaccine", "", "hello"])
def test_vaccines_unreadable(text, lexicon):
    assert parse_vaccines(text, lexicon) is None


def test_vaccines_unsure(lexicon):
    assert parse_vaccines("I don't remember", lexicon) == UNSURE


@pytest.mark.parametrize(
    ("text", "items", "points", "clinical_points"),
    [
        ("rash and swollen joints", ["rash", "arthritis"], 6, 6),
        ("mouth sores, hair loss, fever", ["mucosal_ulcers", "alopecia", "fever"], 5, 5),
        ("no fever but a rash", ["rash"], 2, 2),
        ("low complement and high dsdna", ["low_complement", "increased_dna_binding"], 4, 0),
        ("seizure", ["seizure"], 8, 8),
        ("none", [], 0, 0),
        ("no", [], 0, 0),
        ("none of these", [], 0, 0),
    ],
)
def test_symptoms(text, items, points, clinical_points, lexicon):
    expected = {"items": items, "points": points, "clinical_points": clinical_points}
    assert parse_symptoms(text, lexicon) == expected


@pytest.mark.parametrize("text", ["skip", "pass", "I'd rather not", "跳过"])
def test_symptoms_skipped(text, lexicon):
    assert parse_symptoms(text, lexicon) == "skipped"


def test_symptoms_unsure_and_unreadable(lexicon):
    assert parse_symptoms("not sure", lexicon) == UNSURE
    assert parse_symptoms("hello", lexicon) is None
