"""Whole screenings over HTTP: a real `rasa run` and action server, through the REST channel.

The patient answers whatever the assistant asks, in their own words, until the outcome; one
patient per outcome, plus referral, "what do you know about me", "delete my data" and a refused
consent, each checked in the real referral store and Rasa's real tracker store.
"""

import sqlite3

import pytest

from bot.store import repository
from bot.store.db import make_engine, session_scope
from bot.trial import load_trial
from scripts.patients import ELIGIBLE_ANSWERS
from tests.support.stack import new_sender, talk, talk_raw

TRIAL = load_trial()

# The scripted likely-eligible patient of `make bench` and `make soak`, misspelling two names as
# patients do.
EVERYTHING_FINE = {q: words for q, words in ELIGIBLE_ANSWERS.items() if TRIAL.has_question(q)} | {
    "current_medicines": "plaquinil, prednisone",
    "immunosuppressant_history": "cellcep and methotrexate before",
}


def asked(texts: list[str]) -> str | None:
    """The question in the assistant's reply, recognised by its wording."""
    for text in texts:
        for question in TRIAL.questions:
            if question.ask in text:
                return question.id
    return None


def screen(stack, answers: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """Greet, consent, answer each question asked; return (sender, questions asked, last reply)."""
    sender = new_sender()
    reply = talk(stack, sender, "hi")
    assert any("may I use your health answers" in text for text in reply), reply
    reply = talk(stack, sender, "yes")
    questions = []
    while True:
        if any(text.startswith("Let me check I have this right.") for text in reply):
            reply = talk(stack, sender, "yes")  # the read-back of what decides: confirmed
            continue
        if (question := asked(reply)) is None:
            return sender, questions, reply
        assert question not in questions, f"{question} asked twice: {reply}"
        questions.append(question)
        reply = talk(stack, sender, answers[question])


def stored(stack, sender: str) -> dict:
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            return repository.describe_conversation_data(session=session, conversation_id=sender)
    finally:
        engine.dispose()


def tracker_events(stack, sender: str) -> int:
    with sqlite3.connect(stack.config.tracker_db) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)
        ).fetchone()
    return count


def test_likely_eligible_patient_is_referred_with_contact_details(rasa_stack):
    sender, questions, reply = screen(rasa_stack, EVERYTHING_FINE)
    assert "steroid_dose" in questions and "live_vaccine_when" not in questions
    said = " ".join(reply)
    assert "may be a good fit" in said
    assert "share your answers" in said
    talk(rasa_stack, sender, "yes")
    talk(rasa_stack, sender, "Wang Fang")
    bad_phone = talk(rasa_stack, sender, "12345")
    assert any("country code" in text for text in bad_phone)
    talk(rasa_stack, sender, "+86 139 1234 5678")
    talk(rasa_stack, sender, "wang.fang@example.com")
    summary = talk(rasa_stack, sender, "evenings")  # regression: was taken for a greeting
    assert any("+86 139 1234 5678" in text for text in summary), summary
    done = " ".join(talk(rasa_stack, sender, "yes"))
    data = stored(rasa_stack, sender)
    assert data["referral"]["reference_code"] in done
    assert data["referral"]["phone"] == "+8613912345678"
    assert data["screening"]["outcome"] == "likely_eligible"
    words = {answer["criterion"]: answer["words"] for answer in data["answers"]}
    assert words["age"] == "I'm 41"
    assert any(line["text"] == "Wang Fang" for line in data["transcript"])


def test_needs_review_patient_is_offered_a_referral(rasa_stack):
    sender, _, reply = screen(rasa_stack, {**EVERYTHING_FINE, "transplant": "idk"})
    said = " ".join(reply)
    assert "check a few of your answers" in said and "transplants" in said
    assert stored(rasa_stack, sender)["screening"]["outcome"] == "needs_review"


def test_not_eligible_now_patient_hears_the_recheck_date(rasa_stack):
    answers = {
        **EVERYTHING_FINE,
        "cardiac_events": "yes",
        "cardiac_events_when": "2 months ago",
    }
    sender, questions, reply = screen(rasa_stack, answers)
    assert "cardiac_events_when" in questions
    said = " ".join(reply)
    assert "not right for you just now" in said and "check again after" in said
    assert stored(rasa_stack, sender)["screening"]["outcome"] == "not_eligible_now"


def test_not_eligible_patient_ends_early_and_is_told_why_kindly(rasa_stack):
    sender, questions, reply = screen(rasa_stack, {**EVERYTHING_FINE, "age": "I was born in 1950"})
    assert questions == ["age"]
    said = " ".join(reply)
    assert "18 to 69" in said and "clinicaltrials.gov" in said.lower()
    news = talk(rasa_stack, sender, "yes")
    assert any("e-mail or phone" in text for text in news)
    talk(rasa_stack, sender, "old.friend@example.com")
    assert stored(rasa_stack, sender)["other_studies_contacts"][0]["email"] == (
        "old.friend@example.com"
    )


def test_digressions_keep_every_answer(rasa_stack):
    sender = new_sender()
    talk(rasa_stack, sender, "hello")
    talk(rasa_stack, sender, "yes")
    talk(rasa_stack, sender, "34")
    why = " ".join(talk(rasa_stack, sender, "why do you ask?"))
    assert TRIAL.question("sle_diagnosis").why in why
    assert TRIAL.question("sle_diagnosis").ask in why
    where = " ".join(talk(rasa_stack, sender, "where is the study?"))
    assert "Hefei" in where and TRIAL.question("sle_diagnosis").ask in where
    nonsense = " ".join(talk(rasa_stack, sender, "<script>alert(1)</script> 🙂"))
    assert "didn't quite get that" in nonsense
    known = " ".join(talk(rasa_stack, sender, "what do you know about me?"))
    assert "34" in known
    reply = " ".join(talk(rasa_stack, sender, "yes"))
    assert TRIAL.question("sle_duration").ask in reply
    assert "Question 3 of about" in reply


def test_correcting_an_earlier_answer(rasa_stack):
    sender = new_sender()
    for text in ["hi", "yes", "34", "yes"]:
        talk(rasa_stack, sender, text)
    reply = " ".join(talk(rasa_stack, sender, "change my age to 75"))
    assert "changed your answer" in reply
    assert "18 to 69" in reply


def test_delete_my_data_erases_the_store_and_the_tracker(rasa_stack):
    sender, _, _ = screen(rasa_stack, EVERYTHING_FINE)
    assert stored(rasa_stack, sender)["screening"] is not None
    assert tracker_events(rasa_stack, sender) > 0
    confirm = " ".join(talk(rasa_stack, sender, "please delete my data"))
    assert "can't be undone" in confirm
    done = " ".join(talk(rasa_stack, sender, "yes"))
    assert "deleted" in done
    assert stored(rasa_stack, sender)["screening"] is None
    assert tracker_events(rasa_stack, sender) == 0


@pytest.mark.parametrize("refusal", ["no", "No thanks, I don't agree"])
def test_refused_consent_keeps_nothing(rasa_stack, refusal):
    sender = new_sender()
    talk(rasa_stack, sender, "hi")
    messages = talk_raw(rasa_stack, sender, refusal)
    reply = " ".join(message.get("text", "") for message in messages)
    assert "not kept anything" in reply
    assert {"custom": {"data": {"conversation_ended": True}}, "recipient_id": sender} in messages
    assert stored(rasa_stack, sender)["screening"] is None
    assert tracker_events(rasa_stack, sender) == 0
