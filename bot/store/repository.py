"""Every read and write of the referral store, as keyword-only, session-first functions.

The chat's actions and the coordinator dashboard call only these. Callers own the transaction
(`bot.store.db.session_scope`): a function here never commits, so a referral and everything it
carries is written together or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.i18n import LANGUAGES, named_language
from bot.store.models import (
    Answer,
    AuditEvent,
    Coordinator,
    DailyScreeningCount,
    DashboardSession,
    OtherStudiesContact,
    Referral,
    ReferralNote,
    Screening,
)

OUTCOMES = ("likely_eligible", "needs_review", "not_eligible_now", "not_eligible")
REFERABLE_OUTCOMES = ("likely_eligible", "needs_review")
# "pending": a criterion whose question was never asked (the screening ended early on a
# permanent not_met); kept so the coordinator sees every criterion.
VERDICTS = ("met", "not_met", "unknown", "not_met_until", "information", "pending")
CRITERION_KINDS = ("self_reported", "verified", "information")

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

# No 0/O, 1/I/L, U or 5/S look-alikes: a code read aloud on the phone cannot be misheard.
REFERENCE_ALPHABET = "2346789ABCDEFGHJKMNPQRTVWXYZ"
REFERENCE_LENGTH = 6
REFERENCE_PREFIX = "HN-"

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

_password_hasher = PasswordHasher()  # argon2-cffi's defaults are argon2id


class UnknownConversation(LookupError):
    """No consented screening exists for this conversation."""


class NotReferable(UnknownConversation):
    """This conversation has no likely-eligible or needs-review screening to refer.

    A kind of `UnknownConversation`, so a caller handling that also handles this.
    """


class InvalidStatusChange(ValueError):
    """The referral cannot move from its current status to the one asked for."""


class CoordinatorExists(ValueError):
    """A coordinator with this username already exists."""


def _language(language: str) -> str:
    """A supported language code ("en", "zh") from "en", "zh", "zh-CN"...; anything else fails."""
    code = named_language(language)
    if code not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r} (use one of {LANGUAGES})")
    return code


# --- the chat's side -------------------------------------------------------------------------


def note_conversation_started(*, session: Session, trial_id: str, on: date) -> None:
    """Count one more screening started on `on`; nothing identifies the conversation."""
    counter = session.get(DailyScreeningCount, (trial_id, on))
    if counter is None:
        session.add(DailyScreeningCount(trial_id=trial_id, day=on, started=1))
    else:
        counter.started = DailyScreeningCount.started + 1
    session.flush()


def record_consent(
    *,
    session: Session,
    conversation_id: str,
    trial_id: str,
    consented_at: datetime,
    language: str = "en",
) -> Screening:
    """Open this conversation's screening once the patient agreed to their answers being stored.

    `language` is the patient's language ("en" or "zh"; "zh-CN" is read as "zh"). Consenting
    again in the same conversation keeps the first screening and its consent time, and takes
    the language given (the patient may have switched).
    """
    language = _language(language)
    screening = _screening_for(session, conversation_id)
    if screening is None:
        screening = Screening(
            screening_id=secrets.token_hex(16),
            conversation_id=conversation_id,
            trial_id=trial_id,
            consented_at=consented_at,
            to_verify=[],
            language=language,
        )
        session.add(screening)
    else:
        screening.language = language
    session.flush()
    return screening


def save_assessment(
    *,
    session: Session,
    conversation_id: str,
    outcome: str,
    main_reason: str,
    recheck_date: date | None,
    to_verify: list[str],
    verdicts: list[dict],
    finished_at: datetime,
) -> Screening:
    """Store the outcome and one answer row per criterion; saving again replaces the answers."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    screening = _require_screening(session, conversation_id)
    screening.outcome = outcome
    screening.main_reason = main_reason
    screening.recheck_date = recheck_date
    screening.to_verify = list(to_verify)
    screening.finished_at = finished_at
    session.execute(delete(Answer).where(Answer.screening_pk == screening.id))
    session.expire(screening, ["answers"])
    for position, verdict in enumerate(verdicts):
        session.add(_answer_row(screening, position, verdict))
    session.flush()
    return screening


