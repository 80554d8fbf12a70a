"""The referral queue: filter by status, outcome and date; newest first; counts per status."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from bot.dashboard import notifications
from bot.dashboard.lookups import days_as_query, filter_days
from bot.dashboard.security import record_coordinator_action, store
from bot.store import repository
from bot.trial import load_trial

blueprint = Blueprint("queue", __name__)


def filters_from(args: MultiDict) -> repository.ReferralFilters:
    """The queue filters in a query string; unknown values are ignored rather than guessed."""
    status = args.get("status") or None
    outcome = args.get("outcome") or None
    created_from, created_to = filter_days(args)
    return repository.ReferralFilters(
        status=status if status in repository.STATUS_TRANSITIONS else None,
        outcome=outcome if outcome in repository.OUTCOMES else None,
        created_from=created_from,
        created_to=created_to,
        timezone=load_trial(current_app.config["TRIAL_ID"]).timezone,  # the site's days
    )


def filters_as_query(filters: repository.ReferralFilters) -> dict[str, str]:
    """The filters back as query-string values (for links to the CSV export)."""
    values = {"status": filters.status, "outcome": filters.outcome}
    codes = {key: value for key, value in values.items() if value}
    return codes | days_as_query(filters.created_from, filters.created_to)


def audit_list(db_session, action: str, filters: repository.ReferralFilters, rows: int) -> None:
    """Record a read of the referral list: its filters (validated codes and days, never free
    text) and how many referrals it showed."""
    shown = filters_as_query(filters)
    described = " ".join(
        f"{key}={shown[key]}" for key in ("status", "outcome", "from", "to") if key in shown
    )
    record_coordinator_action(
        db_session, action, detail=f"{described or 'no filter'}; {rows} referrals"
    )


def listed_referrals(
    db_session, filters: repository.ReferralFilters, action: str
) -> tuple[list, dict[str, int]]:
    """The referrals matching `filters`, newest first, and the counts per status (the queue page
    and `GET /api/referrals`), their read recorded as `action` (see `audit_list`)."""
    referrals = repository.list_referrals(session=db_session, filters=filters)
    counts = repository.count_referrals_by_status(session=db_session, filters=filters)
    audit_list(db_session, action, filters, len(referrals))
    return referrals, counts


@blueprint.route("/")
def index():
    """The queue page (an audited read: the filters and the number of rows)."""
    filters = filters_from(request.args)
    with store() as db_session:
        referrals, counts = listed_referrals(db_session, filters, "queue_viewed")
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
