"""Coordinator accounts: creating, disabling, enabling, unlocking and resetting them (the
`python -m bot` account commands), sign-in with password and TOTP code, its throttling, and
the dashboard's signed-in sessions.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import Coordinator, DashboardSession, LoginThrottle
from bot.store.repository.common import CoordinatorExists, _language
from bot.store.repository.workflow import record_audit

_password_hasher = PasswordHasher()  # argon2-cffi's defaults are argon2id


# Sign-in throttling (ASVS 2.2.1), instead of a hard lockout anyone could trigger:
#
# Every failed sign-in counts against keys in `login_throttle`. Each key has some free tries;
# the last of those and every further failure block the key for a doubling delay (30 s, 1 min,
# 2 min, ...) up to a cap, and a key forgets its failures a day after the last one.
#
# - "addr:" the source address (10 free tries, capped at 1 hour): one address cannot guess
#   passwords for many accounts (password spraying).
# - "acct:" the typed account name, whether or not the account exists (5 free tries, capped at
#   15 minutes): many addresses cannot guess one account's password quickly. Unknown names are
#   throttled exactly like real ones, so throttling does not reveal which accounts exist.
# - "device:" a trusted-device cookie (5 free tries): the browser a coordinator last signed in
#   with successfully carries a signed cookie naming their account (bot.dashboard.security).
#   An attempt for that account from that browser counts only against its own device key and
#   ignores the "addr:" and "acct:" keys. So an attacker elsewhere, who has no such cookie, can
#   slow sign-ins to an account from unknown browsers but can never lock its coordinator out of
#   their usual browser. Past its free tries a device cookie stops counting as trusted, and the
#   attempt falls back to the address and account keys.
#
# While a key is blocked even the right password and code fail, with the same work (one argon2
# verification, one TOTP check) and the same generic message as any other failure.
# `python -m bot unlock-coordinator NAME` clears an account's key.

THROTTLE_FREE_TRIES = {"addr": 10, "acct": 5, "device": 5}
THROTTLE_CAP = {"addr": timedelta(hours=1), "acct": timedelta(minutes=15)}
THROTTLE_FIRST_DELAY = timedelta(seconds=30)
THROTTLE_FORGET = timedelta(days=1)
UNKNOWN_ACCOUNT = "(unknown)"  # the audit actor of a failed sign-in that names no account
TOTP_ISSUER = "HN2301 dashboard"
TOTP_STEP_SECONDS = 30
TOTP_VALID_STEPS = (-1, 0, 1)  # a code from the previous or next 30 s also counts (clock drift)
ABSOLUTE_SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt came to.

    `coordinator` is None on any failure (the caller shows one generic message); `actor` is
    what the audit trail may record: the username if it names an account, else
    `UNKNOWN_ACCOUNT`, never a raw typed name (which could be a password typed in the wrong box).
    """

    coordinator: Coordinator | None
    actor: str


@functools.cache
def _dummy_password_hash() -> str:
    """An argon2id hash of a random password: verified when no real hash applies, so an
    unknown, disabled or throttled account costs the same time as a wrong password."""
    return _password_hasher.hash(secrets.token_urlsafe(24))


_DUMMY_TOTP_SECRET = pyotp.random_base32()


def new_totp_secret() -> str:
    """A fresh random TOTP seed (base32, 160 bits)."""
    return pyotp.random_base32(length=32)


def totp_uri(coordinator: Coordinator) -> str:
    """The otpauth:// URI an authenticator app enrols from (it holds the secret: show it once)."""
    return pyotp.TOTP(coordinator.totp_secret).provisioning_uri(
        name=coordinator.username, issuer_name=TOTP_ISSUER
    )


def totp_code(secret: str, at: datetime) -> str:
    """The 6-digit code for `secret` at `at` (for scripts and tests that sign in)."""
    return pyotp.TOTP(secret).at(at)


def create_coordinator(
    *,
    session: Session,
    username: str,
    password: str,
    at: datetime,
    language: str = "en",
    totp_secret: str | None = None,
) -> Coordinator:
    """A coordinator account: the argon2id hash of its password and a new TOTP secret.

    The caller shows the secret once (`totp_uri`) so the coordinator can enrol their app.
    """
    language = _language(language)
    username = username.strip()
    if not username:
        raise ValueError("a username is needed")
    if len(username) > 80:
        raise ValueError("a username has at most 80 characters")
    _check_password(password)
    if session.scalar(select(Coordinator.id).where(Coordinator.username == username)):
        raise CoordinatorExists(username)
    coordinator = Coordinator(
        username=username,
        password_hash=_password_hasher.hash(password),
        created_at=at,
        language=language,
        totp_secret=totp_secret or new_totp_secret(),
    )
    session.add(coordinator)
    session.flush()
    return coordinator


def _check_password(password: str) -> None:
    if len(password) < 12:
        raise ValueError("the password must be at least 12 characters")
    if len(password) > 1024:
        raise ValueError("the password must be at most 1024 characters")


