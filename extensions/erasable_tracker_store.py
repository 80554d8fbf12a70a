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

Nothing a visitor types before consent is kept beyond the running conversation. A user message
typed while the conversation had not consented (the consent slot was not true by the next
message) is stored redacted (bot.retention.redacted_user_event: no text, no entity values, no
metadata; its id, time, intent and entity types stay, with the conversation's language then and
a carer's "for my <relative>", so the rest of the conversation reads the same). The latest
message is redacted one turn later, at the next save: the turn that answers it (a confirmed
"delete my data" with a reference code, a digression asked twice at the consent question) still
reads it, as does the input guard's look-up of a message sent again. A visitor who leaves before
consenting leaves that one message, which the purge deletes with the conversation after
`HN2301_RETAIN_UNCONSENTED_MINUTES` of silence (bot/retention.py, `python -m bot purge`).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy
import sqlalchemy.orm
import sqlalchemy.pool
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    AllSlotsReset,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.parsing.context import answered_for
from bot.retention import CONSENT_SLOT, decided_language, is_redacted, redacted_user_event

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


@dataclass
class _Kept:
    """A conversation as this store last saved or read it: what the database held then
    (the newest event's id and the number of events, all sessions) and the latest session."""

    newest: int | None
    total: int
    events: list[Event]

    @property
    def stored(self) -> tuple[int | None, int]:
        return self.newest, self.total


def latest_session(events: list[Event]) -> list[Event]:
    """The events Rasa's `retrieve` returns: from the latest session's start (by timestamp, as
    its query does), or all of them before any session started."""
    starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
    if not starts:
        return list(events)
    start = max(starts)
    return [event for event in events if event.timestamp >= start]


def pre_consent_messages(events: list[Event]) -> list[int]:
    """Indexes of the user messages typed while the conversation had not consented (its
    consent slot was not true by the next message), the latest message excepted."""
    consent: Any = None
    found: list[int] = []
    previous: int | None = None
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):
            if previous is not None and consent is not True:
                found.append(previous)
            previous = index
        elif isinstance(event, SlotSet) and event.key == CONSENT_SLOT:
            consent = event.value
        elif isinstance(event, (AllSlotsReset, Restarted, SessionStarted)):
            consent = None  # no slot is carried over (domain.yml session_config)
    return found


def redactions(events: list[Event]) -> dict[int, Event]:
    """For each pre-consent message not yet redacted (by `id()` of the event): its redacted
    copy."""
    plan: dict[int, Event] = {}
    said: list[tuple[str, Any]] = []
    pending = set(pre_consent_messages(events))
    for index, event in enumerate(events):
        if not isinstance(event, UserUttered):
            continue
        said.append((event.text or "", event.metadata))
        if index in pending and not is_redacted({"metadata": event.metadata}):
            redacted = redacted_user_event(
                event.as_dict(),
                language=decided_language(said),
                relative=answered_for([event.text or ""]),
            )
            plan[id(event)] = Event.from_parameters(redacted)
    return plan


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
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        # Per tracker being saved: its redactions, and the events this save wrote (ids).
        self._redacting: dict[int, tuple[dict[int, Event], set[int]]] = {}

    def _stored(self, sender_id: str) -> tuple[int | None, int]:
        """The id of the conversation's newest stored event and how many it has, all sessions."""
        with self.session_scope() as session:
            newest, total = session.execute(
                sqlalchemy.select(
                    sqlalchemy.func.max(self.SQLEvent.id), sqlalchemy.func.count(self.SQLEvent.id)
                ).where(self.SQLEvent.sender_id == sender_id)
            ).one()
        return newest, total

    def _keep(self, sender_id: str, kept: _Kept | None) -> None:
        if kept is None or kept.newest is None or self.kept_conversations <= 0:
            self._kept.pop(sender_id, None)
            return
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.kept_conversations:
            self._kept.popitem(last=False)

    def _kept_for(self, tracker: DialogueStateTracker) -> _Kept | None:
        """The kept events, when this tracker was built from them (this turn, under Rasa's lock)."""
        kept = self._kept.get(tracker.sender_id)
        if kept is None or not 0 < len(kept.events) <= len(tracker.events):
            return None
        return kept if tracker.events[len(kept.events) - 1] is kept.events[-1] else None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        newest, total = self._stored(sender_id)
        kept = self._kept.get(sender_id)
        if kept is not None and self.domain is not None and (newest, total) == kept.stored:
            self._kept.move_to_end(sender_id)
            return DialogueStateTracker.from_events(sender_id, kept.events, self.domain.slots)
        tracker = await super().retrieve(sender_id)
        self._keep(sender_id, tracker and _Kept(newest, total, list(tracker.events)))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The turn's new events: after the kept ones, which are exactly what the database
        holds of this session (no need to count them there), else as Rasa finds them."""
        kept = self._kept_for(tracker)
        if kept is not None:
            new = itertools.islice(tracker.events, len(kept.events), None)
        else:
            new = super()._additional_events(session, tracker)
        plan, written = self._redacting.get(id(tracker), ({}, set()))
        for event in new:
            written.add(id(event))
            yield plan.get(id(event), event)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(ERASE_SLOT):
            self.erase(tracker.sender_id)
            return
        before = self._kept_for(tracker)
        plan = redactions(list(tracker.events))
        written: set[int] = set()
        self._redacting[id(tracker)] = (plan, written)
        try:
            await super().save(tracker)
        finally:
            self._redacting.pop(id(tracker), None)
        stored_earlier = [(event, plan[id(event)]) for event in tracker.events if id(event) in plan]
        stored_earlier = [(old, new) for old, new in stored_earlier if id(old) not in written]
        if stored_earlier:
            self._redact_stored(tracker.sender_id, stored_earlier)
        newest, total = self._stored(tracker.sender_id)
        # Kept only when the database grew by exactly this turn's events: anything else (a
        # second server writing at the same time) reads the database at the next message.
        grew_by_this_turn = before is not None and total == before.total + (
            len(tracker.events) - len(before.events)
        )
        events = [plan.get(id(event), event) for event in latest_session(list(tracker.events))]
        self._keep(tracker.sender_id, _Kept(newest, total, events) if grew_by_this_turn else None)

    def _redact_stored(self, sender_id: str, pairs: list[tuple[Event, Event]]) -> None:
        """Replace stored messages by their redacted copies: the row with the message's time
        and id (ids and order stay, so the kept conversations still match the database)."""
        with self.session_scope() as session:
            for original, redacted in pairs:
                rows = session.query(self.SQLEvent).filter(
                    self.SQLEvent.sender_id == sender_id,
                    self.SQLEvent.type_name == UserUttered.type_name,
                    self.SQLEvent.timestamp == original.timestamp,
                )
                for row in rows:
                    if json.loads(row.data).get("message_id") == original.message_id:
                        row.data = json.dumps(redacted.as_dict())
            session.commit()

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
