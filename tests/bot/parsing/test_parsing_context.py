"""The context of a mention: the patient's present fact, or negated, past, planned, someone
else's, or a negative test. English and Chinese, with the clause breaks that end a trigger."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import context
from bot.parsing.text import prepare


def status_of(text: str, mention: str) -> str:
    """The context of the first occurrence of `mention` in the patient's text."""
    prepared = prepare(text)
    start = prepared.index(prepare(mention))
    return context.status(prepared, start, start + len(prepare(mention)))


@pytest.mark.parametrize(
    ("text", "mention", "expected"),
    [
        # present
        ("I take CellCept every day", "cellcept", context.PRESENT),
        ("plaquenil and prednisone", "prednisone", context.PRESENT),
        ("现在吃硫酸羟氯喹", "硫酸羟氯喹", context.PRESENT),
        ("HIV positive since 2015", "hiv", context.PRESENT),
        # negated
        ("no methotrexate", "methotrexate", context.NEGATED),
        ("never took methotrexate", "methotrexate", context.NEGATED),
        ("没有乙肝", "乙肝", context.NEGATED),
        # the past
        ("I used to take CellCept but stopped", "cellcept", context.PAST),
        ("was on methotrexate in 2019", "methotrexate", context.PAST),
        ("came off imuran last year", "imuran", context.PAST),
        ("CellCept, stopped it in March", "cellcept", context.PAST),
        ("以前吃过环磷酰胺", "环磷酰胺", context.PAST),
        # only planned
        ("my rheumatologist wants me to try Benlysta next month", "benlysta", context.PLANNED),
        ("going to start rituximab", "rituximab", context.PLANNED),
        ("Benlysta next month", "benlysta", context.PLANNED),
        ("医生说要加泰它西普", "泰它西普", context.PLANNED),
        # someone else's
        ("no, but my mum had a kidney transplant", "kidney transplant", context.OTHER_PERSON),
        ("my husband has hepatitis B", "hepatitis b", context.OTHER_PERSON),
        ("我妈有乙肝", "乙肝", context.OTHER_PERSON),
        # a negative test
        ("my HIV test last year was negative", "hiv", context.NEGATIVE_TEST),
        ("tested negative for hepatitis C", "hepatitis c", context.NEGATIVE_TEST),
        ("tested for HIV, negative", "hiv", context.NEGATIVE_TEST),
        ("HIV阴性", "hiv", context.NEGATIVE_TEST),
        # measured misses (scripts/context_compare.py), now regressions
        ("I no longer take methotrexate", "methotrexate", context.PAST),
        ("I quit tacrolimus in 2022", "tacrolimus", context.PAST),
        ("Prednisone? Not any more, tapered off in May", "prednisone", context.PAST),
        ("I had rituximab a few years ago, not anymore", "rituximab", context.PAST),
        ("吃过两年他克莫司，去年停药了", "他克莫司", context.PAST),
        ("we might add methotrexate", "methotrexate", context.PLANNED),
        ("I'm supposed to start Benlysta after the scan", "benlysta", context.PLANNED),
        ("I'm on the list for a kidney transplant", "kidney transplant", context.PLANNED),
        ("下周要开始吃他克莫司", "他克莫司", context.PLANNED),
        ("医生说下个月start Benlysta", "benlysta", context.PLANNED),
        ("there's a history of blood clots in my family", "blood clots", context.OTHER_PERSON),
        # the patient's own after all
        ("no side effects from Benlysta so far", "benlysta", context.PRESENT),
        ("no problems with azathioprine, still on it", "azathioprine", context.PRESENT),
        ("my mum reminds me to take my CellCept", "cellcept", context.PRESENT),
        ("我妈陪我去打贝利尤单抗", "贝利尤单抗", context.PRESENT),
        ("I stopped methotrexate and now take Plaquenil", "plaquenil", context.PRESENT),
    ],
)
def test_the_context_of_a_mention(text: str, mention: str, expected: str) -> None:
    assert status_of(text, mention) == expected


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        # a new clause ends the trigger's reach: the second mention is the patient's own
        ("no asthma, but I have a severe peanut allergy", "peanut allergy"),
        ("stopped prednisone, now dexamethasone 6 mg", "dexamethasone"),
        ("my mum had lupus nephritis, I have hepatitis B", "hepatitis b"),
        ("没有乙肝，有HIV", "hiv"),
        ("HIV negative but hepatitis C positive", "hepatitis c"),
        ("used to take imuran; now CellCept", "cellcept"),
    ],
)
def test_a_clause_break_ends_the_context(text: str, mention: str) -> None:
    assert status_of(text, mention) == context.PRESENT


def test_a_positive_result_is_not_a_negative_test() -> None:
    assert status_of("hepatitis B test came back positive", "hepatitis b") == context.PRESENT


@pytest.mark.parametrize(
    ("text", "mention", "past_counts", "expected"),
    [
        ("I used to take CellCept", "cellcept", True, True),
        ("I used to take CellCept", "cellcept", False, False),
        ("my dad takes CellCept", "cellcept", True, False),
        ("wants me to try CellCept", "cellcept", True, False),
    ],
)
def test_is_present_counts_the_past_only_when_asked(
    text: str, mention: str, past_counts: bool, expected: bool
) -> None:
    prepared = prepare(text)
    start = prepared.index(mention)
    assert context.is_present(prepared, start, start + len(mention), past_counts=past_counts) is (
        expected
    )


def test_clauses_cover_the_text_in_order() -> None:
    text = "no asthma, but a severe peanut allergy; 没有乙肝，有HIV"
    spans = context.clauses(text)
    assert [text[start:end].strip() for start, end in spans] == [
        "no asthma",
        "a severe peanut allergy",
        "没有乙肝",
        "有HIV",
    ]


@given(st.text(max_size=200), st.integers(min_value=0, max_value=200), st.integers(0, 40))
def test_status_never_raises_and_is_a_known_status(text: str, start: int, length: int) -> None:
    prepared = prepare(text)
    start = min(start, len(prepared))
    end = min(start + length, len(prepared))
    assert context.status(prepared, start, end) in {
        context.PRESENT,
        context.NEGATED,
        context.PAST,
        context.PLANNED,
        context.OTHER_PERSON,
        context.NEGATIVE_TEST,
    }
