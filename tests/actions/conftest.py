"""Real trackers, a real CollectingDispatcher, the real domain and a migrated temp store."""

from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from bot.store.db import make_engine, session_scope, upgrade_database

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A migrated SQLite store that the actions use; yields a session factory."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    monkeypatch.setenv("HN2301_DATABASE_URL", url)
    common.store_engine.cache_clear()
    engine = make_engine(url)
    yield lambda: session_scope(engine)
    common.store_engine.cache_clear()
    engine.dispose()


@pytest.fixture
def dispatcher():
    return CollectingDispatcher()


@pytest.fixture
def domain():
    return DOMAIN


def make_tracker(
    slots=None,
    text="",
    intent="inform",
    events=None,
    sender_id="patient-1",
    active_loop="screening_form",
):
    """A tracker as the action server receives it, with the latest message and slots."""
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )
