"""Every message the assistant sends is plain: Flesch-Kincaid grade 8 or below in English; in
Chinese, short sentences (at most MAX_HAN_PER_SENTENCE characters, the length a patient leaflet
keeps to).

What a patient reads comes from three homes, all read here as the patient reads them: domain.yml's
responses (translated, the study's facts filled in, as extensions/translating_nlg.py sends them),
the trial definition's words, and every function of bot.messages (a test checks none is missed).
"""

import functools
import inspect
import re
from datetime import date
from pathlib import Path

import pytest
import textstat
import yaml

from bot import messages
from bot.eligibility import Answer, assess
from bot.i18n import CHINESE, ENGLISH, gettext_for
from bot.trial import load_trial

ROOT = Path(__file__).resolve().parent.parent
TRIAL = load_trial()
MAX_GRADE = 8.0
TODAY = date(2026, 11, 24)


MAX_HAN_PER_SENTENCE = 40


def domain_responses(language=ENGLISH):
    """Each response's text and buttons, translated and filled in as the patient reads them."""
    _ = gettext_for(language)
    facts = messages.study_facts(TRIAL, language)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        for variant in variants:
            yield name, _(variant["text"]).format_map(facts)
            for index, button in enumerate(variant.get("buttons") or []):
                yield f"{name}.button{index}", _(button["title"])


def trial_texts(language=ENGLISH):
    _ = gettext_for(language)
    for question in TRIAL.questions:
        yield f"{question.id}.ask", _(question.ask)
        yield f"{question.id}.reask", _(question.reask)
        yield f"{question.id}.why", messages.why_message(question, language)
    for criterion in TRIAL.criteria:
        yield f"{criterion.id}.explain", _(criterion.explain)


# What a patient who referred and opted in has in the store, for "what do you know about me?".
STORED = {
    "screening": {"consented_at": "2026-11-24T09:30:00+00:00"},
    "answers": [{"criterion": "age", "words": "34"}, {"criterion": "transplant", "words": "no"}],
    "referral": {
        "name": "Li Na",
        "phone": "+8613800138000",
        "email": "li.na@example.com",
        "preferred_time": "mornings",
        "reference_code": "HN-7K3Q9P",
    },
    "other_studies_contacts": [{"email": "li.na@example.com"}],
}
# Readings said back for the patient to confirm, as the parsers return them.
READ_BACKS = {
    "current_medicines": {
        "medicines": ["hydroxychloroquine", "prednisone"],
        "past": ["methotrexate"],
        "planned": ["belimumab"],
        "none": False,
        "incomplete": True,
    },
    "steroid_dose": {"medicine": None, "mg_per_day": 10.0},
    "immunosuppressant_history": {
        "medicines": ["mycophenolate_mofetil", "azathioprine"],
        "past": [],
        "planned": ["belimumab"],
        "incomplete": True,
    },
    "viral_infections": {"hiv": True, "hepatitis_b": "past", "cmv": "unclear", "none": False},
    "mrna_lnp": {"products": ["pfizer_biontech_covid"], "generic_covid": True, "none": False},
    "live_vaccine": {"products": [], "generic_covid": False, "none": True},
}
OPTIONS = {
    "consent": messages.CONSENT_OPTIONS,
    "read_back": messages.READ_BACK_OPTIONS,
    "offer": messages.OFFER_OPTIONS,
    "contact_confirm": messages.CONTACT_CONFIRM_OPTIONS,
}


def composed_messages(language=ENGLISH):
    """Every message built in bot.messages, with realistic values filled in."""
    base = yaml.safe_load((ROOT / "tests/bot/patients.yml").read_text(encoding="utf-8"))["base"]
    from bot.eligibility import read_answer

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
    yield "stored.all", messages.stored_data_message(TRIAL, {"age": "34"}, STORED, language)
    yield (
        "stored.by_code",
        messages.stored_data_message(TRIAL, {}, STORED, language, by_code=True),
    )
    yield "consent", messages.consent_question(reask=False, language=language)
    yield "consent.reask", messages.consent_question(reask=True, language=language)
    yield "deleted_by_code", messages.deleted_by_code_message("HN-7K3Q9P", language)
    for question_id, value in READ_BACKS.items():
        yield (
            f"readback.{question_id}",
            messages.readback_message(TRIAL, question_id, value, answers, language),
        )
    for reading in messages.plain_reading_words(language):
        yield (
            f"readback.{reading}",
            messages.readback_message(TRIAL, "treatment_stable", reading, answers, language),
        )
    for name, options in OPTIONS.items():
        for index, button in enumerate(messages.buttons(options, language)):
            yield f"{name}.button{index}", button["title"]
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


def _every_text_and_the_functions_it_took():
    """All the English texts, and the public functions of bot.messages called to make them."""
    functions = {
        name: function
        for name, function in vars(messages).items()
        if inspect.isfunction(function)
        and function.__module__ == messages.__name__
        and not name.startswith("_")
    }
    called = set()

    def spy(name, function):
        @functools.wraps(function)
        def call(*args, **kwargs):
            called.add(name)
            return function(*args, **kwargs)

        return call

    for name, function in functions.items():
        setattr(messages, name, spy(name, function))
    try:
        texts = [*domain_responses(), *trial_texts(), *composed_messages()]
    finally:
        for name, function in functions.items():
            setattr(messages, name, function)
    return texts, set(functions), called


ALL_TEXTS, MESSAGE_FUNCTIONS, CALLED = _every_text_and_the_functions_it_took()


def test_every_function_of_bot_messages_is_read_here():
    """A new message must be added to composed_messages, or its text goes unchecked."""
    missed = MESSAGE_FUNCTIONS - CALLED
    assert not missed, f"add these to composed_messages: {sorted(missed)}"


# Proper names (medicines, vaccines, the hospital, the sponsor) are not what makes a text hard
# to read, but their syllables dominate the formula; each is counted as a one-word name.
PROPER_NAMES = sorted(
    {
        *TRIAL.lexicon.all_names("medicine"),
        *TRIAL.lexicon.all_names("vaccine"),
        TRIAL.site,
        TRIAL.sponsor,
        f"Dr {TRIAL.lead_doctor}",
        *TRIAL.location.split(", "),
        TRIAL.id.upper(),
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


@pytest.mark.parametrize(("where", "text"), CHINESE_TEXTS, ids=[w for w, _ in CHINESE_TEXTS])
def test_chinese_sentences_follow_each_other_without_a_space(where, text):
    assert not re.search(r"[。！？] ", text), f"{where}: {text}"