def _answer_row(screening: Screening, position: int, verdict: dict) -> Answer:
    if verdict["verdict"] not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict['verdict']!r} for {verdict['criterion']}")
    if verdict["kind"] not in CRITERION_KINDS:
        raise ValueError(f"unknown kind {verdict['kind']!r} for {verdict['criterion']}")
    until = verdict.get("until")
    return Answer(
        screening_pk=screening.id,
        position=position,
        criterion=verdict["criterion"],
        item=verdict["item"],
        kind=verdict["kind"],
        verdict=verdict["verdict"],
        reason=verdict.get("reason") or "",
        reason_i18n=verdict.get("reason_i18n"),
        words=verdict.get("words") or "",
        parsed=verdict.get("parsed"),
        until=date.fromisoformat(until) if isinstance(until, str) else until,
    )


def create_referral(
    *,
    session: Session,
    conversation_id: str,
    name: str,
    phone: str | None,
    email: str | None,
    preferred_time: str,
    share_consent_at: datetime,
    transcript: list[dict],
) -> Referral:
    """Hand the screening to the study team with the patient's contact details and transcript.

    Only a likely-eligible or needs-review screening may be referred (save the assessment
    first). A second call in the same conversation updates the contact details of the one
    referral, also when it runs at the same time as the first (a retried turn on another Rasa
    server): the database keeps one referral per screening, and the call that finds it taken
    updates that one.
    """
    if not (phone or email):
        raise ValueError("a referral needs a phone number or an e-mail address")
    if any(item["sender"] not in ("patient", "assistant") for item in transcript):
        raise ValueError("transcript senders are 'patient' or 'assistant'")
    screening = _require_screening(session, conversation_id)
    if screening.outcome not in REFERABLE_OUTCOMES:
        raise NotReferable(f"a {screening.outcome or 'unfinished'} screening cannot be referred")
    details = {
        "contact_name": name,
        "phone": phone,
        "email": email,
        "preferred_time": preferred_time,
        "share_consent_at": share_consent_at,
        "transcript": [
            {"sender": item["sender"], "text": item["text"], "at": item["at"]}
            | ({"button": True} if item.get("button") is True else {})
            for item in transcript
        ],
    }
    referral = screening.referral or _insert_referral(session, screening, details)
    for key, value in details.items():
        setattr(referral, key, value)
    session.flush()
    return referral


def _insert_referral(session: Session, screening: Screening, details: dict) -> Referral:
    """A new referral for `screening`, or the one a concurrent transaction has just inserted.

    The insert runs in a savepoint: when the unique screening key is already taken (the other
    transaction committed while this one waited on its row), only the savepoint is undone and
    the committed referral is read instead.
    """
    referral = Referral(
        screening_pk=screening.id,
        reference_code=_new_reference_code(session),
        created_at=details["share_consent_at"],
        status="new",
        status_changed_at=details["share_consent_at"],
        **details,
    )
    try:
        with session.begin_nested():
            session.add(referral)
    except IntegrityError:
        taken = session.scalar(select(Referral).where(Referral.screening_pk == screening.id))
        if taken is None:
            raise
        return taken
    return referral


def _new_reference_code(session: Session) -> str:
    while True:
        code = REFERENCE_PREFIX + "".join(
            secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
        )
        taken = session.scalar(select(Referral.id).where(Referral.reference_code == code))
        if taken is None:
            return code


def record_other_studies_contact(
    *,
    session: Session,
    conversation_id: str,
    email: str | None,
    phone: str | None,
    consent_at: datetime,
) -> None:
    """Keep a not-eligible patient's contact, with their consent, to tell them of other studies."""
    if not (phone or email):
        raise ValueError("an other-studies contact needs a phone number or an e-mail address")
    session.add(
        OtherStudiesContact(
            conversation_id=conversation_id, email=email, phone=phone, consent_at=consent_at
        )
    )
    session.flush()


