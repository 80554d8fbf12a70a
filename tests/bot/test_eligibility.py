"""The eligibility engine: whole patients, every boundary the spec names, every outcome."""

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from dateutil.relativedelta import relativedelta

from bot import eligibility
from bot.eligibility import Answer, assess, next_question, progress, read_answer
from bot.parsing import UNSURE
from bot.trial import load_trial

TRIAL = load_trial()
CASES_FILE = yaml.safe_load((Path(__file__).parent / "patients.yml").read_text(encoding="utf-8"))
TODAY = CASES_FILE["today"]


def play(answers_by_question: dict[str, str], today: date = TODAY):
    """Run a screening the way the conversation does; return (asked ids, assessment)."""
    answers: dict[str, Answer] = {}
    asked: list[str] = []
    while (question := next_question(TRIAL, answers, today)) is not None:
        assert question.id in answers_by_question, f"asked {question.id}, but no answer given"
        assert question.id not in asked, f"asked {question.id} twice"
        asked.append(question.id)
        answer = read_answer(TRIAL, question.id, answers_by_question[question.id], today)
        assert answer is not None, f"could not read {answers_by_question[question.id]!r}"
        answers[question.id] = answer
    return asked, assess(TRIAL, answers, today)


@pytest.mark.parametrize("case", CASES_FILE["cases"], ids=lambda case: case["name"])
def test_whole_patient(case):
    asked, result = play(case["answers"])
    assert result.outcome == case["outcome"], [v.reason for v in result.verdicts]
    if "asked" in case:
        assert asked == case["asked"]
    for question_id in case.get("asked_not", []):
        assert question_id not in asked
    for criterion, verdict in case.get("verdicts", {}).items():
        assert result.verdict(criterion).status == verdict, result.verdict(criterion).reason
    if "recheck_date" in case:
        assert result.recheck_date == case["recheck_date"]
    if "main_reason_contains" in case:
        assert case["main_reason_contains"] in result.main_reason


def test_at_least_twenty_whole_patient_cases_cover_every_outcome():
    cases = CASES_FILE["cases"]
    assert len(cases) >= 20
    assert {case["outcome"] for case in cases} == set(eligibility.OUTCOMES)


# --- boundaries, with parsed values so each rule is tested on its own -----------------------

BASE = {question: Answer(text, None) for question, text in CASES_FILE["base"].items()}


def answers_with(**values) -> dict[str, Answer]:
    """The typical eligible patient's parsed answers, with some values replaced."""
    answers = {
        question: read_answer(TRIAL, question, answer.text, TODAY)
        for question, answer in BASE.items()
    }
    for question, value in values.items():
        answers[question] = Answer(text=str(value), value=value)
    return answers


def verdict_of(criterion: str, **values):
    return assess(TRIAL, answers_with(**values), TODAY).verdict(criterion)


def days_ago(days: int) -> dict[str, str]:
    day = (TODAY - relativedelta(days=days)).isoformat()
    return {"earliest": day, "latest": day}


def ago(**delta) -> dict[str, str]:
    day = (TODAY - relativedelta(**delta)).isoformat()
    return {"earliest": day, "latest": day}


@pytest.mark.parametrize(
    ("age", "verdict"), [(17, "not_met"), (18, "met"), (69, "met"), (70, "not_met")]
)
def test_age_boundaries(age, verdict):
    assert verdict_of("age", age=age).status == verdict


@pytest.mark.parametrize(
    ("ages", "verdict"),
    [((75, 76), "not_met"), ((16, 17), "not_met"), ((40, 41), "met"), ((17, 18), "unknown")],
)
def test_a_year_of_birth_decides_unless_it_straddles_a_boundary(ages, verdict):
    value = {"min_years": ages[0], "max_years": ages[1]}
    assert verdict_of("age", age=value).status == verdict


@pytest.mark.parametrize(
    ("when", "verdict"),
    [
        (ago(months=6), "met"),
        (ago(months=6, days=-1), "not_met_until"),
        (ago(years=5), "met"),
        ({"earliest": "2026-01-01", "latest": "2026-11-24"}, "unknown"),
        (UNSURE, "unknown"),
    ],
)
def test_six_months_since_diagnosis(when, verdict):
    found = verdict_of("sle_duration", sle_duration=when)
    assert found.status == verdict
    if verdict == "not_met_until":
        assert found.until == TODAY + relativedelta(days=1)


def steroid(medicines: list[str], medicine: str | None, mg: float):
    return verdict_of(
        "steroid_dose",
        current_medicines={"medicines": medicines, "none": False},
        steroid_dose={"medicine": medicine, "mg_per_day": mg},
    ).status


