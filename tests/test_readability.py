"""Every message the assistant sends is plain: Flesch-Kincaid grade 8 or below in English; in
Chinese, short sentences (at most MAX_HAN_PER_SENTENCE characters, the length a patient leaflet
keeps to)."""

import re
from datetime import date
from pathlib import Path

import pytest
import textstat
import yaml

from bot import messages
from bot.engine import Answer, assess
from bot.i18n import CHINESE, ENGLISH, gettext_for
from bot.trial import load_trial

ROOT = Path(__file__).resolve().parent.parent
TRIAL = load_trial()
MAX_GRADE = 8.0
TODAY = date(2026, 11, 24)


MAX_HAN_PER_SENTENCE = 40


def domain_responses(language=ENGLISH):
    _ = gettext_for(language)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        for variant in variants:
            yield name, _(variant["text"])


def trial_texts(language=ENGLISH):
    _ = gettext_for(language)
    for question in TRIAL.questions:
        yield f"{question.id}.ask", _(question.ask)
        yield f"{question.id}.reask", _(question.reask)
        yield f"{question.id}.why", messages.why_message(question, language)
    for criterion in TRIAL.criteria:
        yield f"{criterion.id}.explain", _(criterion.explain)


def composed_messages(language=ENGLISH):
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
        assessment = assess(TRIAL, given, TODAY)
        for index, text in enumerate(messages.outcome_messages(TRIAL, assessment, language)):
            if "http" not in text:
                yield f"outcome.{name}.{index}", text
    question = TRIAL.question("age")
    yield "prompt", messages.question_prompt(question, 1, 18, reask=False, language=language)
    yield "reask", messages.question_prompt(question, 1, 18, reask=True, language=language)
    yield (
        "summary",
        messages.contact_summary("Li Na", "+86 138 0013 8000", None, "mornings", language),
    )
    yield "referral_done", messages.referral_done_message("HN-7K3Q9P", language)
    yield "handoff", messages.human_handoff_message(TRIAL, language)
    yield "stored", messages.stored_data_message(TRIAL, {"age": "34"}, {}, language)
    yield "no_referral", messages.no_referral_message(TRIAL, language)
    for question in TRIAL.questions:
        yield f"corrected.{question.id}", messages.corrected_message(TRIAL, question, language)
    for name in dir(messages):
        function = getattr(messages, name)
        if name.endswith("_message") and callable(function):
            try:
                yield name, function(language=language)
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


CHINESE_TEXTS = [
    *domain_responses(CHINESE),
    *trial_texts(CHINESE),
    *composed_messages(CHINESE),
]
_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("where", "text"), CHINESE_TEXTS, ids=[w for w, _ in CHINESE_TEXTS])
def test_chinese_sentences_are_short(where, text):
    for sentence in re.split(r"[。！？；!?]", text):
        length = len(_HAN.findall(sentence))
        assert length <= MAX_HAN_PER_SENTENCE, f"{where}: {length} characters: {sentence}"


@pytest.mark.parametrize(("where", "text"), CHINESE_TEXTS, ids=[w for w, _ in CHINESE_TEXTS])
def test_chinese_messages_are_in_chinese(where, text):
    assert _HAN.search(text), f"{where} is not translated: {text}"
