"""One referral as a FHIR QuestionnaireResponse, built and validated with fhir.resources.

fhir.resources 6.5.0 (the last line on pydantic 1, which Rasa pins) models FHIR R4B (4.3.0). R4B
left QuestionnaireResponse structurally identical to R4 (4.0.1): the same elements, cardinalities
and invariants, so the JSON produced here is a valid R4 QuestionnaireResponse too.

Layout: one group item per criterion (protocol item, the patient's words, verdict, reason, until
date), then the outcome, the coordinator's to-verify list and the consented contact details.
`language` is the patient's language as a BCP 47 code ("en", "zh-CN"); the patient's words
stay in it, while the item texts are the English of the data dictionary. FHIR strings may not
be empty, so an empty value is left out rather than sent blank.
"""

from __future__ import annotations

from datetime import date, datetime

from fhir.resources.questionnaireresponse import QuestionnaireResponse

from bot.i18n import BCP47
from bot.store.models import Referral

CODE_SYSTEM = "urn:hn2301:prescreen"
REFERENCE_CODE_SYSTEM = "urn:hn2301:referral-reference-code"


def questionnaire_response(referral: Referral) -> QuestionnaireResponse:
    """The referral's screening as a validated QuestionnaireResponse."""
    screening = referral.screening
    items = [_criterion_group(verdict) for verdict in screening.verdicts]
    items.append(
        _item(
            "outcome",
            "Pre-screen outcome",
            [{"valueCoding": {"system": f"{CODE_SYSTEM}:outcome", "code": screening.outcome}}]
            if screening.outcome
            else [],
        )
    )
    if screening.main_reason:
        items.append(_item("main_reason", "Main reason", _strings([screening.main_reason])))
    if screening.recheck_date:
        items.append(_item("recheck_date", "Re-check from", [_date(screening.recheck_date)]))
    items.append(_item("to_verify", "To verify at screening", _strings(screening.to_verify or [])))
    items.append(_contact_group(referral))
    resource = {
        "resourceType": "QuestionnaireResponse",
        # The patient's language (BCP 47); their words below are as they wrote them in it.
        "language": BCP47.get(screening.language, screening.language),
        "identifier": {"system": REFERENCE_CODE_SYSTEM, "value": referral.reference_code},
        "status": "completed" if screening.finished_at else "in-progress",
        "authored": (screening.finished_at or referral.created_at).isoformat(),
        "item": [item for item in items if item.get("answer") or item.get("item")],
    }
    return QuestionnaireResponse.parse_obj(resource)


def _criterion_group(verdict) -> dict:
    children = [
        _item(f"{verdict.criterion}.item", "Protocol item", _strings([verdict.item])),
        _item(f"{verdict.criterion}.words", "Patient's words", _strings([verdict.words])),
        _item(
            f"{verdict.criterion}.verdict",
            "Verdict",
            [{"valueCoding": {"system": f"{CODE_SYSTEM}:verdict", "code": verdict.verdict}}],
        ),
        _item(f"{verdict.criterion}.kind", "Kind", _strings([verdict.kind])),
        _item(f"{verdict.criterion}.reason", "Reason", _strings([verdict.reason])),
        _item(
            f"{verdict.criterion}.until",
            "Fails until",
            [_date(verdict.until)] if verdict.until else [],
        ),
    ]
    return {
        "linkId": verdict.criterion,
        "text": f"{verdict.criterion} ({verdict.item})",
        "item": [child for child in children if child.get("answer")],
    }


def _contact_group(referral: Referral) -> dict:
    children = [
        _item("contact.name", "Name", _strings([referral.contact_name])),
        _item("contact.phone", "Phone", _strings([referral.phone])),
        _item("contact.email", "E-mail", _strings([referral.email])),
        _item(
            "contact.preferred_time", "Preferred contact time", _strings([referral.preferred_time])
        ),
        _item(
            "contact.share_consent_at",
            "Consented to sharing with the study team at",
            [_date_time(referral.share_consent_at)],
        ),
    ]
    return {
        "linkId": "contact",
        "text": "Contact (shared with consent)",
        "item": [child for child in children if child.get("answer")],
    }


def _item(link_id: str, text: str, answers: list[dict]) -> dict:
    item: dict = {"linkId": link_id, "text": text}
    if answers:
        item["answer"] = answers
    return item


def _strings(values: list[str | None]) -> list[dict]:
    return [{"valueString": value} for value in values if value and value.strip()]


def _date(value: date) -> dict:
    return {"valueDate": value.isoformat()}


def _date_time(value: datetime) -> dict:
    return {"valueDateTime": value.isoformat()}
