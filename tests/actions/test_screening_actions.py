"""The screening form's validators and the screening actions, on real trackers."""

import asyncio
from unittest.mock import ANY

import pytest
import yaml

from actions import screening
from actions.common import TRIAL
from bot.eligibility import read_answer
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


def payloads(dispatcher):
    """The custom payloads sent beside the text (the page's progress bar, scripts, tests)."""
    return [m["custom"]["data"] for m in dispatcher.messages if m.get("custom")]


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
    screening.ask_question(dispatcher, make_tracker(answered(age=("34", 34))), "sle_diagnosis")
    message = dispatcher.messages[0]
    assert message["text"].startswith("Question 2 of about ")
    assert TRIAL.question("sle_diagnosis").ask in message["text"]
    assert {"title": "Not sure", "payload": "not sure"} in message["buttons"]


def test_the_re_ask_gives_an_example(dispatcher, domain):
    screening.ask_question(dispatcher, make_tracker({"reasked_question": "age"}), "age")
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
    assert any(message.get("buttons") for message in dispatcher.messages)
    assert payloads(dispatcher) == [{"outcome": "likely_eligible"}, {"question": "referral_offer"}]
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


def open_tracker(slot, text, intent="inform", confidence=1.0, slots=None):
    """The tracker right after the patient replied to the open question `slot`."""
    heard = [{"event": "user", "text": text}, {"event": "action", "name": "action_extract_slots"}]
    tracker = make_tracker(
        {"requested_slot": slot, **(slots or {})}, text=text, intent=intent, events=heard
    )
    tracker.latest_message["intent"]["confidence"] = confidence
    return tracker


def extract(slot, tracker, dispatcher, domain):
    return run(getattr(FORM, f"extract_{slot}")(dispatcher, tracker, domain))


def test_one_call_reads_the_answer_and_asks_the_next_question(dispatcher, domain):
    """The form's only action server call a turn: no `action_ask_*` call after it (speed)."""
    tracker = open_tracker("age", "I'm 41", slots={"consent": True})
    events = run(FORM.run(dispatcher, tracker, {}))  # Rasa sends this action no domain
    slots = {event["name"]: event["value"] for event in events}
    assert slots["age"]["value"] == 41
    assert slots["requested_slot"] == "sle_diagnosis"
    assert "reasked_question" not in slots  # nothing set that did not change
    assert TRIAL.question("sle_diagnosis").ask in texts(dispatcher)[0]
    assert payloads(dispatcher) == [{"question": "sle_diagnosis", "position": 2, "total": ANY}]


def test_an_unreadable_answer_is_asked_again_in_other_words(dispatcher, domain):
    tracker = open_tracker("age", "blue", slots={"consent": True})
    events = run(FORM.run(dispatcher, tracker, {}))
    assert {"event": "slot", "name": "reasked_question", "value": "age", "timestamp": None} in (
        events
    )
    assert TRIAL.question("age").reask in texts(dispatcher)[0]


def test_an_answer_the_nlu_took_for_a_digression_is_still_the_answer(dispatcher, domain):
    """Regression: "forty four, forty five in May" got "Why I ask" and the question again."""
    tracker = open_tracker("age", "forty four, forty five in May", intent="ask_why")
    assert extract("age", tracker, dispatcher, domain) == {"age": "forty four, forty five in May"}


def test_a_yes_with_a_remark_is_the_answer_not_a_correction(dispatcher, domain):
    tracker = open_tracker("treatment_stable", "yes, and nothing has changed", "correct_answer")
    assert extract("treatment_stable", tracker, dispatcher, domain) == {
        "treatment_stable": "yes, and nothing has changed"
    }


def test_an_unreadable_digression_is_left_to_the_digression_rules(dispatcher, domain):
    tracker = open_tracker("age", "why do you want to know that", intent="ask_why", confidence=0.9)
    assert extract("age", tracker, dispatcher, domain) == {}


def test_only_the_open_question_takes_the_message(dispatcher, domain):
    tracker = open_tracker("age", "34")
    assert extract("sle_diagnosis", tracker, dispatcher, domain) == {}
    tracker.events.append({"event": "action", "name": "utter_continue"})  # back from a digression
    assert extract("age", tracker, dispatcher, domain) == {}


@pytest.mark.parametrize("text", ["agree", "k", "同意", "yes please"])
def test_consent_in_peoples_words(text, store, dispatcher, domain):
    tracker = open_tracker("consent", text, intent="nlu_fallback", confidence=0.3)
    assert extract("consent", tracker, dispatcher, domain) == {"consent": text}
    assert run(FORM.validate_consent(text, dispatcher, tracker, domain))["consent"] is True


