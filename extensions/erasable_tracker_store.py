"""Rasa's SQL tracker store, plus the power to forget a conversation completely, and a memory of
the conversations it served last.

When an action sets the slot `erase_conversation` (no consent, "stop", "delete my data"), this
store deletes every stored event of that conversation instead of saving the turn. Doing it here,
while Rasa saves, is the only safe moment: deleting from the action server would be undone,
since Rasa writes back every event it holds whenever the stored copy looks shorter than its own.

Rasa reads a conversation's whole session back from the database at every message (a query, then
every event decoded from JSON and rebuilt), which cost more than anything else in a long
screening's turn (py-spy, README "Speed"). So the store keeps the events it last saved or read
for each recent conversation and, at the next message, asks the database only for the newest
event's id: the same id means nobody has added to or erased the conversation since (events are
only ever appended, with ids that only grow), and the kept events are the ones the database would
return. Any other answer, another server's turn or an erasure, reads the database as Rasa does.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import sqlalchemy
import sqlalchemy.orm
import sqlalchemy.pool
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"
# Conversations whose events are kept in memory, the least recently used dropped first.
DEFAULT_KEPT_CONVERSATIONS = 256


def _sqlite_write_ahead(connection: Any, _: Any) -> None:
    """SQLite in write-ahead mode, synced at checkpoints rather than at every commit.

    A turn is still saved for good when Rasa commits it (a killed process loses nothing); only
    a power cut could lose the last turns. Syncing each turn's commit cost more than any other
    single step of a turn (py-spy, README "Speed"), and it blocks Rasa's event loop while it
    waits. PostgreSQL, for several servers, keeps its own settings."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def latest_session(events: list[Event]) -> list[Event]:
    """The events Rasa's `retrieve` returns: from the latest session's start (by timestamp, as
    its query does), or all of them before any session started."""
    starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
    if not starts:
        return list(events)
    start = max(starts)
    return [event for event in events if event.timestamp >= start]


class ErasableSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that erases a conversation when asked to by the `erase_conversation` slot,
    and does not rebuild a recent conversation from the database when nothing changed there."""

    def __init__(
        self, *args: Any, kept_conversations: int = DEFAULT_KEPT_CONVERSATIONS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a new SQLite connection for every query (NullPool); a pool
            # keeps them, as SQLAlchemy 2.0 does. Each connection is used by one thread at a time.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sqlalchemy.create_engine(
                url,
                poolclass=sqlalchemy.pool.QueuePool,
                connect_args={"check_same_thread": False},
            )
            sqlalchemy.event.listen(self.engine, "connect", _sqlite_write_ahead)
            self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)
        self.kept_conversations = int(kept_conversations)
        # sender id -> (id of its newest stored event, its latest session's events)
        self._kept: OrderedDict[str, tuple[int, list[Event]]] = OrderedDict()

    def _newest_event_id(self, sender_id: str) -> int | None:
        with self.session_scope() as session:
            return session.scalar(
                sqlalchemy.select(sqlalchemy.func.max(self.SQLEvent.id)).where(
                    self.SQLEvent.sender_id == sender_id
                )
            )

    def _keep(self, sender_id: str, newest: int | None, events: list[Event]) -> None:
        if newest is None or self.kept_conversations <= 0:
            self._kept.pop(sender_id, None)
            return
        self._kept[sender_id] = (newest, events)
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.kept_conversations:
            self._kept.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        newest = self._newest_event_id(sender_id)
        kept = self._kept.get(sender_id)
        if kept is not None and self.domain is not None and newest == kept[0]:
            self._kept.move_to_end(sender_id)
            return DialogueStateTracker.from_events(sender_id, kept[1], self.domain.slots)
        tracker = await super().retrieve(sender_id)
        self._keep(sender_id, newest, list(tracker.events) if tracker else [])
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The turn's new events. A tracker built from the kept events (this turn read them,
        under Rasa's lock) has them first, and the database holds exactly those: no need to
        count them there."""
        kept = self._kept.get(tracker.sender_id)
        stored = len(kept[1]) if kept else 0
        if 0 < stored <= len(tracker.events) and tracker.events[stored - 1] is kept[1][-1]:
            return itertools.islice(tracker.events, stored, None)
        return super()._additional_events(session, tracker)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASE_SLOT):
            self.erase(tracker.sender_id)
            return
        await super().save(tracker)
        newest = self._newest_event_id(tracker.sender_id)
        self._keep(tracker.sender_id, newest, latest_session(list(tracker.events)))

    def erase(self, sender_id: str) -> None:
        """Delete every event of the conversation, from every session."""
        self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        logger.info("Erased a conversation from the tracker store (%d events)", deleted)
