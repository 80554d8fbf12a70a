"""`make run`: start the assistant, the coordinator dashboard and the patient page; `--shell`: talk
to the assistant in this terminal.

Ports come from HN2301_RASA_PORT, HN2301_ACTIONS_PORT, HN2301_DASHBOARD_PORT and HN2301_PAGE_PORT;
the referral database from HN2301_DATABASE_URL (default: a SQLite file under var/); the model
from HN2301_MODEL (default: models/hn2301.tar.gz, built by `make model`). Ctrl-C or
SIGTERM stops everything this started. supervisord runs every service: one that dies is
restarted (with a back-off when it keeps failing right after starting) while the rest keep
serving; only one that cannot come back (it failed its quick starts in a row) stops the whole
stack, with a message and a non-zero exit code. Logs: var/run/logs/ (shown here too).

Everything listens on 127.0.0.1 only. The REST channel is open there without a token, for
scripts (`make eval`, `make bench`); HN2301_REST_TOKEN makes it ask for
`Authorization: Bearer <token>`. A deployment uses deploy/production/credentials.yml (no REST).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

# stack.py puts the repository on the path, so bot can be imported after it.
from stack import BIN, Stack, StackConfig, StackError

from bot.settings import load_settings


class Stopped(Exception):
    """Raised in the main thread by SIGINT / SIGTERM."""


def config_from_env() -> StackConfig:
    """The default ports and database, each overridable by an environment variable (the database
    as the product reads it, bot/settings.py)."""
    return StackConfig(
        rasa_port=int(os.environ.get("HN2301_RASA_PORT", "5005")),
        actions_port=int(os.environ.get("HN2301_ACTIONS_PORT", "5055")),
        dashboard_port=int(os.environ.get("HN2301_DASHBOARD_PORT", "8001")),
        page_port=int(os.environ.get("HN2301_PAGE_PORT", "8000")),
        database_url=load_settings().database_url,
    )


def where_to_talk(stack: Stack) -> str:
    """The banner that tells a newcomer what is running and how to reach it."""
    lines = [
        "",
        "The HN2301 pre-screening assistant is running.",
        f"  Patient page (chat):  {stack.page_url}",
        f"  REST endpoint:        POST {stack.rest_url}",
        f"      curl -s -X POST {stack.rest_url} \\",
        '           -H "Content-Type: application/json" \\',
        """           -d '{"sender": "try-1", "message": "hi"}'""",
        *(
            ['      (with -H "Authorization: Bearer $HN2301_REST_TOKEN": it is set)']
            if load_settings().rest_token
            else []
        ),
        f"  Coordinator dashboard: {stack.dashboard_url}",
        "      create an account first (asks for the password twice, then shows the second",
        "      factor to add to an authenticator app; sign in with the app's 6-digit code):",
        "          .venv/bin/python -m bot create-coordinator NAME --qr",
        "      (scripts: add --password-stdin; both use HN2301_DATABASE_URL like this stack)",
        "Press Ctrl-C to stop everything.",
        "",
    ]
    return "\n".join(lines)


def raise_stopped(signum: int, _frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def watch(stack: Stack) -> str:
    """Wait while supervisord keeps every service going; say why it could not."""
    while True:
        time.sleep(1.0)
        if stack.supervisor is None or not stack.supervisor.alive():
            return "supervisord itself exited; stopping everything."
        if given_up := stack.given_up():
            names = ", ".join(service.name for service in given_up)
            lines = "".join(service.tail(15) for service in given_up)
            return (
                f"{names} could not be restarted (it failed {given_up[0].startretries + 1} starts"
                f" in a row); stopping everything.{lines}"
            )


def run_all(config: StackConfig) -> int:
    """Start everything, then watch: 0 on Ctrl-C / SIGTERM, 1 when a service cannot come back."""
    return serve(Stack(config), where_to_talk)


def serve(stack, banner) -> int:
    """Start a stack (or `make cluster`'s cluster), print `banner(stack)`, then watch it until
    Ctrl-C / SIGTERM (0) or a part that cannot come back (1)."""
    try:
        stack.start()
        print(banner(stack), flush=True)
        print(f"\n{watch(stack)}", file=sys.stderr, flush=True)
        return 1
    except Stopped as stop:
        print(f"\n{stop}: stopping everything.", flush=True)
        return 0
    except StackError as error:
        print(f"\nCould not start: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()


def run_shell(config: StackConfig) -> int:
    """Start the action server, then Rasa's terminal chat in the foreground."""
    stack = Stack(config)
    try:
        stack.start(actions_only=True)
        argv = [
            str(BIN / "rasa"), "shell",
            "--model", str(config.model),
            "--endpoints", str(stack.endpoints_path),
        ]  # fmt: skip
        # Ctrl-C belongs to `rasa shell` (it ends the chat); a handler, unlike SIG_IGN, is not
        # inherited by the child.
        signal.signal(signal.SIGINT, lambda _signum, _frame: None)
        return subprocess.run(argv, env=stack.env(), check=False).returncode
    except Stopped:
        return 0
    except StackError as error:
        print(f"\nCould not start: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shell", action="store_true", help="chat in this terminal instead")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, raise_stopped)
    config = config_from_env()
    if args.shell:
        return run_shell(config)
    signal.signal(signal.SIGINT, raise_stopped)
    return run_all(config)


if __name__ == "__main__":
    sys.exit(main())