def test_every_question_carries_its_id_and_progress(dispatcher, domain):
    screening.ask_question(dispatcher, make_tracker(answered(age=("34", 34))), "sle_diagnosis")
    [payload] = payloads(dispatcher)
    assert payload["question"] == "sle_diagnosis"
    assert payload["position"] == 2 and payload["total"] >= 2
    screening.ask_consent(dispatcher, make_tracker())
    assert payloads(dispatcher)[-1] == {"question": "consent"}


def medicines_answer(text):
    return read_answer(TRIAL, "current_medicines", text, TRIAL.today()).to_dict()


def test_current_medicines_are_read_back_before_they_are_judged(dispatcher, domain):
    result = run(
        FORM.validate_current_medicines(
            "plaquenil and cellcept", dispatcher, make_tracker(), domain
        )
    )
    assert result["current_medicines"] is None
    assert result["readback"]["question"] == "current_medicines"
    slots = {"consent": True, "readback": result["readback"]}
    assert required(slots) == ["confirm_answer"]
    screening.ask_confirm_answer(dispatcher, make_tracker(slots))
    said = texts(dispatcher)[0]
    assert "Now: Hydroxychloroquine (Plaquenil) and Mycophenolate mofetil (CellCept)." in said
    assert said.endswith("Is that right?")
    assert payloads(dispatcher) == [{"question": "readback", "about": "current_medicines"}]


def test_a_confirmed_reading_becomes_the_answer(dispatcher, domain):
    pending = {"question": "current_medicines", "answer": medicines_answer("plaquenil")}
    tracker = make_tracker({"consent": True, "readback": pending}, text="yes")
    result = run(FORM.validate_confirm_answer("yes", dispatcher, tracker, domain))
    assert result["current_medicines"] == pending["answer"]
    assert result["readback"] is None


def test_no_let_me_fix_it_asks_the_question_again(dispatcher, domain):
    pending = {"question": "current_medicines", "answer": medicines_answer("plaquenil")}
    tracker = make_tracker({"consent": True, "readback": pending}, text="No, let me fix it")
    result = run(FORM.validate_confirm_answer("No, let me fix it", dispatcher, tracker, domain))
    assert result["current_medicines"] is None and result["readback"] is None
    assert required({"consent": True, **answered(age=("34", 34))}) == ["sle_diagnosis"]


def test_a_new_answer_at_the_read_back_is_read_back_in_turn(dispatcher, domain):
    pending = {"question": "current_medicines", "answer": medicines_answer("plaquenil")}
    tracker = make_tracker({"consent": True, "readback": pending})
    result = run(FORM.validate_confirm_answer("plaquenil and imuran", dispatcher, tracker, domain))
    assert result["readback"]["answer"]["text"] == "plaquenil and imuran"


def test_the_medicines_are_read_back_once_after_the_last_medicine_question(dispatcher, domain):
    medicines = ("current_medicines", "steroid_dose", "immunosuppressant_history")
    slots = {"consent": True, **base_answers()}
    for question in medicines:
        slots.pop(question)  # answered up to the medicines
    typed = "plaquenil and prednisone"
    result = run(FORM.validate_current_medicines(typed, dispatcher, make_tracker(slots), domain))
    assert result["current_medicines"]["text"] == typed  # the dose comes next
    slots["current_medicines"] = result["current_medicines"]
    result = run(FORM.validate_steroid_dose("10 mg a day", dispatcher, make_tracker(slots), domain))
    assert result["steroid_dose"]["text"] == "10 mg a day"  # medicines ever taken come next
    slots["steroid_dose"] = result["steroid_dose"]
    result = run(
        FORM.validate_immunosuppressant_history("cellcept", dispatcher, make_tracker(slots), domain)
    )
    slots["readback"] = result["readback"]
    screening.ask_confirm_answer(dispatcher, make_tracker(slots))
    said = texts(dispatcher)[0]
    assert "Now: Hydroxychloroquine (Plaquenil) and Prednisone 10 mg a day." in said
    assert "Ever taken: Mycophenolate mofetil (CellCept)." in said
    fixed = run(FORM.validate_confirm_answer("no", dispatcher, make_tracker(slots, "no"), domain))
    assert fixed["current_medicines"] is None and fixed["steroid_dose"] is None
    assert fixed["immunosuppressant_history"] is None


