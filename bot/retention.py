"""Retention as policy: how long each kind of record is kept, and the purge that keeps to it.

The periods come from the environment, read by bot/settings.py (names and defaults below, in the
README and on the patient page, which is rendered from the same settings):

| variable | default | deleted after it |
|---|---|---|
| `HN2301_RETAIN_UNCONSENTED_MINUTES` | 60 | idle: a conversation that never consented |
| `HN2301_RETAIN_ABANDONED_DAYS` | 7 | idle: a consented conversation with no outcome, its rows |
| `HN2301_RETAIN_SCREENINGS_DAYS` | 30 | a screening without referral; a finished chat, idle |
| `HN2301_STUDY_CLOSES` | unset | the study's last day (YYYY-MM-DD); unset: referrals kept |
| `HN2301_RETAIN_REFERRALS_AFTER_CLOSE_DAYS` | 180 | after the close: referrals, news contacts |

The purge reaches both databases: the referral store (bot.store) and Rasa's tracker store, the
`events` table of the SQL tracker store named in endpoints.yml. bot/ never imports Rasa, so that
table is reached with SQLAlchemy by its name and columns; its URL is built as Rasa builds it.
A tracker conversation's age is the time of its last event; Rasa stores event times as seconds
since the epoch.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    select,
)
from sqlalchemy import inspect as sql_inspect
from sqlalchemy.engine import URL, Engine

from bot.settings import REPO_ROOT, SettingError, Settings, load_settings, variable

logger = logging.getLogger(__name__)

UNCONSENTED_MINUTES = variable("retain_unconsented_minutes")
ABANDONED_DAYS = variable("retain_abandoned_days")
SCREENINGS_DAYS = variable("retain_screenings_days")
STUDY_CLOSES = variable("study_closes")
REFERRALS_AFTER_CLOSE_DAYS = variable("retain_referrals_after_close_days")
TRACKER_URL = variable("tracker_database_url")
ENDPOINTS = variable("endpoints")

DEFAULTS = {
    UNCONSENTED_MINUTES: Settings.retain_unconsented_minutes,
    ABANDONED_DAYS: Settings.retain_abandoned_days,
    SCREENINGS_DAYS: Settings.retain_screenings_days,
    REFERRALS_AFTER_CLOSE_DAYS: Settings.retain_referrals_after_close_days,
}
# Conversations deleted per statement: keeps every IN (...) list short on SQLite and PostgreSQL.
BATCH = 500
CONSENT_SLOT = "consent"


class RetentionSettingError(SettingError):
    """A retention variable holds something that is not a whole number of at least 1 (or a day)."""


@dataclass(frozen=True)
class RetentionSettings:
    """The periods; see the module's table for their variables and defaults."""

    unconsented_minutes: int = DEFAULTS[UNCONSENTED_MINUTES]
    abandoned_days: int = DEFAULTS[ABANDONED_DAYS]
    screenings_days: int = DEFAULTS[SCREENINGS_DAYS]
    referrals_after_close_days: int = DEFAULTS[REFERRALS_AFTER_CLOSE_DAYS]
    study_closes: date | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> RetentionSettings:
        """The periods in `env` (default `os.environ`); a malformed one is refused by name."""
        given = load_settings(env)
        problems = given.problems_with(
            STUDY_CLOSES,
            UNCONSENTED_MINUTES,
            ABANDONED_DAYS,
            SCREENINGS_DAYS,
            REFERRALS_AFTER_CLOSE_DAYS,
        )
        if problems:
            raise RetentionSettingError(problems[0])
        return cls(
            unconsented_minutes=given.retain_unconsented_minutes,
            abandoned_days=given.retain_abandoned_days,
            screenings_days=given.retain_screenings_days,
            referrals_after_close_days=given.retain_referrals_after_close_days,
            study_closes=given.study_closes,
        )

    @property
    def referrals_deleted_on(self) -> date | None:
        """The day referrals are deleted; None while the study has no closing day."""
        if self.study_closes is None:
            return None
        return self.study_closes + timedelta(days=self.referrals_after_close_days)


# --- Rasa's tracker store, reached by table name -----------------------------------------------


