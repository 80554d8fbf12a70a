"""One referral: checklist, to-verify list, transcript, contact, status workflow and notes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from bot.dashboard.security import current_username, now, store
from bot.store import repository

blueprint = Blueprint("referral", __name__)


def viewed_referral(db_session, referral_id: int, detail: str = ""):
    """The referral, its view recorded in the audit trail (page or API); 404 if there is none."""
    referral = repository.get_referral(session=db_session, referral_id=referral_id)
    if referral is None:
        abort(404)
    repository.record_audit(
        session=db_session,
        actor=current_username(),
        action="referral_viewed",
        referral_id=referral.id,
        at=now(),
        detail=detail,
    )
    return referral


@blueprint.route("/referrals/<int:referral_id>")
def show(referral_id: int):
    """The referral page; every view is an audit event."""
    with store() as db_session:
        referral = viewed_referral(db_session, referral_id)
        page = render_template(
            "referral.html",
            referral=referral,
            screening=referral.screening,
            next_statuses=repository.allowed_next_statuses(referral.status),
        )
    return page


@blueprint.route("/referrals/<int:referral_id>/status", methods=["POST"])
def change_status(referral_id: int):
    """Move the referral along the workflow with a note."""
    new_status = request.form.get("status", "")
    note = request.form.get("note", "").strip()
    with store() as db_session:
        if repository.get_referral(session=db_session, referral_id=referral_id) is None:
            abort(404)
        try:
            repository.change_status(
                session=db_session,
                referral_id=referral_id,
                new_status=new_status,
                note=note,
                actor=current_username(),
                at=now(),
            )
        except repository.InvalidStatusChange as error:
            flash(str(error), "error")
        else:
            flash(f"Status changed to {new_status.replace('_', ' ')}.", "info")
    return redirect(url_for("referral.show", referral_id=referral_id))


@blueprint.route("/referrals/<int:referral_id>/notes", methods=["POST"])
def add_note(referral_id: int):
    """A timestamped note by the signed-in coordinator."""
    text = request.form.get("text", "").strip()
    with store() as db_session:
        if repository.get_referral(session=db_session, referral_id=referral_id) is None:
            abort(404)
        if text:
            repository.add_note(
                session=db_session,
                referral_id=referral_id,
                text=text,
                actor=current_username(),
                at=now(),
            )
            flash("Note added.", "info")
        else:
            flash("A note needs some text.", "error")
    return redirect(url_for("referral.show", referral_id=referral_id))
