"""The patient's own data: "what do you know about me?" and "delete my data", for this
conversation or, with the reference code and the contact given at the referral, for a referral
made in an earlier one (bot/access.py says why both are needed)."""

from __future__ import annotations

import logging
from functools import lru_cache

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from actions.common import (
    TRIAL,
    answers_from,
    conversation_ended,
    now,
    patient_language,
    store_engine,
)
from bot import messages, retention
from bot.access import CodeRequest, read_code_request
from bot.store import repository
from bot.store.db import StoreUnavailable, session_scope

logger = logging.getLogger(__name__)

ERASE = "erase_conversation"


@lru_cache(maxsize=1)
def tracker_engine() -> Engine | None:
    """Rasa's tracker store database (bot.retention.tracker_url), to erase an earlier chat."""
    return retention.make_tracker_engine()


def _consented(tracker: Tracker) -> bool:
    return tracker.get_slot("consent") is True


def _own_referral(session, request: CodeRequest) -> repository.Referral | None:
    """The referral the request proves is the patient's; a refusal is audited (by the referral
    number when the code exists, so the study team sees someone tried)."""
    referral = repository.find_own_referral(
        session=session, reference_code=request.code, phone=request.phone, email=request.email
    )
    if referral is None:
        known = repository.get_referral_by_code(session=session, reference_code=request.code)
        repository.record_audit(
            session=session,
            actor="patient",
            action="patient_code_refused",
            referral_id=known.id if known else None,
            at=now(),
            detail="reference code without its phone or e-mail",
        )
    return referral


class ActionDescribeMyData(Action):
    """List what the store keeps (and the answers held in the chat), contact details masked."""

    def name(self) -> str:
        return "action_describe_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = patient_language(tracker)
        request = read_code_request(tracker.latest_message.get("text") or "")
        try:
            with session_scope(store_engine()) as session:
                if request is None:
                    stored = repository.describe_conversation_data(
                        session=session, conversation_id=tracker.sender_id
                    )
                else:
                    referral = _own_referral(session, request)
                    stored = None
                    if referral is not None:
                        stored = repository.describe_conversation_data(
                            session=session, conversation_id=referral.screening.conversation_id
                        )
                        repository.record_audit(
                            session=session,
                            actor="patient",
                            action="patient_data_shown",
                            referral_id=referral.id,
                            at=now(),
                        )
        except StoreUnavailable:
            dispatcher.utter_message(text=messages.store_down_message(language=language))
            return []
        if request is None:
            in_chat = {qid: answer.text for qid, answer in answers_from(tracker).items()}
            dispatcher.utter_message(
                text=messages.stored_data_message(TRIAL, in_chat, stored, language=language)
            )
            return []
        if stored is None:
            dispatcher.utter_message(text=messages.code_not_matched_message(language=language))
            return []
        dispatcher.utter_message(
            text=messages.stored_data_message(TRIAL, {}, stored, language=language, by_code=True)
        )
        if _consented(tracker):
            return []
        # What was shown stays out of a conversation that never consented to anything.
        dispatcher.utter_message(text=messages.code_chat_not_kept_message(language=language))
        conversation_ended(dispatcher)
        return [AllSlotsReset(), SlotSet(ERASE, True)]


def erase_everything(
    dispatcher: CollectingDispatcher, tracker: Tracker, said: str
) -> list[EventType]:
    """Delete this conversation from the referral store, then have Rasa erase its tracker.

    If the store can't be reached nothing is erased, so the patient can simply ask again.
    """
    try:
        with session_scope(store_engine()) as session:
            repository.delete_conversation_data(session=session, conversation_id=tracker.sender_id)
    except StoreUnavailable:
        dispatcher.utter_message(
            text=messages.store_down_message(language=patient_language(tracker))
        )
        return []
    dispatcher.utter_message(text=said)
    conversation_ended(dispatcher)
    return [AllSlotsReset(), SlotSet(ERASE, True)]


def _code_request(tracker: Tracker) -> CodeRequest | None:
    """A code quoted in the confirmed request: this message ("yes") or the one before it
    ("delete my data HN-7K3Q9P ..."), which the tracker store still holds verbatim."""
    said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][-2:]
    for text in reversed(said or [tracker.latest_message.get("text") or ""]):
        request = read_code_request(text)
        if request is not None:
            return request
    return None


def erase_by_code(
    dispatcher: CollectingDispatcher, tracker: Tracker, request: CodeRequest
) -> list[EventType]:
    """Delete the referral the code and contact prove, its earlier chat, and this one."""
    language = patient_language(tracker)
    try:
        with session_scope(store_engine()) as session:
            referral = _own_referral(session, request)
            earlier = None
            if referral is not None:
                earlier = repository.erase_referral(
                    session=session,
                    referral_id=referral.id,
                    actor="patient",
                    at=now(),
                    action="patient_data_deleted_by_code",
                )
                repository.delete_conversation_data(
                    session=session, conversation_id=tracker.sender_id
                )
    except StoreUnavailable:
        dispatcher.utter_message(text=messages.store_down_message(language=language))
        return []
    if earlier is None:
        dispatcher.utter_message(text=messages.code_not_matched_message(language=language))
        return []
    engine = tracker_engine()
    if engine is not None and earlier != tracker.sender_id:
        try:
            retention.erase_tracker_conversations(engine=engine, conversation_ids=[earlier])
        except SQLAlchemyError as error:  # the purge deletes it with the abandoned chats
            logger.warning("The earlier chat could not be erased now: %s", type(error).__name__)
    dispatcher.utter_message(text=messages.deleted_by_code_message(request.code, language))
    conversation_ended(dispatcher)
    return [AllSlotsReset(), SlotSet(ERASE, True)]


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        request = _code_request(tracker)
        if request is not None:
            return erase_by_code(dispatcher, tracker, request)
        return erase_everything(
            dispatcher, tracker, messages.deleted_message(language=patient_language(tracker))
        )


class ActionStopScreening(Action):
    """The patient confirmed "stop": end kindly and keep nothing."""

    def name(self) -> str:
        return "action_stop_screening"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return erase_everything(
            dispatcher, tracker, messages.stopped_message(language=patient_language(tracker))
        )