def tracker_url(env: Mapping[str, str] | None = None) -> str | URL | None:
    """The tracker store's database: `HN2301_TRACKER_DATABASE_URL`, else the SQL tracker store
    in `HN2301_ENDPOINTS` (default: the repository's endpoints.yml), built as Rasa builds it
    (`SQLTrackerStore.get_db_url`; a relative SQLite path is under the repository, where the
    stack runs Rasa). None when endpoints.yml names no SQL tracker store."""
    settings = load_settings(env)
    if settings.tracker_database_url:
        return settings.tracker_database_url
    path = settings.endpoints
    text = os.path.expandvars(path.read_text(encoding="utf-8")) if path.exists() else ""
    store = (yaml.safe_load(text) or {}).get("tracker_store") or {}
    kind = str(store.get("type") or "")
    if not (kind.lower() == "sql" or kind.endswith("SQLTrackerStore")):
        return None
    dialect = store.get("dialect") or "sqlite"
    db = str(store.get("db") or "rasa.db")
    if dialect == "sqlite":
        db_path = Path(db)
        return f"sqlite:///{db_path if db_path.is_absolute() else REPO_ROOT / db_path}"
    host, port = store.get("url"), store.get("port")
    if host and "://" in str(host):
        return str(host)
    if host:
        parsed = urlsplit(f"scheme://{host}")
        host, port = parsed.hostname or host, parsed.port or port
    return URL.create(
        drivername=dialect,
        username=store.get("username"),
        password=store.get("password"),
        host=host,
        port=int(port) if port else None,
        database=db,
        query=store.get("query") or {},
    )


def events_table(metadata: MetaData | None = None) -> Table:
    """The columns of Rasa's SQLTrackerStore `events` table this module reads or deletes by."""
    return Table(
        "events",
        metadata or MetaData(),
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255)),
        Column("type_name", String(255)),
        Column("timestamp", Float),
        Column("data", Text),
    )


EVENTS = events_table()


def has_tracker_table(engine: Engine) -> bool:
    """False before Rasa has ever started (it creates the table)."""
    return sql_inspect(engine).has_table("events")


def erase_tracker_conversations(*, engine: Engine, conversation_ids: Iterable[str]) -> int:
    """Delete every event of these conversations from the tracker store; the number deleted.

    Rasa's erasable tracker store reads the database before every turn, so a conversation
    erased here is gone for the Rasa servers too."""
    ids = sorted(set(conversation_ids))
    if not ids or not has_tracker_table(engine):
        return 0
    deleted = 0
    with engine.begin() as connection:
        for batch in _batches(ids):
            deleted += connection.execute(
                delete(EVENTS).where(EVENTS.c.sender_id.in_(batch))
            ).rowcount
    return deleted


def tracker_event_count(*, engine: Engine, conversation_id: str) -> int:
    """How many events the tracker store holds for one conversation (for the dashboard)."""
    if not has_tracker_table(engine):
        return 0
    with engine.connect() as connection:
        return connection.scalar(
            select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == conversation_id)
        )


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


# --- the purge -------------------------------------------------------------------------------


@dataclass
class PurgeCounts:
    """What a purge deleted (or, in a dry run, would delete): numbers only, never data."""

    unconsented_conversations: int = 0
    abandoned_conversations: int = 0
    finished_conversations: int = 0
    tracker_events: int = 0
    unfinished_screenings: int = 0
    unreferred_screenings: int = 0
    referrals: int = 0
    news_contacts: int = 0
    referral_ids: list[int] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, int]:
        counts = asdict(self)
        counts.pop("referral_ids")
        return counts

    def summary(self) -> str:
        return " ".join(f"{key}={value}" for key, value in self.as_dict().items())


@dataclass(frozen=True)
class _Conversation:
    sender_id: str
    last: float
    events: int


def _idle_conversations(engine: Engine, before: datetime) -> list[_Conversation]:
    """Tracker conversations whose last event is older than `before`."""
    if not has_tracker_table(engine):
        return []
    last = func.max(EVENTS.c.timestamp)
    query = (
        select(EVENTS.c.sender_id, last, func.count())
        .group_by(EVENTS.c.sender_id)
        .having(last < before.timestamp())
    )
    with engine.connect() as connection:
        return [_Conversation(s, float(t or 0), int(n)) for s, t, n in connection.execute(query)]


