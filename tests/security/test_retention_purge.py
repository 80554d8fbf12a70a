"""Retention as policy, in code (issue 11, finding 3: "Nothing is ever purged: abandoned
conversations, finished ones and referrals are kept without limit").

The purge runs against the real things: the migrated referral store and Rasa's tracker store
table written by a real ErasableSQLTrackerStore, both on SQLite and on PostgreSQL.
"""

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from bot import retention
from bot.store import repository
from bot.store.db import make_engine, session_scope, upgrade_database
from bot.store.models import AuditEvent, OtherStudiesContact, Referral, Screening
from extensions.erasable_tracker_store import ErasableSQLTrackerStore
from tests.bot.store.conftest import postgresql_url
from tests.extensions.test_erasable_tracker_store import DOMAIN
from tests.support import referrals

__all__ = ["postgresql_url"]

ROOT = Path(__file__).resolve().parents[2]
SAID = "hi, I have HIV and I am pregnant"
PHONE = "+8613800138000"


class Databases:
    """A migrated store and a tracker store (Rasa's events table) on one kind of database."""

    def __init__(self, store_url: str, tracker: ErasableSQLTrackerStore, tracker_url: str):
        self.store_url = store_url
        self.store_engine = make_engine(store_url)
        self.tracker = tracker
        self.tracker_url = tracker_url
        self.tracker_engine = sqlalchemy.create_engine(tracker_url, future=True)

    def session(self):
        return session_scope(self.store_engine)

    def say(self, sender: str, *events) -> None:
        """One turn through the real tracker store, as Rasa saves it."""
        tracker = asyncio.run(self.tracker.retrieve(sender)) or DialogueStateTracker(
            sender, DOMAIN.slots
        )
        for event in events:
            tracker.update(event)
        asyncio.run(self.tracker.save(tracker))

    def events(self, sender: str | None = None) -> list[dict]:
        query = select(retention.EVENTS.c.data)
        if sender is not None:
            query = query.where(retention.EVENTS.c.sender_id == sender)
        with self.tracker_engine.connect() as connection:
            return [json.loads(data) for data in connection.scalars(query)]

    def purge(self, now: datetime, **settings) -> retention.PurgeCounts:
        return retention.purge(
            store_engine=self.store_engine,
            tracker_engine=self.tracker_engine,
            settings=retention.RetentionSettings(**settings),
            now=now,
        )

    def close(self) -> None:
        self.store_engine.dispose()
        self.tracker_engine.dispose()
        self.tracker.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        store_url = f"sqlite:///{tmp_path / 'store.db'}"
        tracker = ErasableSQLTrackerStore(
            domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db")
        )
        tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        store_url = tracker_url = request.getfixturevalue("postgresql_url")
        schema = store_url.rsplit("%3D", 1)[1]
        tracker = ErasableSQLTrackerStore(
            domain=DOMAIN,
            dialect="postgresql",
            host="127.0.0.1",
            port=5432,
            db="test",
            username="postgres",
            query={"options": f"-csearch_path={schema}"},
        )
    upgrade_database(store_url)
    databases = Databases(store_url, tracker, tracker_url)
    yield databases
    databases.close()


def now() -> datetime:
    return datetime.now(timezone.utc)


def consent(db: Databases, sender: str, *, finished: bool = False, refer: bool = False) -> None:
    """A conversation that consented (chat and store), optionally finished and referred."""
    db.say(sender, UserUttered("hello"), BotUttered("Do you agree?"))
    db.say(sender, UserUttered("yes"), SlotSet("consent", True), BotUttered("How old are you?"))
    db.say(sender, UserUttered("I am 34"), SlotSet("age", 34))
    at = now()
    with db.session() as session:
        referrals.consent(session, sender, at=at)
        if finished:
            referrals.assess(
                session,
                sender,
                at=at,
                outcome="likely_eligible" if refer else "not_eligible",
                verdicts=[referrals.age_met("I am 34")],
            )
        if refer:
            referrals.refer(
                session,
                sender,
                at=at,
                phone=PHONE,
                transcript=[{"sender": "patient", "text": "I am 34", "at": at.isoformat()}],
            )
            repository.record_other_studies_contact(
                session=session,
                conversation_id="someone-else",
                email="z@example.com",
                phone=None,
                consent_at=now(),
            )


def screenings(db: Databases) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Screening.conversation_id)))


def test_a_visitor_who_never_consented_is_deleted_after_the_idle_time(db):
    db.say("visitor", UserUttered(SAID), BotUttered("Do you agree?"))
    assert db.purge(now() + timedelta(minutes=59)).unconsented_conversations == 0
    assert SAID in json.dumps(db.events("visitor"))
    counts = db.purge(now() + timedelta(minutes=61))
    assert counts.unconsented_conversations == 1 and counts.tracker_events >= 2
    assert db.events("visitor") == []
    assert SAID not in json.dumps(db.events())


def test_an_abandoned_screening_is_deleted_after_7_days(db):
    consent(db, "abandoned")
    assert db.purge(now() + timedelta(days=6)).abandoned_conversations == 0
    assert "abandoned" in screenings(db) and db.events("abandoned")
    counts = db.purge(now() + timedelta(days=8))
    assert (counts.abandoned_conversations, counts.unfinished_screenings) == (1, 1)
    assert "abandoned" not in screenings(db) and db.events("abandoned") == []


