"""Access and erasure by reference code, for a patient who asks the study team (by phone, by
letter) what is kept about them, or to delete it.

One page: the coordinator types the code, sees everything kept under it (the store's rows and
how many events the chat has in Rasa's tracker store) and can erase it all, the chat included,
by typing the code again. Both the showing and the erasing are audited (the referral number,
never its data). Every route is POST or a bare form, behind the login and CSRF like the rest.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import retention
from bot.dashboard.security import current_username, now, record_coordinator_action, store
from bot.store import repository

blueprint = Blueprint("erasure", __name__)
TRACKER_ENGINE = "hn2301_tracker_engine"


def tracker_engine() -> Engine | None:
    """Rasa's tracker store database (bot.retention.tracker_url), opened once per app."""
    extensions = current_app.extensions
    if TRACKER_ENGINE not in extensions:
        extensions[TRACKER_ENGINE] = (
            current_app.config.get("TRACKER_ENGINE") or retention.make_tracker_engine()
        )
    return extensions[TRACKER_ENGINE]


def _code() -> str:
    return request.form.get("code", "").strip()[:20]


@blueprint.route("/erasure")
def index():
    """The form: a reference code to show or erase."""
    return render_template("erasure.html", code="", shown=None)


@blueprint.route("/erasure/show", methods=["POST"])
def show():
    """Everything kept under one reference code (audited as shown to the coordinator)."""
    code = _code()
    with store() as db_session:
        referral = repository.get_referral_by_code(session=db_session, reference_code=code)
        if referral is None:
            flash(gettext("No referral has the code %(code)s.", code=code), "error")
            return render_template("erasure.html", code=code, shown=None), 404
        conversation_id = referral.screening.conversation_id
        shown = repository.describe_conversation_data(
            session=db_session, conversation_id=conversation_id
        )
        shown["notes"] = len(referral.notes)
        shown["referral_id"] = referral.id
        record_coordinator_action(
            db_session, "patient_data_shown", referral_id=referral.id, detail="erasure page"
        )
    engine = tracker_engine()
    shown["chat_events"] = (
        retention.tracker_event_count(engine=engine, conversation_id=conversation_id)
        if engine is not None
        else None
    )
    return render_template("erasure.html", code=referral.reference_code, shown=shown)


@blueprint.route("/erasure/erase", methods=["POST"])
def erase():
    """Erase one referral and its chat; the code must be typed again to confirm."""
    code = _code()
    confirmed = request.form.get("confirm", "").strip().upper() == code.upper() and code
    with store() as db_session:
        referral = repository.get_referral_by_code(session=db_session, reference_code=code)
        if referral is None or not confirmed:
            flash(gettext("Type the reference code again to confirm the erasure."), "error")
            return redirect(url_for("erasure.index"))
        conversation_id = repository.erase_referral(
            session=db_session,
            referral_id=referral.id,
            actor=current_username(),
            at=now(),
            action="referral_erased",
        )
        code = referral.reference_code
    engine = tracker_engine()
    try:
        if engine is not None:
            retention.erase_tracker_conversations(engine=engine, conversation_ids=[conversation_id])
    except SQLAlchemyError:
        flash(
            gettext(
                "%(code)s was erased from the store, but its chat could not be reached; the "
                "retention purge deletes it.",
                code=code,
            ),
            "error",
        )
    else:
        flash(gettext("%(code)s and its chat were erased.", code=code), "info")
    return redirect(url_for("erasure.index"))