@pytest.mark.parametrize(
    ("medicine", "mg", "verdict"),
    [
        ("prednisone", 7.4, "not_met"),
        ("prednisone", 7.5, "met"),
        ("prednisone", 30, "met"),
        ("prednisone", 30.5, "not_met"),
        ("methylprednisolone", 24, "met"),  # = 30 prednisone
        ("methylprednisolone", 24.5, "not_met"),
        ("methylprednisolone", 6, "met"),  # = 7.5
        ("dexamethasone", 4.5, "met"),  # = 30
        ("dexamethasone", 4.8, "not_met"),
        ("hydrocortisone", 30, "met"),  # = 7.5
        ("hydrocortisone", 29, "not_met"),
        ("prednisolone", 7.5, "met"),
        ("cortisone", 37.5, "met"),  # = 7.5
        ("betamethasone", 3.6, "met"),  # = 30
        ("betamethasone", 3.7, "not_met"),
        ("triamcinolone", 6, "met"),
        ("deflazacort", 9, "met"),  # = 7.5
        (None, 10, "met"),  # dose without a name: the steroid named earlier
    ],
)
def test_steroid_dose_boundaries_with_conversions(medicine, mg, verdict):
    current = ["prednisone"] if medicine is None else [medicine]
    assert steroid([*current, "ibuprofen"], medicine, mg) == verdict


@pytest.mark.parametrize(
    ("beside", "verdict"),
    [
        (["azathioprine"], "met"),
        (["hydroxychloroquine"], "unknown"),
        (["belimumab"], "unknown"),
        (["ibuprofen"], "not_met"),
    ],
)
def test_low_or_no_steroid_depends_on_what_is_beside_it(beside, verdict):
    assert steroid(["prednisone", *beside], "prednisone", 5) == verdict
    no_steroid = verdict_of("steroid_dose", current_medicines={"medicines": beside, "none": False})
    assert no_steroid.status == verdict


def test_above_thirty_fails_even_with_an_immunosuppressant():
    assert steroid(["prednisone", "tacrolimus"], "prednisone", 40) == "not_met"


@pytest.mark.parametrize(
    ("current", "history", "verdict"),
    [
        (["hydroxychloroquine"], ["mycophenolate_mofetil"], "met"),
        (["prednisone"], ["methotrexate", "azathioprine"], "met"),
        (["mycophenolate_mofetil"], ["mycophenolic_acid"], "not_met"),
        (["hydroxychloroquine"], ["chloroquine"], "not_met"),
        (["hydroxychloroquine"], [], "not_met"),
        (["belimumab", "prednisone"], ["rituximab"], "not_met"),
    ],
)
def test_two_immunosuppressants_hydroxychloroquine_counting_as_one(current, history, verdict):
    found = verdict_of(
        "immunosuppressant_history",
        current_medicines={"medicines": current, "none": False},
        immunosuppressant_history={"medicines": history, "none": not history},
    )
    assert found.status == verdict


@pytest.mark.parametrize(
    ("when", "verdict"),
    [(ago(years=2), "met"), (ago(years=2, days=-1), "not_met_until"), (UNSURE, "not_met_until")],
)
def test_mrna_two_years(when, verdict):
    found = verdict_of(
        "mrna_lnp",
        mrna_lnp={"products": ["moderna_covid"], "generic_covid": False, "none": False},
        mrna_lnp_when=when,
    )
    assert found.status == verdict
    if when == UNSURE:
        assert found.until is None


def test_patisiran_counts_as_an_lnp_product():
    found = verdict_of(
        "mrna_lnp",
        mrna_lnp={"products": ["patisiran"], "generic_covid": False, "none": False},
        mrna_lnp_when=ago(months=3),
    )
    assert found.status == "not_met_until"


@pytest.mark.parametrize(
    ("days", "verdict"), [(30, "met"), (29, "not_met_until"), (0, "not_met_until")]
)
def test_live_vaccine_thirty_days(days, verdict):
    found = verdict_of(
        "live_vaccine",
        live_vaccine={"products": ["mmr"], "generic_covid": False, "none": False},
        live_vaccine_when=days_ago(days),
    )
    assert found.status == verdict


def test_vaccine_that_may_be_live_goes_to_the_coordinator():
    found = verdict_of(
        "live_vaccine",
        live_vaccine={"products": ["shingles_unspecified"], "generic_covid": False, "none": False},
    )
    assert found.status == "unknown"


@pytest.mark.parametrize(
    ("when", "verdict"), [(ago(months=6), "met"), (ago(months=6, days=-1), "not_met_until")]
)
def test_cardiac_six_months(when, verdict):
    found = verdict_of("cardiac_events", cardiac_events="yes", cardiac_events_when=when)
    assert found.status == verdict