def test_a_screening_without_referral_is_deleted_after_30_days(db):
    consent(db, "not-referred", finished=True)
    db.purge(now() + timedelta(days=29))
    assert "not-referred" in screenings(db) and db.events("not-referred")
    counts = db.purge(now() + timedelta(days=31))
    assert (counts.finished_conversations, counts.unreferred_screenings) == (1, 1)
    assert "not-referred" not in screenings(db) and db.events("not-referred") == []


def test_referrals_are_kept_while_the_study_has_no_closing_day(db):
    consent(db, "referred", finished=True, refer=True)
    counts = db.purge(now() + timedelta(days=3650))
    assert counts.referrals == 0 and "referred" in screenings(db)
    assert db.events("referred") == []  # the chat itself goes; the referral keeps a transcript


def test_referrals_are_deleted_the_set_time_after_the_study_closes(db):
    consent(db, "referred", finished=True, refer=True)
    closes = now().date() - timedelta(days=100)
    kept = db.purge(now(), study_closes=closes, referrals_after_close_days=101)
    assert kept.referrals == 0 and "referred" in screenings(db)
    counts = db.purge(now(), study_closes=closes, referrals_after_close_days=100)
    assert (counts.referrals, counts.news_contacts) == (1, 1)
    with db.session() as session:
        assert session.scalars(select(Referral)).all() == []
        assert session.scalars(select(OtherStudiesContact)).all() == []
    assert db.events("referred") == []


def test_every_purge_is_audited_with_counts_only(db):
    consent(db, "conv-q81", finished=True, refer=True)
    db.say("conv-v22", UserUttered(SAID))
    with db.session() as session:
        referral_id = session.scalar(select(Referral.id))
    planned = len(db.events())
    done = db.purge(now() + timedelta(days=1), study_closes=date(2020, 1, 1))
    assert done.tracker_events == planned
    with db.session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        audited = [(e.actor, e.action, e.referral_id, e.detail) for e in events]
    assert ("retention", "referral_purged", referral_id, "retention period ended") in audited
    summary = next(detail for _, action, _, detail in audited if action == "retention_purge")
    assert "unconsented_conversations=1" in summary and "referrals=1" in summary
    assert f"tracker_events={planned}" in summary and db.events() == []
    for text in (SAID, PHONE, "Li Na", "I am 34", "conv-v22", "conv-q81"):
        assert text not in repr(audited)


def test_a_dry_run_counts_and_deletes_nothing(db):
    db.say("visitor", UserUttered(SAID))
    consent(db, "abandoned")
    counts = retention.purge(
        store_engine=db.store_engine,
        tracker_engine=db.tracker_engine,
        settings=retention.RetentionSettings(),
        now=now() + timedelta(days=8),
        dry_run=True,
    )
    assert (counts.unconsented_conversations, counts.abandoned_conversations) == (1, 1)
    assert counts.tracker_events == len(db.events())
    assert db.events("visitor") and "abandoned" in screenings(db)
    with db.session() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def test_a_chat_still_going_is_not_purged(db):
    consent(db, "slow")  # consented a week ago, and still answering today
    with db.session() as session:
        screening = session.scalar(select(Screening))
        screening.consented_at = now() - timedelta(days=8)
    counts = db.purge(now())
    assert counts.unfinished_screenings == 0 and "slow" in screenings(db)


def run_purge(db: Databases, *arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HN2301_DATABASE_URL": db.store_url,
        "HN2301_TRACKER_DATABASE_URL": db.tracker_url,
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "purge", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_purge_command_prints_counts_never_patient_data(db):
    consent(db, "conv-q81", finished=True, refer=True)
    db.say("conv-v22", UserUttered(SAID))
    dry = run_purge(db, "--dry-run", HN2301_RETAIN_UNCONSENTED_MINUTES="1")
    assert dry.returncode == 0, dry.stderr
    assert "would delete" in dry.stdout
    assert db.events("conv-v22")  # counted only
    done = run_purge(db, HN2301_STUDY_CLOSES="2020-01-01")
    assert done.returncode == 0, done.stderr
    assert "referrals=1" in done.stdout
    for text in (SAID, PHONE, "Li Na", "I am 34", "conv-v22", "conv-q81"):
        assert text not in dry.stdout + dry.stderr + done.stdout + done.stderr


def test_a_bad_setting_stops_the_command(db):
    result = run_purge(db, HN2301_RETAIN_ABANDONED_DAYS="a week")
    assert result.returncode == 1 and "HN2301_RETAIN_ABANDONED_DAYS" in result.stderr


def test_make_run_schedules_the_purge():
    from scripts.stack import PURGE_EVERY_S, Stack, StackConfig

    stack = Stack(StackConfig())
    service = stack.purger()
    assert service.argv[-4:] == ["bot", "purge", "--every", str(PURGE_EVERY_S)]
    assert stack.env()["HN2301_ENDPOINTS"] == str(stack.endpoints_path)
