"""E-mail to the study team against a real SMTP server (aiosmtpd) with STARTTLS and login.

The server is started by these tests with a certificate made here (a test CA and a certificate
for localhost signed by it); the worker trusts that CA through `HN2301_SMTP_CA_FILE`, so the
connection is verified TLS as in production. Referrals and handoffs go through the real chat
actions into a real migrated store; the mails are read back from the server and checked.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from actions import common, referral, screening
from bot import notifications
from bot.store import repository
from bot.store.db import make_engine, session_scope, upgrade_database
from bot.store.models import NotificationOutbox, Referral
from tests.actions.conftest import DOMAIN, make_tracker
from tests.bot.dashboard.dashboard_helpers import PASSWORD, START, Clock, sign_in
from tests.support.referrals import screened

ROOT = Path(__file__).resolve().parents[2]
USERNAME = "hn2301-notify"
SMTP_PASSWORD = "mail-password-for-tests"
DASHBOARD = "https://dashboard.example.org/hn2301/"
TEAM = ("team@example.org", "lead@example.org")

# The patient: every one of these is health data or a contact detail, and none may be mailed.
PATIENT = {
    "contact_name": "Wang Fang",
    "contact_phone": "+8613912345678",
    "contact_email": "wang.fang@patient.example.com",
    "contact_time": "after 9 in the morning",
}
FORBIDDEN = [
    "Wang",
    "Fang",
    "8613912345678",
    "13912345678",
    "139 1234 5678",
    "wang.fang",
    "patient.example.com",
    "after 9",
    "morning",
    "prednisone",
    "lupus nephritis",
    "I am 34",
    "likely",
    "eligible",
]
WORDS = [
    {"event": "bot", "text": "Which medicines do you take?", "timestamp": 1764000000.0},
    {
        "event": "user",
        "text": "prednisone 20mg, and I had lupus nephritis",
        "timestamp": 1764000005.0,
    },
    {"event": "bot", "text": "How old are you?", "timestamp": 1764000010.0},
    {"event": "user", "text": "I am 34", "timestamp": 1764000015.0},
]


# --- a real SMTP server with STARTTLS --------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A test CA's certificate file (for the worker) and the server's TLS context."""
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("HN2301 test CA"))
        .issuer_name(_name("HN2301 test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file = folder / "server.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = folder / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the server received: each message with the envelope and whether TLS and login held."""

    def __init__(self) -> None:
        self.received: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            {
                "message": email.message_from_bytes(envelope.content, policy=email.policy.default),
                "raw": envelope.content,
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "tls": session.ssl is not None,
                "login": session.auth_data,
            }
        )
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        return [item["message"] for item in self.received]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USERNAME.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=USERNAME if ok else None)


class MailServer:
    """aiosmtpd on a fixed port, which tests stop (the server is down) and start again."""

    def __init__(self, tls_context: ssl.SSLContext | None, port: int) -> None:
        self.tls_context = tls_context
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        options = {"hostname": "127.0.0.1", "port": self.port}
        if self.tls_context is not None:
            options |= {
                "tls_context": self.tls_context,
                "require_starttls": True,
                "auth_required": True,
                "authenticator": _authenticator,
            }
        self.controller = Controller(self.inbox, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail_server(tls):
    server = MailServer(tls[1], _free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def environ(tls, mail_server):
    """The worker's settings, as an operator would set them."""
    return {
        "HN2301_SMTP_HOST": "localhost",
        "HN2301_SMTP_PORT": str(mail_server.port),
        "HN2301_SMTP_USERNAME": USERNAME,
        "HN2301_SMTP_PASSWORD": SMTP_PASSWORD,
        "HN2301_SMTP_CA_FILE": str(tls[0]),
        "HN2301_NOTIFY_FROM": "HN2301 pre-screen <prescreen@example.org>",
        "HN2301_NOTIFY_TO": ", ".join(TEAM),
        "HN2301_DASHBOARD_PUBLIC_URL": DASHBOARD,
    }


# --- the store the chat actions write to -----------------------------------------------------


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    monkeypatch.setenv("HN2301_DATABASE_URL", url)
    common.store_engine.cache_clear()
    yield url
    common.store_engine.cache_clear()


@pytest.fixture
def engine(store_url):
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


class StepClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


def worker(engine, environ, clock=None, **overrides) -> notifications.Worker:
    settings = notifications.Settings.from_environ({**environ, **overrides})
    assert settings.configured, settings.problems
    return notifications.Worker(engine, settings, clock or StepClock(datetime.now(timezone.utc)))


def run(coroutine):
    return asyncio.run(coroutine)


def finished_screening(engine, conversation_id: str) -> None:
    """A finished likely-eligible screening with the patient's health answers, as the outcome
    action leaves it."""
    at = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        screened(
            session,
            conversation_id,
            at=at,
            main_reason="lupus nephritis in the past",
            to_verify=["Screening labs: ANA, anti-dsDNA"],
            verdicts=[
                {
                    "criterion": "steroid_dose",
                    "item": "I6",
                    "kind": "self_reported",
                    "verdict": "met",
                    "reason": "prednisone 20mg a day",
                    "words": "prednisone 20mg, and I had lupus nephritis",
                    "parsed": None,
                    "until": None,
                }
            ],
        )


def refer_through_the_chat(engine, conversation_id: str = "patient-1") -> tuple[str, list[str]]:
    """The real referral action, as Rasa runs it; the reference code and what the patient read."""
    finished_screening(engine, conversation_id)
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(PATIENT, events=WORDS, sender_id=conversation_id, active_loop=None)
    run(referral.ActionCreateReferral().run(dispatcher, tracker, DOMAIN))
    with session_scope(engine) as session:
        code = session.scalar(
            select(Referral.reference_code)
            .join(Referral.screening)
            .where(repository.Screening.conversation_id == conversation_id)
        )
    return code, [m.get("text") or "" for m in dispatcher.messages]


def ask_for_a_person(conversation_id: str, events=()) -> list[str]:
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="can I talk to a real person", intent="human_handoff", sender_id=conversation_id,
        events=list(events),
    )  # fmt: skip
    run(screening.ActionHumanHandoff().run(dispatcher, tracker, DOMAIN))
    return [m.get("text") or "" for m in dispatcher.messages]


def outbox_rows(engine) -> list[NotificationOutbox]:
    with session_scope(engine) as session:
        return session.scalars(select(NotificationOutbox).order_by(NotificationOutbox.id)).all()


def body(message: EmailMessage) -> str:
    return message.get_content()


def assert_nothing_about_the_patient(received: dict) -> None:
    text = (str(received["message"]["Subject"]) + "\n" + body(received["message"])).casefold()
    raw = received["raw"].decode("utf-8", "replace").casefold()
    for forbidden in FORBIDDEN:
        assert forbidden.casefold() not in text, forbidden
        assert forbidden.casefold() not in raw, forbidden


# --- the tests -------------------------------------------------------------------------------


def test_a_new_referral_sends_one_mail_with_only_its_code_and_the_link(
    engine, environ, mail_server
):
    code, patient_read = refer_through_the_chat(engine)
    assert code and code in patient_read[0]
    [row] = outbox_rows(engine)
    assert (row.kind, row.status) == ("new_referral", "pending")

    result = worker(engine, environ).run_once()

    assert (result.sent, result.failed, result.waiting) == (1, 0, 0)
    [received] = mail_server.inbox.received
    assert received["tls"], "the mail went in clear"
    assert received["login"] == USERNAME
    assert received["to"] == list(TEAM)
    message = received["message"]
    assert message["Subject"] == f"HN2301: new referral {code} / HN2301：新转介 {code}"
    with session_scope(engine) as session:
        referral_id = session.scalar(select(Referral.id).where(Referral.reference_code == code))
    text = body(message)
    assert f"A new referral {code} is waiting in the coordinator dashboard." in text
    assert f"协调员工作台中有一个新转介 {code} 等待处理。" in text
    assert f"{DASHBOARD}referrals/{referral_id}" in text
    assert "no health data and no contact details" in text
    assert_nothing_about_the_patient(received)
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)

    # once: another pass, and the same turn retried by Rasa, send nothing more
    assert worker(engine, environ).run_once().sent == 0
    refer_through_the_chat(engine)
    assert len(outbox_rows(engine)) == 1
    assert worker(engine, environ).run_once().sent == 0
    assert len(mail_server.inbox.received) == 1


