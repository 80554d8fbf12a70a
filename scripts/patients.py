"""Scripted patients for `make bench` and `make soak`: whole screenings, through any channel.

A patient greets, consents, answers whichever question the assistant says is open (each question
comes with a custom message `{"data": {"question": <id>}}`, so no wording is matched), confirms
each read-back, and, when offered a referral, gives contact details and confirms them. Every turn
is timed; a turn whose reply has no text is counted as silent (the patient would see nothing).

The channel is a function `send(text) -> list of bot messages` as Rasa returns them (REST's JSON
list, or socket.io's `bot_uttered` events), so REST and socket.io patients share this code.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store.repository import REFERENCE_ALPHABET, REFERENCE_LENGTH, REFERENCE_PREFIX

Send = Callable[[str], list[dict[str, Any]]]

# A likely-eligible patient: every answer in plain words. Questions the
# trial asks only after some answers (a read-back, a date) have theirs too.
ELIGIBLE_ANSWERS = {
    "consent": "yes",
    "readback": "yes",
    "age": "I'm 41",
    "sle_diagnosis": "yes",
    "sle_duration": "about 5 years ago",
    "disease_active": "yes, still flaring",
    "transplant": "nope",
    "pregnancy": "no",
    "current_medicines": "plaquenil, prednisone",
    "steroid_dose": "15mg daily",
    "immunosuppressant_history": "cellcept and methotrexate before",
    "treatment_stable": "yes",
    "viral_infections": "no",
    "asthma_allergy": "no",
    "active_infection": "no",
    "cardiac_events": "no",
    "mrna_lnp": "sinovac in 2021",
    "live_vaccine": "no",
    "organ_function": "none of these",
    "lab_markers": "yes",
    "contraception": "yes",
    "disease_activity_score": "skip",
    "travel": "yes",
    "referral_offer": "yes",
    "contact_name": "Wang Fang",
    "contact_phone": "+86 139 1234 5678",
    "contact_email": "wang.fang@example.com",
    "contact_time": "evenings",
    "contact_confirm": "yes",
}
REFERENCE_CODE = re.compile(
    re.escape(REFERENCE_PREFIX) + f"[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}"
)
# Far more turns than a screening takes: a patient who gets here is stuck in a loop.
MAX_TURNS = 60


@dataclass
class Screening:
    """What one scripted patient went through."""

    sender: str
    turns: list[float] = field(default_factory=list)  # seconds each turn took
    silent_turns: int = 0
    failed_turns: int = 0  # the channel raised (HTTP error, dropped connection) and was retried
    questions: list[str] = field(default_factory=list)
    outcome: str | None = None  # the last screening-side custom question: referral_offer...
    reference_code: str | None = None
    last_reply: list[dict[str, Any]] = field(default_factory=list)

    @property
    def referred(self) -> bool:
        return self.reference_code is not None


def post(url: str, sender: str, text: str, timeout: float = 90.0) -> list[dict]:
    """One message to Rasa's REST webhook; the bot's messages."""
    request = urllib.request.Request(  # noqa: S310 (a local http URL)
        url,
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (local URL)
        return json.loads(response.read()) or []


def open_question(messages: list[dict[str, Any]]) -> str | None:
    """The question the assistant says is open, from its custom message."""
    for message in reversed(messages):
        data = (message.get("custom") or {}).get("data") or {}
        if data.get("question"):
            return data["question"]
    return None


def texts(messages: list[dict[str, Any]]) -> str:
    return " ".join(message.get("text") or "" for message in messages)


def _turn(
    send: Send, text: str, screening: Screening, retry: Callable[[Exception], bool]
) -> list[dict[str, Any]]:
    """Send one message, timed; a failed send is sent again when `retry` allows (as a patient
    would press send again), a reply without text counts as silent."""
    while True:
        start = time.perf_counter()
        try:
            reply = send(text)
        except Exception as error:  # any channel failure: the patient sends it again
            screening.failed_turns += 1
            if not retry(error):
                raise
            continue
        screening.turns.append(time.perf_counter() - start)
        if not any(message.get("text") for message in reply):
            screening.silent_turns += 1
        screening.last_reply = reply
        return reply


def screen(
    send: Send,
    sender: str,
    *,
    answers: dict[str, str] | None = None,
    retry: Callable[[Exception], bool] = lambda error: False,
    refer: bool = True,
) -> Screening:
    """Play one whole screening (and the referral, when `refer` and one is offered)."""
    answers = answers or ELIGIBLE_ANSWERS
    screening = Screening(sender=sender)
    reply = _turn(send, "hi", screening, retry)
    for _ in range(MAX_TURNS):
        question = open_question(reply)
        if question is None:
            break
        screening.questions.append(question)
        if question in ("referral_offer", "news_offer"):
            screening.outcome = question
            if not refer:
                break
        elif question == "contact_confirm":
            reply = _turn(send, answers[question], screening, retry)
            found = REFERENCE_CODE.search(texts(reply))
            screening.reference_code = found and found.group()
            break
        reply = _turn(send, answers[question], screening, retry)
    return screening
