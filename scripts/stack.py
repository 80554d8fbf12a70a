"""Start and stop the whole assistant: migrations, action server, Rasa server, dashboard, page.

`make run` (scripts/run.py) and the tests (tests/support) share this module, so the stack the
tests talk to is started exactly the way a newcomer starts it. Every service runs in its own
process group, so stopping it also stops anything it spawned (Sanic workers, Rasa's helpers).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# HN2301_MODEL points at another trained model (e.g. to try one before replacing the default).
DEFAULT_MODEL = Path(os.environ.get("HN2301_MODEL", ROOT / "models" / "hn2301.tar.gz"))
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'hn2301.db'}"
MODEL_LOAD_TIMEOUT_S = 180.0
SERVICE_TIMEOUT_S = 60.0
# Settings of a tracker store on a database server, dropped when tests point it at a SQLite file.
SERVER_DATABASE_KEYS = {"url", "port", "username", "password", "login_db", "query"}


class StackError(RuntimeError):
    """A service could not be started or died; the message says which and shows its last lines."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """Status and body of a GET; HTTP errors are answers too (the server is up)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local URL)
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def answers(url: str, expected_text: str = "") -> Callable[[], bool]:
    """A readiness check: the URL answers below 500 (and contains `expected_text`)."""

    def check() -> bool:
        try:
            status, body = http_get(url)
        except (OSError, urllib.error.URLError):
            return False
        return status < 500 and expected_text in body

    return check


def write_endpoints(source: Path, target: Path, action_url: str, tracker_db: Path | None) -> Path:
    """Copy Rasa's endpoints.yml with the action server URL (and SQLite tracker file) replaced.

    Everything else (the tracker store's class, a lock store) is kept as the operator wrote it;
    with `tracker_db` the tracker store's database becomes that SQLite file.
    """
    endpoints = yaml.safe_load(source.read_text()) or {}
    endpoints["action_endpoint"] = {"url": action_url}
    if tracker_db is not None:
        tracker_store = {
            key: value
            for key, value in (endpoints.get("tracker_store") or {"type": "SQL"}).items()
            if key not in SERVER_DATABASE_KEYS
        }
        endpoints["tracker_store"] = {**tracker_store, "dialect": "sqlite", "db": str(tracker_db)}
    target.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Generated from {source.name} by scripts/stack.py; edit {source.name} instead.\n"
    target.write_text(header + yaml.safe_dump(endpoints, sort_keys=False))
    return target


@dataclass
class Service:
    """One long-running process of the stack, its readiness check and where its output goes."""

    name: str
    argv: list[str]
    ready: Callable[[], bool]
    timeout_s: float = SERVICE_TIMEOUT_S
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self, base_env: dict[str, str], log_dir: Path | None, echo: IO[str] | None) -> None:
        """Spawn in a new process group; output to a log file (tests) or prefixed to `echo`."""
        env = {**base_env, **self.env}
        if log_dir is not None:
            self.log_path = log_dir / f"{self.name}.log"
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
            return
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._relay, args=(echo or sys.stdout,), daemon=True).start()

    def _relay(self, echo: IO[str]) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            echo.write(f"{self.name:>9} | {raw.decode('utf-8', 'replace').rstrip()}\n")
            echo.flush()

    def exit_code(self) -> int | None:
        """None while running, else the exit code."""
        return None if self.process is None else self.process.poll()

    def wait_ready(self) -> None:
        """Block until the readiness check passes; fail early if the process dies."""
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.exit_code() is not None:
                raise StackError(f"{self.name} exited with code {self.exit_code()}{self.tail()}")
            if self.ready():
                return
            time.sleep(0.5)
        raise StackError(f"{self.name} was not ready after {self.timeout_s:.0f} s{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        """The end of the log file, to explain a failure (empty when output was relayed)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- last lines of " + str(self.log_path) + " ---\n" + "\n".join(text)

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it if it has not ended after `grace_s`."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue


@dataclass
class StackConfig:
    """Where everything listens and keeps its data. Defaults are `make run`'s."""

    rasa_port: int = 5005
    actions_port: int = 5055
    dashboard_port: int = 8001
    page_port: int = 8000
    database_url: str = DEFAULT_DATABASE_URL
    model: Path = DEFAULT_MODEL
    endpoints_source: Path = ROOT / "endpoints.yml"
    credentials: Path = ROOT / "credentials.yml"
    # Generated files (endpoints) go here; for tests also the logs and the tracker store.
    work_dir: Path = ROOT / "var" / "run"
    tracker_db: Path | None = None
    log_dir: Path | None = None
    with_rasa: bool = True
    with_dashboard: bool = True
    with_page: bool = True

    @classmethod
    def for_tests(cls, work_dir: Path, **overrides: object) -> StackConfig:
        """Free ports and throw-away databases under `work_dir`, logs in files."""
        work_dir.mkdir(parents=True, exist_ok=True)
        ports = {
            "rasa_port": free_port(),
            "actions_port": free_port(),
            "dashboard_port": free_port(),
            "page_port": free_port(),
        }
        settings: dict[str, object] = {
            **ports,
            "database_url": f"sqlite:///{work_dir / 'hn2301.db'}",
            "work_dir": work_dir,
            "tracker_db": work_dir / "tracker.db",
            "log_dir": work_dir / "logs",
            **overrides,
        }
        return cls(**settings)  # type: ignore[arg-type]

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def page_url(self) -> str:
        return f"http://127.0.0.1:{self.page_port}/"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}/"

    @property
    def page_origins(self) -> list[str]:
        """Both spellings of the page's origin, so opening it via localhost works too."""
        return [f"http://127.0.0.1:{self.page_port}", f"http://localhost:{self.page_port}"]


