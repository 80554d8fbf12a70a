"""Sign-in, sessions, source addresses and response headers shared by the whole dashboard.

The browser cookie (signed by Flask) holds only a random session token; the session itself lives
in the store, so logout, the 30-minute idle timeout, the 12-hour absolute lifetime and disabling
the account end it on the server, not just in the browser. A single `before_request` guard
protects every route except login and static files, so a new view cannot forget to require a
login.

After a successful sign-in the browser also gets a signed trusted-device cookie (path /login,
HttpOnly) naming the coordinator's account and a random device id: sign-ins from that browser
are throttled on their own and not by the address and account throttles an attacker elsewhere
can raise (the policy is described above `bot.store.repository.verify_login`).

The source address of every audit event is `request.remote_addr`; `X-Forwarded-For` is read
only when `TRUSTED_PROXY` is set (`python -m bot dashboard --behind-proxy`) and the request comes
from loopback, where that proxy runs.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from flask import (
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from bot.settings import load_settings, variable
from bot.store import repository
from bot.store.db import session_scope

SIGNING_KEY_VARIABLE = variable("dashboard_secret")
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
DEVICE_COOKIE = "hn2301_device"
DEVICE_COOKIE_LIFETIME = timedelta(days=90)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def load_or_create_secret(secret_file: Path) -> str:
    """The signing key: `HN2301_DASHBOARD_SECRET`, else a random key kept in `secret_file`."""
    configured = load_settings().dashboard_secret
    if configured:
        return configured
    secret_file = Path(secret_file)
    if secret_file.exists():
        return secret_file.read_text().strip()
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def now() -> datetime:
    """The app's clock (replaceable in tests to step past the idle timeout)."""
    return current_app.config["CLOCK"]()


@contextmanager
def store() -> Iterator[Session]:
    """A store transaction for this request; its audit events carry the source address."""
    with session_scope(current_app.extensions["hn2301_engine"]) as db_session:
        if has_request_context():
            db_session.info["source_address"] = client_address()
        yield db_session


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address to listen on) is this machine only."""
    host = host.strip().strip("[]")
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_address() -> str:
    """Where this request came from: the peer, or the client a trusted local proxy names.

    Only the right-most `X-Forwarded-For` entry is used (the one the proxy itself added), and
    only from a loopback peer when `TRUSTED_PROXY` is on; anything else could be forged.
    """
    peer = request.remote_addr or ""
    if current_app.config.get("TRUSTED_PROXY") and peer and is_loopback(peer):
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return peer[:64]


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hn2301-trusted-device")


def trusted_device() -> tuple[int, str] | None:
    """(coordinator id, device id) from a valid, unexpired trusted-device cookie, else None."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        coordinator_pk, device_id = _device_serializer().loads(
            value, max_age=int(DEVICE_COOKIE_LIFETIME.total_seconds())
        )
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(coordinator_pk, int) or not isinstance(device_id, str):
        return None
    return coordinator_pk, device_id


def remember_device(response, coordinator_pk: int) -> None:
    """Give this browser (again) a trusted-device cookie for the account that just signed in."""
    known = trusted_device()
    device_id = known[1] if known and known[0] == coordinator_pk else secrets.token_urlsafe(16)
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps([coordinator_pk, device_id]),
        max_age=int(DEVICE_COOKIE_LIFETIME.total_seconds()),
        path=url_for("auth.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


def current_username() -> str:
    """The signed-in coordinator's username (every protected view has one)."""
    return g.coordinator_username


def record_coordinator_action(
    db_session: Session, action: str, *, referral_id: int | None = None, detail: str = ""
) -> None:
    """The signed-in coordinator's read or change, in the audit trail, now (its source address
    comes with the request's store session). `detail` never holds patient data."""
    repository.record_audit(
        session=db_session,
        actor=current_username(),
        action=action,
        referral_id=referral_id,
        at=now(),
        detail=detail,
    )


def sign_in(db_session: Session, coordinator: repository.Coordinator) -> None:
    """Start a fresh session: drop everything the old cookie carried, issue a new token."""
    session.clear()
    session["token"] = repository.open_dashboard_session(
        session=db_session, coordinator=coordinator, at=now()
    )


def sign_out() -> None:
    """End the session on the server and forget the cookie's contents."""
    token = session.get("token")
    if token:
        with store() as db_session:
            repository.close_dashboard_session(session=db_session, token=token)
    session.clear()


def install(app: Flask) -> None:
    """Add the login guard and the security headers to `app`."""
    app.before_request(_require_login)
    app.after_request(_add_security_headers)


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = session.get("token")
    coordinator_username = coordinator_language = None
    if token:
        with store() as db_session:
            coordinator = repository.resume_dashboard_session(
                session=db_session,
                token=token,
                at=now(),
                idle_timeout=current_app.config["IDLE_TIMEOUT"],
                absolute_timeout=current_app.config["ABSOLUTE_SESSION_LIFETIME"],
            )
            if coordinator is not None:
                coordinator_username = coordinator.username
                coordinator_language = coordinator.language
    if coordinator_username is None:
        if token:
            session.clear()  # a stale session; keep an anonymous one (its CSRF token) intact
        if request.path.startswith("/api/"):
            return jsonify(error="sign in first"), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    g.coordinator_username = coordinator_username
    g.coordinator_language = coordinator_language  # the page's locale (bot.dashboard.language)
    return None


def _add_security_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
