"""Login and logout pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from bot.dashboard.security import (
    client_address,
    current_username,
    now,
    remember_device,
    sign_in,
    sign_out,
    store,
    trusted_device,
)
from bot.store import repository

blueprint = Blueprint("auth", __name__)

# One message for every failure (wrong password or code, unknown, disabled, unenrolled or
# throttled account), so the page tells an attacker nothing about which accounts exist.
LOGIN_FAILED = lazy_gettext(
    "Sign-in failed. Check your username, password and 6-digit code. After several failed "
    "tries, wait a few minutes before trying again."
)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the form; on the right password and TOTP code (and no throttle) start a session.

    Every attempt does the same work, whatever fails: see `repository.verify_login`. The audit
    trail names the account only if it exists, never a raw typed name.
    """
    error = None
    status = 200
    if request.method == "POST":
        with store() as db_session:
            result = repository.verify_login(
                session=db_session,
                username=request.form.get("username", ""),
                password=request.form.get("password", ""),
                totp=request.form.get("totp", ""),
                at=now(),
                source_address=client_address(),
                trusted_device=trusted_device(),
            )
            coordinator = result.coordinator
            repository.record_audit(
                session=db_session,
                actor=result.actor,
                action="login" if coordinator else "login_failed",
                referral_id=None,
                at=now(),
            )
            if coordinator is not None:
                sign_in(db_session, coordinator)
                coordinator_pk = coordinator.id
        if coordinator is not None:
            response = redirect(safe_next(request.args.get("next")))
            remember_device(response, coordinator_pk)
            return response
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
