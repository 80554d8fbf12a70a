"""The store's tables, as SQLAlchemy declarative models.

Only what the pre-screen needs: a screening exists only after the patient consented to storing
their answers; contact details only after they consented to sharing them with the study team.
Before consent there is nothing but an anonymous daily counter.

Times are stored as UTC and always come back timezone-aware, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.schema import Column

Base = declarative_base()

REFERRAL_STATUSES = (
    "new",
    "contacted",
    "visit_scheduled",
    "enrolled",
    "screen_failed",
    "unreachable",
    "withdrawn",
)


class UtcDateTime(TypeDecorator):
    """A datetime stored as naive UTC and returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store times must be timezone-aware")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class DailyScreeningCount(Base):
    """How many conversations started a screening on a day: a number, no id, no data.

    Without consent nothing about a conversation may be kept, so the funnel's first step is
    only this counter.
    """

    __tablename__ = "daily_screening_count"

    trial_id = Column(String(40), primary_key=True)
    day = Column(Date, primary_key=True)
    started = Column(Integer, nullable=False, default=0)


class Screening(Base):
    """One consenting patient's pre-screen: when, which trial, and how it came out.

    `screening_id` is random (it reveals nothing); `conversation_id` is Rasa's sender id, kept so
    "what do you know about me" and "delete my data" can find this conversation's rows.
    """

    __tablename__ = "screening"

    id = Column(Integer, primary_key=True)
    screening_id = Column(String(32), nullable=False, unique=True)
    conversation_id = Column(String(255), nullable=False, unique=True)
    trial_id = Column(String(40), nullable=False)
    consented_at = Column(UtcDateTime, nullable=False)
    finished_at = Column(UtcDateTime)
    outcome = Column(String(40), index=True)
    main_reason = Column(Text)
    recheck_date = Column(Date)
    to_verify = Column(JSON, nullable=False, default=list)
    # The language the patient was screened in ("en" or "zh", bot.i18n.LANGUAGES); their words
    # are stored as they wrote them, in that language.
    language = Column(String(8), nullable=False, default="en", server_default="en")

    answers = relationship(
        "Answer",
        back_populates="screening",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Answer.position",
    )
    referral = relationship(
        "Referral",
        back_populates="screening",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Answer(Base):
    """One criterion's verdict, with the patient's own words beside it for the coordinator."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("screening_pk", "criterion"),)

    id = Column(Integer, primary_key=True)
    screening_pk = Column(
        Integer, ForeignKey("screening.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position = Column(Integer, nullable=False)
    criterion = Column(String(80), nullable=False)
    item = Column(String(20), nullable=False)
    kind = Column(String(20), nullable=False)
    verdict = Column(String(20), nullable=False)
    reason = Column(Text, nullable=False, default="")
    # How the English `reason` was composed (bot.rules.reason_tree), for the dashboard to say
    # it in the coordinator's language; None on rows saved before it existed.
    reason_i18n = Column(JSON)
    words = Column(Text, nullable=False, default="")
    parsed = Column(JSON)
    until = Column(Date)

    screening = relationship("Screening", back_populates="answers")


class Referral(Base):
    """A consenting patient's contact details for the study team, and the team's work on it.

    `reference_code` is what the patient can quote on the phone ("HN-7K3Q9P"). `transcript` is a
    snapshot of the conversation (both sides, with times) taken when the referral was made.
    """

    __tablename__ = "referral"

    id = Column(Integer, primary_key=True)
    screening_pk = Column(
        Integer, ForeignKey("screening.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    reference_code = Column(String(16), nullable=False, unique=True)
    created_at = Column(UtcDateTime, nullable=False, index=True)
    contact_name = Column(String(200), nullable=False)
    phone = Column(String(40))
    email = Column(String(320))
    preferred_time = Column(String(200), nullable=False, default="")
    share_consent_at = Column(UtcDateTime, nullable=False)
    status = Column(String(20), nullable=False, default="new", index=True)
    status_changed_at = Column(UtcDateTime, nullable=False)
    transcript = Column(JSON, nullable=False, default=list)

    screening = relationship("Screening", back_populates="referral")
    notes = relationship(
        "ReferralNote",
        back_populates="referral",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ReferralNote.at",
    )


class ReferralNote(Base):
    """A coordinator's timestamped note; status changes are notes with `status_from/_to` set."""

    __tablename__ = "referral_note"

    id = Column(Integer, primary_key=True)
    referral_pk = Column(
        Integer, ForeignKey("referral.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = Column(UtcDateTime, nullable=False)
    author = Column(String(80), nullable=False)
    text = Column(Text, nullable=False, default="")
    status_from = Column(String(20))
    status_to = Column(String(20))

    referral = relationship("Referral", back_populates="notes")


class OtherStudiesContact(Base):
    """A not-eligible patient's opt-in to hear about other lupus studies: contact and consent."""

    __tablename__ = "other_studies_contact"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    email = Column(String(320))
    phone = Column(String(40))
    consent_at = Column(UtcDateTime, nullable=False)


class Coordinator(Base):
    """A study coordinator's dashboard account (argon2id hash, never the password)."""

    __tablename__ = "coordinator"

    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(UtcDateTime, nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UtcDateTime)
    last_login_at = Column(UtcDateTime)
    # The dashboard's language for this coordinator ("en" or "zh"), chosen in the page header.
    language = Column(String(8), nullable=False, default="en", server_default="en")


class AuditEvent(Base):
    """Who did what to which referral, when. Never holds contact details or patient words.

    `referral_id` is a plain number, not a foreign key, so the trail outlives a deleted referral.
    """

    __tablename__ = "audit_event"

    id = Column(Integer, primary_key=True)
    at = Column(UtcDateTime, nullable=False, index=True)
    actor = Column(String(80), nullable=False)
    action = Column(String(60), nullable=False)
    referral_id = Column(Integer, index=True)
    detail = Column(String(200), nullable=False, default="")


class DashboardSession(Base):
    """A coordinator's signed-in dashboard session, so logout and idle timeout end it for real.

    Only a SHA-256 of the session token is stored; the token itself lives in the browser cookie.
    """

    __tablename__ = "dashboard_session"

    token_hash = Column(String(64), primary_key=True)
    coordinator_pk = Column(
        Integer, ForeignKey("coordinator.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = Column(UtcDateTime, nullable=False)
    last_seen_at = Column(UtcDateTime, nullable=False)

    coordinator = relationship("Coordinator")
