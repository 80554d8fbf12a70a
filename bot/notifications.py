"""E-mail to the study team: a new referral is waiting, or a patient asked for a person.

The chat never sends mail: it adds a row to the store's outbox (bot.store.outbox) and goes on.
This module is the other half, run as `python -m bot notify --once` or `--every SECONDS`
(`make run` supervises it): it sends each pending row over SMTP with STARTTLS and records every
attempt; a failed one is retried with backoff and shown on the dashboard's queue page.

A mail says only "referral HN-XXXXXX is waiting" (or "a patient asked for a person") and links to
the dashboard, in English and Chinese: no health data, no contact details. Mail crosses servers
the study does not run; the dashboard is where a signed-in coordinator reads the rest.

Settings come from the environment (`Settings.from_environ`, read by bot/settings.py; names in
`ENVIRONMENT`).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot import settings as product_settings
from bot.i18n import CHINESE, DASHBOARD, N_, gettext_for
from bot.store import outbox
from bot.store.db import StoreUnavailable, session_scope
from bot.trial import load_trial

logger = logging.getLogger(__name__)

# Every setting, by environment variable (bot/settings.py's fields); the README's notification
# table lists the same.
ENVIRONMENT = {
    key: product_settings.variable(name)
    for key, name in {
        "host": "smtp_host",
        "port": "smtp_port",
        "username": "smtp_username",
        "password": "smtp_password",
        "starttls": "smtp_starttls",
        "ca_file": "smtp_ca_file",
        "sender": "notify_from",
        "recipients": "notify_to",
        "dashboard_url": "dashboard_public_url",
        "digest": "notify_digest",
        "digest_hour": "notify_digest_hour",
    }.items()
}
DEFAULT_PORT = product_settings.Settings.smtp_port
DEFAULT_DIGEST_HOUR = product_settings.Settings.notify_digest_hour
SMTP_TIMEOUT_S = 20.0
# A row being sent is leased for this long, so a worker that dies mid-send does not hold it.
LEASE = timedelta(minutes=5)
# After a failure: 1, 2, 4 ... minutes, at most an hour between tries; never given up on.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
STARTED = "notification worker started"


class NotificationError(RuntimeError):
    """The mail could not be handed to the mail server; the message says why (no mail text)."""


@dataclass(frozen=True)
class Settings:
    """Where and how to send, read once from the environment.

    `problems` lists what is missing or malformed; while there are any the worker sends nothing
    and the rows stay pending.
    """

    host: str = ""
    port: int = DEFAULT_PORT
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = product_settings.Settings.smtp_starttls
    ca_file: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    dashboard_url: str = ""
    digest: bool = product_settings.Settings.notify_digest
    digest_hour: int = DEFAULT_DIGEST_HOUR
    timezone: str = "Asia/Shanghai"
    problems: tuple[str, ...] = ()

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, trial_id: str = "hn2301"
    ) -> Settings:
        """The settings in `environ` (default `os.environ`); the digest hour is the trial site's."""
        given = product_settings.load_settings(environ)
        problems = [
            f"{ENVIRONMENT[key]} is not set"
            for key, value in (
                ("host", given.smtp_host),
                ("sender", given.notify_from),
                ("recipients", given.notify_to),
            )
            if not value
        ]
        problems += given.problems_with(
            *(ENVIRONMENT[key] for key in ("port", "digest_hour", "starttls", "digest"))
        )
        if given.smtp_password.strip() and not given.smtp_username:
            problems.append(f"{ENVIRONMENT['password']} is set without {ENVIRONMENT['username']}")
        if given.smtp_ca_file and not os.path.isfile(given.smtp_ca_file):
            problems.append(f"{ENVIRONMENT['ca_file']} is not a file")
        return cls(
            host=given.smtp_host,
            port=given.smtp_port,
            username=given.smtp_username,
            password=given.smtp_password,
            starttls=given.smtp_starttls,
            ca_file=given.smtp_ca_file,
            sender=given.notify_from,
            recipients=given.notify_to,
            dashboard_url=given.dashboard_public_url,
            digest=given.notify_digest,
            digest_hour=given.notify_digest_hour,
            timezone=load_trial(trial_id).timezone,
            problems=tuple(problems),
        )

    @property
    def configured(self) -> bool:
        return not self.problems

    def link(self, path: str = "") -> str:
        """The dashboard page at `path` ("" for the queue); "" when no public URL is set."""
        if not self.dashboard_url:
            return ""
        return self.dashboard_url.rstrip("/") + "/" + path.lstrip("/")


# --- what a mail says --------------------------------------------------------------------------
# English here, Chinese in the dashboard catalog (bot/locale/zh/LC_MESSAGES/dashboard.po).

