"""Exports: the (filtered) queue as CSV, one referral as a FHIR QuestionnaireResponse.

Both are audit events. The CSV keeps stored values as they are (codes, the English reasons) and
the patient's words in the language they wrote, named in its `language` column ("en", "zh").
CSV cells that a spreadsheet would run as a formula are prefixed with a quote, so a patient's
words can never execute: cells starting, after any spaces, with = + - @ (also their full-width
and small forms ＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫, which some spreadsheets and IMEs turn into the
ASCII ones) or with a tab, carriage return or line feed (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, request

from bot.dashboard.fhir import questionnaire_response
from bot.dashboard.lookups import referral_or_404
from bot.dashboard.queue import audit_list, filters_from
from bot.dashboard.security import record_coordinator_action, store
from bot.store import repository

blueprint = Blueprint("export", __name__)

FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b")
CSV_COLUMNS = (
    "reference_code",
    "created_at",
    "status",
    "outcome",
    "main_reason",
    "name",
    "phone",
    "email",
    "preferred_time",
    "to_verify",
    "language",
)


def spreadsheet_safe(value: object) -> str:
    """The cell's text, quoted if a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    first = text.lstrip(" \u3000\u00a0")[:1]
    return "'" + text if first in FORMULA_STARTS and first else text


@blueprint.route("/export/referrals.csv")
def queue_csv():
    """The queue, filtered as on the queue page, as CSV."""
    filters = filters_from(request.args)
    with store() as db_session:
        referrals = repository.list_referrals(session=db_session, filters=filters)
        audit_list(db_session, "queue_exported_csv", filters, len(referrals))
        rows = [
            (
                referral.reference_code,
                referral.created_at.isoformat(),
                referral.status,
                referral.screening.outcome,
                referral.screening.main_reason,
                referral.contact_name,
                referral.phone,
                referral.email,
                referral.preferred_time,
                "; ".join(referral.screening.to_verify or []),
                referral.screening.language,
            )
            for referral in referrals
        ]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="hn2301-referrals.csv"'},
    )


@blueprint.route("/referrals/<int:referral_id>/fhir.json")
def referral_fhir(referral_id: int):
    """One referral as a FHIR R4 QuestionnaireResponse (JSON)."""
    with store() as db_session:
        referral = referral_or_404(db_session, referral_id)
        resource = questionnaire_response(referral)
        record_coordinator_action(db_session, "referral_exported_fhir", referral_id=referral.id)
        filename = f"{referral.reference_code}-questionnaire-response.json"
    return Response(
        resource.json(indent=2, ensure_ascii=False),
        mimetype="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
