"""The audit log page: who did what to which referral, when."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from bot.dashboard.security import store
from bot.store import repository

blueprint = Blueprint("audit", __name__)


@blueprint.route("/audit")
def index():
    """The newest audit events, optionally for one referral (`?referral=ID`)."""
    referral_id = request.args.get("referral", type=int)
    with store() as db_session:
        events = repository.list_audit(session=db_session, referral_id=referral_id, limit=500)
    return render_template("audit.html", events=events, referral_id=referral_id)
