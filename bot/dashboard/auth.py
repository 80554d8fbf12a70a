"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from bot.dashboard.security import current_username, now, sign_in, sign_out, store
from bot.store import repository

blueprint = Blueprint("auth", __name__)

LOGIN_FAILED = lazy_gettext(
    "Wrong username or password, or the account is locked for a while. Try again later."
)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the form; on a right password (and no lock) start a new session."""
    error = None
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:80]
        password = request.form.get("password", "")
        with store() as db_session:
            coordinator = repository.verify_login(
                session=db_session, username=username, password=password, at=now()
            )
            repository.record_audit(
                session=db_session,
                actor=username or "(blank)",
                action="login" if coordinator else "login_failed",
                referral_id=None,
                at=now(),
            )
            if coordinator is not None:
                sign_in(db_session, coordinator)
        if coordinator is not None:
            return redirect(safe_next(request.args.get("next")))
        error = str(LOGIN_FAILED)
        status = 401
    return render_template("login.html", error=error), status


@blueprint.route("/logout", methods=["POST"])
def logout():
    """End the session on the server and in the browser."""
    username = current_username()
    with store() as db_session:
        repository.record_audit(
            session=db_session, actor=username, action="logout", referral_id=None, at=now()
        )
    sign_out()
    return redirect(url_for("auth.login"))


def safe_next(target: str | None) -> str:
    """Only a path on this site: never redirect to another host after login."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("queue.index")
