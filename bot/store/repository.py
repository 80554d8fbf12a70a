"""Every read and write of the referral store, as keyword-only, session-first functions.

The chat's actions and the coordinator dashboard call only these. Callers own the transaction
(`bot.store.db.session_scope`): a function here never commits, so a referral and everything it
carries is written together or not at all.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.i18n import LANGUAGES, named_language
from bot.store.models import (
    Answer,
    AuditEvent,
    Coordinator,
    DailyScreeningCount,
    DashboardSession,
    LoginThrottle,
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


# --- retention and erasure by reference code (bot/retention.py runs the purge) ----------------


def conversation_outcomes(
    *, session: Session, conversation_ids: list[str]
) -> dict[str, str | None]:
    """The screening outcome of each of these conversations that consented (None: unfinished)."""
    outcomes: dict[str, str | None] = {}
    for start in range(0, len(conversation_ids), 500):
        batch = conversation_ids[start : start + 500]
        outcomes.update(
            session.execute(
                select(Screening.conversation_id, Screening.outcome).where(
                    Screening.conversation_id.in_(batch)
                )
            ).all()
        )
    return outcomes


@dataclass(frozen=True)
class ExpiredRows:
    """What `purge_expired` deleted (or would delete): numbers, referral numbers and the
    conversations whose chat goes with them; never their data."""

    unfinished_screenings: int
    unreferred_screenings: int
    news_contacts: int
    referral_ids: tuple[int, ...]
    conversation_ids: tuple[str, ...]


def purge_expired(
    *,
    session: Session,
    abandoned_before: datetime,
    finished_before: datetime,
    referrals_due: bool,
    still_talking: set[str],
    at: datetime,
    dry_run: bool = False,
) -> ExpiredRows:
    """Delete the rows whose retention period ended: screenings never finished (consented
    before `abandoned_before`, unless the chat is `still_talking`), finished screenings without
    referral (finished before `finished_before`) and, once `referrals_due` (the period after
    the study closed ended), every referral and news-of-other-studies contact. Each purged
    referral is audited by its number."""
    unfinished = [
        screening
        for screening in session.scalars(
            select(Screening).where(
                Screening.outcome.is_(None), Screening.consented_at < abandoned_before
            )
        )
        if screening.conversation_id not in still_talking
    ]
    unreferred = list(
        session.scalars(
            select(Screening).where(
                Screening.outcome.is_not(None),
                Screening.finished_at < finished_before,
                ~Screening.referral.has(),
            )
        )
    )
    referred = list(session.scalars(select(Screening).where(Screening.referral.has())))
    news = list(session.scalars(select(OtherStudiesContact)))
    if not referrals_due:
        referred, news = [], []
    referral_ids = tuple(sorted(screening.referral.id for screening in referred))
    result = ExpiredRows(
        unfinished_screenings=len(unfinished),
        unreferred_screenings=len(unreferred),
        news_contacts=len(news),
        referral_ids=referral_ids,
        conversation_ids=tuple(s.conversation_id for s in [*unfinished, *unreferred, *referred]),
    )
    if dry_run:
        return result
    for row in [*unfinished, *unreferred, *referred, *news]:
        session.delete(row)
    for referral_id in referral_ids:
        record_audit(
            session=session,
            actor="retention",
            action="referral_purged",
            referral_id=referral_id,
            at=at,
            detail="retention period ended",
        )
    session.flush()
    return result


def find_own_referral(
    *, session: Session, reference_code: str, phone: str | None, email: str | None
) -> Referral | None:
    """The referral with this code whose stored phone (E.164) or e-mail (any case) is the one
    given, else None, the same for an unknown code and a wrong contact: a six-letter code can
    be guessed or overheard, the contact given with it proves more."""
    referral = get_referral_by_code(session=session, reference_code=reference_code)
    if referral is None or not (phone or email):
        return None
    if phone and referral.phone and hmac.compare_digest(phone, referral.phone):
        return referral
    if email and referral.email and email.casefold() == referral.email.casefold():
        return referral
    return None


def erase_referral(
    *, session: Session, referral_id: int, actor: str, at: datetime, action: str
) -> str:
    """Delete a referral and everything of its conversation (screening, answers, notes,
    transcript, news contacts); returns the conversation id, for its chat to be erased too.
    The audit trail keeps the referral number, the actor and `action`, nothing deleted."""
    referral = _require_referral(session, referral_id)
    conversation_id = referral.screening.conversation_id
    session.execute(
        delete(OtherStudiesContact).where(OtherStudiesContact.conversation_id == conversation_id)
    )
    session.delete(referral.screening)
    record_audit(session=session, actor=actor, action=action, referral_id=referral_id, at=at)
    session.flush()
    return conversation_id


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


# --- coordinator accounts, sign-in and sessions ------------------------------------------------
#
# Sign-in throttling (ASVS 2.2.1), instead of a hard lockout anyone could trigger:
#
# Every failed sign-in counts against keys in `login_throttle`. Each key has some free tries;
# the last of those and every further failure block the key for a doubling delay (30 s, 1 min,
# 2 min, ...) up to a cap, and a key forgets its failures a day after the last one.
#
# - "addr:" the source address (10 free tries, capped at 1 hour): one address cannot guess
#   passwords for many accounts (password spraying).
# - "acct:" the typed account name, whether or not the account exists (5 free tries, capped at
#   15 minutes): many addresses cannot guess one account's password quickly. Unknown names are
#   throttled exactly like real ones, so throttling does not reveal which accounts exist.
# - "device:" a trusted-device cookie (5 free tries): the browser a coordinator last signed in
#   with successfully carries a signed cookie naming their account (bot.dashboard.security).
#   An attempt for that account from that browser counts only against its own device key and
#   ignores the "addr:" and "acct:" keys. So an attacker elsewhere, who has no such cookie, can
#   slow sign-ins to an account from unknown browsers but can never lock its coordinator out of
#   their usual browser. Past its free tries a device cookie stops counting as trusted, and the
#   attempt falls back to the address and account keys.
#
# While a key is blocked even the right password and code fail, with the same work (one argon2
# verification, one TOTP check) and the same generic message as any other failure.
# `python -m bot unlock-coordinator NAME` clears an account's key.

THROTTLE_FREE_TRIES = {"addr": 10, "acct": 5, "device": 5}
THROTTLE_CAP = {"addr": timedelta(hours=1), "acct": timedelta(minutes=15)}
THROTTLE_FIRST_DELAY = timedelta(seconds=30)
THROTTLE_FORGET = timedelta(days=1)
UNKNOWN_ACCOUNT = "(unknown)"  # the audit actor of a failed sign-in that names no account
TOTP_ISSUER = "HN2301 dashboard"
TOTP_STEP_SECONDS = 30
TOTP_VALID_STEPS = (-1, 0, 1)  # a code from the previous or next 30 s also counts (clock drift)
ABSOLUTE_SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt came to.

    `coordinator` is None on any failure (the caller shows one generic message); `actor` is
    what the audit trail may record: the username if it names an account, else
    `UNKNOWN_ACCOUNT`, never a raw typed name (which could be a password typed in the wrong box).
    """

    coordinator: Coordinator | None
    actor: str


