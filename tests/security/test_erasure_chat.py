"""Access and erasure by reference code in the chat, and "what do you know about me" from the
store, masked (issue 11, finding 4: "Once the page forgets the id, no one can erase by reference
code. 'What do you know about me' reads the chat's slots, not the store").

The actions run against a migrated store (SQLite and PostgreSQL) and Rasa's tracker store table
written by a real ErasableSQLTrackerStore.
"""

import asyncio
import json

import pytest
import sqlalchemy
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import common, privacy
from bot.store.db import make_engine, session_scope, upgrade_database
from bot.store.models import AuditEvent, Referral, Screening
from extensions.erasable_tracker_store import ErasableSQLTrackerStore
from tests.actions.conftest import DOMAIN, make_tracker
from tests.bot.store.conftest import postgresql_url
from tests.extensions.test_erasable_tracker_store import DOMAIN as TRACKER_DOMAIN
from tests.security.test_retention_purge import now
from tests.support import referrals

__all__ = ["postgresql_url"]

PHONE = "+8613800138000"
EMAIL = "li.na@example.com"
WORDS = "I am 34 and take plaquenil"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, monkeypatch):
    """The actions' store (HN2301_DATABASE_URL) on each database, and Rasa's tracker store on
    a SQLite file the actions reach by HN2301_TRACKER_DATABASE_URL."""
    url = (
        f"sqlite:///{tmp_path / 'store.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql_url")
    )
    upgrade_database(url)
    monkeypatch.setenv("HN2301_DATABASE_URL", url)
    monkeypatch.setenv("HN2301_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    common.store_engine.cache_clear()
    privacy.tracker_engine.cache_clear()
    engine = make_engine(url)
    tracker_store = ErasableSQLTrackerStore(
        domain=TRACKER_DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db")
    )
    yield Store(engine, tracker_store)
    common.store_engine.cache_clear()
    if privacy.tracker_engine() is not None:
        privacy.tracker_engine().dispose()
    privacy.tracker_engine.cache_clear()
    tracker_store.engine.dispose()
    engine.dispose()


class Store:
    def __init__(self, engine, tracker_store):
        self.engine = engine
        self.tracker_store = tracker_store

    def __call__(self):
        return session_scope(self.engine)

    def chat(self, sender, *events):
        tracker = DialogueStateTracker(sender, TRACKER_DOMAIN.slots)
        for event in events:
            tracker.update(event)
        asyncio.run(self.tracker_store.save(tracker))

    def chat_events(self, sender):
        with self.tracker_store.engine.connect() as connection:
            return connection.execute(
                sqlalchemy.text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}
            ).all()

    def audit(self):
        with self() as session:
            return [
                (e.actor, e.action, e.referral_id)
                for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            ]


def refer(store, conversation_id="earlier-chat", *, refer=True):
    """A consented, assessed (and referred) screening, as an earlier conversation left it."""
    at = now()
    with store() as session:
        referrals.screened(session, conversation_id, at=at, verdicts=[referrals.age_met(WORDS)])
        if not refer:
            return None
        referral = referrals.refer(
            session,
            conversation_id,
            at=at,
            phone=PHONE,
            email=EMAIL,
            transcript=[{"sender": "patient", "text": WORDS, "at": at.isoformat()}],
        )
        return referral.reference_code


def said(dispatcher):
    return " ".join(message.get("text") or "" for message in dispatcher.messages)


def describe(text, sender="new-chat", slots=None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots, text=text, intent="what_do_you_know", sender_id=sender)
    events = asyncio.run(privacy.ActionDescribeMyData().run(dispatcher, tracker, DOMAIN))
    return said(dispatcher), events


def test_what_do_you_know_reads_the_store_after_start_over(store):
    refer(store, "this-chat", refer=False)
    # "start over" emptied every question slot; the stored answers are still there
    text, _ = describe("what do you know about me", sender="this-chat", slots={"consent": True})
    assert WORDS in text
    assert "not stored anything" not in text


def test_what_do_you_know_masks_contact_details(store):
    refer(store, "this-chat")
    text, _ = describe("what do you know about me", sender="this-chat", slots={"consent": True})
    assert "+86 138 **** 8000" in text and "l***@example.com" in text
    assert "0013" not in text and EMAIL not in text and "Li Na" in text


def test_a_reference_code_alone_shows_nothing(store):
    code = refer(store)
    for message in (
        f"what do you know about me {code}",
        f"what do you know about me {code} +86 139 1234 5678",  # someone else's phone
        f"what do you know about me {code} someone@example.com",
    ):
        text, events = describe(message)
        assert "Li Na" not in text and WORDS not in text and "found nothing" in text
        assert events == []
    with store() as session:
        referral_id = session.scalar(select(Referral.id))
    assert store.audit() == [("patient", "patient_code_refused", referral_id)] * 3


@pytest.mark.parametrize("contact", ["+86 138 0013 8000", "13800138000", "Li.Na@Example.com"])
def test_the_code_and_the_contact_show_an_earlier_referral_masked(store, contact):
    code = refer(store)
    text, events = describe(f"what do you know about me? {code.lower()} {contact}")
    assert WORDS in text and "Li Na" in text and "+86 138 **** 8000" in text
    assert "0013" not in text and EMAIL not in text
    # a conversation that never consented keeps nothing of what was shown
    assert {"event": "slot", "name": "erase_conversation", "value": True, "timestamp": None} in (
        events
    )
    with store() as session:
        referral_id = session.scalar(select(Referral.id))
    assert ("patient", "patient_data_shown", referral_id) in store.audit()


def delete_confirmed(store, request, sender="new-chat"):
    """ "delete my data <code> <contact>", the bot's "are you sure?", then "yes"."""
    dispatcher = CollectingDispatcher()
    events = [
        {"event": "user", "text": request},
        {"event": "bot", "text": "Are you sure?"},
        {"event": "user", "text": "yes"},
    ]
    tracker = make_tracker(text="yes", intent="affirm", events=events, sender_id=sender)
    result = asyncio.run(privacy.ActionDeleteMyData().run(dispatcher, tracker, DOMAIN))
    return said(dispatcher), result


def test_delete_by_code_erases_the_store_rows_and_the_earlier_chat(store):
    code = refer(store)
    store.chat("earlier-chat", UserUttered("yes"), SlotSet("consent", True), BotUttered("Hi"))
    store.chat("other-chat", UserUttered("yes"), SlotSet("consent", True))
    with store() as session:
        referral_id = session.scalar(select(Referral.id))
    text, events = delete_confirmed(store, f"delete my data {code} +86 138 0013 8000")
    assert code in text and "deleted" in text
    with store() as session:
        assert session.scalars(select(Screening)).all() == []
    assert store.chat_events("earlier-chat") == []
    assert store.chat_events("other-chat")  # nobody else's chat
    assert {"event": "slot", "name": "erase_conversation", "value": True, "timestamp": None} in (
        events
    )
    assert ("patient", "patient_data_deleted_by_code", referral_id) in store.audit()
    assert "0013" not in json.dumps(store.audit())


def test_delete_by_code_with_a_wrong_contact_deletes_nothing(store):
    code = refer(store)
    store.chat("earlier-chat", UserUttered("yes"), SlotSet("consent", True))
    text, events = delete_confirmed(store, f"delete my data {code} +86 139 1234 5678")
    assert "found nothing" in text and events == []
    with store() as session:
        assert session.scalar(select(Referral.reference_code)) == code
    assert store.chat_events("earlier-chat")