def verify_login(
    *,
    session: Session,
    username: str,
    password: str,
    at: datetime,
    totp: str = "",
    source_address: str = "",
    trusted_device: tuple[int, str] | None = None,
) -> LoginResult:
    """Check a sign-in: password, TOTP code, throttling, disabled and unenrolled accounts.

    `trusted_device` is (coordinator id, device id) from a signature-checked device cookie.
    Every path does the same work: one argon2 verification (against a dummy hash when the
    account is unknown), one TOTP check, the same throttle reads and writes.
    """
    username = username.strip()[:80]
    coordinator = session.scalar(select(Coordinator).where(Coordinator.username == username))
    device_key = None
    if trusted_device is not None and coordinator is not None:
        device_pk, device_id = trusted_device
        if device_pk == coordinator.id:
            device_key = _throttle_key("device", device_id)
    device_row = session.get(LoginThrottle, device_key) if device_key else None
    device_trusted = device_key is not None and (
        device_row is None
        or device_row.failures < THROTTLE_FREE_TRIES["device"]
        or at - device_row.last_failure_at > THROTTLE_FORGET
    )
    if device_trusted:
        keys = [device_key]
    else:
        keys = [_throttle_key("addr", source_address), _throttle_key("acct", username)]
    rows = [session.get(LoginThrottle, key) for key in keys]
    blocked = any(
        row is not None and row.blocked_until is not None and row.blocked_until > at for row in rows
    )

    password_hash = coordinator.password_hash if coordinator else _dummy_password_hash()
    try:
        password_ok = _password_hasher.verify(password_hash, password[:1024])
    except (VerificationError, InvalidHashError):
        password_ok = False
    enrolled = coordinator is not None and bool(coordinator.totp_secret)
    step = _totp_step(
        coordinator.totp_secret if enrolled else _DUMMY_TOTP_SECRET,
        totp,
        at,
        after=coordinator.totp_last_step if enrolled else None,
    )
    accepted = (
        password_ok
        and enrolled
        and step is not None
        and coordinator.disabled_at is None
        and not blocked
    )
    actor = coordinator.username if coordinator is not None else UNKNOWN_ACCOUNT
    if not accepted:
        for key, row in zip(keys, rows, strict=True):
            _count_failure(session, key, row, at)
        _forget_old_failures(session, at)
        session.flush()
        return LoginResult(coordinator=None, actor=actor)
    if _password_hasher.check_needs_rehash(coordinator.password_hash):
        coordinator.password_hash = _password_hasher.hash(password)
    coordinator.totp_last_step = step
    coordinator.last_login_at = at
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.key.in_([_throttle_key("acct", username), device_key or ""])
        )
    )
    session.flush()
    return LoginResult(coordinator=coordinator, actor=actor)


def _totp_step(secret: str, code: str, at: datetime, *, after: int | None) -> int | None:
    """The time step `code` belongs to (now or one step either side), if it is later than
    `after` (the last one accepted: ASVS 2.8.4, no code works twice); else None."""
    code = (code or "").strip().replace(" ", "")
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = int(at.timestamp()) // TOTP_STEP_SECONDS
    found = None
    for offset in TOTP_VALID_STEPS:  # every step is checked: the same work whichever matches
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step).encode(), code[:16].encode()):
            found = step
    if found is None or (after is not None and found <= after):
        return None
    return found


def _throttle_key(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"


def _count_failure(session: Session, key: str, row: LoginThrottle | None, at: datetime) -> None:
    """One more failure for `key`, counted in the database (concurrent sign-ins on other
    servers lose no count), and the key's block if it is past its free tries."""
    if row is None:
        row = _new_throttle_row(session, key, at)
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=case(
                (LoginThrottle.last_failure_at < at - THROTTLE_FORGET, 1),
                else_=LoginThrottle.failures + 1,
            ),
            last_failure_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    kind = key.split(":", 1)[0]
    excess = row.failures - THROTTLE_FREE_TRIES[kind]  # 0 at the last free failure
    if excess >= 0 and kind in THROTTLE_CAP:
        delay = min(THROTTLE_FIRST_DELAY * 2 ** min(excess, 20), THROTTLE_CAP[kind])
        row.blocked_until = at + delay


def _new_throttle_row(session: Session, key: str, at: datetime) -> LoginThrottle:
    """A new key's row; if a concurrent sign-in just added it, that one (no error page)."""
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0, last_failure_at=at)
            session.add(row)
        return row
    except IntegrityError:
        return session.get(LoginThrottle, key, populate_existing=True)


def _forget_old_failures(session: Session, at: datetime) -> None:
    """Drop keys without a failure for a day, so typed names cannot fill the table."""
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_failure_at < at - THROTTLE_FORGET)
    )


def throttled_until(
    *, session: Session, username: str, source_address: str | None = None
) -> datetime | None:
    """Until when sign-ins for `username` (and from `source_address`) are blocked, if they are."""
    keys = [_throttle_key("acct", username.strip())]
    if source_address is not None:
        keys.append(_throttle_key("addr", source_address))
    times = session.scalars(
        select(LoginThrottle.blocked_until).where(LoginThrottle.key.in_(keys))
    ).all()
    found = [time for time in times if time is not None]
    return max(found) if found else None


