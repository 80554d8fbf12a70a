"""One referral: checklist, to-verify list, transcript, contact, status workflow and notes."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from bot import i18n
from bot.dashboard.language import STATUS_LABELS
from bot.dashboard.lookups import referral_or_404
from bot.dashboard.security import current_username, now, record_coordinator_action, store
from bot.store import repository
from bot.trial import load_trial

blueprint = Blueprint("referral", __name__)


def viewed_referral(db_session, referral_id: int, detail: str = ""):
    """The referral, its view recorded in the audit trail (page or API); 404 if there is none."""
    referral = referral_or_404(db_session, referral_id)
    record_coordinator_action(db_session, "referral_viewed", referral_id=referral.id, detail=detail)
    return referral


@blueprint.route("/referrals/<int:referral_id>")
def show(referral_id: int):
    """The referral page; every view is an audit event."""
    with store() as db_session:
        referral = viewed_referral(db_session, referral_id, detail="page, with transcript")
        trial = load_trial(current_app.config["TRIAL_ID"])
        page = render_template(
            "referral.html",
            referral=referral,
            screening=referral.screening,
            next_statuses=repository.allowed_next_statuses(referral.status),
            patient_lang=i18n.BCP47.get(referral.screening.language, referral.screening.language),
            summaries={criterion.id: criterion.summary for criterion in trial.criteria},
        )
    return page


@blueprint.route("/referrals/<int:referral_id>/status", methods=["POST"])
def change_status(referral_id: int):
    """Move the referral along the workflow with a note."""
    new_status = request.form.get("status", "")
    note = request.form.get("note", "").strip()
    with store() as db_session:
        old_status = referral_or_404(db_session, referral_id).status
        try:
            repository.change_status(
                session=db_session,
                referral_id=referral_id,
                new_status=new_status,
                note=note,
                actor=current_username(),
                at=now(),
            )
        except repository.InvalidStatusChange:
            flash(
                gettext(
                    "A referral cannot go from %(old)s to %(new)s.",
                    old=_status(old_status),
                    new=_status(new_status),
                ),
                "error",
            )
        else:
            flash(gettext("Status changed to %(status)s.", status=_status(new_status)), "info")
    return redirect(url_for("referral.show", referral_id=referral_id))


@blueprint.route("/referrals/<int:referral_id>/notes", methods=["POST"])
def add_note(referral_id: int):
    """A timestamped note by the signed-in coordinator."""
    text = request.form.get("text", "").strip()
    with store() as db_session:
        referral_or_404(db_session, referral_id)
        if text:
            repository.add_note(
                session=db_session,
                referral_id=referral_id,
                text=text,
                actor=current_username(),
                at=now(),
            )
            flash(gettext("Note added."), "info")
        else:
            flash(gettext("A note needs some text."), "error")
    return redirect(url_for("referral.show", referral_id=referral_id))


def _status(code: str) -> str:
    """A status's label, or the code as sent (a refused, unknown status)."""
    return str(STATUS_LABELS[code]) if code in STATUS_LABELS else code
