"""Contact capture, the referral, news of other studies, and the patient's own data."""

import asyncio
from datetime import datetime, timezone

import pytest

from actions import privacy, referral
from bot.store import repository
from tests.actions.conftest import make_tracker
from tests.support import referrals

FORM = referral.ValidateReferralForm()


def run(coroutine):
    return asyncio.run(coroutine)


def texts(dispatcher):
    return [message.get("text") or "" for message in dispatcher.messages]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138 0013 8000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_in_international_formats(typed, stored, dispatcher, domain):
    result = FORM.validate_contact_phone(typed, dispatcher, make_tracker(), domain)
    assert result == {"contact_phone": stored}


@pytest.mark.parametrize("typed", ["12345", "call me", "+86 123", "<script>alert(1)</script>"])
def test_a_bad_phone_number_is_asked_again_kindly(typed, dispatcher, domain):
    result = FORM.validate_contact_phone(typed, dispatcher, make_tracker(), domain)
    assert result == {"contact_phone": None}
    assert "country code" in texts(dispatcher)[0]


def test_email_is_checked_without_network(dispatcher, domain):
    good = FORM.validate_contact_email("Li.Na@Example.com", dispatcher, make_tracker(), domain)
    assert good == {"contact_email": "Li.Na@example.com"}
    bad = FORM.validate_contact_email("li.na@", dispatcher, make_tracker(), domain)
    assert bad == {"contact_email": None}


def test_phone_or_email_but_not_neither(dispatcher, domain):
    without_phone = make_tracker({"contact_phone": "none"})
    assert FORM.validate_contact_email("none", dispatcher, without_phone, domain) == {
        "contact_email": None
    }
    assert "at least one way" in texts(dispatcher)[0]
    with_phone = make_tracker({"contact_phone": "+8613800138000"})
    assert FORM.validate_contact_email("none", dispatcher, with_phone, domain) == {
        "contact_email": "none"
    }


def test_details_are_read_back_before_anything_is_stored(dispatcher, domain):
    slots = {
        "contact_name": "Li Na",
        "contact_phone": "+8613800138000",
        "contact_email": "none",
        "contact_time": "mornings",
    }
    run(referral.ActionConfirmContact().run(dispatcher, make_tracker(slots), domain))
    assert "+86 138 0013 8000" in texts(dispatcher)[0]
    assert "E-mail: none" in texts(dispatcher)[0]


def consented(store, conversation_id="patient-1"):
    """A finished likely-eligible screening, as the outcome action leaves it."""
    with store() as session:
        referrals.screened(session, conversation_id, at=datetime.now(timezone.utc))


CONTACT = {
    "contact_name": "Li Na",
    "contact_phone": "+8613800138000",
    "contact_email": "li.na@example.com",
    "contact_time": "weekday mornings",
}
EVENTS = [
    {"event": "bot", "text": "How old are you?", "timestamp": 1764000000.0},
    {"event": "user", "text": "34", "timestamp": 1764000005.0},
]


def test_the_referral_is_stored_with_transcript_and_a_reference_code(store, dispatcher, domain):
    consented(store)
    tracker = make_tracker(CONTACT, events=EVENTS, active_loop=None)
    run(referral.ActionCreateReferral().run(dispatcher, tracker, domain))
    with store() as session:
        stored = repository.describe_conversation_data(session=session, conversation_id="patient-1")
    code = stored["referral"]["reference_code"]
    assert code in texts(dispatcher)[0]
    assert stored["referral"]["phone"] == "+8613800138000"
    assert [line["sender"] for line in stored["transcript"]] == ["assistant", "patient"]


