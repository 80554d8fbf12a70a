"""The patient's own data: "what do you know about me?" and "delete my data"."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    TRIAL,
    answers_from,
    conversation_ended,
    patient_language,
    store_engine,
)
from bot import messages
from bot.store import repository
from bot.store.db import StoreUnavailable, session_scope

logger = logging.getLogger(__name__)


class ActionDescribeMyData(Action):
    """List what this conversation holds: answers in the chat and anything in the store."""

    def name(self) -> str:
        return "action_describe_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            with session_scope(store_engine()) as session:
                stored = repository.describe_conversation_data(
                    session=session, conversation_id=tracker.sender_id
                )
        except StoreUnavailable:
            dispatcher.utter_message(
                text=messages.store_down_message(language=patient_language(tracker))
            )
            return []
        in_chat = {qid: answer.text for qid, answer in answers_from(tracker).items()}
        dispatcher.utter_message(
            text=messages.stored_data_message(
                TRIAL, in_chat, stored, language=patient_language(tracker)
            )
        )
        return []


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
    return [AllSlotsReset(), SlotSet("erase_conversation", True)]


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
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