def describe_conversation_data(*, session: Session, conversation_id: str) -> dict:
    """Everything stored about this conversation, in plain keys, for "what do you know about me"."""
    screening = _screening_for(session, conversation_id)
    contacts = session.scalars(
        select(OtherStudiesContact).where(OtherStudiesContact.conversation_id == conversation_id)
    ).all()
    return {
        "screening": None if screening is None else _screening_summary(screening),
        "answers": [] if screening is None else [answer_as_dict(a) for a in screening.answers],
        "referral": (
            None
            if screening is None or screening.referral is None
            else referral_contact_as_dict(screening.referral)
        ),
        "transcript": (
            []
            if screening is None or screening.referral is None
            else list(screening.referral.transcript)
        ),
        "other_studies_contacts": [
            {
                "email": contact.email,
                "phone": contact.phone,
                "consent_at": contact.consent_at.isoformat(),
            }
            for contact in contacts
        ],
    }


def delete_conversation_data(
    *, session: Session, conversation_id: str, at: datetime | None = None
) -> bool:
    """Delete this conversation's answers, contact details, transcript and referral.

    Returns whether anything was stored (`at` defaults to now). The audit trail records that a
    deletion happened and of which referral number, never what was deleted.
    """
    screening = _screening_for(session, conversation_id)
    contact_ids = session.scalars(
        select(OtherStudiesContact.id).where(OtherStudiesContact.conversation_id == conversation_id)
    ).all()
    if screening is None and not contact_ids:
        return False
    referral_id = screening.referral.id if screening and screening.referral else None
    if contact_ids:
        session.execute(delete(OtherStudiesContact).where(OtherStudiesContact.id.in_(contact_ids)))
    if screening is not None:
        session.delete(screening)
    record_audit(
        session=session,
        actor="patient",
        action="patient_data_deleted",
        referral_id=referral_id,
        at=at or datetime.now(timezone.utc),
    )
    session.flush()
    return True


# --- the dashboard's side --------------------------------------------------------------------


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


