"""Start and stop the whole assistant: migrations, action server, Rasa server, dashboard, page.

`make run` (scripts/run.py) and the tests (tests/support) share this module, so the stack the
tests talk to is started exactly the way a newcomer starts it. supervisord (PyPI `supervisor`)
runs the services: it restarts one that exits (backing off when it fails right after starting)
while the rest keep serving, and gives up on one that fails `startretries` quick starts in a row
(state FATAL, which run.py turns into stopping everything). Every service runs in its own process
group, so stopping it also stops anything it spawned (Sanic workers, Rasa's helpers).
scripts/cluster.py uses the same pieces for several Rasa and action servers behind HAProxy.

Secrets (issue 11): the chat secret shared by the patient page's server and Rasa's socket.io
channel (HN2301_CHAT_JWT_KEY) and the token only Rasa knows to call the action server
(HN2301_ACTIONS_TOKEN) come from the environment, else from files in `secrets_dir` (var/secrets/
for `make run`, made once, mode 0600). The services get them in their environment (never in
supervisord.conf); the endpoints file written here carries the action token and is 0600 too.
Every process is started with Rasa's telemetry and error reporting off.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml

ROOT = Path(__file__).resolve().parent.parent
# `make run` starts scripts/run.py, whose path holds scripts/ only: the services' readiness
# checks read constants of `bot` (the notification worker's start line).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bot.settings import DEFAULT_DATABASE_URL, load_settings, variable  # noqa: E402 (path above)

BIN = Path(sys.executable).parent
# HN2301_MODEL points at another trained model (e.g. to try one before replacing the default).
DEFAULT_MODEL = Path(os.environ.get("HN2301_MODEL", ROOT / "models" / "hn2301.tar.gz"))
MODEL_LOAD_TIMEOUT_S = 180.0
SERVICE_TIMEOUT_S = 60.0
RASA_STARTSECS = 15
# How often the notification worker (bot.notifications) looks for mail to send.
NOTIFY_EVERY_S = 15
# How often the retention purge runs (bot/retention.py): a visitor's last message before consent
# is kept at most HN2301_RETAIN_UNCONSENTED_MINUTES plus this.
PURGE_EVERY_S = 900
# Settings of a tracker store on a database server, dropped when tests point it at a SQLite file.
SERVER_DATABASE_KEYS = {"url", "port", "username", "password", "login_db", "query"}
CHAT_KEY_ENV = variable("chat_jwt_key")
ACTIONS_TOKEN_ENV = variable("actions_token")
PAGE_ORIGINS_ENV = "HN2301_PAGE_ORIGINS"
# Rasa 3.6 reads this before sending usage data (telemetry) or setting up error reports (Sentry):
# both happen only when it is "true" (rasa/telemetry.py, ensure_telemetry_enabled).
QUIET_ENV = {"RASA_TELEMETRY_ENABLED": "false"}


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


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (mode 0600 from the start, not chmod'ed after)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    os.chmod(path, 0o600)  # an older file may have had wider rights


def stack_secret(path: Path, given: str) -> str:
    """The secret `given` (from the environment), else the one in `path`, else a new one written
    there (0600)."""
    if given:
        return given
    if path.exists():
        kept = path.read_text().strip()
        if len(kept) >= 32:
            os.chmod(path, 0o600)
            return kept
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    write_private(path, value + "\n")
    return value


def write_endpoints(
    source: Path,
    target: Path,
    action_url: str,
    tracker_db: Path | None,
    action_token: str | None = None,
) -> Path:
    """Copy Rasa's endpoints.yml with the action server's URL (and SQLite tracker file) replaced.

    Everything else (the tracker store's class, a lock store) is kept as the operator wrote it;
    with `tracker_db` the tracker store's database becomes that SQLite file; with `action_token`
    Rasa sends it with every action call (as `?token=`; actions/server.py checks it), and the
    file is readable by its owner only.
    """
    endpoints = yaml.safe_load(source.read_text()) or {}
    endpoints["action_endpoint"] = {**(endpoints.get("action_endpoint") or {}), "url": action_url}
    if action_token:
        endpoints["action_endpoint"]["token"] = action_token
    if tracker_db is not None:
        tracker_store = {
            key: value
            for key, value in (endpoints.get("tracker_store") or {"type": "SQL"}).items()
            if key not in SERVER_DATABASE_KEYS
        }
        endpoints["tracker_store"] = {**tracker_store, "dialect": "sqlite", "db": str(tracker_db)}
    target.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Generated from {source.name} by scripts/stack.py; edit {source.name} instead.\n"
    write_private(target, header + yaml.safe_dump(endpoints, sort_keys=False))
    return target


@dataclass
class Service:
    """One long-running program of the stack: how to start it and how to tell it is ready.

    supervisord (class Supervisor) runs it; `startsecs` is how long it must stay up for a start to
    count, and a program that fails `startretries` starts in a row (backing off 1, 2, 3 s) is
    given up on (FATAL).
    """

    name: str
    argv: list[str]
    ready: Callable[[], bool]
    timeout_s: float = SERVICE_TIMEOUT_S
    env: dict[str, str] = field(default_factory=dict)
    startsecs: int = 5
    startretries: int = 3
    log_path: Path | None = None

    def program_section(self, log_dir: Path) -> str:
        """The `[program:...]` section of supervisord.conf for this service."""
        self.log_path = log_dir / f"{self.name}.log"
        if any("\n" in arg for arg in self.argv):
            raise StackError(f"{self.name}: a supervisord command is one line")
        lines = [
            f"[program:{self.name}]",
            f"command={_conf(shlex.join(self.argv))}",
            f"directory={_conf(str(ROOT))}",
            "autostart=true",
            # Restarted whenever it ends, however it ends (a crash, kill -9, a clean exit).
            "autorestart=true",
            f"startsecs={self.startsecs}",
            f"startretries={self.startretries}",
            # Each program is its own process group: stopping it also stops what it spawned.
            "stopasgroup=true",
            "killasgroup=true",
            "stopsignal=TERM",
            "stopwaitsecs=10",
            "redirect_stderr=true",
            f"stdout_logfile={_conf(str(self.log_path))}",
            "stdout_logfile_maxbytes=20MB",
            "stdout_logfile_backups=2",
        ]
        if self.env:
            pairs = ",".join(f'{key}="{_conf(value)}"' for key, value in self.env.items())
            lines.append(f"environment={pairs}")
        return "\n".join(lines) + "\n"

    def tail(self, lines: int = 30) -> str:
        """The end of the log file, to explain a failure."""
        return tail(self.log_path, lines)


def _conf(value: str) -> str:
    """A value for supervisord.conf (ConfigParser interpolates %)."""
    return value.replace("%", "%%")


def tail(path: Path | None, lines: int = 30) -> str:
    """The last lines of a log file, headed by its path (empty when there is none)."""
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n--- last lines of " + str(path) + " ---\n" + "\n".join(text)


class Supervisor:
    """supervisord from PyPI running the services, and its XML-RPC API on a Unix socket.

    Every service is started at once (they do not need each other to start) and restarted by
    supervisord whenever it exits; `start()` returns when each answers its readiness check.
    """

    def __init__(self, services: list[Service], work_dir: Path, log_dir: Path, env: dict[str, str]):
        self.services = services
        self.work_dir = work_dir
        self.log_dir = log_dir
        self.env = env
        self.socket_path = work_dir / "supervisor.sock"
        if len(str(self.socket_path)) > 100:  # a Unix socket's path has room for 107 bytes
            self.socket_path = Path(tempfile.mkdtemp(prefix="hn2301-")) / "supervisor.sock"
        self.config_path = work_dir / "supervisord.conf"
        self.log_path = log_dir / "supervisord.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._pids: dict[str, int] = {}

    def config_text(self) -> str:
        sock = _conf(str(self.socket_path))
        # Run as whoever starts it; naming root keeps supervisord from warning that it is root.
        user = "user=root\n" if os.geteuid() == 0 else ""
        head = f"""; Generated by scripts/stack.py; supervisord runs every part of the stack.
[unix_http_server]
file={sock}
chmod=0700

[supervisord]
{user}nodaemon=true
silent=true
logfile={_conf(str(self.log_path))}
logfile_maxbytes=20MB
logfile_backups=2
loglevel=info
pidfile={_conf(str(self.work_dir / "supervisord.pid"))}
childlogdir={_conf(str(self.log_dir))}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{sock}
"""
        return head + "".join("\n" + s.program_section(self.log_dir) for s in self.services)

    def rpc(self) -> xmlrpc.client.ServerProxy:
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport(None, None, f"unix://{self.socket_path}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def start(self) -> None:
        """Write supervisord.conf and start supervisord in its own session."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text())
        self.socket_path.unlink(missing_ok=True)
        with (self.log_dir / "supervisord.out").open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "supervisord"), "-c", str(self.config_path)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(
                    f"supervisord exited with code {self.process.returncode}"
                    + tail(self.log_dir / "supervisord.out")
                    + tail(self.log_path)
                )
            try:
                self.rpc().supervisor.getState()
                return
            except (OSError, xmlrpc.client.Fault):
                time.sleep(0.1)
        raise StackError("supervisord did not answer on its socket in 20 s" + tail(self.log_path))

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def states(self) -> dict[str, dict]:
        """supervisord's view of every program: statename, pid, spawnerr, exitstatus..."""
        infos = self.rpc().supervisor.getAllProcessInfo()
        for info in infos:
            if info["pid"]:
                self._pids[info["name"]] = info["pid"]
        return {info["name"]: info for info in infos}

    def state(self, name: str) -> dict:
        return self.rpc().supervisor.getProcessInfo(name)

    def pid(self, name: str) -> int:
        """The running process id of a program (0 when it is not running)."""
        return self.state(name)["pid"]

    def given_up(self) -> list[str]:
        """Programs supervisord stopped restarting (FATAL: failed too many starts in a row)."""
        if not self.alive():
            return []
        return [name for name, info in self.states().items() if info["statename"] == "FATAL"]

    def wait_ready(self, service: Service) -> None:
        """Block until the service answers; fail early when supervisord gave up on it."""
        deadline = time.monotonic() + service.timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise StackError("supervisord exited" + tail(self.log_path))
            if self.state(service.name)["statename"] == "FATAL":
                raise StackError(
                    f"{service.name} failed {service.startretries + 1} starts in a row"
                    + service.tail()
                )
            if service.ready():
                return
            time.sleep(0.5)
        raise StackError(
            f"{service.name} was not ready after {service.timeout_s:.0f} s{service.tail()}"
        )

    def stop(self) -> None:
        """SIGTERM supervisord (it stops every program, whole groups); SIGKILL what is left."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(OSError, xmlrpc.client.Fault):
            self.states()  # the programs' pids, in case supervisord cannot stop them
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            for pid in self._pids.values():  # their process groups, orphaned
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
        self.socket_path.unlink(missing_ok=True)


class LogRelay:
    """Follows log files and writes their new lines, prefixed with the file's name, to `echo`."""

    def __init__(self, paths: list[Path], echo: IO[str]) -> None:
        self.paths = paths
        self.echo = echo
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _follow(self) -> None:
        offsets = {path: path.stat().st_size if path.exists() else 0 for path in self.paths}
        while not self.stopped.wait(0.3):
            for path in self.paths:
                if not path.exists():
                    continue
                size = path.stat().st_size
                if size < offsets[path]:
                    offsets[path] = 0  # rotated
                if size == offsets[path]:
                    continue
                with path.open("rb") as log:
                    log.seek(offsets[path])
                    chunk = log.read()
                # Only whole lines; the rest waits for its end.
                cut = chunk.rfind(b"\n") + 1
                offsets[path] += cut
                name = path.stem.replace("supervisord", "supervise")
                for raw in chunk[:cut].splitlines():
                    self.echo.write(f"{name:>9} | {raw.decode('utf-8', 'replace').rstrip()}\n")
                self.echo.flush()

    def stop(self) -> None:
        self.stopped.set()


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
    # Generated files (endpoints, supervisord.conf) and logs (logs/) go here; for tests also the
    # tracker store. With log_dir the logs go there and are not shown in the terminal.
    work_dir: Path = ROOT / "var" / "run"
    # The stack's secrets when not in the environment (kept, so a page open across a restart
    # goes on with its chat).
    secrets_dir: Path = ROOT / "var" / "secrets"
    tracker_db: Path | None = None
    log_dir: Path | None = None
    with_rasa: bool = True
    with_dashboard: bool = True
    with_page: bool = True

    @classmethod
    def throwaway(cls, work_dir: Path, **overrides: object) -> StackConfig:
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
            "secrets_dir": work_dir / "secrets",
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
        self.supervisor: Supervisor | None = None
        self.relay: LogRelay | None = None
        self.endpoints_path = config.work_dir / "endpoints.yml"
        self._secrets: dict[str, str] | None = None

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

    def secrets(self) -> dict[str, str]:
        """The chat secret and the action server's token, by their environment variables."""
        if self._secrets is None:
            folder = self.config.secrets_dir
            given = load_settings()
            self._secrets = {
                CHAT_KEY_ENV: stack_secret(folder / "chat-jwt.key", given.chat_jwt_key),
                ACTIONS_TOKEN_ENV: stack_secret(folder / "actions.token", given.actions_token),
            }
        return self._secrets

    def chat_token(self, chat_id: str) -> str:
        """A socket.io token for `chat_id`, as the page's server issues (scripts, tests)."""
        from bot.webpage.tokens import issue_token

        return issue_token(self.secrets()[CHAT_KEY_ENV], chat_id)

    def env(self) -> dict[str, str]:
        """The environment every child gets: the referral database, unbuffered output, the
        stack's secrets and the page's origins (credentials.yml reads them), Rasa quiet."""
        return {
            **os.environ,
            "HN2301_DATABASE_URL": self.config.database_url,
            "PYTHONUNBUFFERED": "1",
            PAGE_ORIGINS_ENV: ",".join(self.config.page_origins),
            # The tracker store Rasa uses, for the purge and erasure by reference code.
            "HN2301_ENDPOINTS": str(self.endpoints_path),
            **self.secrets(),
            **QUIET_ENV,
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

    def action_server(
        self, name: str = "actions", port: int | None = None, host: str = "127.0.0.1"
    ) -> Service:
        port = port or self.config.actions_port
        return Service(
            name=name,
            # rasa_sdk's server behind a token check (actions/server.py).
            argv=[sys.executable, "-m", "actions.server", "--actions", "actions", "-p", str(port)],
            env={"SANIC_HOST": host},
            ready=answers(f"http://127.0.0.1:{port}/health", '"ok"'),
        )

    def rasa_server(
        self,
        name: str = "rasa",
        port: int | None = None,
        host: str = "127.0.0.1",
        endpoints: Path | None = None,
    ) -> Service:
        if not self.config.model.exists():
            raise StackError(f"no trained model at {self.config.model}; run `make model` first")
        port = port or self.config.rasa_port
        argv = [
            str(BIN / "rasa"), "run",
            "--model", str(self.config.model),
            "-i", host, "-p", str(port),
            "--cors", *self.config.page_origins,
            "--endpoints", str(endpoints or self.endpoints_path),
            "--credentials", str(self.config.credentials),
        ]  # fmt: skip
        return Service(
            name=name,
            argv=argv,
            ready=answers(f"http://127.0.0.1:{port}/", "Hello from Rasa"),
            timeout_s=MODEL_LOAD_TIMEOUT_S,
            # A broken model or a taken port ends Rasa within seconds of starting.
            startsecs=RASA_STARTSECS,
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

    def notifier(self) -> Service:
        """The study team's e-mail worker (bot.notifications); it listens on nothing, so it is
        ready once its log says it started. Without SMTP settings it logs so and idles."""
        from bot.notifications import STARTED

        service = Service(
            name="notify",
            argv=[sys.executable, "-m", "bot", "notify", "--every", str(NOTIFY_EVERY_S)],
            ready=lambda: STARTED in tail(service.log_path, 200),
        )
        return service

    def purger(self) -> Service:
        """The retention purge (`python -m bot purge`, bot/retention.py) every PURGE_EVERY_S;
        ready once it has reported its first run (counts only)."""
        service = Service(
            name="purge",
            argv=[sys.executable, "-m", "bot", "purge", "--every", str(PURGE_EVERY_S)],
            ready=lambda: any(
                said in tail(service.log_path, 200) for said in ("purge deleted:", "purge skipped")
            ),
        )
        return service

    def start(self, *, actions_only: bool = False) -> Stack:
        """Migrate, then start every service under supervisord and await each. Stops all on failure.

        `actions_only` starts just the action server (for `rasa shell` in the foreground).
        """
        self.config.work_dir.mkdir(parents=True, exist_ok=True)
        planned: list[Callable[[], Service]] = [self.action_server]
        if self.config.with_rasa and not actions_only:
            planned.append(self.rasa_server)
        if self.config.with_dashboard and not actions_only:
            planned.append(self.dashboard)
            planned.append(self.notifier)
            planned.append(self.purger)
        if self.config.with_page and not actions_only:
            planned.append(self.page)
        write_endpoints(
            self.config.endpoints_source,
            self.endpoints_path,
            action_url=f"http://127.0.0.1:{self.config.actions_port}/webhook",
            tracker_db=self.config.tracker_db,
            action_token=self.secrets()[ACTIONS_TOKEN_ENV],
        )
        try:
            if self.config.with_page and not actions_only:
                self.build_page()
            self.migrate()
            self.services = [make_service() for make_service in planned]
            self.run_services()
        except BaseException:
            self.stop()
            raise
        return self

    def run_services(self) -> None:
        """Start supervisord with `self.services` and wait until each answers."""
        log_dir = self.config.log_dir or self.config.work_dir / "logs"
        self.supervisor = Supervisor(self.services, self.config.work_dir, log_dir, self.env())
        if self.config.log_dir is None:  # `make run`: show every log in the terminal
            paths = [self.supervisor.log_path] + [log_dir / f"{s.name}.log" for s in self.services]
            self.relay = LogRelay(paths, self.echo)
            self.relay.start()
        self.supervisor.start()
        for service in self.services:
            self.supervisor.wait_ready(service)

    def given_up(self) -> list[Service]:
        """The services supervisord could not bring back (an empty list while all is well)."""
        if self.supervisor is None:
            return []
        names = self.supervisor.given_up()
        return [service for service in self.services if service.name in names]

    def stop(self) -> None:
        """Stop supervisord and with it every service."""
        if self.supervisor is not None:
            self.supervisor.stop()
        if self.relay is not None:
            time.sleep(0.4)  # the last lines
            self.relay.stop()

    def logs(self) -> str:
        """The last lines of every service's log (tests print them when something fails)."""
        supervisor_log = tail(self.supervisor.log_path) if self.supervisor else ""
        return supervisor_log + "".join(service.tail() for service in self.services)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