def test_a_patient_asking_for_a_person_is_mailed_once_with_no_handle_before_a_referral(
    engine, environ, mail_server
):
    replies = ask_for_a_person("anonymous-conversation-7f3a")
    assert "contact" in replies[0]
    # the same conversation asking again (Rasa sends the earlier action in its events)
    again = [{"event": "action", "name": "action_human_handoff"}]
    ask_for_a_person("anonymous-conversation-7f3a", events=again)
    assert [r.kind for r in outbox_rows(engine)] == ["handoff"]

    assert worker(engine, environ).run_once().sent == 1
    [received] = mail_server.inbox.received
    message = received["message"]
    assert "a patient asked to talk to a person" in message["Subject"]
    assert "有患者要求与工作人员交谈" in message["Subject"]
    text = body(message)
    assert "A patient asked to talk to a person in the pre-screening chat" in text
    assert "They have not left contact details" in text
    assert "尚未留下联系方式" in text
    assert DASHBOARD in text
    assert "anonymous-conversation-7f3a" not in received["raw"].decode()
    assert "HN-" not in text


def test_a_referred_patient_asking_for_a_person_is_named_by_their_code(
    engine, environ, mail_server
):
    code, _ = refer_through_the_chat(engine, "patient-2")
    assert worker(engine, environ).run_once().sent == 1  # the referral's own mail
    ask_for_a_person("patient-2")
    assert worker(engine, environ).run_once().sent == 1
    handoff = mail_server.inbox.received[1]
    text = body(handoff["message"])
    assert f"Their referral is {code}." in text
    assert f"其转介编号为 {code}。" in text
    assert "/referrals/" in text
    assert_nothing_about_the_patient(handoff)


