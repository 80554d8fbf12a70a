"""The notification outbox: what the chat asks to tell the study team, and what was sent.

Keyword-only, session-first functions, like the rest of the store; callers own the transaction.
The chat only adds rows (`note_new_referral` in the referral's own transaction, `note_handoff`),
so a mail server that is down never slows or breaks a conversation. The worker
(bot.notifications) claims due rows, sends them and records each attempt. No function here reads
or writes health data or contact details: a row knows its kind and its referral, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import NotificationOutbox, Referral, Screening

NEW_REFERRAL = "new_referral"
HANDOFF = "handoff"
DIGEST = "digest"
KINDS = (NEW_REFERRAL, HANDOFF, DIGEST)

PENDING = "pending"
BATCHED = "batched"
SENT = "sent"
SKIPPED = "skipped"

ERROR_LENGTH = 200


@dataclass(frozen=True)
class Notice:
    """What one mail is about, as the worker composes it: codes and ids, never patient data.

    `referrals` are (referral id, reference code) pairs: the one new referral, the handoff
    patient's referral if they have one, or every referral of a digest.
    """

    id: int
    kind: str
    created_at: datetime
    referrals: tuple[tuple[int, str], ...]
    digest_day: date | None = None


@dataclass(frozen=True)
class FailureSummary:
    """Notifications that were tried and are still not sent, for the dashboard's notice."""

    count: int
    last_attempt_at: datetime
    last_error: str


def note_new_referral(
    *, session: Session, referral: Referral, at: datetime
) -> NotificationOutbox | None:
    """Ask for "a new referral is waiting" once per referral (a retried turn adds nothing).

    Returns the new row, or None when this referral was already noted.
    """
    return _add_once(
        session,
        NotificationOutbox(
            kind=NEW_REFERRAL,
            referral_pk=referral.id,
            dedupe_key=f"{NEW_REFERRAL}:{referral.id}",
            created_at=at,
            status=PENDING,
            attempts=0,
        ),
    )


def note_handoff(
    *, session: Session, conversation_id: str, at: datetime
) -> NotificationOutbox | None:
    """Ask for "a patient asked to talk to a person"; None when this referral's was asked for.

    When the conversation has a referral the notice names it (once per referral); otherwise the
    row has no handle at all: without consent nothing about a conversation is kept, so the
    caller decides whether this conversation asked before.
    """
    referral_pk = session.scalar(
        select(Referral.id)
        .join(Screening, Referral.screening_pk == Screening.id)
        .where(Screening.conversation_id == conversation_id)
    )
    row = NotificationOutbox(
        kind=HANDOFF,
        referral_pk=referral_pk,
        dedupe_key=None if referral_pk is None else f"{HANDOFF}:{referral_pk}",
        created_at=at,
        status=PENDING,
        attempts=0,
    )
    return _add_once(session, row)