def _consented_in_tracker(engine: Engine, sender_ids: list[str]) -> set[str]:
    """Conversations whose consent slot was ever set to true (read from the events' JSON)."""
    consented: set[str] = set()
    with engine.connect() as connection:
        for batch in _batches(sender_ids):
            rows = connection.execute(
                select(EVENTS.c.sender_id, EVENTS.c.data).where(
                    EVENTS.c.sender_id.in_(batch), EVENTS.c.type_name == "slot"
                )
            )
            for sender_id, data in rows:
                event = _json(data)
                if event.get("name") == CONSENT_SLOT and event.get("value") is True:
                    consented.add(sender_id)
    return consented


def _json(data: str | None) -> dict:
    try:
        parsed = json.loads(data or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _delete_idle(engine: Engine, sender_ids: list[str], before: datetime) -> int:
    """Delete these conversations' events, unless one of them has spoken since `before` (a
    patient who came back while the purge ran keeps the conversation)."""
    deleted = 0
    active = select(EVENTS.c.sender_id).where(EVENTS.c.timestamp >= before.timestamp())
    with engine.begin() as connection:
        for batch in _batches(sender_ids):
            deleted += connection.execute(
                delete(EVENTS).where(
                    EVENTS.c.sender_id.in_(batch), EVENTS.c.sender_id.not_in(active)
                )
            ).rowcount
    return deleted


def purge(
    *,
    store_engine: Engine,
    tracker_engine: Engine | None,
    settings: RetentionSettings,
    now: datetime,
    dry_run: bool = False,
) -> PurgeCounts:
    """Delete what the retention periods say has been kept long enough, in both stores.

    The store's rows go first, in one transaction with the purge's audit entry; the chat's
    events after that commit, so a failed store transaction deletes nothing of the chat (the
    next run tries again). With `dry_run` only the counts are computed.
    """
    from bot.store import repository  # the repository imports nothing of this module
    from bot.store.db import session_scope

    counts = PurgeCounts()
    unconsented_before = now - timedelta(minutes=settings.unconsented_minutes)
    abandoned_before = now - timedelta(days=settings.abandoned_days)
    finished_before = now - timedelta(days=settings.screenings_days)
    deleted_on = settings.referrals_deleted_on
    with session_scope(store_engine) as session:
        # The chat side: who is idle, and what the store knows of them.
        idle = _idle_conversations(tracker_engine, unconsented_before) if tracker_engine else []
        ids = [conversation.sender_id for conversation in idle]
        consented = _consented_in_tracker(tracker_engine, ids) if ids else set()
        outcomes = repository.conversation_outcomes(session=session, conversation_ids=ids)
        due: dict[str, list[_Conversation]] = {"unconsented": [], "abandoned": [], "finished": []}
        for conversation in idle:
            last = datetime.fromtimestamp(conversation.last, tz=timezone.utc)
            if outcomes.get(conversation.sender_id):
                if last < finished_before:
                    due["finished"].append(conversation)
            elif conversation.sender_id in consented or conversation.sender_id in outcomes:
                if last < abandoned_before:
                    due["abandoned"].append(conversation)
            else:
                due["unconsented"].append(conversation)
        counts.unconsented_conversations = len(due["unconsented"])
        counts.abandoned_conversations = len(due["abandoned"])
        counts.finished_conversations = len(due["finished"])

        # The store side.
        expired = repository.purge_expired(
            session=session,
            abandoned_before=abandoned_before,
            finished_before=finished_before,
            referrals_due=deleted_on is not None and now.date() >= deleted_on,
            still_talking=_recently_active(tracker_engine, abandoned_before),
            at=now,
            dry_run=dry_run,
        )
        counts.unfinished_screenings = expired.unfinished_screenings
        counts.unreferred_screenings = expired.unreferred_screenings
        counts.referrals = len(expired.referral_ids)
        counts.news_contacts = expired.news_contacts
        counts.referral_ids = list(expired.referral_ids)
        tracker_ids = {c.sender_id for group in due.values() for c in group}
        others = sorted(set(expired.conversation_ids) - tracker_ids)
        # The chat's events to go (the audit records this plan; the return value, what went).
        counts.tracker_events = sum(c.events for c in idle if c.sender_id in tracker_ids)
        counts.tracker_events += _event_count(tracker_engine, others)
        if dry_run:
            return counts
        repository.record_audit(
            session=session,
            actor="retention",
            action="retention_purge",
            referral_id=None,
            at=now,
            detail=counts.summary()[:200],
        )
    counts.tracker_events = 0
    if tracker_engine is not None:
        for kind, before in (
            ("unconsented", unconsented_before),
            ("abandoned", abandoned_before),
            ("finished", finished_before),
        ):
            ids = [c.sender_id for c in due[kind]]
            counts.tracker_events += _delete_idle(tracker_engine, ids, before)
        counts.tracker_events += erase_tracker_conversations(
            engine=tracker_engine, conversation_ids=others
        )
    logger.info("Retention purge: %s", counts.summary())
    return counts


def _recently_active(engine: Engine | None, since: datetime) -> set[str]:
    """Conversations that spoke at or after `since` (an unfinished screening still going on)."""
    if engine is None or not has_tracker_table(engine):
        return set()
    with engine.connect() as connection:
        return set(
            connection.scalars(
                select(EVENTS.c.sender_id).where(EVENTS.c.timestamp >= since.timestamp()).distinct()
            )
        )


def _event_count(engine: Engine | None, sender_ids: list[str]) -> int:
    if engine is None or not sender_ids or not has_tracker_table(engine):
        return 0
    total = 0
    with engine.connect() as connection:
        for batch in _batches(sender_ids):
            total += connection.scalar(
                select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id.in_(batch))
            )
    return total