def test_the_server_down_keeps_the_mail_pending_and_it_goes_once_when_the_server_is_back(
    engine, environ, mail_server
):
    mail_server.stop()
    code, patient_read = refer_through_the_chat(engine)
    assert code in patient_read[0]  # the chat did not notice the mail server at all
    clock = StepClock(datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc))
    down = worker(engine, environ, clock)

    result = down.run_once()

    assert (result.sent, result.failed, result.waiting) == (0, 1, 1)
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_attempt_at == clock.now
    assert row.next_attempt_at == clock.now + timedelta(minutes=1)
    assert row.last_error.startswith("ConnectionRefusedError")
    for forbidden in [*FORBIDDEN, code]:
        assert forbidden.casefold() not in row.last_error.casefold()

    clock.advance(minutes=1)
    assert down.run_once().failed == 1  # still down: the second attempt, waiting longer
    [row] = outbox_rows(engine)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now + timedelta(minutes=2))

    mail_server.start()
    assert down.run_once().sent == 0  # back, but the backoff has not run out yet
    clock.advance(minutes=2)
    assert down.run_once().sent == 1
    assert down.run_once().sent == 0
    clock.advance(hours=2)
    assert down.run_once().sent == 0
    [received] = mail_server.inbox.received
    assert code in received["message"]["Subject"]
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, clock.now - timedelta(hours=2))


def test_a_server_without_starttls_gets_nothing_when_starttls_is_required(engine, environ):
    plain = MailServer(None, _free_port())
    plain.start()
    try:
        refer_through_the_chat(engine)
        plain_environ = {**environ, "HN2301_SMTP_PORT": str(plain.port)}
        unsafe = {"HN2301_SMTP_USERNAME": "", "HN2301_SMTP_PASSWORD": ""}
        assert worker(engine, plain_environ, **unsafe).run_once().failed == 1
        assert plain.inbox.received == []
        [row] = outbox_rows(engine)
        assert "does not offer STARTTLS" in row.last_error
        # an operator who explicitly allows a plain local relay
        later = StepClock(datetime.now(timezone.utc) + timedelta(hours=1))
        allowed = worker(engine, plain_environ, later, HN2301_SMTP_STARTTLS="0", **unsafe)
        assert allowed.run_once().sent == 1
        assert len(plain.inbox.received) == 1
    finally:
        plain.stop()


def test_a_wrong_password_is_recorded_and_nothing_is_sent(engine, environ, mail_server):
    refer_through_the_chat(engine)
    result = worker(engine, environ, HN2301_SMTP_PASSWORD="wrong").run_once()
    assert result.failed == 1
    [row] = outbox_rows(engine)
    assert row.last_error.startswith("SMTPAuthenticationError: 535")
    assert "wrong" not in row.last_error
    assert mail_server.inbox.received == []


