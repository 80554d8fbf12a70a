"""A coordinator shows and erases one referral by its reference code (issue 11, finding 4: "no
one can erase by reference code"): the store's rows and the chat in Rasa's tracker store, both
audited, behind the login and CSRF. On SQLite and PostgreSQL."""

import asyncio

import pytest
import sqlalchemy
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from bot.dashboard import create_app
from bot.store import repository
from bot.store.db import session_scope, upgrade_database
from bot.store.models import Referral, Screening
from extensions.erasable_tracker_store import ErasableSQLTrackerStore
from tests.bot.dashboard.dashboard_helpers import (
    PASSWORD,
    START,
    Clock,
    csrf_token,
    sign_in,
)
from tests.bot.store.conftest import postgresql_url
from tests.extensions.test_erasable_tracker_store import DOMAIN
from tests.support.referrals import make_referral

__all__ = ["postgresql_url"]


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'store.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql_url")
    )
    upgrade_database(url)
    tracker_store = ErasableSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db")
    )
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY_FILE": tmp_path / "dashboard_secret",
            "CLOCK": Clock(),
            "TRACKER_ENGINE": tracker_store.engine,
        }
    )
    app.extensions["tracker_store"] = tracker_store
    with session_scope(app.extensions["hn2301_engine"]) as session:
        repository.create_coordinator(session=session, username="amy", password=PASSWORD, at=START)
    yield app
    app.extensions["hn2301_engine"].dispose()
    tracker_store.engine.dispose()


@pytest.fixture
def store(app):
    return lambda: session_scope(app.extensions["hn2301_engine"])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def referral(app, store):
    """A referral, and its chat in the tracker store (plus another patient's chat)."""
    referral_id = make_referral(store, conversation_id="conv-1", words="I'm 34, on plaquenil")
    tracker_store = app.extensions["tracker_store"]
    for sender in ("conv-1", "conv-2"):
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update(UserUttered("yes"))
        tracker.update(SlotSet("consent", True))
        tracker.update(UserUttered("I'm 34, on plaquenil"))
        asyncio.run(tracker_store.save(tracker))
    with store() as session:
        return session.get(Referral, referral_id).reference_code, referral_id


def chat_events(app, sender):
    with app.extensions["tracker_store"].engine.connect() as connection:
        return connection.scalar(
            sqlalchemy.text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": sender}
        )


def audited(store):
    with store() as session:
        return [(e.actor, e.action, e.referral_id) for e in repository.list_audit(session=session)]


def test_the_referral_page_offers_it(client, referral):
    code, referral_id = referral
    assert sign_in(client).status_code == 302
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert 'action="/erasure/show"' in page and f'value="{code}"' in page


def test_showing_what_is_kept_by_code_is_audited(client, referral, store, app):
    code, referral_id = referral
    assert sign_in(client).status_code == 302
    response = client.post(
        "/erasure/show", data={"code": code.lower(), "csrf_token": csrf_token(client, "/erasure")}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Li Wei" in page and "+8613800138000" in page and "I&#39;m 34, on plaquenil" in page
    assert "Events of the chat in the tracker store</dt><dd>3</dd>" in page
    assert ("amy", "patient_data_shown", referral_id) in audited(store)


def test_erasing_needs_the_code_again_then_reaches_store_and_tracker(client, referral, store, app):
    code, referral_id = referral
    assert sign_in(client).status_code == 302
    token = csrf_token(client, "/erasure")
    client.post("/erasure/erase", data={"code": code, "confirm": "", "csrf_token": token})
    with store() as session:
        assert session.scalar(select(Referral.id)) == referral_id
    response = client.post(
        "/erasure/erase", data={"code": code, "confirm": code.lower(), "csrf_token": token}
    )
    assert response.status_code == 302
    with store() as session:
        assert session.scalars(select(Screening)).all() == []
    assert chat_events(app, "conv-1") == 0
    assert chat_events(app, "conv-2") == 3
    assert ("amy", "referral_erased", referral_id) in audited(store)


def test_erasure_needs_a_signed_in_coordinator_and_csrf(client, referral, store, app):
    code, referral_id = referral
    for path in ("/erasure", "/erasure/show", "/erasure/erase"):
        response = client.post(path, data={"code": code, "confirm": code})
        assert response.status_code in (302, 303, 405)
        if response.status_code != 405:
            assert "/login" in response.headers["Location"]
    assert sign_in(client).status_code == 302
    forged = client.post("/erasure/erase", data={"code": code, "confirm": code})
    assert forged.status_code == 400
    with store() as session:
        assert session.scalar(select(Referral.id)) == referral_id
    assert chat_events(app, "conv-1") == 3


def test_the_audit_log_names_erasures_and_purges_in_chinese(client, referral, store):
    from datetime import datetime, timezone

    from bot import retention
    from tests.bot.dashboard.dashboard_helpers import english_words

    code, referral_id = referral
    summary = retention.PurgeCounts(unconsented_conversations=2, tracker_events=9).summary()
    with store() as session:
        repository.set_coordinator_language(session=session, username="amy", language="zh")
        at = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
        for actor, action, number, detail in (
            ("retention", "retention_purge", None, summary),
            ("retention", "referral_purged", referral_id, "retention period ended"),
            (
                "patient",
                "patient_code_refused",
                referral_id,
                "reference code without its phone or e-mail",
            ),
            ("patient", "patient_data_shown", referral_id, ""),
            ("patient", "patient_data_deleted_by_code", referral_id, ""),
            ("amy", "patient_data_shown", referral_id, "erasure page"),
            ("amy", "referral_erased", referral_id, ""),
        ):
            repository.record_audit(
                session=session,
                actor=actor,
                action=action,
                referral_id=number,
                at=at,
                detail=detail,
            )
    assert sign_in(client).status_code == 302
    page = client.get("/audit").get_data(as_text=True)
    assert "未同意的聊天: 2" in page
    assert english_words(page, [code, "amy"]) == set()
