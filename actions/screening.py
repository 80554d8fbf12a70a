"""The screening conversation: consent, the engine-driven form, digressions and the outcome."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import (
    TRIAL,
    answers_from,
    conversation_ended,
    leaves_question,
    now,
    on_behalf_of,
    open_message,
    patient_language,
    question_data,
    read_for,
    store_engine,
)
from bot import messages
from bot.conversation import MEDICINE_QUESTIONS, needs_read_back, read_back_later, read_consent
from bot.eligibility import (
    REFERABLE_OUTCOMES,
    Answer,
    assess,
    follow_ups_answered,
    next_question,
    progress,
    question_named_in,
)
from bot.parsing import UNSURE
from bot.store import outbox, repository
from bot.store.db import StoreUnavailable, session_scope

logger = logging.getLogger(__name__)

CONSENT = "consent"
READ_BACK = "readback"
CONFIRM = "confirm_answer"
FORM_SLOTS = [CONSENT, CONFIRM, *(question.id for question in TRIAL.questions)]


class ActionGreet(Action):
    """Introduce the pre-screen; count an anonymous start the first time only."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        greeted_before = any(
            event.get("event") == "action" and event.get("name") == self.name()
            for event in tracker.events[:-1]
        )
        if greeted_before:
            dispatcher.utter_message(response="utter_greet_again")
            return []
        dispatcher.utter_message(response="utter_greet")
        try:
            with session_scope(store_engine()) as session:
                repository.note_conversation_started(
                    session=session, trial_id=TRIAL.id, on=TRIAL.today()
                )
        except StoreUnavailable:
            logger.warning("Store unavailable: a screening start was not counted")
        return []


def _reask_done(tracker: Tracker) -> dict[str, Any]:
    """Clear the re-ask mark, only when set: a turn sets no slot it does not change (every
    event stays in the tracker, which Rasa reads, replays and sends on each turn)."""
    return {"reasked_question": None} if tracker.get_slot("reasked_question") else {}


def _extract_agreement(tracker: Tracker, slot: str) -> dict[str, Any]:
    """Consent or "is that right?": the open question's answer unless it is a digression."""
    text = open_message(tracker, slot)
    if text is None or leaves_question(tracker, text, read_consent(text) is not None):
        return {}
    return {slot: text}


