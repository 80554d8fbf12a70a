"""The recruitment funnel: counts per step and outcome, top not-eligible reasons, an SVG chart.

The chart is drawn on the server (bar geometry computed here, SVG written by the template), so
the page needs no script and no CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext

from bot.dashboard.language import OUTCOME_LABELS
from bot.dashboard.lookups import days_as_query, filter_days
from bot.dashboard.security import record_coordinator_action, store
from bot.store import repository
from bot.trial import load_trial

blueprint = Blueprint("funnel", __name__)

FUNNEL_STEPS = (
    ("started", lazy_gettext("Screenings started")),
    ("consented", lazy_gettext("Consented")),
    ("finished", lazy_gettext("Finished")),
    ("referred", lazy_gettext("Referred")),
    ("contacted", lazy_gettext("Contacted")),
    ("enrolled", lazy_gettext("Enrolled")),
)

CHART_WIDTH = 640
LABEL_WIDTH = 170
BAR_HEIGHT = 26
BAR_GAP = 10


@dataclass(frozen=True)
class Bar:
    """One horizontal bar of the chart, in SVG user units."""

    label: str
    count: int
    y: int
    width: int


def chart_bars(counts: dict[str, int]) -> list[Bar]:
    """Bars for the funnel steps, scaled so the largest fills the plot area."""
    largest = max([counts[key] for key, _ in FUNNEL_STEPS] + [1])
    plot_width = CHART_WIDTH - LABEL_WIDTH - 60
    return [
        Bar(
            label=str(label),
            count=counts[key],
            y=index * (BAR_HEIGHT + BAR_GAP),
            width=round(plot_width * counts[key] / largest),
        )
        for index, (key, label) in enumerate(FUNNEL_STEPS)
    ]


def _days_said(since: date | None, until: date | None) -> str:
    """The funnel's day filter as the audit trail records list filters."""
    days = [f"{key}={day}" for key, day in days_as_query(since, until).items()]
    return " ".join(days) or "no filter"


def funnel_data(
    since: date | None, until: date | None, *, via: str = "page"
) -> tuple[dict[str, int], list]:
    """The funnel counts (between two days at the study site) and the top not-eligible
    criteria, as (criterion id, protocol item, count), for this dashboard's trial.

    Only counts, but small counts can point at a person, so each read is audited too.
    """
    trial_id = current_app.config["TRIAL_ID"]
    with store() as db_session:
        counts = repository.funnel_counts(
            session=db_session,
            trial_id=trial_id,
            since=since,
            until=until,
            zone=load_trial(trial_id).timezone,
        )
        reasons = repository.top_not_eligible_criteria(session=db_session, trial_id=trial_id)
        record_coordinator_action(
            db_session, "funnel_viewed", detail=f"{via}; {_days_said(since, until)}"
        )
    return counts, reasons


@blueprint.route("/funnel")
def index():
    """The funnel page (optionally between two days)."""
    since, until = filter_days(request.args)
    counts, reasons = funnel_data(since, until)
    bars = chart_bars(counts)
    return render_template(
        "funnel.html",
        counts=counts,
        steps=FUNNEL_STEPS,
        outcomes={key: OUTCOME_LABELS[key] for key in repository.OUTCOMES},
        reasons=reasons,
        bars=bars,
        chart_width=CHART_WIDTH,
        chart_height=len(bars) * (BAR_HEIGHT + BAR_GAP),
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        since=since,
        until=until,
    )
