"""What every action needs: the trial, the answers held in the tracker, the store, the transcript.

Actions are thin: they turn a Rasa tracker into calls into `bot/` and the results back into
events and messages. Nothing here judges an answer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine

from bot.conversation import (
    DIGRESSION_INTENTS,
    is_digression,
    language_of,
    requested_language,
)
from bot.eligibility import Answer, read_answer
from bot.parsing.context import answered_for
from bot.store.db import make_engine
from bot.trial import Trial, load_trial

logger = logging.getLogger(__name__)

TRIAL: Trial = load_trial()
QUESTION_SLOTS: tuple[str, ...] = tuple(q.id for q in TRIAL.questions)
CONTACT_SLOTS = ("contact_name", "contact_phone", "contact_email", "contact_time")


@lru_cache(maxsize=1)
def store_engine() -> Engine:
    """One engine (and connection pool) for the action server's lifetime."""
    return make_engine()


def now() -> datetime:
    return datetime.now(timezone.utc)


def conversation_ended(dispatcher: CollectingDispatcher) -> None:
    """Tell the chat page the conversation is over, so it forgets its copy in the browser."""
    dispatcher.utter_message(json_message={"data": {"conversation_ended": True}})


def question_data(question: str, **where: Any) -> dict[str, Any]:
    """The custom payload that tells the page and scripts which question is open (`position`/
    `total` where it has them), sent with the question's own message.

    Rasa's channels send a message's text and its custom payload as two messages (socket.io
    emits a custom payload's keys as the event's arguments, so it sits under `data`, as the
    page's other custom messages do); in the tracker they stay one event."""
    return {"data": {"question": question, **where}}


def answers_from(tracker: Tracker) -> dict[str, Answer]:
    """The judged answers held in the question slots (a raw candidate is not an answer yet)."""
    answers = {}
    for question_id in QUESTION_SLOTS:
        value = tracker.get_slot(question_id)
        if isinstance(value, dict) and "value" in value:
            answers[question_id] = Answer.from_dict(value)
    return answers


# The page sends a pressed button's payload ("yes") with the words the patient pressed ("是")
# as metadata `pressed`; a longer `pressed` is no button's title.
MAX_BUTTON_TITLE = 200


def transcript_from(tracker: Tracker) -> list[dict[str, Any]]:
    """Both sides of the conversation, with times, as the referral's transcript snapshot: the
    patient's side as they saw it, a pressed button by the words on it."""
    transcript = []
    for event in tracker.events:
        sender = {"user": "patient", "bot": "assistant"}.get(event.get("event"))
        text = event.get("text")
        if sender and text:
            at = datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc)
            entry = {"sender": sender, "text": text, "at": at.isoformat()}
            pressed = (event.get("metadata") or {}).get("pressed") if sender == "patient" else None
            if isinstance(pressed, str) and 0 < len(pressed) <= MAX_BUTTON_TITLE:
                entry |= {"text": pressed, "button": True}
            transcript.append(entry)
    return transcript


# Rasa's own steps between the patient's message and the form: nothing was said in between.
_JUST_HEARD = (
    "action_listen",
    "action_extract_slots",
    "screening_form",
    "referral_form",
    "other_studies_form",
)


def _just_heard(tracker: Tracker) -> bool:
    """The latest message has not been answered by anything else yet (no digression ran)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in _JUST_HEARD:
            return False
        if event.get("event") == "bot":
            return False
    return False


def open_message(tracker: Tracker, slot: str) -> str | None:
    """The patient's message, when it was sent in reply to the open question `slot`."""
    if tracker.get_slot("requested_slot") != slot or not _just_heard(tracker):
        return None
    return tracker.latest_message.get("text") or ""


def _digressed_here(tracker: Tracker) -> bool:
    """The patient sends again, at the same question, the message a digression answered: it
    was meant as the answer, so it is taken as one this time (asked again, then not sure), and
    nothing loops. A different question back ("and where is it?") is still answered."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if len(users) < 2:
        return False
    said = " ".join((events[users[-1]].get("text") or "").casefold().split())
    if said != " ".join((events[users[-2]].get("text") or "").casefold().split()):
        return False
    asking = None
    at_previous: str | None = None
    digressed = False
    for event in events[: users[-1]]:  # up to the patient's message now
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            asking = event.get("value")
        elif kind == "user":
            at_previous, digressed = asking, False
        elif kind == "action" and event.get("name") not in _JUST_HEARD:
            digressed = True
    now = tracker.get_slot("requested_slot")
    return digressed and at_previous is not None and at_previous == now


def leaves_question(
    tracker: Tracker, text: str, readable: bool, intents: frozenset[str] = DIGRESSION_INTENTS
) -> bool:
    """A digression the rules answer (the form is then rejected and asks again afterwards); never
    twice running at the same question."""
    if _digressed_here(tracker):
        return False
    if requested_language(text):
        return True
    intent = tracker.latest_message.get("intent") or {}
    return is_digression(
        text=text,
        readable=readable,
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        intents=intents,
    )


def patient_language(tracker: Tracker) -> str:
    """The language to answer in: the page's switch, a request, or the first words (see
    bot.conversation.language_of)."""
    return language_of(
        (event.get("text") or "", event.get("metadata"))
        for event in tracker.events
        if event.get("event") == "user"
    )


def on_behalf_of(tracker: Tracker) -> str | None:
    """The relative a carer says they answer for, from the patient's messages so far."""
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return answered_for([*texts, tracker.latest_message.get("text") or ""])


def read_for(tracker: Tracker, question_id: str, text: str, answers=None) -> Answer | None:
    """Read an answer as the engine does, for the patient (a carer's relative, when a carer
    answers)."""
    return read_answer(
        TRIAL, question_id, text, TRIAL.today(), answers, on_behalf_of=on_behalf_of(tracker)
    )