def test_the_daily_digest_lists_the_days_new_referrals_in_one_mail_at_the_set_hour(
    engine, environ, mail_server
):
    digest = {"HN2301_NOTIFY_DIGEST": "1", "HN2301_NOTIFY_DIGEST_HOUR": "8"}
    # 07:30 in Shanghai (UTC+8) on 3 December
    clock = StepClock(datetime(2026, 12, 2, 23, 30, tzinfo=timezone.utc))
    daily = worker(engine, environ, clock, **digest)
    first, _ = refer_through_the_chat(engine, "a")
    second, _ = refer_through_the_chat(engine, "b")
    ask_for_a_person("c")

    assert daily.run_once().sent == 1  # a person asked: that one does not wait
    [handoff] = mail_server.inbox.messages
    assert "talk to a person" in handoff["Subject"]

    clock.advance(minutes=29)  # 07:59
    assert daily.run_once().sent == 0
    clock.advance(minutes=2)  # 08:01
    assert daily.run_once().sent == 1
    digest_mail = mail_server.inbox.received[1]
    message = digest_mail["message"]
    assert message["Subject"] == (
        "HN2301: new referrals on 2026-12-03: 2 / HN2301：2026-12-03 的新转介：2 条"
    )
    text = body(message)
    assert "New referrals waiting in the coordinator dashboard (2):" in text
    assert "协调员工作台中等待处理的新转介（共 2 条）：" in text
    assert text.count(first) == 2 and text.count(second) == 2  # one list per language
    assert_nothing_about_the_patient(digest_mail)

    third, _ = refer_through_the_chat(engine, "d")  # after today's digest: tomorrow's
    clock.advance(hours=3)
    assert daily.run_once().sent == 0
    clock.advance(hours=21)  # 08:01 on 4 December
    assert daily.run_once().sent == 1
    tomorrow = body(mail_server.inbox.messages[2])
    assert third in tomorrow and first not in tomorrow
    clock.advance(days=1)  # nothing new on the 5th: no mail
    assert daily.run_once().sent == 0
    assert len(mail_server.inbox.received) == 3
    assert {r.status for r in outbox_rows(engine)} == {"sent", "skipped"}


def test_without_smtp_settings_nothing_is_sent_the_log_says_so_once_and_rows_wait(
    engine, mail_server, caplog
):
    refer_through_the_chat(engine)
    settings = notifications.Settings.from_environ({})
    assert not settings.configured
    idle = notifications.Worker(engine, settings)
    with caplog.at_level(logging.WARNING, logger="bot.notifications"):
        first = idle.run_once()
        second = idle.run_once()
    assert (first.configured, first.waiting, second.waiting) == (False, 1, 1)
    [said] = [r.getMessage() for r in caplog.records if "OFF" in r.getMessage()]
    assert "HN2301_SMTP_HOST is not set" in said and "HN2301_NOTIFY_TO is not set" in said
    [row] = outbox_rows(engine)
    assert (row.status, row.attempts) == ("pending", 0)
    assert mail_server.inbox.received == []


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("HN2301_SMTP_PORT", "smtp", "HN2301_SMTP_PORT must be a whole number"),
        ("HN2301_NOTIFY_DIGEST_HOUR", "24", "HN2301_NOTIFY_DIGEST_HOUR must be a whole number"),
        ("HN2301_SMTP_STARTTLS", "maybe", "HN2301_SMTP_STARTTLS must be 1 or 0"),
        ("HN2301_SMTP_CA_FILE", "/no/such/ca.pem", "HN2301_SMTP_CA_FILE is not a file"),
    ],
)
def test_malformed_settings_are_named_and_turn_sending_off(environ, variable, value, problem):
    settings = notifications.Settings.from_environ({**environ, variable: value})
    assert not settings.configured
    assert any(p.startswith(problem) for p in settings.problems), settings.problems
    assert SMTP_PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://nobody@127.0.0.1:1/nothing",  # no database server there
        "sqlite:///{tmp}/never-migrated.db",  # a store without the outbox table
    ],
)
def test_the_chat_still_answers_a_patient_asking_for_a_person_when_the_outbox_fails(
    monkeypatch, tmp_path, url, caplog
):
    monkeypatch.setenv("HN2301_DATABASE_URL", url.format(tmp=tmp_path))
    common.store_engine.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="actions.screening"):
            replies = ask_for_a_person("patient-9")
    finally:
        common.store_engine.cache_clear()
    assert "contact" in replies[0]
    assert any("Handoff notification not queued" in r.getMessage() for r in caplog.records)
    assert not any("patient-9" in r.getMessage() for r in caplog.records)


