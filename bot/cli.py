"""`python -m bot ...`: migrate the store, add coordinators, serve the dashboard, print referrals.

Every command uses `HN2301_DATABASE_URL` (or the SQLite file under var/), like the chat does.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime, timezone

from sqlalchemy.engine import make_url

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
    create.set_defaults(run=_create_coordinator)

    dashboard = commands.add_parser("dashboard", help="serve the coordinator dashboard")
    dashboard.add_argument("--host", default="127.0.0.1")
    dashboard.add_argument("--port", type=int, default=8001)
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
    return parser


def _migrate(_arguments: argparse.Namespace) -> int:
    upgrade_database()
    print(f"store is up to date ({_url_without_password()})")
    return 0


def _create_coordinator(arguments: argparse.Namespace) -> int:
    if arguments.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password (12 characters or more): ")
        if getpass.getpass("Same password again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 1
    upgrade_database()
    engine = make_engine()
    try:
        with session_scope(engine) as session:
            repository.create_coordinator(
                session=session,
                username=arguments.username,
                password=password,
                at=datetime.now(timezone.utc),
            )
    except repository.CoordinatorExists:
        print(f"error: coordinator {arguments.username!r} already exists", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"coordinator {arguments.username!r} created")
    return 0


def _serve_dashboard(arguments: argparse.Namespace) -> int:
    from waitress import serve

    from bot.dashboard import create_app

    upgrade_database()
    print(f"coordinator dashboard on http://{arguments.host}:{arguments.port}/", flush=True)
    serve(create_app(), host=arguments.host, port=arguments.port)
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


def _url_without_password() -> str:
    return make_url(database_url()).render_as_string(hide_password=True)
