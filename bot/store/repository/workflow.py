"""The dashboard's queue and workflow: the queue's filters, listing and counting referrals, one
referral by id or by reference code, the status changes a referral may make, coordinators' notes,
and the audit trail every module writes to (`record_audit`) and the dashboard reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.store.models import AuditEvent, Referral, ReferralNote, Screening
from bot.store.repository.common import (
    REFERENCE_PREFIX,
    InvalidStatusChange,
    _day_start,
    _require_referral,
)

# Where a referral may go from each status; the last three are final.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("contacted", "unreachable", "withdrawn"),
    "contacted": ("visit_scheduled", "screen_failed", "unreachable", "withdrawn"),
    "visit_scheduled": ("enrolled", "screen_failed", "unreachable", "withdrawn"),
    "unreachable": ("contacted", "withdrawn"),
    "enrolled": (),
    "screen_failed": (),
    "withdrawn": (),
}


@dataclass(frozen=True)
class ReferralFilters:
    """The queue's filters; `None` means "any". Dates are inclusive days of `created_at`, in
    the time zone `timezone` (the dashboard passes the study site's, e.g. Asia/Shanghai)."""

    status: str | None = None
    outcome: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    timezone: str = "UTC"


def _filtered_referrals(filters: ReferralFilters):
    query = select(Referral).join(Screening, Referral.screening_pk == Screening.id)
    if filters.status:
        query = query.where(Referral.status == filters.status)
    if filters.outcome:
        query = query.where(Screening.outcome == filters.outcome)
    if filters.created_from:
        query = query.where(
            Referral.created_at >= _day_start(filters.created_from, filters.timezone)
        )
    if filters.created_to:
        query = query.where(
            Referral.created_at < _day_start(filters.created_to + timedelta(1), filters.timezone)
        )
    return query


def list_referrals(
    *, session: Session, filters: ReferralFilters | None = None, limit: int | None = None
) -> list[Referral]:
    """Referrals matching `filters`, newest first, with screening, verdicts and notes loaded."""
    query = (
        _filtered_referrals(filters or ReferralFilters())
        .options(
            selectinload(Referral.screening).selectinload(Screening.verdicts),
            selectinload(Referral.notes),
        )
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).all())


def count_referrals_by_status(
    *, session: Session, filters: ReferralFilters | None = None
) -> dict[str, int]:
    """How many referrals (matching `filters` except their status) are in each status."""
    base = filters or ReferralFilters()
    without_status = replace(base, status=None)
    subquery = _filtered_referrals(without_status).subquery()
    rows = session.execute(
        select(subquery.c.status, func.count()).group_by(subquery.c.status)
    ).all()
    counts = dict.fromkeys(STATUS_TRANSITIONS, 0)
    counts.update({status: number for status, number in rows})
    return counts


def get_referral(*, session: Session, referral_id: int) -> Referral | None:
    """One referral with its screening, verdicts and notes, or None."""
    return session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .options(
            selectinload(Referral.screening).selectinload(Screening.verdicts),
            selectinload(Referral.notes),
        )
    )


def get_referral_by_code(*, session: Session, reference_code: str) -> Referral | None:
    """The referral a patient quotes by its code (case and spaces forgiven), or None."""
    code = reference_code.strip().upper().replace(" ", "")
    if not code.startswith(REFERENCE_PREFIX):
        code = REFERENCE_PREFIX + code.removeprefix("HN")
    return session.scalar(select(Referral).where(Referral.reference_code == code))


def allowed_next_statuses(status: str) -> tuple[str, ...]:
    """Where a referral in `status` may go next (empty for a final status)."""
    return STATUS_TRANSITIONS[status]


def change_status(
    *, session: Session, referral_id: int, new_status: str, note: str, actor: str, at: datetime
) -> Referral:
    """Move a referral along the workflow, with a note, and audit it; refuse other moves."""
    referral = _require_referral(session, referral_id)
    if new_status not in STATUS_TRANSITIONS.get(referral.status, ()):
        raise InvalidStatusChange(f"a referral cannot go from {referral.status} to {new_status}")
    session.add(
        ReferralNote(
            referral_pk=referral.id,
            at=at,
            author=actor,
            text=note,
            status_from=referral.status,
            status_to=new_status,
        )
    )
    record_audit(
        session=session,
        actor=actor,
        action="status_changed",
        referral_id=referral.id,
        at=at,
        detail=f"{referral.status} -> {new_status}",
    )
    referral.status = new_status
    referral.status_changed_at = at
    session.flush()
    session.expire(referral, ["notes"])
    return referral


def add_note(
    *, session: Session, referral_id: int, text: str, actor: str, at: datetime
) -> ReferralNote:
    """A coordinator's timestamped note on a referral (audited, without its text)."""
    if not text.strip():
        raise ValueError("a note needs some text")
    referral = _require_referral(session, referral_id)
    note = ReferralNote(referral_pk=referral.id, at=at, author=actor, text=text)
    session.add(note)
    record_audit(session=session, actor=actor, action="note_added", referral_id=referral.id, at=at)
    session.flush()
    session.expire(referral, ["notes"])
    return note


def record_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    referral_id: int | None,
    at: datetime,
    detail: str = "",
    source_address: str | None = None,
) -> AuditEvent:
    """Append one event to the audit trail. `detail` must never hold patient data.

    `source_address` defaults to the one the dashboard put in `session.info["source_address"]`
    for this request's transaction, so events written inside repository functions (a status
    change, a note) carry it too; None for the chat and the command line.
    """
    if source_address is None:
        source_address = session.info.get("source_address")
    event = AuditEvent(
        actor=actor,
        action=action,
        referral_id=referral_id,
        at=at,
        detail=detail[:200],
        source_address=source_address[:64] if source_address else None,
    )
    session.add(event)
    session.flush()
    return event


def list_audit(
    *, session: Session, referral_id: int | None = None, limit: int = 200
) -> list[AuditEvent]:
    """The newest audit events first, optionally for one referral."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if referral_id is not None:
        query = query.where(AuditEvent.referral_id == referral_id)
    return list(session.scalars(query).all())
