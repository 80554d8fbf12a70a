"""Every message the assistant sends is plain: Flesch-Kincaid grade 8 or below."""

import re
from datetime import date
from pathlib import Path

import pytest
import textstat
import yaml

from bot import messages
from bot.engine import Answer, assess
from bot.trial import load_trial

ROOT = Path(__file__).resolve().parent.parent
TRIAL = load_trial()
MAX_GRADE = 8.0
TODAY = date(2026, 11, 24)


def domain_responses():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        for variant in variants:
            yield name, variant["text"]


def trial_texts():
    for question in TRIAL.questions:
        yield f"{question.id}.ask", question.ask
        yield f"{question.id}.reask", question.reask
        yield f"{question.id}.why", messages.why_message(question)
    for criterion in TRIAL.criteria:
        yield f"{criterion.id}.explain", criterion.explain


def composed_messages():
    """Every message built in bot.messages, with realistic values filled in."""
    base = yaml.safe_load((ROOT / "tests/bot/patients.yml").read_text(encoding="utf-8"))["base"]
    from bot.engine import read_answer

    answers = {q: read_answer(TRIAL, q, text, TODAY) for q, text in base.items()}
    outcomes = {
        "likely": answers,
        "review": {**answers, "transplant": Answer("idk", "unsure")},
        "wait": {**answers, "active_infection": Answer("yes", "yes")},
        "wait_date": {
            **answers,
            "cardiac_events": Answer("yes", "yes"),
            "cardiac_events_when": Answer(
                "2 months ago", {"earliest": "2026-09-24", "latest": "2026-09-24"}
            ),
        },
        "no": {**answers, "asthma_allergy": Answer("asthma", "yes")},
    }
    for name, given in outcomes.items():
        for index, text in enumerate(messages.outcome_messages(TRIAL, assess(TRIAL, given, TODAY))):
            if "http" not in text:
                yield f"outcome.{name}.{index}", text
    question = TRIAL.question("age")
    yield "prompt", messages.question_prompt(question, 1, 18, reask=False)
    yield "reask", messages.question_prompt(question, 1, 18, reask=True)
    yield "summary", messages.contact_summary("Li Na", "+86 138 0013 8000", None, "mornings")
    yield "referral_done", messages.referral_done_message("HN-7K3Q9P")
    yield "handoff", messages.human_handoff_message(TRIAL)
    yield "stored", messages.stored_data_message(TRIAL, {"age": "34"}, {})
    yield "no_referral", messages.no_referral_message(TRIAL)
    for question in TRIAL.questions:
        yield f"corrected.{question.id}", messages.corrected_message(TRIAL, question)
    for name in dir(messages):
        function = getattr(messages, name)
        if name.endswith("_message") and callable(function):
            try:
                yield name, function()
            except TypeError:
                continue  # needs arguments: covered above


ALL_TEXTS = [*domain_responses(), *trial_texts(), *composed_messages()]

# Proper names (medicines, vaccines, the hospital, the sponsor) are not what makes a text hard
# to read, but their syllables dominate the formula; each is counted as a one-word name.
PROPER_NAMES = sorted(
    {
        *TRIAL.lexicon.all_names("medicine"),
        *TRIAL.lexicon.all_names("vaccine"),
        "The First Affiliated Hospital of University of Science and Technology of China",
        "Shenzhen MagicRNA Biotechnology",
        "Dr Zhu Chen",
        "Hefei",
        "Anhui",
        "HN2301",
    },
    key=len,
    reverse=True,
)
NAME_PATTERN = re.compile(
    "|".join(rf"\b{re.escape(name)}\b" for name in PROPER_NAMES if len(name) > 3), re.IGNORECASE
)


def test_names_are_counted_as_one_short_word():
    assert NAME_PATTERN.sub("Name", "Take Plaquenil in Hefei") == "Take Name in Name"


@pytest.mark.parametrize(("where", "text"), ALL_TEXTS, ids=[where for where, _ in ALL_TEXTS])
def test_reading_grade_is_at_most_8(where, text):
    grade = textstat.flesch_kincaid_grade(NAME_PATTERN.sub("Name", text))
    assert grade <= MAX_GRADE, f"{where}: grade {grade}: {text}"
