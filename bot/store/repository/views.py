"""Plain views of stored rows, for JSON (the API, `python -m bot referrals --json`) and the
patient's "what do you know about me": a criterion's verdict, a referral's contact details, a
whole referral.
"""

from __future__ import annotations

from bot.eligibility import VERDICT_RECORD_FIELDS, VerdictRecord
from bot.store.models import CriterionVerdict, Referral
from bot.store.repository.common import _screening_summary


def verdict_as_dict(row: CriterionVerdict) -> VerdictRecord:
    """A stored verdict as the record `save_assessment` takes (one column per field)."""
    record = {field: getattr(row, field) for field in VERDICT_RECORD_FIELDS}
    record["until"] = row.until.isoformat() if row.until else None
    return VerdictRecord(**record)


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
        "answers": [verdict_as_dict(verdict) for verdict in screening.verdicts],
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