# --- what a visitor typed before consent ---------------------------------------------------------

REDACTED = "redacted"


def decided_language(said: list[tuple[str, Mapping | None]]) -> str | None:
    """The language `bot.conversation.language_of` reads from these messages, or None when
    none of them tells (it would then default to English, and a later message may still
    decide)."""
    from bot.conversation import language_of, requested_language
    from bot.i18n import detect, named_language

    def tells(text: str, metadata: Mapping | None) -> bool:
        given = metadata.get("language") if isinstance(metadata, Mapping) else None
        return bool(named_language(given) or requested_language(text) or detect(text))

    if not any(tells(text, metadata) for text, metadata in said):
        return None
    return language_of(said)


def redacted_user_event(event: Mapping, *, language: str | None, relative: str | None) -> dict:
    """A user message (Rasa's event as a dict) without what the visitor typed.

    Kept: the event's time, message id and channel (the input guard's idempotency looks up
    the id), the intent and the types of any entities (Rasa's policies predict from them, not
    from the text), the language the conversation was in by then (`language`, as metadata
    the page's switch would set: the reading of the later messages' language is unchanged)
    and, for a carer, who they answer for, as the words "for my <relative>" (read by
    bot.parsing.context.answered_for). Gone: the text, the entities' values, the NLU's
    ranking and any other metadata."""
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    text = f"for my {relative}" if relative else ""
    entities = [
        {key: entity[key] for key in ("entity", "role", "group") if key in entity}
        | {"start": 0, "end": 0, "value": ""}
        for entity in parse.get("entities") or []
        if isinstance(entity, Mapping) and "entity" in entity
    ]
    metadata: dict = {REDACTED: True}
    if language:
        metadata["language"] = language
    redacted = {
        key: event[key]
        for key in ("event", "timestamp", "input_channel", "message_id")
        if key in event
    }
    redacted |= {
        "text": text,
        "parse_data": {
            "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
            "entities": entities,
            "text": text,
            "message_id": event.get("message_id"),
            "metadata": metadata,
        },
        "metadata": metadata,
    }
    return redacted


def is_redacted(event: Mapping) -> bool:
    return bool((event.get("metadata") or {}).get(REDACTED))


def make_tracker_engine(env: Mapping[str, str] | None = None) -> Engine | None:
    """An engine on the tracker store's database (`tracker_url`), or None when there is none."""
    url = tracker_url(env)
    return None if url is None else create_engine(url, future=True, pool_pre_ping=True)
