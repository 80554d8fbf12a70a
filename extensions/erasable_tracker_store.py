"""Rasa's SQL tracker store, plus the power to forget a conversation completely.

When an action sets the slot `erase_conversation` (no consent, "stop", "delete my data"), this
store deletes every stored event of that conversation instead of saving the turn. Doing it here,
while Rasa saves, is the only safe moment: deleting from the action server would be undone,
since Rasa writes back every event it holds whenever the stored copy looks shorter than its own.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"


class ErasableSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that erases a conversation when asked to by the `erase_conversation` slot."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASE_SLOT):
            self.erase(tracker.sender_id)
            return
        await super().save(tracker)

    def erase(self, sender_id: str) -> None:
        """Delete every event of the conversation, from every session."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("Erased a conversation from the tracker store (%d events)", deleted)
