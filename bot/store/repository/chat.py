"""The chat's writes: the anonymous count of screenings started, consent, the assessment and its
verdicts, the referral (with its reference code) and the other-studies contact, and a patient's
"what do you know about me" and "delete my data"; also the retention purge (`python -m bot
purge`, bot/retention.py) and erasure by reference code (bot/access.py, the dashboard's page).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.eligibility import (
    OUTCOMES,
    REFERABLE_OUTCOMES,
    VERDICT_RECORD_FIELDS,
    VERDICT_STATUSES,
    VerdictRecord,
)
from bot.store.models import (
    CriterionVerdict,
    DailyScreeningCount,
    OtherStudiesContact,
    Referral,
    Screening,
)
from bot.store.repository.common import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    REFERENCE_PREFIX,
    NotReferable,
    _language,
    _require_referral,
    _require_screening,
    _screening_for,
    _screening_summary,
)
from bot.store.repository.views import referral_contact_as_dict, verdict_as_dict
from bot.store.repository.workflow import get_referral_by_code, record_audit
from bot.trial import CRITERION_KINDS


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
    verdicts: list[VerdictRecord],
    finished_at: datetime,
) -> Screening:
    """Store the outcome and one verdict row per criterion (`Verdict.to_dict()` records);
    saving again replaces the verdicts."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    screening = _require_screening(session, conversation_id)
    screening.outcome = outcome
    screening.main_reason = main_reason
    screening.recheck_date = recheck_date
    screening.to_verify = list(to_verify)
    screening.finished_at = finished_at
    session.execute(delete(CriterionVerdict).where(CriterionVerdict.screening_pk == screening.id))
    session.expire(screening, ["verdicts"])
    for position, record in enumerate(verdicts):
        session.add(_verdict_row(screening, position, record))
    session.flush()
    return screening


def _verdict_row(screening: Screening, position: int, record: VerdictRecord) -> CriterionVerdict:
    if record["verdict"] not in VERDICT_STATUSES:
        raise ValueError(f"unknown verdict {record['verdict']!r} for {record['criterion']}")
    if record["kind"] not in CRITERION_KINDS:
        raise ValueError(f"unknown kind {record['kind']!r} for {record['criterion']}")
    columns = {field: record.get(field) for field in VERDICT_RECORD_FIELDS}
    until = columns["until"]
    columns.update(
        criterion=record["criterion"],
        item=record["item"],
        reason=columns["reason"] or "",
        words=columns["words"] or "",
        until=date.fromisoformat(until) if isinstance(until, str) else until,
    )
    return CriterionVerdict(screening_pk=screening.id, position=position, **columns)


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
        "answers": [] if screening is None else [verdict_as_dict(v) for v in screening.verdicts],
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
