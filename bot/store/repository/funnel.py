"""Funnel statistics for the dashboard: how many screenings started, consented, finished with
each outcome, were referred, contacted and enrolled between two days, and the commonest
failing criteria of not-eligible screenings.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.eligibility import NOT_MET, NOT_MET_UNTIL, OUTCOMES
from bot.store.models import (
    CriterionVerdict,
    DailyScreeningCount,
    Referral,
    ReferralNote,
    Screening,
)
from bot.store.repository.common import _day_start


def funnel_counts(
    *,
    session: Session,
    trial_id: str,
    since: date | None = None,
    until: date | None = None,
    zone: str = "UTC",
) -> dict[str, int]:
    """The recruitment funnel between two days (inclusive; days in time zone `zone`).

    `started` comes from the anonymous daily counter; the later steps count the screenings and
    referrals still stored (a patient's deletion takes theirs out). `contacted` counts referrals
    that ever reached "contacted", `enrolled` those enrolled now.
    """
    started_query = select(func.coalesce(func.sum(DailyScreeningCount.started), 0)).where(
        DailyScreeningCount.trial_id == trial_id
    )
    screening_query = select(Screening).where(Screening.trial_id == trial_id)
    if since:
        started_query = started_query.where(DailyScreeningCount.day >= since)
        screening_query = screening_query.where(Screening.consented_at >= _day_start(since, zone))
    if until:
        started_query = started_query.where(DailyScreeningCount.day <= until)
        screening_query = screening_query.where(
            Screening.consented_at < _day_start(until + timedelta(1), zone)
        )
    screenings = screening_query.subquery()
    outcomes = dict(
        session.execute(
            select(screenings.c.outcome, func.count())
            .where(screenings.c.outcome.is_not(None))
            .group_by(screenings.c.outcome)
        ).all()
    )
    referrals = select(Referral).join(screenings, Referral.screening_pk == screenings.c.id)
    counts = {
        "started": int(session.scalar(started_query) or 0),
        "consented": session.scalar(select(func.count()).select_from(screenings)) or 0,
        "finished": sum(outcomes.values()),
    }
    counts.update({outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES})
    referral_rows = referrals.subquery()
    counts["referred"] = session.scalar(select(func.count()).select_from(referral_rows)) or 0
    counts["contacted"] = (
        session.scalar(
            select(func.count(func.distinct(ReferralNote.referral_pk))).where(
                ReferralNote.referral_pk.in_(select(referral_rows.c.id)),
                ReferralNote.status_to == "contacted",
            )
        )
        or 0
    )
    counts["enrolled"] = (
        session.scalar(
            select(func.count())
            .select_from(referral_rows)
            .where(referral_rows.c.status == "enrolled")
        )
        or 0
    )
    return counts


def top_not_eligible_reasons(
    *, session: Session, trial_id: str, limit: int = 5
) -> list[tuple[str, int]]:
    """The commonest failing criteria (by protocol item) among not-eligible screenings."""
    return [
        (f"{criterion} ({item})", count)
        for criterion, item, count in top_not_eligible_criteria(
            session=session, trial_id=trial_id, limit=limit
        )
    ]


def top_not_eligible_criteria(
    *, session: Session, trial_id: str, limit: int = 5
) -> list[tuple[str, str, int]]:
    """(criterion id, protocol item, count) of the commonest failing criteria, commonest first."""
    rows = session.execute(
        select(CriterionVerdict.criterion, CriterionVerdict.item)
        .join(Screening, CriterionVerdict.screening_pk == Screening.id)
        .where(
            Screening.trial_id == trial_id,
            Screening.outcome.in_(("not_eligible", "not_eligible_now")),
            CriterionVerdict.verdict.in_((NOT_MET, NOT_MET_UNTIL)),
        )
    ).all()
    counts = Counter((criterion, item) for criterion, item in rows)
    return [(criterion, item, n) for (criterion, item), n in counts.most_common(limit)]
