"""Never unsafe by construction: a patient who states one excluding fact, in any of the ways the
parsers support and with noise, extra clauses or Chinese around it, is never told "likely
eligible". Played through the real parsers and engine the way the conversation does: an answer
that can't be read is asked again, then recorded as unknown."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.eligibility import LIKELY_ELIGIBLE, Answer, assess, next_question, read_answer
from bot.parsing import UNSURE
from bot.trial import load_trial

TRIAL = load_trial()
CASES = yaml.safe_load((Path(__file__).parent / "patients.yml").read_text(encoding="utf-8"))
TODAY = CASES["today"]
EVERYTHING_FINE: dict[str, str] = dict(CASES["base"])

# Follow-up questions, answered so that the excluding fact stays recent.
RECENT = {
    "cardiac_events_when": st.sampled_from(["2 months ago", "in october", "上个月", "3 weeks ago"]),
    "mrna_lnp_when": st.sampled_from(["3 months ago", "last spring", "去年", "in 2026"]),
    "live_vaccine_when": st.sampled_from(["last week", "10 days ago", "上周", "yesterday"]),
    "treatment_change": st.sampled_from(["last week", "10 days ago", "上周", "5 days ago"]),
    "covid_vaccine_type": st.sampled_from(["pfizer", "moderna", "辉瑞"]),
    "flu_vaccine_type": st.sampled_from(["nasal spray", "鼻喷的", "the spray up the nose"]),
}

# One excluding (or waiting) fact per question, in patients' words.
EXCLUDING: dict[str, list[str]] = {
    "age": [
        "I'll be 18 next month",
        "turning 18 in January",
        "almost 18",
        "17",
        "I'm 16",
        "seventeen",
        "70",
        "I am 72 years old",
        "八十岁",
        "15岁",
        "I'm 17 and a half",
    ],
    "sle_diagnosis": [
        "no",
        "only skin lupus",
        "nope, never diagnosed",
        "没有",
        "just discoid lupus",
    ],
    "sle_duration": [
        "last month",
        "2 months ago",
        "上个月",
        "this year in october",
        "a few weeks ago",
    ],
    "disease_active": ["no, it's well controlled", "no", "not really, it's been quiet", "没有"],
    "transplant": [
        "no, well yes, a kidney transplant years ago",
        "yes, a kidney transplant in 2015",
        "I had a bone marrow transplant",
        "做过肾移植",
    ],
    "pregnancy": [
        "Breastfeeding: yes. Pregnant: n/a",
        "not pregnant but still nursing",
        "yes",
        "I'm pregnant",
        "breastfeeding my baby",
        "怀孕了",
        "yes, 5 months pregnant",
    ],
    "current_medicines": ["none", "nothing", "I don't take anything", "没有吃药"],
    "steroid_dose": [
        "stopped prednisone, now dexamethasone 6 mg",
        "40 mg a day",
        "prednisone 35mg daily",
        "20 mg twice a day",
        "每天40毫克",
    ],
    "immunosuppressant_history": ["none", "never took any of those", "没有"],
    "treatment_stable": [
        "yes, except I raised my prednisone last week",
        "no",
        "no, I started benlysta recently",
        "no, my dose changed",
    ],
    "viral_infections": [
        "没有乙肝，有HIV",
        "my HIV test was negative but I have syphilis",
        "hepatitis B",
        "I have HIV",
        "hep C",
        "syphilis",
        "I have CMV",
        "乙肝",
        "有HIV",
    ],
    "asthma_allergy": [
        "no asthma, but I have a severe peanut allergy",
        "yes, asthma",
        "severe allergy to peanuts, I carry an epipen",
        "哮喘",
    ],
    "active_infection": [
        "No, but I'm on antibiotics for a UTI",
        "yes, pneumonia",
        "yes, on antibiotics for a UTI",
        "yes TB",
        "正在治疗肺炎",
    ],
    "cardiac_events": [
        "No heart attack, but treated for an irregular heartbeat in September",
        "yes, a heart attack",
        "yes",
        "heart failure",
        "有，心梗",
    ],
    "mrna_lnp": ["pfizer", "moderna booster", "the Pfizer vaccine", "辉瑞", "patisiran"],
    "live_vaccine": ["MMR", "chickenpox vaccine", "yellow fever vaccine", "水痘疫苗"],
    # Only dialysis excludes; the other organ problems are checked in the screening labs (I7).
    "organ_function": [
        "dialysis",
        "I'm on dialysis",
        "kidney failure, dialysis 3x a week",
        "透析",
        "血透",
    ],
    "lab_markers": ["no, all were negative", "all negative", "都是阴性"],
    "contraception": ["no", "no way", "不愿意"],
}

BEFORE = ["", "well ", "hmm, ", "ok so ", "嗯，", "😅 ", "to be honest "]
AFTER = [
    "",
    " thanks",
    " lol",
    ".",
    " 谢谢",
    " 🙂",
    "!!",
    ", that's all",
    " (my doctor knows)",
    "，医生知道",
]


def screen(answers_by_question: dict[str, str]) -> str:
    """The outcome of a screening answered from the given words; unread twice is unknown."""
    answers: dict[str, Answer] = {}
    asked: set[str] = set()
    while (question := next_question(TRIAL, answers, TODAY)) is not None:
        assert question.id not in asked, f"asked {question.id} twice"
        asked.add(question.id)
        text = answers_by_question[question.id]
        answer = read_answer(TRIAL, question.id, text, TODAY, answers)
        answers[question.id] = answer or Answer(text=text, value=UNSURE)
    return assess(TRIAL, answers, TODAY).outcome


@st.composite
def one_excluding_fact(draw: st.DrawFn) -> dict[str, str]:
    question = draw(st.sampled_from(sorted(EXCLUDING)))
    words = draw(st.sampled_from(EXCLUDING[question]))
    answers = dict(EVERYTHING_FINE)
    answers[question] = draw(st.sampled_from(BEFORE)) + words + draw(st.sampled_from(AFTER))
    for follow_up, recent in RECENT.items():
        answers[follow_up] = draw(recent)
    return answers


def test_every_question_with_an_excluding_fact_is_covered() -> None:
    deciding = {question.id for question in TRIAL.questions} - set(RECENT)
    assert deciding - set(EXCLUDING) <= {"disease_activity_score", "travel"}


def test_the_fine_patient_is_likely_eligible() -> None:
    """The property below would be empty if the base patient were not eligible."""
    assert screen({**EVERYTHING_FINE, **{key: "no" for key in RECENT}}) == LIKELY_ELIGIBLE


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_excluding_fact())
def test_an_excluding_fact_is_never_likely_eligible(answers: dict[str, str]) -> None:
    assert screen(answers) != LIKELY_ELIGIBLE
