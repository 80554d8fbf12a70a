"""`python -m bot ...`: migrate the store, manage coordinator accounts, serve the dashboard,
print referrals.

Every command uses `HN2301_DATABASE_URL` (or the SQLite file under var/), like the chat does.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.store import repository
from bot.store.db import (
    StoreUnavailable,
    database_url,
    make_engine,
    session_scope,
    upgrade_database,
)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run one subcommand, return the process exit code."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.run(arguments)
    except StoreUnavailable as error:
        print(f"error: {error} ({_url_without_password()})", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    migrate = commands.add_parser("migrate", help="apply the store's database migrations")
    migrate.set_defaults(run=_migrate)

    create = commands.add_parser(
        "create-coordinator", help="create a dashboard account (asks the password twice)"
    )
    create.add_argument("username")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (for scripts)",
    )
    create.add_argument(
        "--qr", action="store_true", help="also draw the TOTP enrolment QR code in the terminal"
    )
    create.set_defaults(run=_create_coordinator)

    reset = commands.add_parser(
        "reset-coordinator",
        help="give an account a new password (--password) and/or a new TOTP secret (--totp, "
        "also the enrolment of an account that has none); ends its sessions",
    )
    reset.add_argument("username")
    reset.add_argument("--password", action="store_true", help="ask a new password twice")
    reset.add_argument("--totp", action="store_true", help="new TOTP secret, printed once")
    reset.add_argument(
        "--password-stdin",
        action="store_true",
        help="with --password: read it from the first line of standard input",
    )
    reset.add_argument("--qr", action="store_true", help="with --totp: draw the QR code too")
    reset.set_defaults(run=_reset_coordinator)

    for name, run, text in (
        ("disable-coordinator", _disable_coordinator, "stop an account and end its sessions"),
        ("enable-coordinator", _enable_coordinator, "let a disabled account sign in again"),
        ("unlock-coordinator", _unlock_coordinator, "clear an account's sign-in throttle"),
    ):
        account = commands.add_parser(name, help=text)
        account.add_argument("username")
        account.set_defaults(run=run)

    listing = commands.add_parser(
        "coordinators", help="list the accounts: TOTP enrolled, disabled, last sign-in"
    )
    listing.set_defaults(run=_list_coordinators)

    dashboard = commands.add_parser("dashboard", help="serve the coordinator dashboard")
    dashboard.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; anything but loopback makes the cookies Secure (HTTPS only)",
    )
    dashboard.add_argument("--port", type=int, default=8001)
    dashboard.add_argument(
        "--behind-proxy",
        action="store_true",
        help="served through a TLS reverse proxy on this machine (deploy/nginx/dashboard.conf): "
        "Secure cookies, and the client address from the proxy's X-Forwarded-For",
    )
    dashboard.set_defaults(run=_serve_dashboard)

    referrals = commands.add_parser("referrals", help="print referrals (newest first)")
    referrals.add_argument(
        "--json", action="store_true", required=True, help="as JSON (the only format)"
    )
    referrals.add_argument("--status", choices=repository.STATUS_TRANSITIONS)
    referrals.add_argument("--outcome", choices=repository.OUTCOMES)
    referrals.add_argument(
        "--with-transcript", action="store_true", help="include each conversation's transcript"
    )
    referrals.set_defaults(run=_print_referrals)

    notify = commands.add_parser(
        "notify", help="e-mail the study team about new referrals and handoffs (bot.notifications)"
    )
    when = notify.add_mutually_exclusive_group(required=True)
    when.add_argument("--once", action="store_true", help="send what is due, then exit")
    when.add_argument(
        "--every", type=float, metavar="SECONDS", help="send what is due every SECONDS, forever"
    )
    notify.set_defaults(run=_notify)

    purge = commands.add_parser(
        "purge",
        help="delete what the retention periods say is kept long enough (bot/retention.py), "
        "in the store and in Rasa's tracker store; prints counts only",
    )
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.add_argument(
        "--every", type=float, metavar="SECONDS", help="purge every SECONDS, forever"
    )
    purge.set_defaults(run=_purge)
    return parser


def _migrate(_arguments: argparse.Namespace) -> int:
    upgrade_database()
    print(f"store is up to date ({_url_without_password()})")
    return 0


def _read_password(arguments: argparse.Namespace) -> str | None:
    """The password from stdin or asked twice; None (after saying why) if the two differ."""
    if arguments.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Same password again: ") != password:
        print("error: the two passwords differ", file=sys.stderr)
        return None
    return password


@contextmanager
def _migrated_store() -> Iterator[Session]:
    """One transaction on the migrated store, its engine closed after (a command's whole work)."""
    upgrade_database()
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _create_coordinator(arguments: argparse.Namespace) -> int:
    password = _read_password(arguments)
    if password is None:
        return 1
    try:
        with _migrated_store() as session:
            coordinator = repository.create_coordinator(
                session=session,
                username=arguments.username,
                password=password,
                at=datetime.now(timezone.utc),
            )
            uri, secret = repository.totp_uri(coordinator), coordinator.totp_secret
    except repository.CoordinatorExists:
        print(f"error: coordinator {arguments.username!r} already exists", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"coordinator {arguments.username!r} created")
    _print_enrolment(uri, secret, qr=arguments.qr)
    return 0


def _print_enrolment(uri: str, secret: str, *, qr: bool) -> None:
    """Show the TOTP secret once, on this terminal only (never logged)."""
    print(
        "Second factor: add this account to an authenticator app (FreeOTP, Aegis, Google or\n"
        "Microsoft Authenticator...) now; it is shown only once. It is a secret: keep it out of\n"
        "e-mail, chats, tickets and screenshots. Signing in asks for the app's 6-digit code."
    )
    print(f"  otpauth URI: {uri}")
    print(f"  secret (to type in by hand): {secret}")
    if qr:
        import segno

        segno.make(uri, error="m").terminal(out=sys.stdout, compact=True)


def _reset_coordinator(arguments: argparse.Namespace) -> int:
    if not (arguments.password or arguments.totp):
        print("error: say what to reset: --password, --totp or both", file=sys.stderr)
        return 1
    password = None
    if arguments.password:
        password = _read_password(arguments)
        if password is None:
            return 1
    try:
        with _migrated_store() as session:
            coordinator = repository.reset_coordinator(
                session=session,
                username=arguments.username,
                at=datetime.now(timezone.utc),
                password=password,
                new_totp=arguments.totp,
            )
            uri, secret = repository.totp_uri(coordinator), coordinator.totp_secret
    except LookupError:
        print(f"error: no coordinator {arguments.username!r}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    changed = " and ".join(
        what for what, done in (("password", arguments.password), ("TOTP secret", arguments.totp))
        if done
    )  # fmt: skip
    print(f"coordinator {arguments.username!r}: new {changed}; their open sessions ended")
    if arguments.totp:
        _print_enrolment(uri, secret, qr=arguments.qr)
    return 0


def _account_command(arguments: argparse.Namespace, change, done: str) -> int:
    try:
        with _migrated_store() as session:
            change(session=session, username=arguments.username, at=datetime.now(timezone.utc))
    except LookupError:
        print(f"error: no coordinator {arguments.username!r}", file=sys.stderr)
        return 1
    print(f"coordinator {arguments.username!r} {done}")
    return 0


def _disable_coordinator(arguments: argparse.Namespace) -> int:
    return _account_command(
        arguments, repository.disable_coordinator, "disabled; their open sessions ended"
    )


def _enable_coordinator(arguments: argparse.Namespace) -> int:
    return _account_command(arguments, repository.enable_coordinator, "enabled")


def _unlock_coordinator(arguments: argparse.Namespace) -> int:
    return _account_command(
        arguments, repository.unlock_coordinator, "unlocked (sign-in throttle cleared)"
    )


def _list_coordinators(_arguments: argparse.Namespace) -> int:
    with _migrated_store() as session:
        rows = [
            (
                coordinator.username,
                "yes" if coordinator.totp_secret else "NO (reset-coordinator NAME --totp)",
                "disabled" if coordinator.disabled_at else "active",
                coordinator.last_login_at.isoformat() if coordinator.last_login_at else "-",
            )
            for coordinator in repository.list_coordinators(session=session)
        ]
    print("username\ttotp enrolled\tstate\tlast sign-in")
    for row in rows:
        print("\t".join(row))
    return 0


def _serve_dashboard(arguments: argparse.Namespace) -> int:
    from waitress import serve

    from bot.dashboard import create_app, serving_settings

    upgrade_database()
    settings = serving_settings(arguments.host, behind_proxy=arguments.behind_proxy)
    app = create_app(settings)
    print(f"coordinator dashboard on http://{arguments.host}:{arguments.port}/", flush=True)
    if app.config["SESSION_COOKIE_SECURE"]:
        print("cookies are Secure: sign in through HTTPS (a TLS reverse proxy)", flush=True)
    serve(app, host=arguments.host, port=arguments.port)
    return 0


def _print_referrals(arguments: argparse.Namespace) -> int:
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            referrals = repository.list_referrals(
                session=session,
                filters=repository.ReferralFilters(
                    status=arguments.status, outcome=arguments.outcome
                ),
            )
            result = [
                repository.referral_as_dict(referral, with_transcript=arguments.with_transcript)
                for referral in referrals
            ]
    finally:
        engine.dispose()
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _notify(arguments: argparse.Namespace) -> int:
    """Exit 0 when nothing failed (also when SMTP is not configured: that is logged), else 1."""
    import logging

    from bot import notifications

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = make_engine()
    try:
        worker = notifications.Worker(engine, notifications.Settings.from_environ())
        if arguments.every is not None:
            worker.run_forever(max(arguments.every, 1.0))
        result = worker.run_once()
    finally:
        engine.dispose()
    print(f"sent {result.sent}, failed {result.failed}, waiting {result.waiting}")
    return 1 if result.failed else 0


def _purge(arguments: argparse.Namespace) -> int:
    """Run the retention purge once, or every `--every` seconds; counts only, never data."""
    import time

    from sqlalchemy.exc import OperationalError

    from bot import retention

    try:
        settings = retention.RetentionSettings.from_environment()
    except retention.RetentionSettingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    while True:
        engine = make_engine()
        tracker = retention.make_tracker_engine()
        try:
            counts = retention.purge(
                store_engine=engine,
                tracker_engine=tracker,
                settings=settings,
                now=datetime.now(timezone.utc),
                dry_run=arguments.dry_run,
            )
        except (StoreUnavailable, OperationalError) as error:
            if not arguments.every:
                raise
            print(f"purge skipped, a database is away: {type(error).__name__}", file=sys.stderr)
        else:
            done = "would delete" if arguments.dry_run else "deleted"
            print(f"purge {done}: {counts.summary()}", flush=True)
        finally:
            engine.dispose()
            if tracker is not None:
                tracker.dispose()
        if not arguments.every:
            return 0
        time.sleep(arguments.every)


def _url_without_password() -> str:
    return make_url(database_url()).render_as_string(hide_password=True)
