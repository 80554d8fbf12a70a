"""What the store's modules share: the reference-code alphabet, the errors callers catch, and
the small lookups and helpers more than one module uses (a screening or referral by key, a
supported language, a site's day start, a screening's summary).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import LANGUAGES, named_language
from bot.store.models import Referral, Screening

# The codes a screening and a verdict take are not defined here: OUTCOMES, REFERABLE_OUTCOMES
# and VERDICT_STATUSES are the engine's (bot.eligibility), CRITERION_KINDS the trial's
# (bot.trial); the store checks what it is given against them (an assessment with "pending"
# criteria is stored as it is, every criterion kept for the coordinator).


# No 0/O, 1/I/L, U or 5/S look-alikes: a code read aloud on the phone cannot be misheard.
REFERENCE_ALPHABET = "2346789ABCDEFGHJKMNPQRTVWXYZ"
REFERENCE_LENGTH = 6
REFERENCE_PREFIX = "HN-"


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


def _day_start(day: date, zone: str = "UTC") -> datetime:
    """Midnight at the start of `day` in time zone `zone`, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


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