def _day_start(day: date, zone: str = "UTC") -> datetime:
    """Midnight at the start of `day` in time zone `zone`, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def list_referrals(
    *, session: Session, filters: ReferralFilters | None = None, limit: int | None = None
) -> list[Referral]:
    """Referrals matching `filters`, newest first, with screening, answers and notes loaded."""
    query = (
        _filtered_referrals(filters or ReferralFilters())
        .options(
            selectinload(Referral.screening).selectinload(Screening.answers),
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
    """One referral with its screening, answers and notes, or None."""
    return session.scalar(
        select(Referral)
        .where(Referral.id == referral_id)
        .options(
            selectinload(Referral.screening).selectinload(Screening.answers),
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
) -> AuditEvent:
    """Append one event to the audit trail. `detail` must never hold patient data."""
    event = AuditEvent(actor=actor, action=action, referral_id=referral_id, at=at, detail=detail)
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


def funnel_counts(
    *,
    session: Session,
    trial_id: str,
    since: date | None = None,
    until: date | None = None,
    zone: str = "UTC",
) -> dict[str, int]:
    """The recruitment funnel between two days (inclusive; days in time zone `zone`).

    `started` comes from the anonymous daily counter; the later steps count the screenings and
    referrals still stored (a patient's deletion takes theirs out). `contacted` counts referrals
    that ever reached "contacted", `enrolled` those enrolled now.
    """
    started_query = select(func.coalesce(func.sum(DailyScreeningCount.started), 0)).where(
        DailyScreeningCount.trial_id == trial_id
    )
    screening_query = select(Screening).where(Screening.trial_id == trial_id)
    if since:
        started_query = started_query.where(DailyScreeningCount.day >= since)
        screening_query = screening_query.where(Screening.consented_at >= _day_start(since, zone))
    if until:
        started_query = started_query.where(DailyScreeningCount.day <= until)
        screening_query = screening_query.where(
            Screening.consented_at < _day_start(until + timedelta(1), zone)
        )
    screenings = screening_query.subquery()
    outcomes = dict(
        session.execute(
            select(screenings.c.outcome, func.count())
            .where(screenings.c.outcome.is_not(None))
            .group_by(screenings.c.outcome)
        ).all()
    )
    referrals = select(Referral).join(screenings, Referral.screening_pk == screenings.c.id)
    counts = {
        "started": int(session.scalar(started_query) or 0),
        "consented": session.scalar(select(func.count()).select_from(screenings)) or 0,
        "finished": sum(outcomes.values()),
    }
    counts.update({outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES})
    referral_rows = referrals.subquery()
    counts["referred"] = session.scalar(select(func.count()).select_from(referral_rows)) or 0
    counts["contacted"] = (
        session.scalar(
            select(func.count(func.distinct(ReferralNote.referral_pk))).where(
                ReferralNote.referral_pk.in_(select(referral_rows.c.id)),
                ReferralNote.status_to == "contacted",
            )
        )
        or 0
    )
    counts["enrolled"] = (
        session.scalar(
            select(func.count())
            .select_from(referral_rows)
            .where(referral_rows.c.status == "enrolled")
        )
        or 0
    )
    return counts


def top_not_eligible_reasons(
    *, session: Session, trial_id: str, limit: int = 5
) -> list[tuple[str, int]]:
    """The commonest failing criteria (by protocol item) among not-eligible screenings."""
    return [
        (f"{criterion} ({item})", count)
        for criterion, item, count in top_not_eligible_criteria(
            session=session, trial_id=trial_id, limit=limit
        )
    ]


def top_not_eligible_criteria(
    *, session: Session, trial_id: str, limit: int = 5
) -> list[tuple[str, str, int]]:
    """(criterion id, protocol item, count) of the commonest failing criteria, commonest first."""
    rows = session.execute(
        select(Answer.criterion, Answer.item)
        .join(Screening, Answer.screening_pk == Screening.id)
        .where(
            Screening.trial_id == trial_id,
            Screening.outcome.in_(("not_eligible", "not_eligible_now")),
            Answer.verdict.in_(("not_met", "not_met_until")),
        )
    ).all()
    counts = Counter((criterion, item) for criterion, item in rows)
    return [(criterion, item, n) for (criterion, item), n in counts.most_common(limit)]


def create_coordinator(
    *, session: Session, username: str, password: str, at: datetime, language: str = "en"
) -> Coordinator:
    """A coordinator account, storing only the argon2id hash of its password."""
    language = _language(language)
    username = username.strip()
    if not username:
        raise ValueError("a username is needed")
    if len(password) < 12:
        raise ValueError("the password must be at least 12 characters")
    if session.scalar(select(Coordinator.id).where(Coordinator.username == username)):
        raise CoordinatorExists(username)
    coordinator = Coordinator(
        username=username,
        password_hash=_password_hasher.hash(password),
        created_at=at,
        failed_logins=0,
        language=language,
    )
    session.add(coordinator)
    session.flush()
    return coordinator


def verify_login(
    *, session: Session, username: str, password: str, at: datetime
) -> Coordinator | None:
    """The coordinator if the password is right and the account not locked, else None.

    After `MAX_FAILED_LOGINS` failures in a row the account is locked for `LOCKOUT`; during the
    lock even the right password fails, and the caller shows the same generic message.
    """
    coordinator = session.scalar(select(Coordinator).where(Coordinator.username == username))
    if coordinator is None:
        _password_hasher.hash(password)  # spend the same time as a real check: no user probing
        return None
    if coordinator.locked_until is not None and coordinator.locked_until > at:
        return None
    try:
        _password_hasher.verify(coordinator.password_hash, password)
    except (VerificationError, InvalidHashError):
        coordinator.failed_logins += 1
        if coordinator.failed_logins >= MAX_FAILED_LOGINS:
            coordinator.locked_until = at + LOCKOUT
            coordinator.failed_logins = 0
        session.flush()
        return None
    if _password_hasher.check_needs_rehash(coordinator.password_hash):
        coordinator.password_hash = _password_hasher.hash(password)
    coordinator.failed_logins = 0
    coordinator.locked_until = None
    coordinator.last_login_at = at
    session.flush()
    return coordinator


def set_coordinator_language(*, session: Session, username: str, language: str) -> Coordinator:
    """Save the dashboard language a coordinator chose ("en" or "zh")."""
    coordinator = session.scalar(select(Coordinator).where(Coordinator.username == username))
    if coordinator is None:
        raise LookupError(f"no coordinator {username!r}")
    coordinator.language = _language(language)
    session.flush()
    return coordinator


def open_dashboard_session(*, session: Session, coordinator: Coordinator, at: datetime) -> str:
    """Start a signed-in session; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            token_hash=_token_hash(token),
            coordinator_pk=coordinator.id,
            created_at=at,
            last_seen_at=at,
        )
    )
    session.flush()
    return token


