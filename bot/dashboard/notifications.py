"""The queue page's notice when e-mail to the study team is failing (bot.notifications).

Coordinators rely on those mails to hear of new referrals; when the mail server keeps refusing
or cannot be reached, the page they do open says so, with when and why it last failed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.store import outbox


def unsent(*, session: Session) -> outbox.FailureSummary | None:
    """Notifications tried and not sent yet (count, last attempt, last error), or None."""
    return outbox.failures(session=session)
