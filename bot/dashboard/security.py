"""Sign-in, sessions and response headers shared by every part of the dashboard.

The browser cookie (signed by Flask) holds only a random session token; the session itself lives
in the store, so logout and the 30-minute idle timeout end it on the server, not just in the
browser. A single `before_request` guard protects every route except login and static files, so a
new view cannot forget to require a login.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app, g, jsonify, redirect, request, session, url_for
from sqlalchemy.orm import Session

from bot.store import repository
from bot.store.db import session_scope

SIGNING_KEY_VARIABLE = "HN2301_DASHBOARD_SECRET"
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def load_or_create_secret(secret_file: Path) -> str:
    """The signing key: `HN2301_DASHBOARD_SECRET`, else a random key kept in `secret_file`."""
    configured = os.environ.get(SIGNING_KEY_VARIABLE, "").strip()
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
    """A store transaction for this request."""
    with session_scope(current_app.extensions["hn2301_engine"]) as db_session:
        yield db_session


def current_username() -> str:
    """The signed-in coordinator's username (every protected view has one)."""
    return g.coordinator_username


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
