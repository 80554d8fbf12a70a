"""Answer first, read back what decides: the conversation's decisions about a message."""

import pytest

from bot import conversation, messages
from bot.conversation import (
    asks_back,
    is_digression,
    needs_read_back,
    read_back_later,
    read_consent,
)
from bot.parsing import UNSURE
from bot.trial import load_trial

TRIAL = load_trial()


@pytest.mark.parametrize(
    ("text", "readable", "intent", "confidence", "expected"),
    [
        # The answer wins whenever it can be read, whatever the NLU thought.
        ("forty four, forty five in May", True, "ask_why", 0.9, False),
        ("yes, and nothing has changed", True, "correct_answer", 0.95, False),
        ("yes I can travel to Hefei", True, "ask_location", 0.9, False),
        # Unreadable and clearly something else: the digression rule answers it.
        ("why do you ask that", False, "ask_why", 0.9, True),
        ("I want to stop", False, "stop", 0.8, True),
        # Unreadable but the NLU is unsure: still treated as an (unclear) answer.
        ("hmm purple", False, "ask_why", 0.4, False),
        ("blah", False, "inform", 0.99, False),
        ("blah", False, None, 0.0, False),
        # A question back to us is a digression even when it names an answer's words.
        ("why do you need to know if I'm pregnant?", True, "ask_why", 0.95, True),
        ("为什么要问怀孕吗", True, "ask_why", 0.9, True),
        ("pregnant? no", True, "ask_why", 0.9, False),
    ],
)
def test_the_open_question_comes_first(text, readable, intent, confidence, expected):
    assert (
        is_digression(text=text, readable=readable, intent=intent, confidence=confidence)
        is expected
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("why?", True), ("Where is the study", True), ("no?", True), ("34", False), ("no", False)],
)
def test_questions_back_to_us(text, expected):
    assert asks_back(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("agree", "yes"),
        ("I agree", "yes"),
        ("k", "yes"),
        ("ok sure", "yes"),
        ("同意", "yes"),
        ("好的", "yes"),
        ("yes that's right", "yes"),
        ("no", "no"),
        ("I disagree", "no"),
        ("不同意", "no"),
        ("not right", "no"),
        ("No, let me fix it", "no"),
        ("purple", None),
    ],
)
def test_consent_and_confirmation_in_peoples_words(text, expected):
    assert read_consent(text) == expected


def medicines(*ids, none=False):
    return {"medicines": list(ids), "none": none}


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    [
        ("current_medicines", medicines("hydroxychloroquine"), True),
        ("current_medicines", medicines(none=True), True),  # "none" ends the screening: confirm
        ("current_medicines", medicines("hydroxychloroquine", "prednisone"), True),
        ("current_medicines", UNSURE, False),
        ("steroid_dose", {"medicine": "prednisone", "mg_per_day": 10.0}, True),
        ("immunosuppressant_history", medicines("methotrexate"), True),
        ("viral_infections", {"hiv": True, "none": False}, True),
        ("viral_infections", {"hiv": False, "none": True}, False),
        (
            "mrna_lnp",
            {"products": ["sinovac_coronavac"], "generic_covid": False, "none": False},
            True,
        ),
        ("live_vaccine", {"products": [], "generic_covid": False, "none": True}, False),
        ("age", 34, False),
    ],
)
def test_what_decides_is_read_back(question, value, expected):
    assert needs_read_back(question, value) is expected


@pytest.mark.parametrize(
    ("question", "text", "value", "expected"),
    [
        ("transplant", "no, but my mum had a kidney transplant", "no", True),
        ("active_infection", "No, but I'm on antibiotics for a UTI", "yes", True),
        ("treatment_stable", "yes, except I raised my prednisone last week", "dose_changed", True),
        ("cardiac_events", "no, my dad had a heart attack", "no", True),
        ("viral_infections", "我妈有乙肝", {"hbv": False, "none": True}, False),  # none: nothing
        ("transplant", "no", "no", False),
        ("treatment_stable", "yes, and nothing has changed", "yes", False),
        ("treatment_stable", "Yes, no changes since June", "yes", False),
        ("pregnancy", "not sure, but maybe", UNSURE, False),  # unsure is asked again, not read back
        ("travel", "yes, but only by train", "yes", False),  # decides nothing
    ],
)
def test_an_answer_with_context_words_is_read_back(question, text, value, expected):
    assert needs_read_back(question, value, text) is expected


def test_a_context_read_back_names_the_question_and_the_plain_reading():
    said = messages.readback_message(TRIAL, "transplant", "no", answers={})
    assert said.startswith("Let me check I have this right.")
    assert TRIAL.question("transplant").ask in said
    assert "I have your answer as: No." in said
    assert said.endswith("Is that right?")


@pytest.mark.parametrize(
    ("question", "upcoming", "later"),
    [
        ("current_medicines", "steroid_dose", True),
        ("current_medicines", "immunosuppressant_history", True),
        ("steroid_dose", "immunosuppressant_history", True),
        ("steroid_dose", "treatment_stable", False),  # the last medicine question: say it now
        ("immunosuppressant_history", "treatment_stable", False),
        ("current_medicines", None, False),  # "none" ends the screening: confirm it first
        ("mrna_lnp", "covid_vaccine_type", False),
    ],
)
def test_the_medicines_are_said_back_together_after_the_last_of_them(question, upcoming, later):
    assert read_back_later(question, upcoming) is later


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("中文", "zh"),
        ("说中文", "zh"),
        ("请用中文吧", "zh"),
        ("能说普通话吗", "zh"),
        ("用英文", "en"),
        ("English please", "en"),
        ("can we speak Chinese?", "zh"),
        ("in English", "en"),
        ("Mandarin please", "zh"),
        # Not a request: the language is named inside an answer or a question about it.
        ("my English is bad", None),
        ("I speak English at home", None),
        ("english or chinese", None),
        ("我吃英文名叫plaquenil的药", None),
        ("38", None),
        ("", None),
    ],
)
def test_requested_language(text, language):
    assert conversation.requested_language(text) == language


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ([("你好", None)], "zh"),
        ([("hi", {})], "en"),
        ([("38", {}), ("是的", {})], "zh"),  # the first message with words decides
        ([("你好", {}), ("yes", {})], "zh"),  # a button's English payload changes nothing
        ([("hi", {}), ("中文", {})], "zh"),  # asked for
        ([("你好", {}), ("English please", {})], "en"),
        ([("hi", {"language": "zh-CN"})], "zh"),  # the page's switch, in the metadata
        ([("你好", {"language": "en"}), ("好的", {"language": "zh"})], "zh"),
        ([("/change_language", {"language": "en"})], "en"),
        ([("hi", "not a mapping")], "en"),
        ([], "en"),
    ],
)
def test_language_of(said, language):
    assert conversation.language_of(said) == language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # what a visitor has is not their agreement (it was taken as consent and kept)
        ("I have HIV", None),
        ("hi, I have HIV and I am pregnant", None),
        ("我有乙肝", None),
        ("is this study ok with hiv and pregnancy?", None),  # a question is no answer
        ("没问题", "yes"),  # "no problem" (it was read as a refusal)
        ("没有问题", "yes"),
        ("I am happy to", "yes"),
        ("yes i am", "yes"),
        ("not willing", "no"),
        ("k", "yes"),
        ("同意", "yes"),
        ("不同意", "no"),
    ],
)
def test_consent_is_an_agreement_not_a_fact(text, expected):
    assert read_consent(text) == expected
