"""Issue 8 "Read every answer right": regressions for answers read by meaning, in context."""

from __future__ import annotations

import pytest

from bot.parsing import UNSURE, parse_answer


def read(kind, text, today, lexicon):
    return parse_answer(kind, text, today=today, lexicon=lexicon)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("pregnancy", "Pregnant? No.", "no"),
        ("pregnancy", "no, I work in nursing", "no"),
        ("pregnancy", "Breastfeeding: yes. Pregnant: n/a", "yes"),
        ("pregnancy", "n/a", "not_applicable"),
        ("diagnosis", "yes, SLE with a discoid rash", "yes"),
        ("contraception", "I wouldn't mind", "yes"),
        ("transplant", "no, but my mum had a kidney transplant", "no"),
        ("asthma_allergy", "no asthma, but I have a severe peanut allergy", "yes"),
        ("lab_markers", "ANA negative, others I don't know", UNSURE),
        (
            "lab_markers",
            "never told anything was positive",
            "no",
        ),  # judged unknown, not all-negative
        ("yes_no", "记不清", UNSURE),
        ("yes_no", "无法确定", UNSURE),
        ("yes_no", "不太清楚", UNSURE),
        ("vaccines", "记不清有没有打过", UNSURE),
        ("age", "I'll be 18 next month", 17),
        ("age", "almost 70", 69),
        ("age", "2019年确诊", None),
        ("age", "<script>alert(1)</script>", None),
        ("age", "{{7*7}}", None),
        ("steroid_dose", "not sure, I'm not on a fixed dose", UNSURE),
        ("medicines", "MPA", None),
    ],
)
def test_read_by_meaning(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


def test_man_inside_a_sentence_is_not_not_applicable(today, lexicon):
    assert read("pregnancy", "the man at the desk said I should answer yes", today, lexicon) != (
        "not_applicable"
    )


@pytest.mark.parametrize(
    ("text", "virus", "status"),
    [
        ("I have CMV", "cmv", "active"),
        ("没有乙肝，有HIV", "hiv", True),
    ],
)
def test_viral_infections(text, virus, status, today, lexicon):
    value = read("viral_infections", text, today, lexicon)
    assert value[virus] == status


def test_a_negative_hiv_test_is_no_hiv(today, lexicon):
    value = read("viral_infections", "my HIV test last year was negative", today, lexicon)
    assert value["hiv"] is False
    assert value["none"] is True


def test_stopped_medicines_are_past_but_ever_taken(today, lexicon):
    value = read(
        "medicines", "I used to take CellCept and methotrexate but stopped both", today, lexicon
    )
    assert value["medicines"] == []
    assert set(value["past"]) == {"mycophenolate_mofetil", "methotrexate"}


def test_planned_medicine_is_not_taken(today, lexicon):
    value = read(
        "medicines", "my rheumatologist wants me to try Benlysta next month", today, lexicon
    )
    assert value == {"medicines": [], "past": [], "planned": ["belimumab"], "none": True}


@pytest.mark.parametrize(
    ("text", "medicine", "mg"),
    [
        ("40 mg daily, started a week ago", None, 40.0),
        ("stopped prednisone, now dexamethasone 6 mg", "dexamethasone", 6.0),
        ("美卓乐 Medrol 4 mg, two tablets each morning", "methylprednisolone", 8.0),
    ],
)
def test_steroid_doses(text, medicine, mg, today, lexicon):
    value = read("steroid_dose", text, today, lexicon)
    assert (value["medicine"], value["mg_per_day"]) == (medicine, mg)


@pytest.mark.parametrize(
    ("medicine", "mg", "prednisone"),
    [("dexamethasone", 6.0, 40.0), ("methylprednisolone", 8.0, 10.0)],
)
def test_prednisone_equivalents(medicine, mg, prednisone, lexicon):
    assert lexicon.prednisone_mg(medicine, mg) == pytest.approx(prednisone)


@pytest.mark.parametrize(
    ("text", "products", "generic_covid"),
    [
        ("an RSV vaccine", ["rsv_unspecified"], False),
        ("the RSV shot", ["rsv_unspecified"], False),
        ("Arexvy RSV vaccine", ["arexvy"], False),
        ("Moderna RSV vaccine", ["moderna_rsv"], False),
        ("Sinovac, then a covid booster", ["sinovac_coronavac"], True),
        ("我打了科兴，然后打了新冠加强针", ["sinovac_coronavac"], True),
        ("2 doses of Sinovac covid vaccine", ["sinovac_coronavac"], False),
        ("flu vaccine", ["flu_unspecified"], False),
        ("flu jab", ["flu_unspecified"], False),
        ("flu shot", ["flu_injected"], False),
        ("the nasal flu vaccine", ["flumist"], False),
    ],
)
def test_vaccines_that_need_a_follow_up(text, products, generic_covid, today, lexicon):
    expected = {"products": products, "generic_covid": generic_covid, "none": False}
    assert read("vaccines", text, today, lexicon) == expected