def test_a_steroid_is_read_back_with_its_dose_when_nothing_else_is_asked(dispatcher, domain):
    slots = {"consent": True, **base_answers()}
    for question in ("steroid_dose", "immunosuppressant_history"):
        slots.pop(question)
    slots["current_medicines"] = medicines_answer("plaquenil, cellcept and prednisone")  # 2 I4
    result = run(FORM.validate_steroid_dose("10 mg a day", dispatcher, make_tracker(slots), domain))
    slots["readback"] = result["readback"]
    screening.ask_confirm_answer(dispatcher, make_tracker(slots))
    assert "Prednisone 10 mg a day." in texts(dispatcher)[0]


def test_an_answer_with_context_words_is_read_back_in_plain_words(dispatcher, domain):
    text = "no, but my mum had a kidney transplant"
    result = run(FORM.validate_transplant(text, dispatcher, make_tracker(), domain))
    assert result["transplant"] is None
    assert result["readback"] == {"question": "transplant", "answer": {"text": text, "value": "no"}}
    slots = {"consent": True, "readback": result["readback"]}
    screening.ask_confirm_answer(dispatcher, make_tracker(slots))
    assert "I have your answer as: No." in texts(dispatcher)[0]
    assert payloads(dispatcher) == [{"question": "readback", "about": "transplant"}]


def test_a_plain_answer_is_not_read_back(dispatcher, domain):
    result = run(FORM.validate_transplant("nope", dispatcher, make_tracker(), domain))
    assert result["transplant"] == {"text": "nope", "value": "no"}


def test_a_carers_relative_is_read_as_the_patient(dispatcher, domain):
    text = "no, but my mum had a kidney transplant"
    events = [{"event": "user", "text": "hi, I'm filling this in for my mum"}]
    tracker = make_tracker(text=text, events=events)
    result = run(FORM.validate_transplant(text, dispatcher, tracker, domain))
    assert result["readback"]["answer"] == {"text": text, "value": "yes"}


def test_a_second_digression_at_the_same_question_is_taken_as_its_answer(dispatcher, domain):
    """After one digression the question is asked again; the same message sent again is read as
    the answer (re-asked, then not sure), never a loop."""
    text = "yes, they did flu vaccines at work"
    events = [
        {"event": "slot", "name": "requested_slot", "value": "age"},
        {"event": "user", "text": text},
        {"event": "action", "name": "action_extract_slots"},
        {"event": "action", "name": "utter_about_study"},
        {"event": "action", "name": "screening_form"},
        {"event": "slot", "name": "requested_slot", "value": "age"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
    ]
    tracker = make_tracker(
        {"requested_slot": "age"}, text=text, intent="ask_about_study", events=events
    )
    assert run(FORM.extract_age(dispatcher, tracker, domain)) == {"age": text}
    first = make_tracker(
        {"requested_slot": "age"}, text=text, intent="ask_about_study", events=events[:2]
    )
    assert run(FORM.extract_age(dispatcher, first, domain)) == {}
    where = "and where is the study?"  # a different question back is still answered
    other = [*events[:-1], {"event": "user", "text": where}]
    asks = make_tracker({"requested_slot": "age"}, text=where, intent="ask_location", events=other)
    assert run(FORM.extract_age(dispatcher, asks, domain)) == {}


def test_words_that_date_the_event_answer_its_follow_up_too(dispatcher, domain):
    """Held-out round 3: "上礼拜打了水痘疫苗" was asked "when?" again, and "上礼拜" then looped."""
    result = run(
        FORM.validate_cardiac_events("a heart attack in August", dispatcher, make_tracker(), domain)
    )
    assert result["cardiac_events"]["value"] == "yes"
    assert result["cardiac_events_when"]["value"]["earliest"].endswith("-08-01")


def test_a_read_back_keeps_the_follow_up_the_same_words_answered(dispatcher, domain):
    text = "no, but my mum had a kidney transplant"  # read back: context words
    result = run(FORM.validate_transplant(text, dispatcher, make_tracker(), domain))
    assert "follow_ups" not in result["readback"]  # nothing to date here
    text = "last week, the chickenpox vaccine, not my son's, mine"
    result = run(FORM.validate_live_vaccine(text, dispatcher, make_tracker(), domain))
    pending = result["readback"]  # "not my son's": context words are read back
    assert "live_vaccine_when" not in result
    assert pending["follow_ups"]["live_vaccine_when"]["value"]
    slots = {"consent": True, "readback": pending}
    confirmed = run(FORM.validate_confirm_answer("yes", dispatcher, make_tracker(slots), domain))
    assert confirmed["live_vaccine"] == pending["answer"]
    assert confirmed["live_vaccine_when"] == pending["follow_ups"]["live_vaccine_when"]