@functools.cache
def _dummy_password_hash() -> str:
    """An argon2id hash of a random password: verified when no real hash applies, so an
    unknown, disabled or throttled account costs the same time as a wrong password."""
    return _password_hasher.hash(secrets.token_urlsafe(24))


_DUMMY_TOTP_SECRET = pyotp.random_base32()


def new_totp_secret() -> str:
    """A fresh random TOTP seed (base32, 160 bits)."""
    return pyotp.random_base32(length=32)


def totp_uri(coordinator: Coordinator) -> str:
    """The otpauth:// URI an authenticator app enrols from (it holds the secret: show it once)."""
    return pyotp.TOTP(coordinator.totp_secret).provisioning_uri(
        name=coordinator.username, issuer_name=TOTP_ISSUER
    )


def totp_code(secret: str, at: datetime) -> str:
    """The 6-digit code for `secret` at `at` (for scripts and tests that sign in)."""
    return pyotp.TOTP(secret).at(at)


def create_coordinator(
    *,
    session: Session,
    username: str,
    password: str,
    at: datetime,
    language: str = "en",
    totp_secret: str | None = None,
) -> Coordinator:
    """A coordinator account: the argon2id hash of its password and a new TOTP secret.

    The caller shows the secret once (`totp_uri`) so the coordinator can enrol their app.
    """
    language = _language(language)
    username = username.strip()
    if not username:
        raise ValueError("a username is needed")
    if len(username) > 80:
        raise ValueError("a username has at most 80 characters")
    _check_password(password)
    if session.scalar(select(Coordinator.id).where(Coordinator.username == username)):
        raise CoordinatorExists(username)
    coordinator = Coordinator(
        username=username,
        password_hash=_password_hasher.hash(password),
        created_at=at,
        language=language,
        totp_secret=totp_secret or new_totp_secret(),
    )
    session.add(coordinator)
    session.flush()
    return coordinator


