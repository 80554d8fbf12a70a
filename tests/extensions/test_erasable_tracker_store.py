"""The tracker store: Rasa's SQL store on a real SQLite file, erasure, its SQLite mode, and the
conversations it keeps in memory (always what the database holds, even with two servers)."""

import asyncio
import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from extensions.erasable_tracker_store import ERASE_SLOT, ErasableSQLTrackerStore

DOMAIN = Domain.from_yaml(
    f"slots:\n  {ERASE_SLOT}:\n    type: any\n    mappings: []\n"
    "  age:\n    type: any\n    mappings: []\n"
)


def store_at(path, **settings):
    return ErasableSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), **settings)


def retrieve(store, sender):
    return asyncio.run(store.retrieve(sender))


def turn(store, sender, *events):
    """One message as Rasa handles it: read the conversation, add the turn's events, save."""
    tracker = retrieve(store, sender) or DialogueStateTracker(sender, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    asyncio.run(store.save(tracker))
    return tracker


def dump(tracker):
    return None if tracker is None else [event.as_dict() for event in tracker.events]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "tracker.db"


def test_a_turn_is_saved_and_read_back(path):
    store = store_at(path)
    turn(store, "patient-1", UserUttered("hello"))
    tracker = retrieve(store, "patient-1")
    assert [event.text for event in tracker.events if isinstance(event, UserUttered)] == ["hello"]


def test_erasing_leaves_nothing_of_the_conversation(path):
    store = store_at(path)
    turn(store, "patient-1", UserUttered("hello"))
    turn(store, "patient-2", UserUttered("hi"))
    turn(store, "patient-1", SlotSet(ERASE_SLOT, True))
    with sqlite3.connect(path) as connection:
        senders = {row[0] for row in connection.execute("SELECT sender_id FROM events")}
    assert senders == {"patient-2"}
    assert retrieve(store, "patient-1") is None


def test_sqlite_is_written_ahead_and_synced_at_checkpoints(path):
    store = store_at(path)
    turn(store, "patient-1", UserUttered("hello"))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_kept_conversation_is_what_the_database_holds(path):
    store = store_at(path)
    turn(store, "patient-1", ActionExecuted("action_session_start"), SessionStarted(1.0))
    turn(store, "patient-1", UserUttered("hello", timestamp=2.0), SlotSet("age", 41, 2.5))
    turn(store, "patient-1", UserUttered("yes", timestamp=3.0))
    kept = retrieve(store, "patient-1")
    assert dump(kept) == dump(retrieve(store_at(path, kept_conversations=0), "patient-1"))
    assert kept.get_slot("age") == 41


def test_a_new_session_is_kept_from_its_start_as_rasa_reads_it(path):
    store = store_at(path)
    turn(store, "patient-1", SessionStarted(1.0), UserUttered("hello", timestamp=2.0))
    turn(store, "patient-1", ActionExecuted("action_session_start", timestamp=9.0))
    turn(store, "patient-1", SessionStarted(10.0), UserUttered("back again", timestamp=11.0))
    kept = retrieve(store, "patient-1")
    assert dump(kept) == dump(retrieve(store_at(path, kept_conversations=0), "patient-1"))
    assert [event.text for event in kept.events if isinstance(event, UserUttered)] == ["back again"]


def test_another_servers_turn_is_read_from_the_database(path):
    first, second = store_at(path), store_at(path)
    turn(first, "patient-1", UserUttered("hello", timestamp=1.0))
    turn(second, "patient-1", UserUttered("my answer", timestamp=2.0))
    texts = [e.text for e in retrieve(first, "patient-1").events if isinstance(e, UserUttered)]
    assert texts == ["hello", "my answer"]


def test_a_turn_saved_while_another_server_wrote_is_not_kept(path):
    """Rasa's lock keeps one conversation on one server at a time; should it ever fail, the
    events another server wrote in between are read, not hidden behind the kept ones."""
    first, second = store_at(path), store_at(path)
    turn(first, "patient-1", UserUttered("hello", timestamp=1.0))
    tracker = retrieve(first, "patient-1")
    turn(second, "patient-1", UserUttered("from the other server", timestamp=2.0))
    tracker.update(UserUttered("mine", timestamp=3.0))
    asyncio.run(first.save(tracker))
    texts = [e.text for e in retrieve(first, "patient-1").events if isinstance(e, UserUttered)]
    assert "from the other server" in texts and "mine" in texts


def test_a_conversation_another_server_erased_is_gone_here_too(path):
    first, second = store_at(path), store_at(path)
    turn(first, "patient-1", UserUttered("hello"))
    second.erase("patient-1")
    assert retrieve(first, "patient-1") is None


def test_only_the_most_recent_conversations_are_kept(path):
    store = store_at(path, kept_conversations=2)
    for sender in ("patient-1", "patient-2", "patient-3"):
        turn(store, sender, UserUttered("hello"))
        turn(store, sender, UserUttered("yes"))
    assert list(store._kept) == ["patient-2", "patient-3"]
    assert retrieve(store, "patient-1") is not None  # read from the database


def test_a_tracker_built_elsewhere_is_saved_by_counting_what_is_stored(path):
    store = store_at(path)
    turn(store, "patient-1", UserUttered("hello", timestamp=1.0))
    rebuilt = retrieve(store_at(path, kept_conversations=0), "patient-1")
    rebuilt.update(UserUttered("more", timestamp=2.0))
    asyncio.run(store.save(rebuilt))
    texts = [e.text for e in retrieve(store_at(path), "patient-1").events if e.type_name == "user"]
    assert texts == ["hello", "more"]


def test_sqlite_connections_are_pooled_not_opened_for_every_query(path):
    store = store_at(path)
    turn(store, "patient-1", UserUttered("hello"))
    turn(store, "patient-1", UserUttered("again"))
    assert store.engine.pool.checkedin() >= 1
