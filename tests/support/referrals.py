"""Screenings put in the store the way the actions leave them: consented, assessed, referred.

Each helper takes a session and writes one step through the repository; a test passes only the
fields it is about (the outcome, the patient's words, a contact detail) and the rest are a
plain likely-eligible patient's. `make_referral` is the dashboard tests' sample referral.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.store import repository
from bot.store.models import Referral, Screening

TRIAL_ID = "hn2301"
PHONE = "+8613800138000"
# When the dashboard tests' sample referral was made (tests/bot/dashboard/dashboard_helpers.py).
SAMPLE_AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def age_met(words: str, **fields: object) -> dict:
    """The age criterion met, in the patient's words; `fields` add a reason, a parsed value..."""
    return {
        "criterion": "age",
        "item": "I1",
        "kind": "self_reported",
        "verdict": "met",
        "words": words,
        **fields,
    }


def consent(
    session: Session, conversation_id: str = "conv-1", *, at: datetime, language: str = "en"
) -> Screening:
    return repository.record_consent(
        session=session,
        conversation_id=conversation_id,
        trial_id=TRIAL_ID,
        consented_at=at,
        language=language,
    )


def assess(
    session: Session,
    conversation_id: str = "conv-1",
    *,
    at: datetime,
    outcome: str = "likely_eligible",
    main_reason: str = "",
    recheck_date: date | None = None,
    to_verify: Sequence[str] = (),
    verdicts: Sequence[dict] = (),
) -> Screening:
    return repository.save_assessment(
        session=session,
        conversation_id=conversation_id,
        outcome=outcome,
        main_reason=main_reason,
        recheck_date=recheck_date,
        to_verify=list(to_verify),
        verdicts=list(verdicts),
        finished_at=at,
    )


def refer(
    session: Session,
    conversation_id: str = "conv-1",
    *,
    at: datetime,
    name: str = "Li Na",
    phone: str | None = PHONE,
    email: str | None = None,
    preferred_time: str = "mornings",
    transcript: Sequence[dict] = (),
) -> Referral:
    return repository.create_referral(
        session=session,
        conversation_id=conversation_id,
        name=name,
        phone=phone,
        email=email,
        preferred_time=preferred_time,
        share_consent_at=at,
        transcript=list(transcript),
    )


def screened(
    session: Session,
    conversation_id: str = "conv-1",
    *,
    at: datetime,
    language: str = "en",
    **assessment: object,
) -> Screening:
    """A consented, finished screening; `assessment` as for `assess` (outcome, verdicts...)."""
    consent(session, conversation_id, at=at, language=language)
    return assess(session, conversation_id, at=at, **assessment)


def referred(
    session: Session,
    conversation_id: str = "conv-1",
    *,
    at: datetime,
    outcome: str = "likely_eligible",
    verdicts: Sequence[dict] = (),
    **contact: object,
) -> Referral:
    """A consented, assessed, referred screening; `contact` as for `refer` (name, phone...)."""
    screened(session, conversation_id, at=at, outcome=outcome, verdicts=verdicts)
    return refer(session, conversation_id, at=at, **contact)


def make_referral(
    store: Callable[[], AbstractContextManager[Session]],
    conversation_id: str = "conv-1",
    **overrides: object,
) -> int:
    """The dashboard's sample referral, made in `store()`'s session; `overrides` replace
    patient-typed fields. Returns the referral's id."""
    fields = {
        "name": "Li Wei",
        "phone": PHONE,
        "email": "li@example.org",
        "preferred_time": "mornings",
        "words": "I'm 34",
        "reason": "34 years old",
        "main_reason": "",
        "transcript_text": "I'm 34",
        "assistant_text": "How old are you?",
        "outcome": "likely_eligible",
        "to_verify": ["Screening labs: ANA, anti-dsDNA, complement (C3/C4)", "E9"],
        "language": "en",
        "verdicts": None,  # None: the two sample verdicts below
        **overrides,
    }
    sample_verdicts = [
        age_met(fields["words"], reason=fields["reason"], parsed={"years": 34}, until=None),
        {
            "criterion": "lab_markers",
            "item": "I5",
            "kind": "verified",
            "verdict": "unknown",
            "reason": "not sure",
            "words": "no idea",
            "parsed": None,
            "until": None,
        },
    ]
    with store() as session:
        consent(session, conversation_id, at=SAMPLE_AT, language=fields["language"])
        assess(
            session,
            conversation_id,
            at=SAMPLE_AT + timedelta(minutes=5),
            outcome=fields["outcome"],
            main_reason=fields["main_reason"],
            to_verify=fields["to_verify"],
            verdicts=fields["verdicts"] or sample_verdicts,
        )
        referral = refer(
            session,
            conversation_id,
            at=SAMPLE_AT + timedelta(minutes=6),
            name=fields["name"],
            phone=fields["phone"],
            email=fields["email"],
            preferred_time=fields["preferred_time"],
            transcript=[
                {
                    "sender": "assistant",
                    "text": fields["assistant_text"],
                    "at": "2026-03-02T09:01:00Z",
                },
                {
                    "sender": "patient",
                    "text": fields["transcript_text"],
                    "at": "2026-03-02T09:01:09Z",
                },
            ],
        )
        return referral.id