SUBJECT_REFERRAL = N_("HN2301: new referral %(code)s")
BODY_REFERRAL = N_("A new referral %(code)s is waiting in the coordinator dashboard.")
SUBJECT_HANDOFF = N_("HN2301: a patient asked to talk to a person")
BODY_HANDOFF = N_("A patient asked to talk to a person in the pre-screening chat (%(when)s).")
BODY_HANDOFF_REFERRED = N_("Their referral is %(code)s.")
BODY_HANDOFF_ANONYMOUS = N_(
    "They have not left contact details; the chat told them how to reach the study team. If "
    "they leave their details, their referral will be in the queue."
)
SUBJECT_DIGEST = N_("HN2301: new referrals on %(day)s: %(count)s")
BODY_DIGEST = N_("New referrals waiting in the coordinator dashboard (%(count)s):")
FOOTER = N_(
    "This e-mail carries no health data and no contact details: sign in to the dashboard to see "
    "them."
)
AUTOMATIC = N_("Sent automatically by the HN2301 pre-screening assistant.")


@dataclass(frozen=True)
class _Mail:
    subject: str
    params: dict
    lines: tuple[str, ...]  # paragraphs (texts above, with `params`)
    links: tuple[str, ...]  # shown under them, the same in both languages
    listed: tuple[str, ...] = ()  # reference codes, one a line


def compose(notice: outbox.Notice, settings: Settings) -> EmailMessage:
    """The bilingual plain-text mail for one outbox row."""
    mail = _mail_for(notice, settings)
    chinese = gettext_for(CHINESE, DASHBOARD)
    message = EmailMessage()
    message["Subject"] = f"{mail.subject % mail.params} / {chinese(mail.subject) % mail.params}"
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(
        domain=parseaddr(settings.sender)[1].rpartition("@")[2] or None
    )
    message["Auto-Submitted"] = "auto-generated"
    blocks = []
    for translate in (str, chinese):
        paragraph = [translate(line) % mail.params for line in mail.lines]
        blocks.append("\n".join([*paragraph, *mail.listed, *mail.links]))
    signature = [translate(text) for text in (FOOTER, AUTOMATIC) for translate in (str, chinese)]
    text = "\n\n".join(blocks) + "\n\n-- \n" + "\n".join(signature) + "\n"
    # Quoted-printable keeps the ASCII (codes, links) readable in the raw mail.
    message.set_content(text, cte="quoted-printable")
    return message


def _mail_for(notice: outbox.Notice, settings: Settings) -> _Mail:
    if notice.kind == outbox.NEW_REFERRAL:
        (referral_id, code), *_ = notice.referrals
        return _Mail(
            subject=SUBJECT_REFERRAL,
            params={"code": code},
            lines=(BODY_REFERRAL,),
            links=_links(settings.link(f"referrals/{referral_id}")),
        )
    if notice.kind == outbox.HANDOFF:
        local = notice.created_at.astimezone(ZoneInfo(settings.timezone))
        params = {"when": f"{local:%Y-%m-%d %H:%M} {settings.timezone}"}
        if notice.referrals:
            (referral_id, code), *_ = notice.referrals
            return _Mail(
                subject=SUBJECT_HANDOFF,
                params={**params, "code": code},
                lines=(BODY_HANDOFF, BODY_HANDOFF_REFERRED),
                links=_links(settings.link(f"referrals/{referral_id}")),
            )
        return _Mail(
            subject=SUBJECT_HANDOFF,
            params=params,
            lines=(BODY_HANDOFF, BODY_HANDOFF_ANONYMOUS),
            links=_links(settings.link()),
        )
    if notice.kind == outbox.DIGEST:
        day = notice.digest_day.isoformat() if notice.digest_day else ""
        return _Mail(
            subject=SUBJECT_DIGEST,
            params={"day": day, "count": len(notice.referrals)},
            lines=(BODY_DIGEST,),
            links=_links(settings.link()),
            listed=tuple(code for _referral_id, code in notice.referrals),
        )
    raise ValueError(f"unknown notification kind {notice.kind!r}")


def _links(url: str) -> tuple[str, ...]:
    return (url,) if url else ()


# --- sending -----------------------------------------------------------------------------------