def _check_password(password: str) -> None:
    if len(password) < 12:
        raise ValueError("the password must be at least 12 characters")
    if len(password) > 1024:
        raise ValueError("the password must be at most 1024 characters")


def verify_login(
    *,
    session: Session,
    username: str,
    password: str,
    at: datetime,
    totp: str = "",
    source_address: str = "",
    trusted_device: tuple[int, str] | None = None,
) -> LoginResult:
    """Check a sign-in: password, TOTP code, throttling, disabled and unenrolled accounts.

    `trusted_device` is (coordinator id, device id) from a signature-checked device cookie.
    Every path does the same work: one argon2 verification (against a dummy hash when the
    account is unknown), one TOTP check, the same throttle reads and writes.
    """
    username = username.strip()[:80]
    coordinator = session.scalar(select(Coordinator).where(Coordinator.username == username))
    device_key = None
    if trusted_device is not None and coordinator is not None:
        device_pk, device_id = trusted_device
        if device_pk == coordinator.id:
            device_key = _throttle_key("device", device_id)
    device_row = session.get(LoginThrottle, device_key) if device_key else None
    device_trusted = device_key is not None and (
        device_row is None
        or device_row.failures < THROTTLE_FREE_TRIES["device"]
        or at - device_row.last_failure_at > THROTTLE_FORGET
    )
    if device_trusted:
        keys = [device_key]
    else:
        keys = [_throttle_key("addr", source_address), _throttle_key("acct", username)]
    rows = [session.get(LoginThrottle, key) for key in keys]
    blocked = any(
        row is not None and row.blocked_until is not None and row.blocked_until > at for row in rows
    )

    password_hash = coordinator.password_hash if coordinator else _dummy_password_hash()
    try:
        password_ok = _password_hasher.verify(password_hash, password[:1024])
    except (VerificationError, InvalidHashError):
        password_ok = False
    enrolled = coordinator is not None and bool(coordinator.totp_secret)
    step = _totp_step(
        coordinator.totp_secret if enrolled else _DUMMY_TOTP_SECRET,
        totp,
        at,
        after=coordinator.totp_last_step if enrolled else None,
    )
    accepted = (
        password_ok
        and enrolled
        and step is not None
        and coordinator.disabled_at is None
        and not blocked
    )
    actor = coordinator.username if coordinator is not None else UNKNOWN_ACCOUNT
    if not accepted:
        for key, row in zip(keys, rows, strict=True):
            _count_failure(session, key, row, at)
        _forget_old_failures(session, at)
        session.flush()
        return LoginResult(coordinator=None, actor=actor)
    if _password_hasher.check_needs_rehash(coordinator.password_hash):
        coordinator.password_hash = _password_hasher.hash(password)
    coordinator.totp_last_step = step
    coordinator.last_login_at = at
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.key.in_([_throttle_key("acct", username), device_key or ""])
        )
    )
    session.flush()
    return LoginResult(coordinator=coordinator, actor=actor)


def _totp_step(secret: str, code: str, at: datetime, *, after: int | None) -> int | None:
    """The time step `code` belongs to (now or one step either side), if it is later than
    `after` (the last one accepted: ASVS 2.8.4, no code works twice); else None."""
    code = (code or "").strip().replace(" ", "")
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = int(at.timestamp()) // TOTP_STEP_SECONDS
    found = None
    for offset in TOTP_VALID_STEPS:  # every step is checked: the same work whichever matches
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step).encode(), code[:16].encode()):
            found = step
    if found is None or (after is not None and found <= after):
        return None
    return found


def _throttle_key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"


def _count_failure(session: Session, key: str, row: LoginThrottle | None, at: datetime) -> None:
    """One more failure for `key`, counted in the database (concurrent sign-ins on other
    servers lose no count), and the key's block if it is past its free tries."""
    if row is None:
        row = _new_throttle_row(session, key, at)
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=case(
                (LoginThrottle.last_failure_at < at - THROTTLE_FORGET, 1),
                else_=LoginThrottle.failures + 1,
            ),
            last_failure_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    kind = key.split(":", 1)[0]
    excess = row.failures - THROTTLE_FREE_TRIES[kind]  # 0 at the last free failure
    if excess >= 0 and kind in THROTTLE_CAP:
        delay = min(THROTTLE_FIRST_DELAY * 2 ** min(excess, 20), THROTTLE_CAP[kind])
        row.blocked_until = at + delay


def _new_throttle_row(session: Session, key: str, at: datetime) -> LoginThrottle:
    """A new key's row; if a concurrent sign-in just added it, that one (no error page)."""
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0, last_failure_at=at)
            session.add(row)
        return row
    except IntegrityError:
        return session.get(LoginThrottle, key, populate_existing=True)


