"""`make cluster`: two Rasa servers and two action servers behind HAProxy, on Rasa's own parts.

The Rasa servers share one PostgreSQL database (Rasa's SQL tracker store, and the referral
store through HN2301_DATABASE_URL) and Rasa's Redis lock store; HAProxy (Debian's package)
spreads the patients' messages over the Rasa servers (sticky per socket.io session) and Rasa's
calls over the action servers (Rasa has one action endpoint URL: the balancer's). supervisord
runs every part, as for `make run` (scripts/stack.py): a part that dies is restarted while the
others keep serving. The files are deploy/cluster/endpoints.yml and deploy/cluster/haproxy.cfg,
the same on every host; what differs comes from the environment (README, "Several servers").

Settings (environment): HN2301_PG_HOST / _PORT / _USER / _PASSWORD / _DB (default
127.0.0.1:5432, postgres or root, no password, hn2301_cluster; the database is created if
absent), HN2301_REDIS_HOST / _PORT / _DB / _PREFIX (127.0.0.1:6379, 1, hn2301), the balancer's
ports HN2301_RASA_PORT / HN2301_ACTIONS_PORT (5005 / 5055), the servers' ports
HN2301_RASA_PORTS / HN2301_ACTIONS_PORTS (5101,5102 / 5151,5152), HN2301_DASHBOARD_PORT and
HN2301_PAGE_PORT (8001 / 8000), and Rasa's TICKET_LOCK_LIFETIME (20 s, below).

Secrets as for `make run` (scripts/stack.py): HN2301_ACTIONS_TOKEN (Rasa sends it with every
action call, deploy/cluster/endpoints.yml; the action servers refuse calls without it) and
HN2301_CHAT_JWT_KEY (the page's chat tokens), from the environment or var/secrets/ (0600); every
part runs with Rasa's telemetry off. On several hosts, give every host the same two secrets.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# One copy of scripts.stack whether this runs as a script or is imported by the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stack import (
    BIN,
    ROOT,
    Service,
    Stack,
    StackConfig,
    StackError,
    answers,
    free_port,
)

DEPLOY = ROOT / "deploy" / "cluster"
CLUSTER_MODEL_LOAD_TIMEOUT_S = 420.0
# Seconds a Rasa server's ticket in the Redis lock store lasts (Rasa's TICKET_LOCK_LIFETIME,
# default 60). A server killed mid-turn leaves its ticket behind, and the turn HAProxy re-sends
# to the other server waits until that ticket expires: 20 s, not a minute. The price: a turn
# that takes longer than this (heavy load) no longer holds back the conversation's next
# message; a patient waits for each reply, so that next message rarely comes while the turn
# still runs. Whatever the lifetime, Rasa's lock has a gap: a waiting message whose own ticket
# expires before the one ahead of it is gone (Rasa looks every second, so when the two were
# taken within about a second) waits until Sanic's response timeout, 60 s, and the patient
# gets the kind "send it again" reply (README, "the soak").
DEFAULT_TICKET_LOCK_LIFETIME_S = 20
# Connections the kernel holds for a Rasa server until its event loop accepts them (Rasa's
# SANIC_BACKLOG, default 100). A loop busy with 100 turns accepts late; with 100, new requests
# and HAProxy's health checks were refused (SYN dropped) at 200 screenings at once, so HAProxy
# took both servers out.
RASA_BACKLOG = 1024
TRACKER_TABLES = (
    "from extensions.erasable_tracker_store import ErasableSQLTrackerStore as S; import os; "
    "S(dialect='postgresql', host=os.environ['HN2301_PG_HOST'], "
    "port=os.environ['HN2301_PG_PORT'], db=os.environ['HN2301_PG_DB'], "
    "username=os.environ['HN2301_PG_USER'], password=os.environ['HN2301_PG_PASSWORD'])"
)


def listens(port: int) -> Callable[[], bool]:
    """A readiness check: something accepts TCP connections on 127.0.0.1:port."""

    def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    return check


def default_pg_user(host: str, port: int) -> str:
    """`postgres`, or `root` where only that role exists (both with trust auth here)."""
    import psycopg2

    for user in ("postgres", "root"):
        try:
            psycopg2.connect(host=host, port=port, user=user, dbname="postgres").close()
            return user
        except psycopg2.OperationalError:
            continue
    return "postgres"


@dataclass
class ClusterConfig(StackConfig):
    """StackConfig's rasa_port / actions_port are the balancer's; the servers get their own."""

    rasa_server_ports: list[int] = field(default_factory=lambda: [5101, 5102])
    actions_server_ports: list[int] = field(default_factory=lambda: [5151, 5152])
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = ""
    pg_password: str = ""
    pg_db: str = "hn2301_cluster"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 1
    redis_prefix: str = "hn2301"
    ticket_lock_lifetime_s: int = DEFAULT_TICKET_LOCK_LIFETIME_S
    work_dir: Path = ROOT / "var" / "cluster"
    endpoints_source: Path = DEPLOY / "endpoints.yml"
    haproxy_config: Path = DEPLOY / "haproxy.cfg"

    def __post_init__(self) -> None:
        if not self.pg_user:
            self.pg_user = default_pg_user(self.pg_host, self.pg_port)
        password = f":{self.pg_password}" if self.pg_password else ""
        self.database_url = (
            f"postgresql+psycopg2://{self.pg_user}{password}@{self.pg_host}:{self.pg_port}"
            f"/{self.pg_db}"
        )

    @classmethod
    def from_env(cls) -> ClusterConfig:
        env = os.environ.get

        def ports(name: str, default: str) -> list[int]:
            return [int(port) for port in env(name, default).split(",")]

        return cls(
            rasa_port=int(env("HN2301_RASA_PORT", "5005")),
            actions_port=int(env("HN2301_ACTIONS_PORT", "5055")),
            dashboard_port=int(env("HN2301_DASHBOARD_PORT", "8001")),
            page_port=int(env("HN2301_PAGE_PORT", "8000")),
            rasa_server_ports=ports("HN2301_RASA_PORTS", "5101,5102"),
            actions_server_ports=ports("HN2301_ACTIONS_PORTS", "5151,5152"),
            pg_host=env("HN2301_PG_HOST", "127.0.0.1"),
            pg_port=int(env("HN2301_PG_PORT", "5432")),
            pg_user=env("HN2301_PG_USER", ""),
            pg_password=env("HN2301_PG_PASSWORD", ""),
            pg_db=env("HN2301_PG_DB", "hn2301_cluster"),
            redis_host=env("HN2301_REDIS_HOST", "127.0.0.1"),
            redis_port=int(env("HN2301_REDIS_PORT", "6379")),
            redis_db=int(env("HN2301_REDIS_DB", "1")),
            redis_prefix=env("HN2301_REDIS_PREFIX", "hn2301"),
            ticket_lock_lifetime_s=int(
                env("TICKET_LOCK_LIFETIME", str(DEFAULT_TICKET_LOCK_LIFETIME_S))
            ),
        )

    @classmethod
    def throwaway(cls, work_dir: Path, **overrides: object) -> ClusterConfig:
        """Free ports, its own PostgreSQL database and Redis key prefix, logs in files."""
        work_dir.mkdir(parents=True, exist_ok=True)
        settings: dict[str, object] = {
            "rasa_port": free_port(),
            "actions_port": free_port(),
            "dashboard_port": free_port(),
            "page_port": free_port(),
            "rasa_server_ports": [free_port(), free_port()],
            "actions_server_ports": [free_port(), free_port()],
            "pg_db": "hn2301_cluster_test",
            "redis_prefix": "hn2301test",
            "work_dir": work_dir,
            "log_dir": work_dir / "logs",
            "secrets_dir": work_dir / "secrets",
            **overrides,
        }
        return cls(**settings)  # type: ignore[arg-type]


class Cluster(Stack):
    """The running cluster; `start()` returns when every part answers, through the balancer too."""

    config: ClusterConfig

    def __init__(self, config: ClusterConfig, echo=None) -> None:
        super().__init__(config, echo)
        self.endpoints_path = config.endpoints_source

    def env(self) -> dict[str, str]:
        """What deploy/cluster/endpoints.yml and haproxy.cfg read, plus the referral database."""
        config = self.config

        def servers(ports: list[int]) -> dict[str, str]:
            return {str(n): f"127.0.0.1:{port}" for n, port in enumerate(ports, start=1)}

        rasa = servers(config.rasa_server_ports)
        actions = servers(config.actions_server_ports)
        return {
            **super().env(),
            "HN2301_PG_HOST": config.pg_host,
            "HN2301_PG_PORT": str(config.pg_port),
            "HN2301_PG_USER": config.pg_user,
            "HN2301_PG_PASSWORD": config.pg_password,
            "HN2301_PG_DB": config.pg_db,
            "HN2301_REDIS_HOST": config.redis_host,
            "HN2301_REDIS_PORT": str(config.redis_port),
            "HN2301_REDIS_DB": str(config.redis_db),
            "HN2301_REDIS_PREFIX": config.redis_prefix,
            "TICKET_LOCK_LIFETIME": str(config.ticket_lock_lifetime_s),
            "SANIC_BACKLOG": os.environ.get("SANIC_BACKLOG", str(RASA_BACKLOG)),
            "HN2301_ACTIONS_BALANCER": f"127.0.0.1:{config.actions_port}",
            "HN2301_RASA_BIND": f"127.0.0.1:{config.rasa_port}",
            "HN2301_ACTIONS_BIND": f"127.0.0.1:{config.actions_port}",
            **{f"HN2301_RASA_{n}": address for n, address in rasa.items()},
            **{f"HN2301_ACTIONS_{n}": address for n, address in actions.items()},
        }

    def check_shared_parts(self) -> None:
        """PostgreSQL and Redis answer, HAProxy is installed; create the database if absent."""
        import psycopg2
        import redis

        config = self.config
        if shutil.which("haproxy") is None:
            raise StackError("HAProxy is not installed: bash scripts/ensure_test_tools.sh cluster")
        try:
            redis.Redis(host=config.redis_host, port=config.redis_port, socket_timeout=3).ping()
        except redis.RedisError as error:
            raise StackError(f"Redis at {config.redis_host}:{config.redis_port}: {error}") from None
        try:
            connection = psycopg2.connect(
                host=config.pg_host, port=config.pg_port, user=config.pg_user,
                password=config.pg_password or None, dbname="postgres", connect_timeout=5,
            )  # fmt: skip
        except psycopg2.OperationalError as error:
            raise StackError(f"PostgreSQL at {config.pg_host}:{config.pg_port}: {error}") from None
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (config.pg_db,))
            if cursor.fetchone() is None:
                self.echo.write(f"{'cluster':>9} | creating database {config.pg_db}\n")
                cursor.execute(f'CREATE DATABASE "{config.pg_db}"')
        connection.close()

    def create_tracker_tables(self) -> None:
        """Rasa's tables, once, before two Rasa servers would race to create them."""
        import psycopg2

        config = self.config
        with psycopg2.connect(
            host=config.pg_host, port=config.pg_port, user=config.pg_user,
            password=config.pg_password or None, dbname=config.pg_db,
        ) as connection, connection.cursor() as cursor:  # fmt: skip
            cursor.execute("SELECT to_regclass('public.events')")
            (exists,) = cursor.fetchone()
        if exists:
            return
        result = subprocess.run(
            [sys.executable, "-c", TRACKER_TABLES], cwd=ROOT, env=self.env(),
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError(f"could not create Rasa's tables:\n{result.stderr[-2000:]}")

    def balancer(self) -> Service:
        argv = ["haproxy", "-db", "-f", str(self.config.haproxy_config)]
        return Service(name="haproxy", argv=argv, ready=listens(self.config.rasa_port))

    def start(self, *, actions_only: bool = False) -> Cluster:
        """Check the shared parts, migrate, start every part under supervisord, await each."""
        config = self.config
        config.work_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.check_shared_parts()
            if config.with_page:
                self.build_page()
            self.migrate()
            self.create_tracker_tables()
            self.services = [self.balancer()]
            for n, port in enumerate(config.actions_server_ports, start=1):
                self.services.append(self.action_server(f"actions-{n}", port))
            if config.with_dashboard:  # with the study team's mail and the retention purge
                self.services += [self.dashboard(), self.notifier(), self.purger()]
            if config.with_page:
                self.services.append(self.page())
            for n, port in enumerate(config.rasa_server_ports, start=1):
                rasa = self.rasa_server(f"rasa-{n}", port)
                # Each loads the model at the same time as the other, on the same cores.
                rasa.timeout_s = CLUSTER_MODEL_LOAD_TIMEOUT_S
                self.services.append(rasa)
            self.run_services()
            # HAProxy's health checks have found the servers up: both frontends answer.
            for check in (
                answers(f"{config.rasa_url}/", "Hello from Rasa"),
                answers(f"http://127.0.0.1:{config.actions_port}/health", '"ok"'),
            ):
                deadline = time.monotonic() + 30
                while not check():
                    if time.monotonic() > deadline:
                        raise StackError("the balancer does not answer" + self.logs())
                    time.sleep(0.3)
        except BaseException:
            self.stop()
            raise
        return self

    def server(self, name: str) -> Service:
        return next(service for service in self.services if service.name == name)


def where_to_talk(cluster: Cluster) -> str:
    config = cluster.config
    rasa = ", ".join(f"127.0.0.1:{port}" for port in config.rasa_server_ports)
    actions = ", ".join(f"127.0.0.1:{port}" for port in config.actions_server_ports)
    return "\n".join(
        [
            "",
            "The HN2301 cluster is running (supervisord; logs in var/cluster/logs/).",
            f"  REST through HAProxy:   POST {cluster.rest_url}",
            f"  Patient page (chat):    {cluster.page_url}",
            f"  Coordinator dashboard:  {cluster.dashboard_url}",
            f"  Rasa servers:           {rasa}",
            f"  Action servers:         {actions} (behind 127.0.0.1:{config.actions_port})",
            f"  PostgreSQL:             {config.database_url}",
            f"  Redis lock store:       {config.redis_host}:{config.redis_port}"
            f" db {config.redis_db}, prefix {config.redis_prefix}",
            f"  Their states:           {BIN / 'supervisorctl'} -c"
            f" {config.work_dir / 'supervisord.conf'} status",
            "Press Ctrl-C to stop everything.",
            "",
        ]
    )


def main() -> int:
    from run import raise_stopped, serve

    signal.signal(signal.SIGTERM, raise_stopped)
    signal.signal(signal.SIGINT, raise_stopped)
    return serve(Cluster(ClusterConfig.from_env()), where_to_talk)


if __name__ == "__main__":
    sys.exit(main())
