"""The recruitment funnel: counts per step and outcome, top not-eligible reasons, an SVG chart.

The chart is drawn on the server (bar geometry computed here, SVG written by the template), so
the page needs no script and no CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, current_app, render_template, request

from bot.dashboard.security import store
from bot.store import repository

blueprint = Blueprint("funnel", __name__)

FUNNEL_STEPS = (
    ("started", "Screenings started"),
    ("consented", "Consented"),
    ("finished", "Finished"),
    ("referred", "Referred"),
    ("contacted", "Contacted"),
    ("enrolled", "Enrolled"),
)
OUTCOME_LABELS = {
    "likely_eligible": "Likely eligible",
    "needs_review": "Needs review",
    "not_eligible_now": "Not eligible now",
    "not_eligible": "Not eligible",
}

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
            label=label,
            count=counts[key],
            y=index * (BAR_HEIGHT + BAR_GAP),
            width=round(plot_width * counts[key] / largest),
        )
        for index, (key, label) in enumerate(FUNNEL_STEPS)
    ]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def funnel_data(since: date | None, until: date | None) -> tuple[dict[str, int], list]:
    """The funnel counts and the top not-eligible reasons for this dashboard's trial."""
    trial_id = current_app.config["TRIAL_ID"]
    with store() as db_session:
        counts = repository.funnel_counts(
            session=db_session, trial_id=trial_id, since=since, until=until
        )
        reasons = repository.top_not_eligible_reasons(session=db_session, trial_id=trial_id)
    return counts, reasons


@blueprint.route("/funnel")
def index():
    """The funnel page (optionally between two days)."""
    since, until = _day(request.args.get("from")), _day(request.args.get("to"))
    counts, reasons = funnel_data(since, until)
    bars = chart_bars(counts)
    return render_template(
        "funnel.html",
        counts=counts,
        steps=FUNNEL_STEPS,
        outcomes=OUTCOME_LABELS,
        reasons=reasons,
        bars=bars,
        chart_width=CHART_WIDTH,
        chart_height=len(bars) * (BAR_HEIGHT + BAR_GAP),
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        since=since,
        until=until,
    )
