"""What the dashboard's pages and its JSON API look up the same way: one referral by its id (a
404 when there is none), and the `from`/`to` days of a query string's filter and back."""

from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from bot.store import repository
from bot.store.models import Referral


def referral_or_404(db_session: Session, referral_id: int) -> Referral:
    """The referral with its screening, answers and notes; a 404 response if there is none."""
    referral = repository.get_referral(session=db_session, referral_id=referral_id)
    if referral is None:
        abort(404)
    return referral


def filter_days(args: MultiDict) -> tuple[date | None, date | None]:
    """The `from` and `to` days (YYYY-MM-DD) of a query string; a missing or bad one is None."""
    return _day(args.get("from")), _day(args.get("to"))


def days_as_query(since: date | None, until: date | None) -> dict[str, str]:
    """The days back as `from`/`to` query-string values (a missing one left out)."""
    return {key: day.isoformat() for key, day in (("from", since), ("to", until)) if day}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