def _require_coordinator(session: Session, username: str) -> Coordinator:
    coordinator = session.scalar(select(Coordinator).where(Coordinator.username == username))
    if coordinator is None:
        raise LookupError(f"no coordinator {username!r}")
    return coordinator


def disable_coordinator(*, session: Session, username: str, at: datetime) -> Coordinator:
    """Stop an account: it cannot sign in, and its open sessions end now."""
    coordinator = _require_coordinator(session, username)
    coordinator.disabled_at = coordinator.disabled_at or at
    end_coordinator_sessions(session=session, coordinator=coordinator)
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_disabled", referral_id=None,
        at=at, detail=f"account {coordinator.id}",
    )  # fmt: skip
    return coordinator


def enable_coordinator(*, session: Session, username: str, at: datetime) -> Coordinator:
    """Let a disabled account sign in again."""
    coordinator = _require_coordinator(session, username)
    coordinator.disabled_at = None
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_enabled", referral_id=None,
        at=at, detail=f"account {coordinator.id}",
    )  # fmt: skip
    session.flush()
    return coordinator


def unlock_coordinator(*, session: Session, username: str, at: datetime) -> Coordinator:
    """Clear the account's sign-in throttle (the addresses' throttles stay)."""
    coordinator = _require_coordinator(session, username)
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.key == _throttle_key("acct", username))
    )
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_unlocked", referral_id=None,
        at=at, detail=f"account {coordinator.id}",
    )  # fmt: skip
    session.flush()
    return coordinator


def reset_coordinator(
    *,
    session: Session,
    username: str,
    at: datetime,
    password: str | None = None,
    new_totp: bool = False,
) -> Coordinator:
    """A new password and/or a new TOTP secret (enrolment); either ends the open sessions.

    With `new_totp` the caller shows the new secret once (`totp_uri`); the old one stops working.
    """
    if password is None and not new_totp:
        raise ValueError("reset the password, the TOTP secret or both")
    coordinator = _require_coordinator(session, username)
    changed = []
    if password is not None:
        _check_password(password)
        coordinator.password_hash = _password_hasher.hash(password)
        changed.append("password")
    if new_totp:
        coordinator.totp_secret = new_totp_secret()
        coordinator.totp_last_step = None
        changed.append("totp")
    end_coordinator_sessions(session=session, coordinator=coordinator)
    record_audit(
        session=session, actor=COMMAND_LINE, action="coordinator_reset", referral_id=None,
        at=at, detail=f"account {coordinator.id}: {' and '.join(changed)}",
    )  # fmt: skip
    return coordinator


def end_coordinator_sessions(*, session: Session, coordinator: Coordinator) -> None:
    """End every open dashboard session of this coordinator."""
    session.execute(
        delete(DashboardSession).where(DashboardSession.coordinator_pk == coordinator.id)
    )
    session.flush()


def list_coordinators(*, session: Session) -> list[Coordinator]:
    """Every account, by username (for `python -m bot coordinators`)."""
    return list(session.scalars(select(Coordinator).order_by(Coordinator.username)).all())


COMMAND_LINE = "(command line)"  # the audit actor of an administrator's `python -m bot` command


def set_coordinator_language(*, session: Session, username: str, language: str) -> Coordinator:
    """Save the dashboard language a coordinator chose ("en" or "zh")."""
    coordinator = session.scalar(select(Coordinator).where(Coordinator.username == username))
    if coordinator is None:
        raise LookupError(f"no coordinator {username!r}")
    coordinator.language = _language(language)
    session.flush()
    return coordinator


def open_dashboard_session(*, session: Session, coordinator: Coordinator, at: datetime) -> str:
    """Start a signed-in session; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            token_hash=_token_hash(token),
            coordinator_pk=coordinator.id,
            created_at=at,
            last_seen_at=at,
        )
    )
    session.flush()
    return token


def resume_dashboard_session(
    *,
    session: Session,
    token: str,
    at: datetime,
    idle_timeout: timedelta,
    absolute_timeout: timedelta = ABSOLUTE_SESSION_LIFETIME,
) -> Coordinator | None:
    """The signed-in coordinator if the session exists, was used within `idle_timeout`, is
    younger than `absolute_timeout` (ASVS 3.3.2: 12 hours, however active) and the account is
    not disabled.

    An ended session is deleted, so its cookie can never come back to life.
    """
    dashboard_session = session.get(DashboardSession, _token_hash(token))
    if dashboard_session is None:
        return None
    if (
        at - dashboard_session.last_seen_at > idle_timeout
        or at - dashboard_session.created_at > absolute_timeout
        or dashboard_session.coordinator.disabled_at is not None
    ):
        session.delete(dashboard_session)
        session.flush()
        return None
    dashboard_session.last_seen_at = at
    session.flush()
    return dashboard_session.coordinator


def close_dashboard_session(*, session: Session, token: str) -> None:
    """End a signed-in session (logout)."""
    session.execute(
        delete(DashboardSession).where(DashboardSession.token_hash == _token_hash(token))
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
