"""The notification outbox on SQLite and PostgreSQL: once per referral, leases, digests."""

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from bot.store import outbox, repository
from bot.store.db import session_scope
from bot.store.models import NotificationOutbox, Referral
from tests.support import referrals

AT = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)


def referred(engine, conversation_id="conv-1", phone="+8613800138000"):
    """A consented, likely-eligible, referred screening; returns the referral's id."""
    with session_scope(engine) as session:
        return referrals.referred(session, conversation_id, at=AT, phone=phone).id


def note(engine, referral_id, at=AT):
    with session_scope(engine) as session:
        referral = session.get(Referral, referral_id)
        return outbox.note_new_referral(session=session, referral=referral, at=at)


def rows(engine):
    with session_scope(engine) as session:
        return session.scalars(select(NotificationOutbox).order_by(NotificationOutbox.id)).all()


def test_a_new_referral_is_noted_once_even_when_the_turn_is_retried(engine):
    referral_id = referred(engine)
    assert note(engine, referral_id) is not None
    assert note(engine, referral_id) is None
    [row] = rows(engine)
    assert (row.kind, row.referral_pk, row.status, row.attempts) == (
        "new_referral",
        referral_id,
        "pending",
        0,
    )
    assert row.last_error is None


def test_a_handoff_without_a_referral_has_no_handle_and_one_with_is_noted_once(engine):
    with session_scope(engine) as session:
        outbox.note_handoff(session=session, conversation_id="never-consented", at=AT)
        outbox.note_handoff(session=session, conversation_id="never-consented", at=AT)
    anonymous = rows(engine)
    assert [(r.kind, r.referral_pk, r.dedupe_key) for r in anonymous] == [
        ("handoff", None, None)
    ] * 2
    referral_id = referred(engine)
    for _ in range(2):
        with session_scope(engine) as session:
            outbox.note_handoff(session=session, conversation_id="conv-1", at=AT)
    named = [r for r in rows(engine) if r.referral_pk is not None]
    assert [(r.kind, r.referral_pk) for r in named] == [("handoff", referral_id)]


def test_claimed_rows_are_leased_and_come_back_when_the_lease_runs_out(engine):
    first = note(engine, referred(engine, "a")).id
    second = note(engine, referred(engine, "b"), at=AT + timedelta(seconds=1)).id
    with session_scope(engine) as session:
        assert outbox.claim_due(session=session, now=AT, lease=LEASE) == [first, second]
    with session_scope(engine) as session:  # another worker, at the same time
        assert outbox.claim_due(session=session, now=AT, lease=LEASE) == []
    with session_scope(engine) as session:  # the first worker died mid-send
        assert outbox.claim_due(session=session, now=AT + LEASE, lease=LEASE) == [first, second]


def test_a_failure_is_counted_kept_and_waits_for_its_backoff(engine):
    row_id = note(engine, referred(engine)).id
    with session_scope(engine) as session:
        outbox.claim_due(session=session, now=AT, lease=LEASE)
        attempts = outbox.record_failure(
            session=session,
            row_id=row_id,
            at=AT,
            error="ConnectionRefusedError: Connection refused" + "!" * 300,
            backoff=lambda n: timedelta(minutes=n),
        )
    assert attempts == 1
    [row] = rows(engine)
    assert row.status == "pending"
    assert row.next_attempt_at == AT + timedelta(minutes=1)
    assert len(row.last_error) == outbox.ERROR_LENGTH
    with session_scope(engine) as session:
        assert outbox.claim_due(session=session, now=AT + timedelta(seconds=59), lease=LEASE) == []
        summary = outbox.failures(session=session)
    assert summary.count == 1
    assert summary.last_attempt_at == AT
    assert summary.last_error.startswith("ConnectionRefusedError")
    with session_scope(engine) as session:
        assert outbox.claim_due(session=session, now=AT + timedelta(minutes=1), lease=LEASE) == [
            row_id
        ]
        outbox.mark_sent(session=session, row_id=row_id, at=AT + timedelta(minutes=1))
    [row] = rows(engine)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, AT + timedelta(minutes=1))
    with session_scope(engine) as session:
        assert outbox.failures(session=session) is None
        assert outbox.count_waiting(session=session) == 0


def test_the_notice_names_only_codes_and_ids(engine):
    referral_id = referred(engine)
    row_id = note(engine, referral_id).id
    with session_scope(engine) as session:
        code = session.get(Referral, referral_id).reference_code
        about = outbox.notice(session=session, row_id=row_id)
    assert about == outbox.Notice(
        id=row_id, kind="new_referral", created_at=AT, referrals=((referral_id, code),)
    )


def test_a_digest_folds_the_days_new_referrals_in_and_is_opened_once_a_day(engine):
    ids = [referred(engine, name) for name in ("a", "b")]
    for referral_id in ids:
        note(engine, referral_id)
    with session_scope(engine) as session:
        digest = outbox.open_digest(session=session, day=date(2026, 12, 3), at=AT)
        assert outbox.open_digest(session=session, day=date(2026, 12, 3), at=AT) is None
    with session_scope(engine) as session:
        # the members wait in the digest, only the digest itself is sent
        assert outbox.claim_due(session=session, now=AT, lease=LEASE) == [digest.id]
        about = outbox.notice(session=session, row_id=digest.id)
        assert [pk for pk, _code in about.referrals] == ids
        assert about.digest_day == date(2026, 12, 3)
        assert outbox.count_waiting(session=session) == 3
        outbox.mark_sent(session=session, row_id=digest.id, at=AT)
    assert {r.status for r in rows(engine)} == {"sent"}
    with session_scope(engine) as session:  # a day with nothing new: no mail
        quiet = outbox.open_digest(session=session, day=date(2026, 12, 4), at=AT)
    assert quiet.status == "skipped"


def test_deleting_a_patients_data_deletes_their_notifications(engine):
    referral_id = referred(engine)
    note(engine, referral_id)
    with session_scope(engine) as session:
        outbox.note_handoff(session=session, conversation_id="conv-1", at=AT)
        digest = outbox.open_digest(session=session, day=date(2026, 12, 3), at=AT)
    with session_scope(engine) as session:
        repository.delete_conversation_data(session=session, conversation_id="conv-1", at=AT)
    [left] = rows(engine)
    assert left.id == digest.id
    with session_scope(engine) as session:
        assert outbox.notice(session=session, row_id=digest.id).referrals == ()
