"""The referral queue: filter by status, outcome and date; newest first; counts per status."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from bot.dashboard import notifications
from bot.dashboard.security import current_username, now, store
from bot.store import repository
from bot.trial import load_trial

blueprint = Blueprint("queue", __name__)


def filters_from(args: MultiDict) -> repository.ReferralFilters:
    """The queue filters in a query string; unknown values are ignored rather than guessed."""
    status = args.get("status") or None
    outcome = args.get("outcome") or None
    return repository.ReferralFilters(
        status=status if status in repository.STATUS_TRANSITIONS else None,
        outcome=outcome if outcome in repository.OUTCOMES else None,
        created_from=_day(args.get("from")),
        created_to=_day(args.get("to")),
        timezone=load_trial(current_app.config["TRIAL_ID"]).timezone,  # the site's days
    )


def filters_as_query(filters: repository.ReferralFilters) -> dict[str, str]:
    """The filters back as query-string values (for links to the CSV export)."""
    values = {
        "status": filters.status,
        "outcome": filters.outcome,
        "from": filters.created_from.isoformat() if filters.created_from else None,
        "to": filters.created_to.isoformat() if filters.created_to else None,
    }
    return {key: value for key, value in values.items() if value}


def audit_list(db_session, action: str, filters: repository.ReferralFilters, rows: int) -> None:
    """Record a read of the referral list: its filters (validated codes and days, never free
    text) and how many referrals it showed."""
    shown = filters_as_query(filters)
    described = " ".join(
        f"{key}={shown[key]}" for key in ("status", "outcome", "from", "to") if key in shown
    )
    repository.record_audit(
        session=db_session,
        actor=current_username(),
        action=action,
        referral_id=None,
        at=now(),
        detail=f"{described or 'no filter'}; {rows} referrals",
    )


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@blueprint.route("/")
def index():
    """The queue page (an audited read: the filters and the number of rows)."""
    filters = filters_from(request.args)
    with store() as db_session:
        referrals = repository.list_referrals(session=db_session, filters=filters)
        counts = repository.count_referrals_by_status(session=db_session, filters=filters)
        audit_list(db_session, "queue_viewed", filters, len(referrals))
        unsent = notifications.unsent(session=db_session)
    return render_template(
        "queue.html",
        unsent_notifications=unsent,
        referrals=referrals,
        counts=counts,
        filters=filters,
        export_query=filters_as_query(filters),
        statuses=repository.STATUS_TRANSITIONS,
        outcomes=repository.OUTCOMES,
    )
