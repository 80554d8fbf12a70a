"""After the outcome: refer the patient (with consent and contact details) or, for a patient who
is not eligible, keep a contact for news of other lupus studies if they opt in."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    CONTACT_SLOTS,
    TRIAL,
    conversation_ended,
    leaves_question,
    now,
    open_message,
    patient_language,
    question_data,
    store_engine,
    transcript_from,
)
from bot import contact, messages
from bot.conversation import CONTACT_DIGRESSION_INTENTS
from bot.store import outbox, repository
from bot.store.db import StoreUnavailable, session_scope

logger = logging.getLogger(__name__)

NONE = "none"


def _never_read(text: str) -> bool:
    """A name or a time of day is free text: no reading makes it an answer for sure."""
    return False


def _reads_as_phone_or_email(text: str) -> bool:
    phone, email = contact.read_phone_or_email(text)
    return bool(phone or email) or contact.says_none(text)


def _extract_contact(
    tracker: Tracker, slot: str, reads: Callable[[str], bool] = _never_read
) -> dict[str, Any]:
    """The open contact question's answer comes first: the message is the answer unless it
    can't be read as one (`reads`) and clearly asks for something else (stop, a person, my
    data)."""
    text = open_message(tracker, slot)
    if text is None or leaves_question(tracker, text, reads(text), CONTACT_DIGRESSION_INTENTS):
        return {}
    return {slot: text}


class ValidateReferralForm(FormValidationAction):
    """Name, phone and/or e-mail, preferred time: each read by a well-kept library."""

    def name(self) -> str:
        return "validate_referral_form"

    async def extract_contact_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_contact(tracker, "contact_name")

    async def extract_contact_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_contact(tracker, "contact_phone", _reads_as_phone_or_email)

    async def extract_contact_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_contact(tracker, "contact_email", _reads_as_phone_or_email)

    async def extract_contact_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_contact(tracker, "contact_time", contact.names_a_time)

    def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = contact.read_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(
                text=messages.bad_name_message(language=patient_language(tracker))
            )
        return {"contact_name": name}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if contact.says_none(text):
            return {"contact_phone": NONE}
        phone = contact.read_phone(text)
        if phone is None:
            dispatcher.utter_message(
                text=messages.bad_phone_message(language=patient_language(tracker))
            )
        return {"contact_phone": phone}

    def validate_contact_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if contact.says_none(text):
            if tracker.get_slot("contact_phone") in (None, NONE):
                dispatcher.utter_message(
                    text=messages.need_a_contact_message(language=patient_language(tracker))
                )
                return {"contact_email": None}
            return {"contact_email": NONE}
        email = contact.read_email(text)
        if email is None:
            dispatcher.utter_message(
                text=messages.bad_email_message(language=patient_language(tracker))
            )
        return {"contact_email": email}

    def validate_contact_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        when = contact.read_contact_time(str(value or ""))
        if when is None:
            dispatcher.utter_message(
                text=messages.bad_contact_time_message(language=patient_language(tracker))
            )
        return {"contact_time": when}


def _contact(tracker: Tracker) -> tuple[str, str | None, str | None, str]:
    phone = tracker.get_slot("contact_phone")
    email = tracker.get_slot("contact_email")
    return (
        tracker.get_slot("contact_name") or "",
        None if phone in (None, NONE) else phone,
        None if email in (None, NONE) else email,
        tracker.get_slot("contact_time") or "",
    )


class ActionConfirmContact(Action):
    """Read the details back before anything is stored."""

    def name(self) -> str:
        return "action_confirm_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        name, phone, email, when = _contact(tracker)
        shown_phone = contact.display_phone(phone) if phone else None
        language = patient_language(tracker)
        dispatcher.utter_message(
            text=messages.contact_summary(name, shown_phone, email, when, language),
            buttons=messages.buttons(messages.CONTACT_CONFIRM_OPTIONS, language),
            json_message=question_data("contact_confirm"),
        )
        return []


class ActionResetContact(Action):
    def name(self) -> str:
        return "action_reset_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=messages.contact_fix_message(patient_language(tracker)))
        return [SlotSet(slot, None) for slot in CONTACT_SLOTS]


class ActionCreateReferral(Action):
    """Store the referral, its consent, the transcript and the study team's notification in one
    transaction; give the code."""

    def name(self) -> str:
        return "action_create_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        name, phone, email, when = _contact(tracker)
        try:
            with session_scope(store_engine()) as session:
                referral = repository.create_referral(
                    session=session,
                    conversation_id=tracker.sender_id,
                    name=name,
                    phone=phone,
                    email=email,
                    preferred_time=when,
                    share_consent_at=now(),
                    transcript=transcript_from(tracker),
                )
                # The study team's e-mail goes out later (python -m bot notify), never from here.
                outbox.note_new_referral(session=session, referral=referral, at=now())
                code = referral.reference_code
        except StoreUnavailable:
            logger.warning("Store unavailable: referral not stored; the patient may retry")
            dispatcher.utter_message(
                text=messages.referral_store_down_message(language=patient_language(tracker))
            )
            return [SlotSet("offer", "referral")]
        except repository.UnknownConversation:
            logger.error("No finished screening to refer for this conversation")
            dispatcher.utter_message(
                text=messages.nothing_to_refer_message(language=patient_language(tracker))
            )
            return [SlotSet("offer", None)]
        dispatcher.utter_message(
            text=messages.referral_done_message(code, language=patient_language(tracker))
        )
        conversation_ended(dispatcher)
        return [SlotSet("offer", None)]


class ActionNoReferral(Action):
    def name(self) -> str:
        return "action_no_referral"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            text=messages.no_referral_message(TRIAL, language=patient_language(tracker))
        )
        conversation_ended(dispatcher)
        return [SlotSet("offer", None)]


class ValidateOtherStudiesForm(FormValidationAction):
    def name(self) -> str:
        return "validate_other_studies_form"

    async def extract_news_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return _extract_contact(tracker, "news_contact", _reads_as_phone_or_email)

    def validate_news_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if contact.says_none(text):
            return {"news_contact": NONE}
        phone, email = contact.read_phone_or_email(text)
        if not (phone or email):
            dispatcher.utter_message(
                text=messages.bad_news_contact_message(language=patient_language(tracker))
            )
            return {"news_contact": None}
        return {"news_contact": email or phone}


class ActionSaveOtherStudiesContact(Action):
    def name(self) -> str:
        return "action_save_other_studies_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        value = tracker.get_slot("news_contact") or ""
        if value == NONE:
            dispatcher.utter_message(
                text=messages.no_other_studies_message(language=patient_language(tracker))
            )
            conversation_ended(dispatcher)
            return [SlotSet("offer", None)]
        email = value if "@" in value else None
        try:
            with session_scope(store_engine()) as session:
                repository.record_other_studies_contact(
                    session=session,
                    conversation_id=tracker.sender_id,
                    email=email,
                    phone=None if email else value,
                    consent_at=now(),
                )
        except StoreUnavailable:
            dispatcher.utter_message(
                text=messages.store_down_message(language=patient_language(tracker))
            )
            return [SlotSet("news_contact", None)]
        dispatcher.utter_message(
            text=messages.other_studies_saved_message(language=patient_language(tracker))
        )
        conversation_ended(dispatcher)
        return [SlotSet("offer", None)]


class ActionNoOtherStudies(Action):
    def name(self) -> str:
        return "action_no_other_studies"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            text=messages.no_other_studies_message(language=patient_language(tracker))
        )
        conversation_ended(dispatcher)
        return [SlotSet("offer", None)]
