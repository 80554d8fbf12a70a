"""Property tests: no text makes a parser raise, every result has its declared shape, and the
readers of ages, dates and doses give back what was written."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.lexicon import load_lexicon
from bot.parsing import ANSWER_KINDS, PARSERS, UNSURE, parse_answer
from bot.parsing.age import age_on

TODAY = datetime.date(2026, 11, 24)
LEXICON = load_lexicon()
STATUSES = {None, "active", "past", "unclear"}

WORDS = [
    "yes",
    "no",
    "not",
    "sure",
    "idk",
    "mg",
    "twice",
    "a",
    "day",
    "years",
    "ago",
    "since",
    "last",
    "march",
    "2019",
    "7.5",
    "prednisone",
    "plaquenil",
    "cellcep",
    "covid",
    "pfizer",
    "hep",
    "b",
    "cleared",
    "hiv",
    "dialysis",
    "rash",
    "fever",
    "skip",
    "none",
    "only",
    "skin",
    "pregnant",
    "kidney",
    "transplant",
    "asthma",
    "hay",
    "positive",
    "negative",
    "half",
    "3/4/1980",
    "1980-04-03",
    "thirty",
    "four",
    "不知道",
    "没有",
    "羟氯喹",
    "乙肝",
    "年",
    "月",
    "岁",
    "，",
    ",",
    ".",
    "!",
    "?",
    "🙂",
    "👍",
    "\x00",
    "\u200b",
    "½",
    "-",
    "/",
]
TEXTS = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=20).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=12).map("".join),
    st.text(max_size=5).map(lambda t: t * 2000),
)


def _is_iso_day(value: object) -> bool:
    return isinstance(value, str) and datetime.date.fromisoformat(value).isoformat() == value


def _has_declared_shape(kind: str, result: object) -> bool:
    """The result shapes of the contract in bot/parsing, kind by kind."""
    if result is None or result == UNSURE:
        return True
    if kind in ("yes_no", "active_infection", "cardiac_events", "disease_active"):
        return result in ("yes", "no")
    if kind == "treatment_stable":
        return result in ("yes", "no", "dose_changed", "new_medicine")
    if kind == "treatment_change":
        return (
            isinstance(result, dict)
            and set(result) == {"earliest", "latest", "change"}
            and result["change"] in (None, "dose_changed", "new_medicine")
            and _has_declared_shape("when", {k: result[k] for k in ("earliest", "latest")})
        )
    if kind == "flu_vaccine_form":
        return result in (
            {"products": ["flu_injected"], "generic_covid": False, "none": False},
            {"products": ["flumist"], "generic_covid": False, "none": False},
        )
    if kind == "age":
        if isinstance(result, dict):
            return result["max_years"] - result["min_years"] == 1
        return type(result) is int and 0 <= result <= 120
    if kind == "diagnosis":
        return result in ("yes", "no", "skin_only", "drug_induced")
    if kind in ("pregnancy", "contraception"):
        return result in ("yes", "no", "not_applicable")
    if kind == "transplant":
        return result in ("yes", "no", "minor_only")
    if kind == "asthma_allergy":
        return result in ("yes", "no", "hay_fever_only", "mild_allergy")
    if kind == "lab_markers":
        return result in ("yes", "all_negative", "no")
    if kind == "when":
        return (
            isinstance(result, dict)
            and set(result) == {"earliest", "latest"}
            and all(_is_iso_day(v) for v in result.values())
            and result["earliest"] <= result["latest"] <= TODAY.isoformat()
        )
    if kind == "medicines":
        return (
            isinstance(result, dict)
            and set(result) - {"incomplete"} == {"medicines", "past", "planned", "none"}
            and result.get("incomplete", True) is True
            and all(
                m in LEXICON.medicines
                for m in (*result["medicines"], *result["past"], *result["planned"])
            )
            and result["none"] == (not result["medicines"])
        )
    if kind == "steroid_dose":
        return result == "none" or (
            isinstance(result, dict)
            and set(result) - {"parts"} == {"medicine", "mg_per_day"}
            and (result["medicine"] is None or result["medicine"] in LEXICON.medicines)
            and isinstance(result["mg_per_day"], float)
            and 0 < result["mg_per_day"] <= 2000
        )
    if kind == "vaccines":
        return (
            isinstance(result, dict)
            and set(result) == {"products", "generic_covid", "none"}
            and all(p in LEXICON.vaccines for p in result["products"])
            and isinstance(result["generic_covid"], bool)
            and result["none"] == (not result["products"] and not result["generic_covid"])
        )
    if kind == "viral_infections":
        return (
            isinstance(result, dict)
            and set(result) == {"hiv", "syphilis", "hepatitis_b", "hepatitis_c", "cmv", "none"}
            and isinstance(result["hiv"], bool)
            and isinstance(result["syphilis"], bool)
            and {result["hepatitis_b"], result["hepatitis_c"], result["cmv"]} <= STATUSES
            and isinstance(result["none"], bool)
        )
    if kind == "organ_function":
        return (
            isinstance(result, dict)
            and len(result) == 7
            and all(isinstance(v, bool) for v in result.values())
            and result["none"] == (not any(v for k, v in result.items() if k != "none"))
        )
    if kind == "symptoms":
        return result == "skipped" or (
            isinstance(result, dict)
            and set(result) == {"items", "points", "clinical_points"}
            and all(i in LEXICON.sledai for i in result["items"])
            and result["points"] == sum(LEXICON.sledai[i].points for i in result["items"])
            and 0 <= result["clinical_points"] <= result["points"]
        )
    return False


@pytest.mark.parametrize("kind", sorted(ANSWER_KINDS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_any_text_gives_a_value_of_the_declared_shape(kind, text):
    # The parsers themselves, not parse_answer: its safety net must never be what passes this.
    result = PARSERS[kind](text, TODAY, LEXICON)
    assert _has_declared_shape(kind, result), (kind, text, result)


@given(born=st.dates(min_value=datetime.date(1907, 1, 1), max_value=TODAY))
def test_age_from_an_iso_date_of_birth_is_the_true_age(born):
    assert parse_answer("age", born.isoformat(), today=TODAY, lexicon=LEXICON) == age_on(
        born, TODAY
    )


@given(
    born=st.dates(min_value=datetime.date(1907, 1, 1), max_value=TODAY),
    style=st.sampled_from(["{d} {month} {y}", "{month} {d}, {y}", "{y}年{m}月{d}日"]),
)
def test_age_from_a_written_date_of_birth_is_the_true_age(born, style):
    month = born.strftime("%B")
    text = style.format(d=born.day, m=born.month, y=born.year, month=month)
    assert parse_answer("age", text, today=TODAY, lexicon=LEXICON) == age_on(born, TODAY)


@given(born=st.dates(min_value=datetime.date(1907, 1, 1), max_value=TODAY))
def test_age_from_a_slashed_date_is_true_or_unreadable(born):
    result = parse_answer("age", born.strftime("%d/%m/%Y"), today=TODAY, lexicon=LEXICON)
    true_age = age_on(born, TODAY)
    assert result == true_age or (
        isinstance(result, dict) and result["min_years"] <= true_age <= result["max_years"]
    )
    if born.day > 12 or born.day == born.month:
        assert result == age_on(born, TODAY)


@given(day=st.dates(min_value=datetime.date(1950, 1, 1), max_value=TODAY))
def test_when_reads_an_iso_day_back(day):
    result = parse_answer("when", day.isoformat(), today=TODAY, lexicon=LEXICON)
    assert result == {"earliest": day.isoformat(), "latest": day.isoformat()}


@given(day=st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 1, 1)))
def test_when_is_never_in_the_future(day):
    for text in (day.isoformat(), f"{day:%B %Y}", f"{day.year}", f"{day:%d %B %Y}"):
        result = parse_answer("when", text, today=TODAY, lexicon=LEXICON)
        if day > TODAY and text == day.isoformat():
            assert result is None
        assert _has_declared_shape("when", result)
        if isinstance(result, dict):
            assert result["earliest"] <= day.isoformat() <= result["latest"] or day > TODAY


@given(
    amount=st.integers(min_value=0, max_value=120),
    unit=st.sampled_from(["days", "weeks", "months", "years"]),
)
def test_when_n_units_ago_is_one_day_in_the_past(amount, unit):
    result = parse_answer("when", f"{amount} {unit} ago", today=TODAY, lexicon=LEXICON)
    assert result is not None and result != UNSURE
    assert result["earliest"] == result["latest"] <= TODAY.isoformat()


@given(
    milligrams=st.decimals(min_value="0.1", max_value="200", places=1),
    spacing=st.sampled_from(["", " "]),
    unit=st.sampled_from(["mg", "MG", "milligrams", "毫克"]),
)
def test_n_mg_round_trips(milligrams, spacing, unit):
    text = f"{milligrams}{spacing}{unit}"
    result = parse_answer("steroid_dose", text, today=TODAY, lexicon=LEXICON)
    assert result == {"medicine": None, "mg_per_day": float(milligrams)}


@given(milligrams=st.decimals(min_value="0.5", max_value="50", places=1))
def test_twice_a_day_doubles(milligrams):
    text = f"{milligrams} mg prednisone twice a day"
    result = parse_answer("steroid_dose", text, today=TODAY, lexicon=LEXICON)
    assert result == {"medicine": "prednisone", "mg_per_day": float(milligrams) * 2}


def test_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError, match="unknown answer kind 'favourite_colour'"):
        parse_answer("favourite_colour", "blue", today=TODAY, lexicon=LEXICON)


def test_a_parser_fault_is_unreadable_and_logged_without_the_words(caplog):
    secret = "my name is Jane, plaquenil"
    result = parse_answer("medicines", secret, today=TODAY, lexicon=None)  # type: ignore[arg-type]
    assert result is None
    assert "AttributeError" in caplog.text
    assert "Jane" not in caplog.text