def _extract_question(question_id: str):
    """The `extract_<question>` method: the open question's answer comes first."""

    async def extract(
        self: ValidateScreeningForm,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = open_message(tracker, question_id)
        if text is None:
            return {}
        answers = answers_from(tracker)
        readable = len(text) <= messages.TOO_LONG and (
            read_for(tracker, question_id, text, answers) is not None
        )
        if leaves_question(tracker, text, readable):
            return {}
        return {question_id: text}

    extract.__name__ = f"extract_{question_id}"
    extract.__doc__ = f"Take the patient's message as the answer to `{question_id}`."
    return extract


def _validate_question(question_id: str):
    """The `validate_<question>` method: read the words, re-ask once, else record "not sure"."""

    async def validate(
        self: ValidateScreeningForm,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if isinstance(slot_value, dict):  # already read (a confirmed read-back)
            return {question_id: slot_value}
        text = str(slot_value or "")
        if len(text) > messages.TOO_LONG:
            dispatcher.utter_message(
                text=messages.too_long_message(language=patient_language(tracker))
            )
            return {question_id: None}
        answers = answers_from(tracker)
        answer = read_for(tracker, question_id, text, answers)
        if answer is not None:
            dated = follow_ups_answered(
                TRIAL, question_id, answer, TRIAL.today(), answers, on_behalf_of(tracker)
            )
            follow_ups = {follow_up: found.to_dict() for follow_up, found in dated.items()}
            if needs_read_back(question_id, answer.value, text):
                upcoming = next_question(
                    TRIAL, {**answers, **dated, question_id: answer}, TRIAL.today()
                )
                if not read_back_later(question_id, upcoming and upcoming.id):
                    pending = {"question": question_id, "answer": answer.to_dict()}
                    if follow_ups:  # dated by the same words: kept once the reading is right
                        pending["follow_ups"] = follow_ups
                    return {question_id: None, READ_BACK: pending, **_reask_done(tracker)}
            return {question_id: answer.to_dict(), **follow_ups, **_reask_done(tracker)}
        if tracker.get_slot("reasked_question") == question_id:
            dispatcher.utter_message(
                text=messages.recorded_as_unsure_message(language=patient_language(tracker))
            )
            unsure = Answer(text=text, value=UNSURE)
            return {question_id: unsure.to_dict(), **_reask_done(tracker)}
        return {question_id: None, "reasked_question": question_id}

    validate.__name__ = f"validate_{question_id}"
    validate.__doc__ = f"Read the patient's answer to `{question_id}`."
    return validate


def _record_consent(session, tracker: Tracker) -> None:
    """Open this conversation's screening in the store (kept once, at the first consent), in
    the patient's language now (called again with the outcome: a switch since is kept)."""
    repository.record_consent(
        session=session,
        conversation_id=tracker.sender_id,
        trial_id=TRIAL.id,
        consented_at=now(),
        language=patient_language(tracker),
    )


class ValidateScreeningForm(FormValidationAction):
    """The screening form: consent first, then whatever the engine says is worth asking next."""

    def name(self) -> str:
        return "validate_screening_form"

    def domain_slots(self, domain: DomainDict) -> list[str]:
        """The form's slots, known here: Rasa sends this action no domain (endpoints.yml,
        `enable_selective_domain`), which saves serialising it on every turn."""
        return FORM_SLOTS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Read the answer, then ask what comes next in the same call. The domain has no
        `action_ask_<slot>`, so Rasa's form asks nothing itself: one action server call a turn
        instead of two (README, "Speed"). A turn the form rejects (a digression) drops these
        messages with the rest, and the form asks again when it resumes."""
        events = await super().run(dispatcher, tracker, domain)
        requested = next(
            (
                event["value"]
                for event in reversed(events)
                if event.get("event") == "slot" and event.get("name") == REQUESTED_SLOT
            ),
            None,
        )
        if requested:
            ask_for(dispatcher, tracker, requested)
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        consent = tracker.get_slot(CONSENT)
        if not isinstance(consent, bool):  # not asked yet, or the words are not yet validated
            return [CONSENT]
        if not consent:
            return []
        if tracker.get_slot(READ_BACK):
            return [CONFIRM]
        question = next_question(TRIAL, answers_from(tracker), TRIAL.today())
        return [question.id] if question else []

    async def extract_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_agreement(tracker, CONSENT)

    async def extract_confirm_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_agreement(tracker, CONFIRM)

    async def validate_confirm_answer(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """ "Is that right?": yes keeps the reading; no, or a new answer, asks again."""
        pending = tracker.get_slot(READ_BACK) or {}
        question_id = pending.get("question")
        if not question_id:
            return {CONFIRM: None, READ_BACK: None}
        text = str(slot_value or "")
        said = read_consent(text)
        if said == "yes":
            follow_ups = pending.get("follow_ups") or {}
            return {question_id: pending["answer"], **follow_ups, CONFIRM: None, READ_BACK: None}
        fixed = _question_to_fix(question_id)
        if said is None and fixed == question_id:  # a new answer instead of yes or no
            corrected = read_for(tracker, question_id, text, answers_from(tracker))
            if corrected is not None:
                if needs_read_back(question_id, corrected.value, text):
                    new = {"question": question_id, "answer": corrected.to_dict()}
                    return {CONFIRM: None, READ_BACK: new}
                return {question_id: corrected.to_dict(), CONFIRM: None, READ_BACK: None}
        if said == "no" or tracker.get_slot("reasked_question") == CONFIRM:
            dispatcher.utter_message(
                text=messages.readback_fix_message(language=patient_language(tracker))
            )
            again = MEDICINE_QUESTIONS if fixed == "current_medicines" else (question_id,)
            return {**dict.fromkeys(again), CONFIRM: None, READ_BACK: None}
        return {CONFIRM: None, "reasked_question": CONFIRM}

    async def validate_consent(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if isinstance(slot_value, bool):
            return {CONSENT: slot_value}
        said = read_consent(str(slot_value or ""))
        if said == "yes":
            try:
                with session_scope(store_engine()) as session:
                    _record_consent(session, tracker)
            except StoreUnavailable:
                logger.warning("Store unavailable at consent; it is recorded with the outcome")
            return {CONSENT: True, "screening_status": "in_progress", **_reask_done(tracker)}
        if said == "no":
            return {CONSENT: False, **_reask_done(tracker)}
        return {CONSENT: None, "reasked_question": CONSENT}


def _question_to_fix(question_id: str) -> str:
    """The medicines are said back together: "no" asks for them again from the start."""
    return "current_medicines" if question_id in MEDICINE_QUESTIONS else question_id


for _question in TRIAL.questions:
    setattr(ValidateScreeningForm, f"extract_{_question.id}", _extract_question(_question.id))
    setattr(ValidateScreeningForm, f"validate_{_question.id}", _validate_question(_question.id))


def ask_question(dispatcher: CollectingDispatcher, tracker: Tracker, question_id: str) -> None:
    """One question with visible progress and its quick replies (re-phrased on a re-ask)."""
    question = TRIAL.question(question_id)
    position, total = progress(TRIAL, answers_from(tracker))
    reask = tracker.get_slot("reasked_question") == question.id
    language = patient_language(tracker)
    dispatcher.utter_message(
        text=messages.question_prompt(question, position, total, reask=reask, language=language),
        buttons=messages.buttons([(b.title, b.payload) for b in question.buttons], language),
        json_message=question_data(question.id, position=position, total=max(total, position)),
    )


def ask_consent(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    reask = tracker.get_slot("reasked_question") == CONSENT
    language = patient_language(tracker)
    dispatcher.utter_message(
        text=messages.consent_question(reask=reask, language=language),
        buttons=messages.buttons(messages.CONSENT_OPTIONS, language),
        json_message=question_data(CONSENT),
    )


def ask_confirm_answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Say back what decides an outcome: "Now: prednisone 5 mg a day. Is that right?" """
    pending = tracker.get_slot(READ_BACK) or {}
    question_id = pending.get("question")
    if not question_id:
        return
    answer = Answer.from_dict(pending["answer"])
    language = patient_language(tracker)
    text = messages.readback_message(
        TRIAL, question_id, answer.value, answers_from(tracker), language=language
    )
    if tracker.get_slot("reasked_question") == CONFIRM:
        text = messages.joined([messages.readback_reask_message(language), text], language)
    dispatcher.utter_message(
        text=text,
        buttons=messages.buttons(messages.READ_BACK_OPTIONS, language),
        json_message=question_data("readback", about=question_id),
    )


def ask_for(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> None:
    """Ask for the form's slot: consent, "is that right?" or a question of the trial."""
    if slot == CONSENT:
        ask_consent(dispatcher, tracker)
    elif slot == CONFIRM:
        ask_confirm_answer(dispatcher, tracker)
    else:
        ask_question(dispatcher, tracker, slot)


def _current_question_id(tracker: Tracker) -> str | None:
    requested = tracker.get_slot("requested_slot")
    return requested if requested and TRIAL.has_question(requested) else None


class ActionExplainWhy(Action):
    """ "Why do you ask?": the question's why-text (the form then asks it again)."""

    def name(self) -> str:
        return "action_explain_why"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        question_id = _current_question_id(tracker)
        if question_id:
            dispatcher.utter_message(
                text=messages.why_message(
                    TRIAL.question(question_id), language=patient_language(tracker)
                )
            )
        else:
            dispatcher.utter_message(
                text=messages.consent_why_message(language=patient_language(tracker))
            )
        return []


def _reopened(tracker: Tracker) -> list[EventType]:
    """After a change of answers, the screening is in progress again (if it ever started)."""
    return [SlotSet("screening_status", "in_progress")] if tracker.get_slot(CONSENT) else []


def _last_answered(tracker: Tracker) -> str | None:
    """The question answered most recently (by time, not by position in the list)."""
    answered = answers_from(tracker)
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") in answered:
            return event["name"]
    return None


class ActionGoBack(Action):
    """ "Go back": forget the most recent answer so the form asks that question again."""

    def name(self) -> str:
        return "action_go_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        question_id = _last_answered(tracker)
        if question_id is None:
            dispatcher.utter_message(
                text=messages.nothing_to_go_back_to_message(language=patient_language(tracker))
            )
            return []
        dispatcher.utter_message(
            text=messages.going_back_message(language=patient_language(tracker))
        )
        return [SlotSet(question_id, None), SlotSet("reasked_question", None)]


class ActionCorrectAnswer(Action):
    """ "Change my age to 45": re-read that answer; the engine re-judges and re-plans.

    The question is the one the patient names ("age", "pregnant"), else the last one answered.
    """

    def name(self) -> str:
        return "action_correct_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        named = question_named_in(TRIAL, text)
        question_id = named.id if named else _last_answered(tracker)
        if question_id is None:
            dispatcher.utter_message(
                text=messages.correction_unclear_message(language=patient_language(tracker))
            )
            return []
        question = TRIAL.question(question_id)
        corrected = read_for(tracker, question_id, text)
        if corrected is None:
            dispatcher.utter_message(
                text=messages.correction_reask_message(language=patient_language(tracker))
            )
            return [SlotSet(question_id, None), SlotSet("reasked_question", None)]
        dispatcher.utter_message(
            text=messages.corrected_message(TRIAL, question, language=patient_language(tracker))
        )
        return [SlotSet(question_id, corrected.to_dict()), *_reopened(tracker)]


class ActionRestartScreening(Action):
    """ "Start over": forget every answer (consent stays) and begin with the first question."""

    def name(self) -> str:
        return "action_restart_screening"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=messages.restart_message(language=patient_language(tracker)))
        cleared = [SlotSet(q.id, None) for q in TRIAL.questions]
        return [
            *cleared,
            SlotSet("reasked_question", None),
            SlotSet("offer", None),
            *_reopened(tracker),
        ]


class ActionChangeLanguage(Action):
    """The page's language switch, or "中文" / "English please": go on in that language (the
    open question is asked again in it; nothing answered is lost)."""

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=messages.language_changed_message(patient_language(tracker)))
        return []


class ActionHumanHandoff(Action):
    """Say how to reach the study team, and tell the team (once per conversation) by e-mail."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not _asked_for_a_person_before(tracker):
            _note_handoff(tracker)
        dispatcher.utter_message(
            text=messages.human_handoff_message(TRIAL, language=patient_language(tracker))
        )
        return []


def _asked_for_a_person_before(tracker: Tracker) -> bool:
    """Whether this action already ran in the conversation (the store keeps no id to check)."""
    return any(
        event.get("event") == "action" and event.get("name") == "action_human_handoff"
        for event in tracker.events
    )


def _note_handoff(tracker: Tracker) -> None:
    """Queue the team's notification; a store that is down costs the mail, never the reply."""
    try:
        with session_scope(store_engine()) as session:
            outbox.note_handoff(session=session, conversation_id=tracker.sender_id, at=now())
    except (StoreUnavailable, SQLAlchemyError) as error:
        logger.warning("Handoff notification not queued: %s", type(error).__name__)


class ActionScreeningOutcome(Action):
    """The form is done: judge, store the answers, tell the patient kindly, offer the next step."""

    def name(self) -> str:
        return "action_screening_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot(CONSENT) is False:
            dispatcher.utter_message(
                text=messages.no_consent_message(language=patient_language(tracker))
            )
            conversation_ended(dispatcher)
            return [SlotSet("offer", "nothing"), SlotSet("erase_conversation", True)]
        assessment = assess(TRIAL, answers_from(tracker), TRIAL.today())
        try:
            with session_scope(store_engine()) as session:
                _record_consent(session, tracker)
                repository.save_assessment(
                    session=session,
                    conversation_id=tracker.sender_id,
                    outcome=assessment.outcome,
                    main_reason=assessment.main_reason,
                    recheck_date=assessment.recheck_date,
                    to_verify=list(assessment.to_verify),
                    verdicts=[v.to_dict() for v in assessment.verdicts],
                    finished_at=now(),
                )
        except StoreUnavailable:
            logger.warning("Store unavailable: outcome given but not stored")
        language = patient_language(tracker)
        *statements, offer_question = messages.outcome_messages(TRIAL, assessment, language)
        offer = "referral" if assessment.outcome in REFERABLE_OUTCOMES else "other_studies"
        for text in statements:
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message={"data": {"outcome": assessment.outcome}})
        dispatcher.utter_message(
            text=offer_question,
            buttons=messages.buttons(messages.OFFER_OPTIONS, language),
            json_message=question_data("referral_offer" if offer == "referral" else "news_offer"),
        )
        return [
            SlotSet("screening_status", "finished"),
            SlotSet("screening_outcome", assessment.outcome),
            SlotSet("offer", offer),
        ]
