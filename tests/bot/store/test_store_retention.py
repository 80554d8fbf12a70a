"""The repository's retention and erasure functions, on SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.store import repository
from bot.store.db import session_scope
from bot.store.models import AuditEvent, Referral, Screening
from tests.support import referrals

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def screening(engine, conversation_id, *, outcome=None, refer=False, at=NOW):
    with session_scope(engine) as session:
        referrals.consent(session, conversation_id, at=at)
        if outcome:
            referrals.assess(session, conversation_id, at=at, outcome=outcome)
        if refer:
            return referrals.refer(
                session, conversation_id, at=at, email="Li.Na@example.com"
            ).reference_code
    return None


def test_a_referral_is_found_only_with_its_phone_or_email(engine):
    code = screening(engine, "c1", outcome="likely_eligible", refer=True)
    with session_scope(engine) as session:
        find = repository.find_own_referral
        assert find(session=session, reference_code=code, phone="+8613800138000", email=None)
        assert find(session=session, reference_code=code, phone=None, email="li.na@EXAMPLE.com")
        assert find(session=session, reference_code=code, phone=None, email=None) is None
        assert (
            find(session=session, reference_code=code, phone="+8613900001111", email=None) is None
        )
        assert (
            find(session=session, reference_code="HN-2222", phone="+8613800138000", email=None)
            is None
        )


def test_erasing_a_referral_takes_its_conversations_rows_and_audits_the_number(engine):
    code = screening(engine, "c1", outcome="likely_eligible", refer=True)
    screening(engine, "c2", outcome="not_eligible")
    with session_scope(engine) as session:
        repository.record_other_studies_contact(
            session=session, conversation_id="c1", email="x@example.com", phone=None, consent_at=NOW
        )
        referral = repository.get_referral_by_code(session=session, reference_code=code)
        referral_id = referral.id
        erased = repository.erase_referral(
            session=session, referral_id=referral_id, actor="amy", at=NOW, action="referral_erased"
        )
    assert erased == "c1"
    with session_scope(engine) as session:
        assert session.scalars(select(Screening.conversation_id)).all() == ["c2"]
        assert repository.describe_conversation_data(session=session, conversation_id="c1") == {
            "screening": None,
            "answers": [],
            "referral": None,
            "transcript": [],
            "other_studies_contacts": [],
        }
        audited = session.scalars(select(AuditEvent)).all()
        assert [(e.actor, e.action, e.referral_id, e.detail) for e in audited] == [
            ("amy", "referral_erased", referral_id, "")
        ]


def test_purge_expired_by_period(engine):
    screening(engine, "unfinished-old", at=NOW - timedelta(days=8))
    screening(engine, "unfinished-talking", at=NOW - timedelta(days=8))
    screening(engine, "unfinished-new", at=NOW - timedelta(days=6))
    screening(engine, "finished-old", outcome="not_eligible", at=NOW - timedelta(days=31))
    screening(engine, "finished-new", outcome="not_eligible", at=NOW - timedelta(days=29))
    screening(
        engine, "referred", outcome="likely_eligible", refer=True, at=NOW - timedelta(days=90)
    )
    arguments = dict(
        abandoned_before=NOW - timedelta(days=7),
        finished_before=NOW - timedelta(days=30),
        still_talking={"unfinished-talking"},
        at=NOW,
    )
    with session_scope(engine) as session:
        dry = repository.purge_expired(
            session=session, referrals_due=True, dry_run=True, **arguments
        )
    assert (dry.unfinished_screenings, dry.unreferred_screenings, len(dry.referral_ids)) == (
        1,
        1,
        1,
    )
    with session_scope(engine) as session:
        done = repository.purge_expired(session=session, referrals_due=False, **arguments)
    assert set(done.conversation_ids) == {"unfinished-old", "finished-old"}
    with session_scope(engine) as session:
        assert set(session.scalars(select(Screening.conversation_id))) == {
            "unfinished-talking",
            "unfinished-new",
            "finished-new",
            "referred",
        }
        assert session.scalar(select(Referral.id)) is not None