@pytest.mark.parametrize(
    ("infections", "verdict"),
    [
        ({"hiv": True}, "not_met"),
        ({"syphilis": True}, "not_met"),
        ({"hepatitis_b": "active"}, "not_met"),
        ({"hepatitis_c": "active"}, "not_met"),
        ({"cmv": "active"}, "not_met"),
        ({"hepatitis_b": "past"}, "unknown"),
        ({"hepatitis_c": "unclear"}, "unknown"),
        ({"cmv": "past"}, "met"),
        ({"none": True}, "met"),
    ],
)
def test_viral_infections(infections, verdict):
    value = {
        "hiv": False,
        "syphilis": False,
        "hepatitis_b": None,
        "hepatitis_c": None,
        "cmv": None,
        "none": False,
        **infections,
    }
    assert verdict_of("viral_infections", viral_infections=value).status == verdict


def test_verified_unknowns_do_not_lower_the_outcome_but_are_listed_to_verify():
    result = assess(TRIAL, answers_with(lab_markers=UNSURE, organ_function=UNSURE), TODAY)
    assert result.outcome == "likely_eligible"
    assert any(line.startswith("I5") and "Does not know" in line for line in result.to_verify)
    assert any(line.startswith("E9") for line in result.to_verify)


def test_unknown_self_reported_answer_lowers_to_needs_review():
    result = assess(TRIAL, answers_with(transplant=UNSURE), TODAY)
    assert result.outcome == "needs_review"


def test_permanent_failure_beats_a_wait():
    result = assess(TRIAL, answers_with(active_infection="yes", transplant="yes"), TODAY)
    assert result.outcome == "not_eligible"
    assert result.final


def test_every_verdict_keeps_the_patients_words():
    result = assess(TRIAL, answers_with(), TODAY)
    assert result.verdict("age").words == "34"
    assert result.verdict("steroid_dose").words == "Plaquenil and prednisone / 10 mg a day"


def test_ended_early_the_rest_is_marked_not_asked():
    result = assess(TRIAL, {"age": Answer("75", 75)}, TODAY)
    assert result.outcome == "not_eligible"
    assert result.verdict("pregnancy").reason == "Not asked: the screening ended early."


# --- skip logic and progress --------------------------------------------------------------


def test_first_question_is_age_and_progress_counts_up():
    assert next_question(TRIAL, {}, TODAY).id == "age"
    first, total = progress(TRIAL, {})
    assert first == 1
    assert 15 <= total <= len(TRIAL.questions)
    second, _ = progress(TRIAL, {"age": Answer("34", 34)})
    assert second == 2


def test_no_dose_question_without_a_steroid():
    answers = answers_with(current_medicines={"medicines": ["azathioprine"], "none": False})
    asked = [q.id for q in TRIAL.questions if q.id in eligibility.counted_answers(TRIAL, answers)]
    assert "steroid_dose" not in asked


def test_correcting_an_answer_drops_follow_ups_that_no_longer_apply():
    answers = answers_with(cardiac_events="yes", cardiac_events_when=ago(months=1))
    assert assess(TRIAL, answers, TODAY).outcome == "not_eligible_now"
    answers["cardiac_events"] = Answer("actually no", "no")
    assert assess(TRIAL, answers, TODAY).outcome == "likely_eligible"


def test_a_new_follow_up_is_asked_after_a_correction():
    answers = answers_with()
    assert next_question(TRIAL, answers, TODAY) is None
    answers["live_vaccine"] = Answer("MMR", {"products": ["mmr"], "generic_covid": False})
    assert next_question(TRIAL, answers, TODAY).id == "live_vaccine_when"


# --- words the patient hears ----------------------------------------------------------------

JARGON = re.compile(
    r"\b([IE][1-9]|SLEDAI|EULAR|criteri\w*|protocol|not_met|equivalent|immunosuppressant\w*|"
    r"LNP|ANA|dsDNA|complement|NYHA|verdict)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("criterion", TRIAL.criteria, ids=lambda c: c.id)
def test_patient_explanations_are_free_of_protocol_jargon(criterion):
    assert not JARGON.search(criterion.explain), criterion.explain


def test_birth_control_that_does_not_apply_is_met_and_confirmed_by_the_coordinator():
    """The spec: "does not apply" (after menopause, sterilised) is met, on the to-verify list."""
    result = assess(TRIAL, answers_with(contraception="not_applicable"), TODAY)
    assert result.verdict("contraception").status == "met"
    assert result.outcome == eligibility.LIKELY_ELIGIBLE
    assert any("birth control does not apply" in item for item in result.to_verify)


def test_medicines_ever_taken_with_others_not_named_are_unknown_not_a_no():
    history = {"medicines": ["hydroxychloroquine"], "past": [], "planned": [], "none": False}
    incomplete = verdict_of(
        "immunosuppressant_history",
        immunosuppressant_history={**history, "incomplete": True},
        current_medicines={
            "medicines": ["hydroxychloroquine", "prednisone"],
            "past": [],
            "planned": [],
            "none": False,
        },
    )
    assert incomplete.status == "unknown"