def _forget_old_failures(session: Session, at: datetime) -> None:
    """Drop keys without a failure for a day, so typed names cannot fill the table."""
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < at - THROTTLE_FORGET)
    )


def throttled_until(
    *, session: Session, username: str, source_address: str | None = None
) -> datetime | None:
    """Until when sign-ins for `username` (and from `source_address`) are blocked, if they are."""
    keys = [_throttle_key("acct", username.strip())]
    if source_address is not None:
        keys.append(_throttle_key("addr", source_address))
    times = session.scalars(
        select(LoginThrottle.blocked_until).where(LoginThrottle.key.in_(keys))
    ).all()
    found = [time for time in times if time is not None]
    return max(found) if found else None


def _require_coordinator(session: Session, username: str) -> Coordinator:
    coordinator = session.scalar(select(Coordinator).where(Coordinator.username == username))
    if coordinator is None:
        raise LookupError(f"no coordinator {username!r}")
    return coordinator


def disable_coordinator(*, session: Session, username: str, at: datetime) -> Coordinator:
    """Stop an account: it cannot sign in, and its open sessions end now."""
    coordinator = _require_coordinator(session, username)
    coordinator.disabled_at = coordinator.disabled_at or at
    end_coordinator_sessions(session=session, coordinator=coordinator)
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_disabled", referral_id=None,
        at=at, detail=f"account {coordinator.id}",
    )  # fmt: skip
    return coordinator


def enable_coordinator(*, session: Session, username: str, at: datetime) -> Coordinator:
    """Let a disabled account sign in again."""
    coordinator = _require_coordinator(session, username)
    coordinator.disabled_at = None
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_enabled", referral_id=None,
        at=at, detail=f"account {coordinator.id}",
    )  # fmt: skip
    session.flush()
    return coordinator


def unlock_coordinator(*, session: Session, username: str, at: datetime) -> Coordinator:
    """Clear the account's sign-in throttle (the addresses' throttles stay)."""
    coordinator = _require_coordinator(session, username)
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.key == _throttle_key("acct", username))
    )
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_unlocked", referral_id=None,
        at=at, detail=f"account {coordinator.id}",
    )  # fmt: skip
    session.flush()
    return coordinator


def reset_coordinator(
    *,
    session: Session,
    username: str,
    at: datetime,
    password: str | None = None,
    new_totp: bool = False,
) -> Coordinator:
    """A new password and/or a new TOTP secret (enrolment); either ends the open sessions.

    With `new_totp` the caller shows the new secret once (`totp_uri`); the old one stops working.
    """
    if password is None and not new_totp:
        raise ValueError("reset the password, the TOTP secret or both")
    coordinator = _require_coordinator(session, username)
    changed = []
    if password is not None:
        _check_password(password)
        coordinator.password_hash = _password_hasher.hash(password)
        changed.append("password")
    if new_totp:
        coordinator.totp_secret = new_totp_secret()
        coordinator.totp_last_step = None
        changed.append("totp")
    end_coordinator_sessions(session=session, coordinator=coordinator)
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_reset", referral_id=None,
        at=at, detail=f"account {coordinator.id}: {' and '.join(changed)}",
    )  # fmt: skip
    return coordinator


def end_coordinator_sessions(*, session: Session, coordinator: Coordinator) -> None:
    """End every open dashboard session of this coordinator."""
    session.execute(
        delete(DashboardSession).where(DashboardSession.coordinator_pk == coordinator.id)
    )
    session.flush()


def list_coordinators(*, session: Session) -> list[Coordinator]:
    """Every account, by username (for `python -m bot coordinators`)."""
    return list(session.scalars(select(Coordinator).order_by(Coordinator.username)).all())


COMMAND_LINE = "(command line)"  # the audit actor of an administrator's `python -m bot` command


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
    *,
    session: Session,
    token: str,
    at: datetime,
    idle_timeout: timedelta,
    absolute_timeout: timedelta = ABSOLUTE_SESSION_LIFETIME,
) -> Coordinator | None:
    """The signed-in coordinator if the session exists, was used within `idle_timeout`, is
    younger than `absolute_timeout` (ASVS 3.3.2: 12 hours, however active) and the account is
    not disabled.

    An ended session is deleted, so its cookie can never come back to life.
    """
    dashboard_session = session.get(DashboardSession, _token_hash(token))
    if dashboard_session is None:
        return None
    if (
        at - dashboard_session.last_seen_at > idle_timeout
        or at - dashboard_session.created_at > absolute_timeout
        or dashboard_session.coordinator.disabled_at is not None
    ):
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
