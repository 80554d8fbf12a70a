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

    verdicts = relationship(
        "CriterionVerdict",
        back_populates="screening",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CriterionVerdict.position",
    )
    referral = relationship(
        "Referral",
        back_populates="screening",
        uselist=False,
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CriterionVerdict(Base):
    """One criterion's verdict, with the patient's own words beside it for the coordinator.

    One column per field of the stored verdict record (bot.eligibility.VerdictRecord). The table
    keeps its first name, "answer" (renaming it would need a migration for nothing)."""

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

    screening = relationship("Screening", back_populates="verdicts")


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
    """A study coordinator's dashboard account: argon2id hash (never the password) and TOTP.

    `totp_secret` is the base32 TOTP seed; it is a credential, so it never appears in logs, repr
    or the audit trail. NULL means "not enrolled": such an account cannot sign in until an
    administrator runs `python -m bot reset-coordinator NAME --totp`. `totp_last_step` is the
    time step of the last accepted code, so no code is accepted twice (ASVS 2.8.4).
    `disabled_at` set means the account cannot sign in and has no open sessions.
    """

    __tablename__ = "coordinator"

    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(UtcDateTime, nullable=False)
    last_login_at = Column(UtcDateTime)
    totp_secret = Column(String(64))
    totp_last_step = Column(Integer)
    disabled_at = Column(UtcDateTime)
    # The dashboard's language for this coordinator ("en" or "zh"), chosen in the page header.
    language = Column(String(8), nullable=False, default="en", server_default="en")

    def __repr__(self) -> str:
        return f"<Coordinator {self.id} {self.username!r}>"  # no hash, no TOTP secret


class LoginThrottle(Base):
    """Failed sign-ins counted against one key, with the time the key may try again.

    `key` is "addr:", "acct:" or "device:" followed by a SHA-256 of the source address, the typed
    account name or a trusted-device cookie's id: never the raw name a visitor typed. The policy
    (free tries, backoff, caps, trusted-device cookies) is described in bot.store.repository,
    above `verify_login`.
    """

    __tablename__ = "login_throttle"

    key = Column(String(80), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    last_failure_at = Column(UtcDateTime, nullable=False)
    blocked_until = Column(UtcDateTime)


class AuditEvent(Base):
    """Who did what to which referral, when, and from where. Never holds contact details or
    patient words (a list's filters are recorded, not the rows it showed).

    `referral_id` is a plain number, not a foreign key, so the trail outlives a deleted referral.
    """

    __tablename__ = "audit_event"

    id = Column(Integer, primary_key=True)
    at = Column(UtcDateTime, nullable=False, index=True)
    actor = Column(String(80), nullable=False)
    action = Column(String(60), nullable=False)
    referral_id = Column(Integer, index=True)
    detail = Column(String(200), nullable=False, default="")
    # The request's source address (bot.dashboard.security.client_address); None for commands.
    source_address = Column(String(64))


class DashboardSession(Base):
    """A coordinator's signed-in dashboard session, so logout and idle timeout end it for real.

    Only a SHA-256 of the session token is stored; the token itself lives in the browser cookie.
    `created_at` starts the 12-hour absolute lifetime, `last_seen_at` the 30-minute idle one.
    """

    __tablename__ = "dashboard_session"

    token_hash = Column(String(64), primary_key=True)
    coordinator_pk = Column(
        Integer, ForeignKey("coordinator.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = Column(UtcDateTime, nullable=False)
    last_seen_at = Column(UtcDateTime, nullable=False)

    coordinator = relationship("Coordinator")


class NotificationOutbox(Base):
    """One e-mail to the study team waiting to be sent, or sent: the chat only adds a row.

    The chat writes the row in the referral's own transaction and never waits for a mail server;
    `python -m bot notify` (bot.notifications) sends pending rows and retries failures with
    backoff. A row holds no health data and no contact details: only its kind ("new_referral",
    "handoff", "digest"), the referral it is about (if any), and the sending state. `last_error`
    says what the mail server answered, never what the mail said.

    `dedupe_key` makes a notification happen once ("new_referral:12", "digest:2026-12-03") also
    when the chat retries a turn; a handoff with no referral has none. `digest_pk` points a new
    referral folded into a daily digest at that digest's row (status "batched" until it is sent).
    Deleting a referral deletes its rows, so a withdrawn patient is never announced.
    """

    __tablename__ = "notification_outbox"

    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    referral_pk = Column(Integer, ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    dedupe_key = Column(String(60), unique=True)
    created_at = Column(UtcDateTime, nullable=False)
    # "pending" (to send), "batched" (in a digest), "sent", "skipped" (an empty digest day)
    status = Column(String(20), nullable=False, default="pending", index=True)
    digest_pk = Column(
        Integer, ForeignKey("notification_outbox.id", ondelete="SET NULL"), index=True
    )
    attempts = Column(Integer, nullable=False, default=0)
    # Not before this time: set by backoff after a failure, and as a lease while one is sent.
    next_attempt_at = Column(UtcDateTime)
    last_attempt_at = Column(UtcDateTime)
    last_error = Column(String(200))
    sent_at = Column(UtcDateTime)