def resume_dashboard_session(
    *, session: Session, token: str, at: datetime, idle_timeout: timedelta
) -> Coordinator | None:
    """The signed-in coordinator if the session exists and was used within `idle_timeout`.

    An idle session is deleted, so its cookie can never come back to life.
    """
    dashboard_session = session.get(DashboardSession, _token_hash(token))
    if dashboard_session is None:
        return None
    if at - dashboard_session.last_seen_at > idle_timeout:
        session.delete(dashboard_session)
        session.flush()
        return None
    dashboard_session.last_seen_at = at
    session.flush()
    return dashboard_session.coordinator


def close_dashboard_session(*, session: Session, token: str) -> None:
    """End a signed-in session (logout)."""
    session.execute(
        delete(DashboardSession).where(DashboardSession.token_hash == _token_hash(token))
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- plain views of rows, for JSON and the patient's "what do you know about me" -------------


def answer_as_dict(answer: Answer) -> dict:
    """An answer row in the same keys `save_assessment` takes."""
    return {
        "criterion": answer.criterion,
        "item": answer.item,
        "kind": answer.kind,
        "verdict": answer.verdict,
        "reason": answer.reason,
        "reason_i18n": answer.reason_i18n,
        "words": answer.words,
        "parsed": answer.parsed,
        "until": answer.until.isoformat() if answer.until else None,
    }


def referral_contact_as_dict(referral: Referral) -> dict:
    """A referral's contact details, consent and status (no transcript, no notes)."""
    return {
        "reference_code": referral.reference_code,
        "name": referral.contact_name,
        "phone": referral.phone,
        "email": referral.email,
        "preferred_time": referral.preferred_time,
        "share_consent_at": referral.share_consent_at.isoformat(),
        "created_at": referral.created_at.isoformat(),
        "status": referral.status,
    }


def referral_as_dict(referral: Referral, *, with_transcript: bool = False) -> dict:
    """A referral for scripts and the JSON API: contact, screening, answers, notes."""
    screening = referral.screening
    result = {
        "id": referral.id,
        **referral_contact_as_dict(referral),
        "status_changed_at": referral.status_changed_at.isoformat(),
        "screening": _screening_summary(screening),
        "answers": [answer_as_dict(answer) for answer in screening.answers],
        "notes": [
            {
                "at": note.at.isoformat(),
                "author": note.author,
                "text": note.text,
                "status_from": note.status_from,
                "status_to": note.status_to,
            }
            for note in referral.notes
        ],
    }
    if with_transcript:
        result["transcript"] = list(referral.transcript)
    return result


def _screening_summary(screening: Screening) -> dict:
    return {
        "screening_id": screening.screening_id,
        "trial_id": screening.trial_id,
        "consented_at": screening.consented_at.isoformat(),
        "finished_at": screening.finished_at.isoformat() if screening.finished_at else None,
        "outcome": screening.outcome,
        "main_reason": screening.main_reason,
        "recheck_date": screening.recheck_date.isoformat() if screening.recheck_date else None,
        "to_verify": list(screening.to_verify or []),
        "language": screening.language,
    }


def _screening_for(session: Session, conversation_id: str) -> Screening | None:
    return session.scalar(select(Screening).where(Screening.conversation_id == conversation_id))


def _require_screening(session: Session, conversation_id: str) -> Screening:
    screening = _screening_for(session, conversation_id)
    if screening is None:
        raise UnknownConversation("no consented screening for this conversation")
    return screening


def _require_referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise LookupError(f"no referral {referral_id}")
    return referral