class Stack:
    """The running assistant. Use as a context manager; `start()` returns when all are ready."""

    def __init__(self, config: StackConfig, echo: IO[str] | None = None) -> None:
        self.config = config
        self.echo = echo or sys.stdout
        self.services: list[Service] = []
        self.endpoints_path = config.work_dir / "endpoints.yml"

    @property
    def rest_url(self) -> str:
        return f"{self.config.rasa_url}/webhooks/rest/webhook"

    @property
    def socket_url(self) -> str:
        return self.config.rasa_url

    @property
    def page_url(self) -> str:
        return self.config.page_url

    @property
    def dashboard_url(self) -> str:
        return self.config.dashboard_url

    @property
    def database_url(self) -> str:
        return self.config.database_url

    def env(self) -> dict[str, str]:
        """The environment every child gets: the referral database and unbuffered output."""
        return {
            **os.environ,
            "HN2301_DATABASE_URL": self.config.database_url,
            "PYTHONUNBUFFERED": "1",
        }

    def migrate(self) -> None:
        """Apply the store's migrations before anything writes to it."""
        result = subprocess.run(
            [sys.executable, "-m", "bot", "migrate"],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        for line in (result.stdout + result.stderr).splitlines():
            self.echo.write(f"{'migrate':>9} | {line}\n")
        if result.returncode != 0:
            raise StackError(f"migrations failed (exit {result.returncode})")

    def build_page(self) -> None:
        """Install the page's npm packages when missing or stale (bot/webpage/build.py)."""
        result = subprocess.run(
            [sys.executable, "-m", "bot.webpage.build", "--quiet"], cwd=ROOT, check=False
        )
        if result.returncode != 0:
            raise StackError("the patient page's npm packages could not be installed")

    def action_server(self) -> Service:
        port = self.config.actions_port
        return Service(
            name="actions",
            argv=[sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(port)],
            env={"SANIC_HOST": "127.0.0.1"},
            ready=answers(f"http://127.0.0.1:{port}/health", '"ok"'),
        )

    def rasa_server(self) -> Service:
        if not self.config.model.exists():
            raise StackError(f"no trained model at {self.config.model}; run `make model` first")
        argv = [
            str(BIN / "rasa"), "run",
            "--model", str(self.config.model),
            "-i", "127.0.0.1", "-p", str(self.config.rasa_port),
            "--cors", *self.config.page_origins,
            "--endpoints", str(self.endpoints_path),
            "--credentials", str(self.config.credentials),
        ]  # fmt: skip
        return Service(
            name="rasa",
            argv=argv,
            ready=answers(f"{self.config.rasa_url}/", "Hello from Rasa"),
            timeout_s=MODEL_LOAD_TIMEOUT_S,
        )

    def dashboard(self) -> Service:
        port = self.config.dashboard_port
        return Service(
            name="dashboard",
            argv=[
                sys.executable, "-m", "bot", "dashboard",
                "--host", "127.0.0.1", "--port", str(port),
            ],
            ready=answers(f"http://127.0.0.1:{port}/"),
        )  # fmt: skip

    def page(self) -> Service:
        port = self.config.page_port
        return Service(
            name="page",
            argv=[
                sys.executable, "-m", "bot.webpage",
                "--host", "127.0.0.1", "--port", str(port),
                "--socket-url", self.socket_url,
            ],
            ready=answers(f"http://127.0.0.1:{port}/", "HN2301"),
        )  # fmt: skip

    def start(self, *, actions_only: bool = False) -> Stack:
        """Migrate, then start and await each service in order. Stops all on any failure.

        `actions_only` starts just the action server (for `rasa shell` in the foreground).
        """
        self.config.work_dir.mkdir(parents=True, exist_ok=True)
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
        planned: list[Callable[[], Service]] = [self.action_server]
        if self.config.with_rasa and not actions_only:
            planned.append(self.rasa_server)
        if self.config.with_dashboard and not actions_only:
            planned.append(self.dashboard)
        if self.config.with_page and not actions_only:
            planned.append(self.page)
        write_endpoints(
            self.config.endpoints_source,
            self.endpoints_path,
            action_url=f"http://127.0.0.1:{self.config.actions_port}/webhook",
            tracker_db=self.config.tracker_db,
        )
        try:
            if self.config.with_page and not actions_only:
                self.build_page()
            self.migrate()
            for make_service in planned:
                service = make_service()
                self.services.append(service)
                service.start(self.env(), self.config.log_dir, self.echo)
                service.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def dead_service(self) -> Service | None:
        """The first service that has exited, if any."""
        return next((s for s in self.services if s.exit_code() is not None), None)

    def stop(self) -> None:
        """Stop every service, last started first."""
        for service in reversed(self.services):
            service.stop()

    def logs(self) -> str:
        """The last lines of every service's log (tests print them when something fails)."""
        return "".join(service.tail() for service in self.services)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