class Mailer:
    """One SMTP connection for a batch of mails, opened on first use, STARTTLS before login."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the mail server; raise NotificationError saying what went wrong."""
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            refused = self.smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise NotificationError(describe_error(error)) from error
        if refused:
            raise NotificationError(f"the mail server refused {len(refused)} recipient(s)")

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
        try:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                context = ssl.create_default_context(cafile=settings.ca_file or None)
                smtp.starttls(context=context)
                smtp.ehlo()
            elif settings.starttls:
                raise NotificationError(
                    f"the mail server does not offer STARTTLS ({ENVIRONMENT['starttls']}=1)"
                )
            if settings.username:
                smtp.login(settings.username, settings.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()
        self.smtp = None


def describe_error(error: BaseException) -> str:
    """What went wrong, for the log and the dashboard: the server's answer or the socket error,
    never the mail, and never the recipients' addresses."""
    if isinstance(error, NotificationError):
        return str(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _text in error.recipients.values()})
        return f"the mail server refused every recipient ({', '.join(map(str, codes))})"
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        return f"{type(error).__name__}: {error.smtp_code} {' '.join(text.split())}"[:200]
    if isinstance(error, ssl.SSLError):
        return f"{type(error).__name__}: {error.reason or error}"[:200]
    if isinstance(error, OSError) and error.strerror:
        return f"{type(error).__name__}: {error.strerror}"[:200]
    return f"{type(error).__name__}: {error}"[:200]


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from a minute, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


# --- the worker --------------------------------------------------------------------------------


@dataclass
class RunResult:
    """One pass of the worker: how many mails went out, failed, and still wait."""

    sent: int = 0
    failed: int = 0
    waiting: int = 0
    configured: bool = True


class Worker:
    """Sends the outbox's due rows. `clock` is injectable so tests can step past the backoff."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self._said_unconfigured = False

    def run_once(self) -> RunResult:
        """Open today's digest if it is time, then send every due row once."""
        if not self.settings.configured:
            with session_scope(self.engine) as session:
                waiting = outbox.count_waiting(session=session)
            if not self._said_unconfigured:
                logger.warning(
                    "e-mail notifications are OFF: %s. Nothing is sent; notifications stay "
                    "pending (%d now) until this is fixed and the worker restarted.",
                    "; ".join(self.settings.problems),
                    waiting,
                )
                self._said_unconfigured = True
            return RunResult(waiting=waiting, configured=False)
        now = self.clock()
        if self.settings.digest:
            self._open_digest_if_due(now)
        kinds = (outbox.HANDOFF, outbox.DIGEST) if self.settings.digest else outbox.KINDS
        with session_scope(self.engine) as session:
            claimed = outbox.claim_due(session=session, now=now, lease=LEASE, kinds=kinds)
        result = RunResult()
        mailer = Mailer(self.settings)
        try:
            for row_id in claimed:
                if self._send(mailer, row_id):
                    result.sent += 1
                else:
                    result.failed += 1
        finally:
            mailer.close()
        with session_scope(self.engine) as session:
            result.waiting = outbox.count_waiting(session=session)
        return result

    def _open_digest_if_due(self, now: datetime) -> None:
        local = now.astimezone(ZoneInfo(self.settings.timezone))
        if local.hour < self.settings.digest_hour:
            return
        with session_scope(self.engine) as session:
            digest = outbox.open_digest(session=session, day=local.date(), at=now)
        if digest is not None:
            logger.info("daily digest %s opened (%s)", local.date().isoformat(), digest.status)

    def _send(self, mailer: Mailer, row_id: int) -> bool:
        """Send one row; True when the mail server took it (or there was nothing to send)."""
        with session_scope(self.engine) as session:
            about = outbox.notice(session=session, row_id=row_id)
        if about is None:
            return True  # its referral was deleted, and the row with it
        if about.kind == outbox.DIGEST and not about.referrals:
            with session_scope(self.engine) as session:
                outbox.mark_skipped(session=session, row_id=row_id, at=self.clock())
            return True
        try:
            mailer.send(compose(about, self.settings))
        except NotificationError as error:
            at = self.clock()
            with session_scope(self.engine) as session:
                attempts = outbox.record_failure(
                    session=session,
                    row_id=row_id,
                    at=at,
                    error=str(error),
                    backoff=retry_delay,
                )
            logger.warning(
                "notification %d (%s) not sent, attempt %d, next try in %s: %s",
                row_id,
                about.kind,
                attempts,
                retry_delay(attempts),
                error,
            )
            return False
        with session_scope(self.engine) as session:
            outbox.mark_sent(session=session, row_id=row_id, at=self.clock())
        logger.info("notification %d (%s) sent", row_id, about.kind)
        return True

    def run_forever(self, every_s: float) -> None:
        """A pass every `every_s` seconds; a store that is down is waited out, not fatal."""
        logger.info(
            "%s: every %g s, %s",
            STARTED,
            every_s,
            "daily digest" if self.settings.digest else "one mail per notification",
        )
        while True:
            try:
                result = self.run_once()
                if result.sent or result.failed:
                    logger.info(
                        "sent %d, failed %d, waiting %d", result.sent, result.failed, result.waiting
                    )
            except StoreUnavailable:
                logger.warning("the store cannot be reached; trying again in %g s", every_s)
            time.sleep(every_s)