def _add_once(session: Session, row: NotificationOutbox) -> NotificationOutbox | None:
    """Insert `row` in a savepoint; None when its dedupe key is taken (also by a concurrent
    turn)."""
    if row.dedupe_key is not None:
        taken = session.scalar(
            select(NotificationOutbox).where(NotificationOutbox.dedupe_key == row.dedupe_key)
        )
        if taken is not None:
            return None
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def open_digest(*, session: Session, day: date, at: datetime) -> NotificationOutbox | None:
    """Start `day`'s digest (once per day) and fold every pending new-referral row into it.

    Returns the new digest row (status "skipped" when there was nothing to list), or None when
    `day` already has its digest: new referrals after it wait for the next day's.
    """
    digest = _add_once(
        session,
        NotificationOutbox(
            kind=DIGEST,
            dedupe_key=f"{DIGEST}:{day.isoformat()}",
            created_at=at,
            status=PENDING,
            attempts=0,
        ),
    )
    if digest is None:
        return None
    session.flush()
    folded = session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.kind == NEW_REFERRAL, NotificationOutbox.status == PENDING)
        .values(status=BATCHED, digest_pk=digest.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not folded:
        digest.status = SKIPPED
    session.flush()
    return digest


def claim_due(
    *, session: Session, now: datetime, lease: timedelta, kinds: tuple[str, ...] = KINDS
) -> list[int]:
    """The ids of pending rows due now, oldest first, each leased to this worker until
    `now + lease`: another worker skips them, and a worker that dies mid-send leaves them to be
    tried again when the lease runs out."""
    due = session.scalars(
        select(NotificationOutbox.id)
        .where(
            NotificationOutbox.status == PENDING,
            NotificationOutbox.kind.in_(kinds),
            _due(now),
        )
        .order_by(NotificationOutbox.created_at, NotificationOutbox.id)
    ).all()
    claimed = []
    for row_id in due:
        taken = session.execute(
            update(NotificationOutbox)
            .where(NotificationOutbox.id == row_id, NotificationOutbox.status == PENDING, _due(now))
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            claimed.append(row_id)
    return claimed


def _due(now: datetime):
    return or_(
        NotificationOutbox.next_attempt_at.is_(None), NotificationOutbox.next_attempt_at <= now
    )


def notice(*, session: Session, row_id: int) -> Notice | None:
    """What row `row_id` is about; None when the row is gone (its referral was deleted)."""
    row = session.get(NotificationOutbox, row_id)
    if row is None:
        return None
    if row.kind == DIGEST:
        members = select(NotificationOutbox.referral_pk).where(
            NotificationOutbox.digest_pk == row.id
        )
        referrals = session.execute(
            select(Referral.id, Referral.reference_code)
            .where(Referral.id.in_(members))
            .order_by(Referral.created_at, Referral.id)
        ).all()
    elif row.referral_pk is not None:
        referrals = session.execute(
            select(Referral.id, Referral.reference_code).where(Referral.id == row.referral_pk)
        ).all()
    else:
        referrals = []
    day = date.fromisoformat(row.dedupe_key.split(":", 1)[1]) if row.kind == DIGEST else None
    return Notice(
        id=row.id,
        kind=row.kind,
        created_at=row.created_at,
        referrals=tuple((pk, code) for pk, code in referrals),
        digest_day=day,
    )


def mark_sent(*, session: Session, row_id: int, at: datetime) -> None:
    """Row `row_id` was accepted by the mail server (and with a digest, every row it listed)."""
    row = session.get(NotificationOutbox, row_id)
    if row is None:
        return
    row.status = SENT
    row.sent_at = at
    row.attempts += 1
    row.last_attempt_at = at
    row.next_attempt_at = None
    session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.digest_pk == row_id, NotificationOutbox.status == BATCHED)
        .values(status=SENT, sent_at=at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def mark_skipped(*, session: Session, row_id: int, at: datetime) -> None:
    """Row `row_id` has nothing left to say (a digest whose referrals were all deleted)."""
    row = session.get(NotificationOutbox, row_id)
    if row is not None:
        row.status = SKIPPED
        row.next_attempt_at = None
        row.last_attempt_at = at
        session.flush()


def record_failure(
    *,
    session: Session,
    row_id: int,
    at: datetime,
    error: str,
    backoff: Callable[[int], timedelta],
) -> int:
    """Row `row_id` could not be sent: count the attempt, keep what the server said, and wait
    `backoff(attempts)` before the next. Returns the number of attempts so far."""
    row = session.get(NotificationOutbox, row_id)
    if row is None:
        return 0
    row.attempts += 1
    row.last_attempt_at = at
    row.last_error = error[:ERROR_LENGTH]
    row.next_attempt_at = at + backoff(row.attempts)
    session.flush()
    return row.attempts


def count_waiting(*, session: Session) -> int:
    """Rows not sent yet: pending ones and new referrals waiting in a digest."""
    return session.scalar(
        select(func.count())
        .select_from(NotificationOutbox)
        .where(NotificationOutbox.status.in_((PENDING, BATCHED)))
    )


def failures(*, session: Session) -> FailureSummary | None:
    """Pending rows that were tried and failed, with the latest attempt; None if there are none."""
    failed = (
        NotificationOutbox.status == PENDING,
        NotificationOutbox.attempts > 0,
        NotificationOutbox.last_error.is_not(None),
    )
    count = session.scalar(select(func.count()).select_from(NotificationOutbox).where(*failed))
    if not count:
        return None
    latest = session.execute(
        select(NotificationOutbox.last_attempt_at, NotificationOutbox.last_error)
        .where(*failed)
        .order_by(NotificationOutbox.last_attempt_at.desc(), NotificationOutbox.id.desc())
        .limit(1)
    ).one()
    return FailureSummary(count=count, last_attempt_at=latest[0], last_error=latest[1])