def test_a_referral_while_the_store_is_down_says_try_again(monkeypatch, dispatcher, domain):
    from actions import common

    monkeypatch.setenv("HN2301_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    common.store_engine.cache_clear()
    try:
        tracker = make_tracker(CONTACT, events=EVENTS, active_loop=None)
        run(referral.ActionCreateReferral().run(dispatcher, tracker, domain))
    finally:
        common.store_engine.cache_clear()
    assert "try again" in texts(dispatcher)[0]


def test_other_studies_contact_is_kept_only_with_opt_in(store, dispatcher, domain):
    form = referral.ValidateOtherStudiesForm()
    assert form.validate_news_contact("not telling", dispatcher, make_tracker(), domain) == {
        "news_contact": None
    }
    assert form.validate_news_contact("li@example.com", dispatcher, make_tracker(), domain) == {
        "news_contact": "li@example.com"
    }
    tracker = make_tracker({"news_contact": "li@example.com"}, active_loop=None)
    run(referral.ActionSaveOtherStudiesContact().run(dispatcher, tracker, domain))
    with store() as session:
        stored = repository.describe_conversation_data(session=session, conversation_id="patient-1")
    assert stored["other_studies_contacts"][0]["email"] == "li@example.com"


def test_what_do_you_know_lists_answers_and_contact(store, dispatcher, domain):
    consented(store)
    with store() as session:
        referrals.refer(session, "patient-1", at=datetime.now(timezone.utc))
    slots = {"age": {"text": "34", "value": 34}}
    run(privacy.ActionDescribeMyData().run(dispatcher, make_tracker(slots), domain))
    said = texts(dispatcher)[0]
    assert "34" in said and "Li Na" in said and "delete my data" in said


def test_delete_my_data_removes_the_store_rows_and_erases_the_tracker(store, dispatcher, domain):
    consented(store)
    result = run(privacy.ActionDeleteMyData().run(dispatcher, make_tracker(), domain))
    with store() as session:
        stored = repository.describe_conversation_data(session=session, conversation_id="patient-1")
    assert stored["screening"] is None
    assert {
        "event": "slot",
        "name": "erase_conversation",
        "value": True,
        "timestamp": None,
    } in result
    assert "deleted" in texts(dispatcher)[0]


def test_changing_ones_mind_about_news_keeps_nothing(store, dispatcher, domain):
    form = referral.ValidateOtherStudiesForm()
    assert form.validate_news_contact("none", dispatcher, make_tracker(), domain) == {
        "news_contact": "none"
    }
    tracker = make_tracker({"news_contact": "none"}, active_loop=None)
    run(referral.ActionSaveOtherStudiesContact().run(dispatcher, tracker, domain))
    with store() as session:
        stored = repository.describe_conversation_data(session=session, conversation_id="patient-1")
    assert stored["other_studies_contacts"] == []
    assert "not kept any way to contact you" in texts(dispatcher)[0]


def contact_tracker(slot, text, intent="inform", confidence=1.0):
    """The referral form asking `slot`, and the patient's reply just heard."""
    tracker = make_tracker(
        {"requested_slot": slot}, text=text, intent=intent, active_loop="referral_form"
    )
    tracker.latest_message["intent"]["confidence"] = confidence
    tracker.events = [{"event": "user", "text": text}]
    return tracker


@pytest.mark.parametrize(
    ("slot", "text", "intent", "confidence", "taken"),
    [
        ("contact_name", "Hope", "greet", 0.9, True),  # a name, whatever the NLU thought
        ("contact_time", "evenings please, after 6", "ask_why", 0.9, True),
        ("contact_phone", "138 0013 8000", "stop", 0.9, True),  # a readable phone wins
        ("contact_email", "delete.me@example.com", "delete_data", 0.95, True),
        ("contact_name", "stop, I changed my mind", "stop", 0.95, False),  # clearly a stop
        ("contact_phone", "I want to talk to a person", "human_handoff", 0.9, False),
        ("contact_time", "what do you know about me", "what_do_you_know", 0.9, False),
        ("contact_name", "stop", "stop", 0.4, True),  # not sure it is a stop: the answer
    ],
)
def test_the_open_contact_question_takes_the_answer_first(
    dispatcher, domain, slot, text, intent, confidence, taken
):
    tracker = contact_tracker(slot, text, intent, confidence)
    extracted = run(getattr(FORM, f"extract_{slot}")(dispatcher, tracker, domain))
    assert extracted == ({slot: text} if taken else {})


def test_a_contact_answer_is_only_taken_for_the_open_question(dispatcher, domain):
    tracker = contact_tracker("contact_phone", "Li Na")
    assert run(FORM.extract_contact_name(dispatcher, tracker, domain)) == {}


def test_the_news_contact_takes_the_answer_first(dispatcher, domain):
    tracker = make_tracker(
        {"requested_slot": "news_contact"}, text="li@example.com", active_loop="other_studies_form"
    )
    tracker.events = [{"event": "user", "text": "li@example.com"}]
    form = referral.ValidateOtherStudiesForm()
    extracted = run(form.extract_news_contact(dispatcher, tracker, domain))
    assert extracted == {"news_contact": "li@example.com"}
