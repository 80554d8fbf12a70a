"""The screening form's validators and the screening actions, on real trackers."""

import asyncio

import yaml

from actions import screening
from actions.common import TRIAL
from bot.engine import read_answer
from bot.parsing import UNSURE
from bot.store import repository
from tests.actions.conftest import ROOT, make_tracker


def run(coroutine):
    return asyncio.run(coroutine)


def texts(dispatcher):
    return [message.get("text") or "" for message in dispatcher.messages]


def answered(**values):
    """Slots holding judged answers: question id -> (text, value)."""
    return {q: {"text": str(text), "value": value} for q, (text, value) in values.items()}


FORM = screening.ValidateScreeningForm()


def required(slots):
    return run(FORM.required_slots([], None, make_tracker(slots), {}))


def test_consent_comes_first_then_the_engine_decides():
    assert required({}) == ["consent"]
    assert required({"consent": "no"}) == ["consent"]  # typed words, not yet validated
    assert required({"consent": False}) == []
    assert required({"consent": True}) == ["age"]
    assert required({"consent": True, **answered(age=("34", 34))}) == ["sle_diagnosis"]


def test_a_permanent_fail_ends_the_form_early():
    assert required({"consent": True, **answered(age=("75", 75))}) == []


def test_consent_yes_opens_the_screening_in_the_store(store, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "consent"}, text="yes I agree")
    result = run(FORM.validate_consent("yes I agree", dispatcher, tracker, domain))
    assert result["consent"] is True
    assert result["screening_status"] == "in_progress"
    with store() as session:
        stored = repository.describe_conversation_data(session=session, conversation_id="patient-1")
    assert stored["screening"] is not None


def test_consent_no_stores_nothing(store, dispatcher, domain):
    result = run(FORM.validate_consent("no", dispatcher, make_tracker(), domain))
    assert result["consent"] is False
    with store() as session:
        stored = repository.describe_conversation_data(session=session, conversation_id="patient-1")
    assert stored["screening"] is None


def test_an_answer_is_read_and_kept_with_the_patients_words(dispatcher, domain):
    result = run(FORM.validate_age("I'm 34 years old", dispatcher, make_tracker(), domain))
    assert result["age"] == {"text": "I'm 34 years old", "value": 34}


def test_unclear_answer_is_asked_once_more_then_recorded_as_not_sure(dispatcher, domain):
    first = run(FORM.validate_age("purple", dispatcher, make_tracker(), domain))
    assert first == {"age": None, "reasked_question": "age"}
    tracker = make_tracker({"reasked_question": "age"})
    second = run(FORM.validate_age("banana", dispatcher, tracker, domain))
    assert second["age"] == {"text": "banana", "value": UNSURE}
    assert second["reasked_question"] is None
    assert any("not sure" in text for text in texts(dispatcher))


def test_a_huge_message_gets_a_kind_reply_and_loses_nothing(dispatcher, domain):
    slots = answered(age=("34", 34))
    result = run(FORM.validate_sle_diagnosis("yes " * 400, dispatcher, make_tracker(slots), domain))
    assert result == {"sle_diagnosis": None}
    assert "long message" in texts(dispatcher)[0]


def test_question_is_asked_with_progress_and_buttons(dispatcher, domain):
    action = screening.ActionAskSleDiagnosis()
    run(action.run(dispatcher, make_tracker(answered(age=("34", 34))), domain))
    message = dispatcher.messages[0]
    assert message["text"].startswith("Question 2 of about ")
    assert TRIAL.question("sle_diagnosis").ask in message["text"]
    assert {"title": "Not sure", "payload": "not sure"} in message["buttons"]


def test_the_re_ask_gives_an_example(dispatcher, domain):
    run(screening.ActionAskAge().run(dispatcher, make_tracker({"reasked_question": "age"}), domain))
    assert TRIAL.question("age").reask in texts(dispatcher)[0]


def test_why_do_you_ask_explains_the_current_question(dispatcher, domain):
    tracker = make_tracker({"requested_slot": "pregnancy"})
    run(screening.ActionExplainWhy().run(dispatcher, tracker, domain))
    assert TRIAL.question("pregnancy").why in texts(dispatcher)[0]


