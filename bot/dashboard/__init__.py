"""The coordinator dashboard: a Flask app serving pages and a JSON API behind one login.

One blueprint per feature (auth, queue, referral, export, funnel, audit, api). Every route but
the login page and static files requires a signed-in coordinator (see `security.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, CSRFProtect

from bot.dashboard import (
    api,
    audit,
    auth,
    erasure,
    export,
    funnel,
    language,
    queue,
    referral,
    security,
)
from bot.settings import load_settings, variable
from bot.store.db import REPO_ROOT, StoreUnavailable, make_engine

SECURE_COOKIES_VARIABLE = variable("dashboard_secure_cookies")
TRUSTED_PROXY_VARIABLE = variable("dashboard_trusted_proxy")


def serving_settings(host: str, *, behind_proxy: bool = False) -> dict:
    """The settings `python -m bot dashboard` adds for where it listens (ASVS 3.4.1).

    Off loopback the cookies are Secure: the browser then sends them only over HTTPS, so a
    dashboard reachable from the network without TLS in front cannot be signed in to at all,
    rather than leaking its session over plain HTTP. Behind a TLS reverse proxy on this machine
    (deploy/nginx/dashboard.conf) cookies are Secure too, and the proxy's X-Forwarded-For names
    the client in the audit trail.
    """
    settings: dict = {}
    if behind_proxy or not security.is_loopback(host):
        settings["SESSION_COOKIE_SECURE"] = True
    if behind_proxy:
        settings["TRUSTED_PROXY"] = True
    return settings


def create_app(test_config: dict | None = None) -> Flask:
    """Build the dashboard; `test_config` overrides any setting (e.g. DATABASE_URL, CLOCK)."""
    app = Flask(__name__)
    settings = load_settings()
    app.config.update(
        DATABASE_URL=None,
        SECRET_KEY_FILE=REPO_ROOT / "var" / "dashboard_secret",
        TRIAL_ID="hn2301",
        IDLE_TIMEOUT=timedelta(minutes=30),
        ABSOLUTE_SESSION_LIFETIME=timedelta(hours=12),
        # X-Forwarded-For is believed only from a loopback peer, and only with this on.
        TRUSTED_PROXY=settings.dashboard_trusted_proxy,
        CLOCK=lambda: datetime.now(timezone.utc),
        SESSION_COOKIE_NAME="hn2301_dashboard",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.dashboard_secure_cookies,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (idle-limited) session
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.load_or_create_secret(app.config["SECRET_KEY_FILE"])

    app.extensions["hn2301_engine"] = make_engine(app.config["DATABASE_URL"])
    security.install(app)  # first, so an anonymous request is sent to login before CSRF checks
    CSRFProtect(app)
    for blueprint in (
        auth.blueprint,
        queue.blueprint,
        referral.blueprint,
        export.blueprint,
        funnel.blueprint,
        audit.blueprint,
        api.blueprint,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(erasure.blueprint)  # access and erasure by reference code
    language.install(app)  # Flask-Babel, the language switch, local times and labels
    _install_error_pages(app)
    return app


def _install_error_pages(app: Flask) -> None:
    """Plain error pages, or JSON under /api/."""

    def respond(status: int, message: str):
        """The API keeps its English messages (scripts read them); pages are translated."""
        if request.path.startswith("/api/"):
            return jsonify(error=message), status
        page = render_template("error.html", status=status, message=gettext(message))
        return page, status

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return respond(400, CSRF_FAILED)

    @app.errorhandler(StoreUnavailable)
    def store_down(error: StoreUnavailable):
        return respond(503, STORE_DOWN)

    @app.errorhandler(404)
    def not_found(error):
        return respond(404, NOT_FOUND)

    @app.errorhandler(400)
    def bad_request(error):
        return respond(400, BAD_REQUEST)


# Error messages: English in the API, translated (at drawing time) on pages.
def N_(message: str) -> str:
    """Mark a message for extraction; it is translated when the page is drawn."""
    return message


CSRF_FAILED = N_("The form expired or was not sent by this dashboard. Please retry.")
STORE_DOWN = N_("The referral store cannot be reached. Please try again shortly.")
NOT_FOUND = N_("Not found.")
BAD_REQUEST = N_("The request could not be understood.")