def test_the_queue_page_says_when_notifications_fail(engine, environ, mail_server, store_url):
    from bot.dashboard import create_app

    mail_server.stop()
    refer_through_the_chat(engine)
    clock = StepClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    assert worker(engine, environ, clock).run_once().failed == 1
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": store_url,
            "SECRET_KEY_FILE": Path(store_url.removeprefix("sqlite:///")).parent / "secret",
            "CLOCK": Clock(),
        }
    )
    try:
        with session_scope(app.extensions["hn2301_engine"]) as session:
            repository.create_coordinator(
                session=session, username="amy", password=PASSWORD, at=START
            )
        client = app.test_client()
        assert sign_in(client).status_code == 302
        notice = _notice(client.get("/").get_data(as_text=True))
        assert "E-mail notifications to the study team could not be sent: 1." in notice
        assert (
            "Mar 2, 2026, 5:00\u202fPM" in notice or "Mar 2, 2026, 5:00 PM" in notice
        )  # site time
        assert "ConnectionRefusedError" in notice
        with session_scope(app.extensions["hn2301_engine"]) as session:
            repository.set_coordinator_language(session=session, username="amy", language="zh")
        chinese = _notice(client.get("/").get_data(as_text=True))
        assert "有 1 条发给研究团队的邮件通知未能发送。" in chinese
        assert "2026年3月2日 17:00" in chinese

        mail_server.start()
        clock.advance(minutes=1)
        assert worker(engine, environ, clock).run_once().sent == 1
        assert _notice(client.get("/").get_data(as_text=True)) == ""
        with session_scope(app.extensions["hn2301_engine"]) as session:
            repository.set_coordinator_language(session=session, username="amy", language="en")
        page = client.get("/").get_data(as_text=True)
        assert "Referral queue" in page and _notice(page) == ""
    finally:
        app.extensions["hn2301_engine"].dispose()


def _notice(page: str) -> str:
    """The queue page's notification notice ("" when there is none)."""
    found = re.search(r'<p class="[^"]*notifications-failing[^"]*".*?</p>', page, flags=re.S)
    return found.group(0) if found else ""


def _cli_env(store_url: str, environ: dict) -> dict:
    return {**os.environ, "HN2301_DATABASE_URL": store_url, "PYTHONPATH": str(ROOT), **environ}


def test_python_m_bot_notify_once_and_every(engine, environ, mail_server, store_url):
    refer_through_the_chat(engine, "a")
    once = subprocess.run(
        [sys.executable, "-m", "bot", "notify", "--once"],
        cwd=ROOT, env=_cli_env(store_url, environ), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert once.returncode == 0, once.stderr
    assert "sent 1, failed 0, waiting 0" in once.stdout
    assert len(mail_server.inbox.received) == 1

    refer_through_the_chat(engine, "b")
    loop = subprocess.Popen(
        [sys.executable, "-m", "bot", "notify", "--every", "1"],
        cwd=ROOT, env=_cli_env(store_url, environ), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(mail_server.inbox.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        refer_through_the_chat(engine, "c")  # a referral while the worker runs
        while len(mail_server.inbox.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        loop.terminate()
        output = loop.communicate(timeout=30)[0]
    assert len(mail_server.inbox.received) == 3, output
    assert notifications.STARTED in output
    for forbidden in FORBIDDEN:
        assert forbidden.casefold() not in output.casefold(), forbidden


def test_make_run_supervises_the_worker(tmp_path, monkeypatch):
    for variable in notifications.ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    from scripts.stack import Stack, StackConfig, Supervisor

    config = StackConfig.throwaway(tmp_path / "stack")
    stack = Stack(config, echo=open(os.devnull, "w"))  # noqa: SIM115
    service = stack.notifier()
    assert service.argv[1:4] == ["-m", "bot", "notify"]
    assert "--every" in service.argv
    stack.migrate()
    supervisor = Supervisor([service], config.work_dir, config.log_dir, stack.env())
    supervisor.start()
    try:
        supervisor.wait_ready(service)
        deadline = time.monotonic() + service.startsecs + 10
        while supervisor.state("notify")["statename"] == "STARTING" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert supervisor.state("notify")["statename"] == "RUNNING"  # it stayed up
    finally:
        supervisor.stop()
        stack.echo.close()
    log = service.tail(200)
    assert notifications.STARTED in log
    assert "e-mail notifications are OFF" in log  # no SMTP settings in the tests' environment


def test_through_the_real_stack_asking_for_a_person_queues_one_notification(rasa_stack):
    from tests.support.stack import new_sender, talk

    engine = make_engine(rasa_stack.database_url)
    try:
        with session_scope(engine) as session:
            before = session.scalar(select(func.max(NotificationOutbox.id))) or 0
        sender = new_sender()
        assert any("contact" in reply for reply in talk(rasa_stack, sender, "talk to a person"))
        assert any("contact" in reply for reply in talk(rasa_stack, sender, "talk to a person"))
        with session_scope(engine) as session:
            new = session.scalars(
                select(NotificationOutbox).where(NotificationOutbox.id > before)
            ).all()
    finally:
        engine.dispose()
    assert [(row.kind, row.referral_pk) for row in new] == [("handoff", None)]
    assert rasa_stack.supervisor.state("notify")["statename"] == "RUNNING"