def test_go_back_forgets_the_latest_answer(dispatcher, domain):
    slots = answered(age=("34", 34), sle_diagnosis=("yes", "yes"))
    events = [
        {"event": "slot", "name": "age", "value": slots["age"]},
        {"event": "slot", "name": "sle_diagnosis", "value": slots["sle_diagnosis"]},
    ]
    result = run(
        screening.ActionGoBack().run(dispatcher, make_tracker(slots, events=events), domain)
    )
    assert {"event": "slot", "name": "sle_diagnosis", "value": None, "timestamp": None} in result


def test_a_named_correction_changes_that_answer(dispatcher, domain):
    slots = answered(age=("34", 34), sle_diagnosis=("yes", "yes"))
    tracker = make_tracker(slots, text="change my age to 45", intent="correct_answer")
    result = run(screening.ActionCorrectAnswer().run(dispatcher, tracker, domain))
    age = next(event for event in result if event["name"] == "age")
    assert age["value"]["value"] == 45


def test_actually_not_pregnant_corrects_the_pregnancy_answer(dispatcher, domain):
    slots = {"consent": True, **answered(age=("34", 34), pregnancy=("yes", "yes"))}
    tracker = make_tracker(slots, text="actually I'm not pregnant", intent="correct_answer")
    result = run(screening.ActionCorrectAnswer().run(dispatcher, tracker, domain))
    pregnancy = next(event for event in result if event["name"] == "pregnancy")
    assert pregnancy["value"]["value"] == "no"


def test_start_over_forgets_every_answer_but_not_consent(dispatcher, domain):
    slots = {"consent": True, **answered(age=("34", 34))}
    result = run(screening.ActionRestartScreening().run(dispatcher, make_tracker(slots), domain))
    cleared = {event["name"] for event in result if event["value"] is None}
    assert {q.id for q in TRIAL.questions} <= cleared
    assert "consent" not in cleared


def base_answers():
    """The typical eligible patient of tests/bot/patients.yml, as judged slots."""
    patients = yaml.safe_load((ROOT / "tests/bot/patients.yml").read_text(encoding="utf-8"))
    today = TRIAL.today()
    return {
        question: read_answer(TRIAL, question, text, today).to_dict()
        for question, text in patients["base"].items()
    }


def test_outcome_is_told_stored_and_leads_to_the_referral_offer(store, dispatcher, domain):
    slots = {"consent": True, **base_answers()}
    result = run(screening.ActionScreeningOutcome().run(dispatcher, make_tracker(slots), domain))
    assert any("may be a good fit" in text for text in texts(dispatcher))
    assert dispatcher.messages[-1]["buttons"]
    assert {"event": "slot", "name": "offer", "value": "referral", "timestamp": None} in result
    with store() as session:
        stored = repository.describe_conversation_data(session=session, conversation_id="patient-1")
    assert stored["screening"]["outcome"] == "likely_eligible"
    assert {a["criterion"] for a in stored["answers"]} == {c.id for c in TRIAL.criteria}


def test_not_eligible_outcome_explains_kindly_and_offers_other_studies(store, dispatcher, domain):
    slots = {"consent": True, **answered(age=("75", 75))}
    result = run(screening.ActionScreeningOutcome().run(dispatcher, make_tracker(slots), domain))
    said = " ".join(texts(dispatcher))
    assert "18 to 69" in said and "clinicaltrials.gov" in said.lower()
    assert {"event": "slot", "name": "offer", "value": "other_studies", "timestamp": None} in result


def test_no_consent_ends_and_erases_the_conversation(store, dispatcher, domain):
    result = run(
        screening.ActionScreeningOutcome().run(dispatcher, make_tracker({"consent": False}), domain)
    )
    assert {
        "event": "slot",
        "name": "erase_conversation",
        "value": True,
        "timestamp": None,
    } in result
    assert "not kept anything" in texts(dispatcher)[0]


def test_outcome_is_still_told_when_the_store_is_down(monkeypatch, dispatcher, domain):
    from actions import common

    monkeypatch.setenv("HN2301_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    common.store_engine.cache_clear()
    try:
        slots = {"consent": True, **answered(age=("75", 75))}
        run(screening.ActionScreeningOutcome().run(dispatcher, make_tracker(slots), domain))
    finally:
        common.store_engine.cache_clear()
    assert any("not a fit" in text for text in texts(dispatcher))
