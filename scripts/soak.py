"""`make soak`: hundreds of screenings at once through HAProxy while parts of the cluster fail.

It starts the cluster as `make cluster` does (scripts/cluster.py: two Rasa servers, two action
servers, HAProxy, under supervisord, on the machine's PostgreSQL and Redis), on its own ports
(SOAK_PORTS), PostgreSQL database (hn2301_soak) and Redis key prefix, without page and dashboard.
`soak()` also runs against a cluster already started (the CI version in tests/test_cluster.py).
Half the patients talk REST, half socket.io over a WebSocket (as the page does), each playing a
whole screening and its referral with scripts/patients.py. While they talk it kills -9 one Rasa
server and one action server (supervisord restarts them) and restarts PostgreSQL and Redis,
spread over the run by how many turns are done. A patient whose turn fails (HTTP 5xx, a
dropped socket, the kind "something went wrong, send it again" reply) sends the same message
again a few seconds later, as a person would; those turns are counted apart.

At the end it reads the real stores: every finished screening's answers are set in Rasa's
tracker store (read back with Rasa's own tracker store class), and no slot holds the words meant
for another question; its outcome is in the referral store; each referral code a patient was
told exists there once, for that conversation; no conversation has two referrals. The exit
status is 1 when anything was lost, misplaced, duplicated, silent or slowed down, a screening
did not finish, a fault was not injected or its part did not come back, or the deadline passed.
Loopback only: the cluster, PostgreSQL and Redis on 127.0.0.1.

    .venv/bin/python scripts/soak.py [--screenings 200] [--concurrency N] [--no-faults]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg2
import redis
import socketio

from bot import messages
from bot.i18n import ENGLISH
from bot.trial import load_trial
from scripts.cluster import Cluster, ClusterConfig
from scripts.patients import ELIGIBLE_ANSWERS, Screening, screen
from scripts.stack import ROOT, StackError

SOAK_DIR = ROOT / "var" / "soak"
# Fixed ports below the kernel's ephemeral range (32768-60999), where tests and scripts pick
# free ports: a port taken between picking it and Rasa binding it (after loading its model, a
# minute or more) would stop a server from starting. Not make cluster's 5005-5152 either.
SOAK_PORTS = {
    "rasa_port": 5205,
    "actions_port": 5255,
    "rasa_server_ports": [5201, 5202],
    "actions_server_ports": [5251, 5252],
    "dashboard_port": 5281,
    "page_port": 5280,
}
DEFAULT_SCREENINGS = 200
DEFAULT_DEADLINE_S = 900.0
# About how many turns a scripted screening with its referral takes; the faults are injected
# when this share of all expected turns is done, so they fall inside the run at any speed.
TURNS_PER_SCREENING = 30
FAULT_SHARES = (0.1, 0.3, 0.5, 0.7)
# Longer than HAProxy's `timeout server` (120 s): a turn that slow gets HAProxy's 504 first.
TURN_TIMEOUT_S = 150.0
# socket.io has no "turn over" event. A turn ends with its custom message naming the open
# question (or the end of the conversation); a turn without one (a contact question) ends when
# nothing more came for this long. The input guard releases a turn's messages together, so the
# gap between two of them is the event loop's, well under this even at 200 screenings at once.
QUIET_S = 3.0
PROGRESS_EVERY_S = 30.0
# A person who is asked to send the answer again waits a moment first.
RESEND_DELAY_S = (2.0, 5.0)
SORRY = messages.something_went_wrong_message(language=ENGLISH)
SLOW_DOWN = messages.slow_down_message(language=ENGLISH)


class TurnFailed(Exception):
    """The message did not get through (or got the kind "send it again"); send it again."""


class DeadlinePassed(Exception):
    """The soak's time is up: the patient stops."""


@dataclass
class Tally:
    """What all patients saw, turn by turn (shared by their threads)."""

    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    slowed_down: int = 0

    def answered(self, seconds: float, reply: list[dict[str, Any]]) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if any(message.get("text") == SLOW_DOWN for message in reply):
                self.slowed_down += 1

    def failed(self, kind: str) -> None:
        with self.lock:
            self.failures[kind] += 1

    @property
    def turns(self) -> int:
        return len(self.latencies)

    def time_left(self) -> float:
        return self.deadline - time.monotonic()


class RestChannel:
    """Rasa's REST webhook through HAProxy."""

    name = "REST"

    def __init__(self, url: str, sender: str) -> None:
        self.url = url
        self.sender = sender

    def exchange(self, text: str, message_id: str) -> tuple[list[dict[str, Any]], float]:
        """The bot's messages for one message, and how long they took."""
        metadata = {"message_id": message_id}
        body = json.dumps({"sender": self.sender, "message": text, "metadata": metadata}).encode()
        request = urllib.request.Request(  # noqa: S310 (a loopback http URL)
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=TURN_TIMEOUT_S) as response:  # noqa: S310
                reply = json.loads(response.read()) or []
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise TurnFailed(f"HTTP {error.code}") from None
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            raise TurnFailed(f"REST {type(error).__name__}") from None
        return reply, time.perf_counter() - start

    def close(self) -> None:
        """Nothing stays open between REST turns."""


class SocketIOChannel:
    """Rasa's socket.io channel through HAProxy, over a WebSocket as the page opens it, with
    session persistence: a dropped connection is opened again with the same session id."""

    name = "socket.io"

    def __init__(self, url: str, session_id: str, token_for: Callable[[str], str]) -> None:
        self.url = url
        self.session_id = session_id
        # A token for this chat id, as the page's server gives a browser (issue 11): fresh at
        # every connection, like the page asks for one.
        self.token_for = token_for
        self.client: socketio.Client | None = None
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def connect(self) -> None:
        self.close()
        client = socketio.Client(reconnection=False)
        inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()  # this connection's only
        confirmed = threading.Event()
        client.on("bot_uttered", inbox.put)
        client.on("session_confirm", lambda *_: confirmed.set())
        client.on("disconnect", lambda *_: inbox.put(None))
        try:
            client.connect(
                self.url,
                transports=["websocket"],
                wait_timeout=30,
                auth={"token": self.token_for(self.session_id)},
            )
            client.emit("session_request", {"session_id": self.session_id})
        except (socketio.exceptions.SocketIOError, OSError) as error:
            raise TurnFailed(f"socket.io {type(error).__name__}") from None
        if not confirmed.wait(30):
            client.disconnect()
            raise TurnFailed("socket.io no session_confirm")
        self.client, self.inbox = client, inbox

    def exchange(self, text: str, message_id: str) -> tuple[list[dict[str, Any]], float]:
        """The bot's messages for one message (as REST would give them), and how long they took."""
        if self.client is None or not self.client.connected:
            self.connect()
        while not self.inbox.empty():  # a late message of an earlier turn, or its drop
            if self.inbox.get_nowait() is None:
                self.connect()
        start = time.perf_counter()
        try:
            self.client.emit(
                "user_uttered",
                {
                    "message": text,
                    "session_id": self.session_id,
                    "metadata": {"message_id": message_id},
                },
            )
        except socketio.exceptions.SocketIOError as error:
            raise TurnFailed(f"socket.io {type(error).__name__}") from None
        reply: list[dict[str, Any]] = []
        last = start
        while True:
            wait = QUIET_S if reply else start + TURN_TIMEOUT_S - time.perf_counter()
            try:
                event = self.inbox.get(timeout=max(wait, 0.0))
            except queue.Empty:
                break
            if event is None:
                raise TurnFailed("socket.io dropped")
            last = time.perf_counter()
            reply.append(as_rest_message(event))
            if event.get("question") or event.get("conversation_ended"):
                break
        return reply, (last - start) if reply else TURN_TIMEOUT_S

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.disconnect()
            self.client = None


def as_rest_message(event: dict[str, Any]) -> dict[str, Any]:
    """A `bot_uttered` event as REST gives the same message: Rasa's socket.io channel emits a
    custom payload's keys themselves (the `data` of `{"data": {"question": ...}}`)."""
    if "text" in event or "attachment" in event:
        return event
    return {"custom": {"data": event}}


class Patient:
    """One scripted patient's channel, timed, with a person's way of sending a message again."""

    def __init__(self, channel: RestChannel | SocketIOChannel, tally: Tally) -> None:
        self.channel = channel
        self.tally = tally
        self.message_id: str | None = None  # the message not yet answered, sent again as itself

    def send(self, text: str) -> list[dict[str, Any]]:
        """One message with its id, as the page sends it: sent again with the same id when no
        reply came, as a new message once the assistant replied (even "send it again")."""
        if self.tally.time_left() <= 0:
            raise DeadlinePassed
        self.message_id = self.message_id or uuid.uuid4().hex
        reply, seconds = self.channel.exchange(text, self.message_id)
        self.message_id = None
        if any(message.get("text") == SORRY for message in reply):
            raise TurnFailed("kind 'send it again' reply")
        self.tally.answered(seconds, reply)
        return reply

    def resend(self, error: Exception) -> bool:
        """patients.screen's `retry`: after a failed turn, wait a moment and send it again."""
        if not isinstance(error, TurnFailed):
            return False
        self.tally.failed(str(error))
        delay = random.uniform(*RESEND_DELAY_S)
        if self.tally.time_left() <= delay:
            return False
        time.sleep(delay)
        return True


@dataclass
class Played:
    """One patient's screening as played (`screening` is None when it raised)."""

    sender: str
    channel: str
    screening: Screening | None = None
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.screening is not None and self.screening.referred


@dataclass
class Fault:
    """One injected failure: when, and how long until its part answered again."""

    name: str
    inject: Callable[[], None]
    is_back: Callable[[], bool]
    injected_at: float | None = None
    back_after: float | None = None
    error: str = ""

    def line(self) -> str:
        if self.injected_at is None:
            return f"{self.name}: not injected {self.error}".rstrip()
        back = f"back after {self.back_after:.1f} s" if self.back_after is not None else "NOT BACK"
        return f"+{self.injected_at:6.1f} s  {self.name} ({back}) {self.error}".rstrip()


def postgresql_cluster(port: int) -> tuple[str, str]:
    """The Debian PostgreSQL cluster (version, name) listening on this port."""
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return version, name
    raise StackError(f"no PostgreSQL cluster listens on port {port} (pg_lsclusters)")


def restart_postgresql(port: int) -> None:
    """Restart the machine's PostgreSQL as its page says it is started (pg_ctlcluster)."""
    version, name = postgresql_cluster(port)
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart", "-m", "fast"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def postgresql_answers(config: ClusterConfig) -> Callable[[], bool]:
    def check() -> bool:
        try:
            psycopg2.connect(
                host=config.pg_host, port=config.pg_port, user=config.pg_user,
                password=config.pg_password or None, dbname=config.pg_db, connect_timeout=2,
            ).close()  # fmt: skip
        except psycopg2.OperationalError:
            return False
        return True

    return check


def redis_command_line(client: redis.Redis) -> list[str]:
    """How to start this Redis again exactly as it runs now: its config file, if it was given
    one, and the settings a command line sets (the machine starts it with --daemonize yes
    --bind ... --port ... --save "" --appendonly no --dir ... --logfile ...)."""
    info = client.info("server")
    argv = ["redis-server"]  # as the machine starts it, from PATH
    if info.get("config_file"):
        argv.append(info["config_file"])
    for name in ("daemonize", "bind", "port", "save", "appendonly", "dir", "logfile"):
        value = str(client.config_get(name)[name])
        argv += [f"--{name}", *(value.split() if name == "bind" else [value])]
    return argv


def restart_redis(host: str, port: int) -> None:
    """Stop Redis (it keeps nothing on disk here) and start it with the same settings."""
    client = redis.Redis(host=host, port=port, socket_timeout=5)
    argv = redis_command_line(client)
    with contextlib.suppress(redis.ConnectionError):  # it closes the connection as it stops
        client.shutdown(nosave=True)
    deadline = time.monotonic() + 30
    while redis_answers(host, port)():
        if time.monotonic() > deadline:
            raise StackError("Redis did not stop")
        time.sleep(0.1)
    subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)


def redis_answers(host: str, port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return bool(redis.Redis(host=host, port=port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    return check


def kill_server(cluster: Cluster, name: str) -> Fault:
    """kill -9 a server's process; back when supervisord runs a new one that answers."""
    killed: dict[str, int] = {}

    def inject() -> None:
        killed["pid"] = cluster.supervisor.pid(name)
        if not killed["pid"]:
            raise StackError(f"{name} is not running")
        os.kill(killed["pid"], signal.SIGKILL)

    def is_back() -> bool:
        pid = cluster.supervisor.pid(name)
        return pid not in (0, killed["pid"]) and cluster.server(name).ready()

    return Fault(f"kill -9 {name}", inject, is_back)


def planned_faults(cluster: Cluster) -> list[Fault]:
    """A Rasa server, an action server, PostgreSQL and Redis, in that order."""
    config = cluster.config
    return [
        kill_server(cluster, "rasa-1"),
        kill_server(cluster, "actions-1"),
        Fault(
            "restart PostgreSQL",
            lambda: restart_postgresql(config.pg_port),
            postgresql_answers(config),
        ),
        Fault(
            "restart Redis",
            lambda: restart_redis(config.redis_host, config.redis_port),
            redis_answers(config.redis_host, config.redis_port),
        ),
    ]


class FaultInjector(threading.Thread):
    """Injects each fault when its share of the expected turns is done, and times its part's
    return in a thread of its own, so a slow return (Rasa loads its model) holds no fault back."""

    def __init__(
        self, faults: list[Fault], tally: Tally, expected_turns: int, start: float, out: IO[str]
    ) -> None:
        super().__init__(daemon=True)
        self.out = out
        self.faults = faults
        self.tally = tally
        self.expected_turns = expected_turns
        self.start_time = start
        self.patients_done = threading.Event()
        self.watchers: list[threading.Thread] = []

    def run(self) -> None:
        for fault, share in zip(self.faults, FAULT_SHARES, strict=False):
            while self.tally.turns < share * self.expected_turns:
                if self.patients_done.is_set() or self.tally.time_left() <= 0:
                    fault.error = "(the patients were done first)"
                    return
                time.sleep(0.2)
            try:
                fault.inject()
            except (OSError, subprocess.SubprocessError, StackError, redis.RedisError) as error:
                fault.error = f"failed: {type(error).__name__}: {error}"
                continue
            fault.injected_at = time.monotonic() - self.start_time
            self.out.write(f"  +{fault.injected_at:5.0f} s: {fault.name}\n")
            self.out.flush()
            watcher = threading.Thread(target=self.await_return, args=(fault,), daemon=True)
            watcher.start()
            self.watchers.append(watcher)

    def await_return(self, fault: Fault) -> None:
        injected = self.start_time + (fault.injected_at or 0.0)
        while self.tally.time_left() > 0:
            with contextlib.suppress(Exception):  # supervisord or a store still coming back
                if fault.is_back():
                    fault.back_after = time.monotonic() - injected
                    return
            time.sleep(0.5)

    def finish(self) -> None:
        """Wait (until the deadline) for every injected fault's part to be back."""
        self.patients_done.set()
        self.join(timeout=max(self.tally.time_left(), 0.0))
        for watcher in self.watchers:
            watcher.join(timeout=max(self.tally.time_left(), 0.0))


@dataclass
class StoreCheck:
    """What the real stores hold for the finished screenings."""

    answers_lost: int = 0
    answers_misplaced: int = 0
    misplaced_in: set[str] = field(default_factory=set)  # those conversations
    outcomes_lost: int = 0
    referrals_lost: int = 0
    duplicate_referrals: int = 0
    problems: list[str] = field(default_factory=list)


def check_tracker_store(config: ClusterConfig, played: list[Played], check: StoreCheck) -> None:
    """In the conversations Rasa's tracker store holds: every question a finished screening
    answered has its slot set, and no slot holds the words meant for another question (a
    message handled twice: the second time as the answer to the next question)."""
    from rasa.shared.core.domain import Domain

    from extensions.erasable_tracker_store import ErasableSQLTrackerStore

    answer_slots = {question.id for question in load_trial().questions}
    store = ErasableSQLTrackerStore(
        domain=Domain.load(str(ROOT / "domain.yml")), dialect="postgresql",
        host=config.pg_host, port=config.pg_port, db=config.pg_db,
        username=config.pg_user, password=config.pg_password,
    )  # fmt: skip

    async def read_all() -> None:
        for entry in played:
            tracker = await store.retrieve(entry.sender)
            slots = tracker.current_slot_values() if tracker is not None else {}
            if entry.finished:
                for question in sorted(set(entry.screening.questions) & answer_slots):
                    if slots.get(question) is None:
                        check.answers_lost += 1
                        check.problems.append(f"{entry.sender}: no {question} in the tracker")
            for question in sorted(answer_slots):
                words = (slots.get(question) or {}).get("text")
                if words is not None and words != ELIGIBLE_ANSWERS.get(question, words):
                    check.answers_misplaced += 1
                    check.misplaced_in.add(entry.sender)
                    check.problems.append(f"{entry.sender}: {question} holds {words!r}")

    asyncio.run(read_all())
    store.engine.dispose()


def check_referral_store(config: ClusterConfig, played: list[Played], check: StoreCheck) -> None:
    """Each finished screening's outcome and referral, each told code once, one per conversation."""
    senders = [p.sender for p in played]
    with psycopg2.connect(
        host=config.pg_host, port=config.pg_port, user=config.pg_user,
        password=config.pg_password or None, dbname=config.pg_db,
    ) as connection, connection.cursor() as cursor:  # fmt: skip
        cursor.execute(
            "SELECT s.conversation_id, s.outcome, array_remove(array_agg(r.reference_code), NULL)"
            " FROM screening s LEFT JOIN referral r ON r.screening_pk = s.id"
            " WHERE s.conversation_id = ANY(%s) GROUP BY s.conversation_id, s.outcome",
            (senders,),
        )
        stored = {sender: (outcome, codes) for sender, outcome, codes in cursor.fetchall()}
        told = [p.screening.reference_code for p in played if p.finished]
        cursor.execute(
            "SELECT reference_code, count(*) FROM referral WHERE reference_code = ANY(%s)"
            " GROUP BY reference_code",
            (told,),
        )
        code_counts = dict(cursor.fetchall())
    for sender, (_, codes) in stored.items():
        if len(codes) > 1:
            check.duplicate_referrals += len(codes) - 1
            check.problems.append(f"{sender}: {len(codes)} referrals")
    for p in played:
        if not p.finished:
            continue
        outcome, codes = stored.get(p.sender, (None, []))
        if outcome is None:
            check.outcomes_lost += 1
            check.problems.append(f"{p.sender}: no outcome in the referral store")
        code = p.screening.reference_code
        if code not in codes:
            check.referrals_lost += 1
            check.problems.append(f"{p.sender}: told {code}, not stored for it")
        if code_counts.get(code, 0) > 1:
            check.duplicate_referrals += code_counts[code] - 1
            check.problems.append(f"{p.sender}: {code} stored {code_counts[code]} times")


@dataclass
class SoakOptions:
    screenings: int = DEFAULT_SCREENINGS
    concurrency: int | None = None  # all at once
    faults: bool = True
    deadline_s: float = DEFAULT_DEADLINE_S


@dataclass
class SoakReport:
    """The soak's figures; `exit_status` is 0 only when nothing was lost, silent or left over."""

    options: SoakOptions
    played: list[Played]
    tally: Tally
    faults: list[Fault]
    check: StoreCheck
    wall_s: float
    deadline_passed: bool
    given_up: list[str]

    @property
    def started(self) -> int:
        return len(self.played)

    @property
    def finished(self) -> int:
        return sum(p.finished for p in self.played)

    @property
    def silent_turns(self) -> int:
        return sum(p.screening.silent_turns for p in self.played if p.screening is not None)

    @property
    def resent_turns(self) -> int:
        return sum(self.tally.failures.values())

    def latency(self, share: float) -> float:
        ordered = sorted(self.tally.latencies) or [0.0]
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def problems(self) -> list[str]:
        """Why the soak failed (empty when it passed)."""
        check = self.check
        counts = {
            "screenings not finished": self.started - self.finished,
            "answers lost": check.answers_lost,
            "answers taken for another question": check.answers_misplaced,
            "outcomes lost": check.outcomes_lost,
            "referrals lost": check.referrals_lost,
            "duplicate referrals": check.duplicate_referrals,
            "silent turns": self.silent_turns,
            "slowed-down turns": self.tally.slowed_down,
        }
        found = [f"{name}: {count}" for name, count in counts.items() if count]
        found += [f"fault {f.line()}" for f in self.faults if f.back_after is None]
        if self.deadline_passed:
            found.append(f"the deadline ({self.options.deadline_s:.0f} s) passed")
        if self.given_up:
            found.append(f"supervisord gave up on {', '.join(self.given_up)}")
        return found

    @property
    def exit_status(self) -> int:
        return 1 if self.problems() else 0

    def text(self) -> str:
        channels = Counter(p.channel for p in self.played)
        at_once = self.options.concurrency or self.options.screenings
        failures = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.tally.failures.items()))
        lines = [
            f"soak: {self.started} screenings ({channels['REST']} REST, {channels['socket.io']}"
            f" socket.io), {at_once} at a time, through HAProxy",
            f"  screenings started {self.started}, finished {self.finished}",
            f"  answers lost {self.check.answers_lost}, answers taken for another question"
            f" {self.check.answers_misplaced}, outcomes lost {self.check.outcomes_lost},"
            f" referrals lost {self.check.referrals_lost},"
            f" duplicate referrals {self.check.duplicate_referrals}",
            f"  silent turns {self.silent_turns}, slowed-down turns {self.tally.slowed_down}",
            f"  failed then sent again {self.resent_turns} ({failures or 'none'})",
            f"  turns {self.tally.turns}: latency p50 {self.latency(0.5):.2f} s,"
            f" p95 {self.latency(0.95):.2f} s, max {max(self.tally.latencies, default=0):.2f} s",
            f"  wall time {self.wall_s:.0f} s (deadline {self.options.deadline_s:.0f} s)",
            "  faults:" + ("" if self.faults else " none (--no-faults)"),
            *(f"    {fault.line()}" for fault in self.faults),
        ]
        problems = self.problems()
        lines.append("FAILED: " + "; ".join(problems) if problems else "PASSED")
        return "\n".join(lines)

    def failure_dump(self, limit: int = 5) -> str:
        """The first unfinished screenings and store problems, to debug a failed soak (only the
        scripted patients' words and the assistant's replies)."""
        lines = []
        for p in [p for p in self.played if not p.finished][:limit]:
            screening = p.screening or Screening(sender=p.sender)
            last = [m.get("text") or m.get("custom") for m in screening.last_reply]
            ended = p.error or "ended"
            lines.append(f"  {p.channel} {p.sender}: {ended}; asked {screening.questions}; {last}")
        lines += [f"  {problem}" for problem in self.check.problems[:limit]]
        return "\n".join(lines)


def soak(cluster: Cluster, options: SoakOptions, out: IO[str]) -> SoakReport:
    """Play the screenings against a running cluster, inject the faults, check the stores."""
    start = time.monotonic()
    tally = Tally(deadline=start + options.deadline_s)
    socket_url = cluster.socket_url
    played = [
        Played(sender=uuid.uuid4().hex, channel="REST" if n % 2 == 0 else "socket.io")
        for n in range(options.screenings)
    ]
    seats = threading.Semaphore(options.concurrency or options.screenings)

    def play(entry: Played) -> None:
        if entry.channel == "REST":
            channel: RestChannel | SocketIOChannel = RestChannel(cluster.rest_url, entry.sender)
        else:
            channel = SocketIOChannel(socket_url, entry.sender, cluster.chat_token)
        patient = Patient(channel, tally)
        with seats:
            try:
                entry.screening = screen(patient.send, entry.sender, retry=patient.resend)
            except Exception as error:  # the deadline, or no scripted answer (KeyError: id)
                entry.error = f"{type(error).__name__}: {error}"
            finally:
                channel.close()

    faults = planned_faults(cluster) if options.faults else []
    injector = FaultInjector(faults, tally, options.screenings * TURNS_PER_SCREENING, start, out)
    injector.start()
    threads = [threading.Thread(target=play, args=(entry,), daemon=True) for entry in played]
    out.write(f"playing {options.screenings} screenings...\n")
    out.flush()
    for thread in threads:
        thread.start()
        time.sleep(0.01)  # 200 connections over 2 s, not in one instant
    next_progress = time.monotonic() + PROGRESS_EVERY_S
    while any(thread.is_alive() for thread in threads) and tally.time_left() > 0:
        time.sleep(0.5)
        if time.monotonic() >= next_progress:
            next_progress += PROGRESS_EVERY_S
            done = sum(p.screening is not None or bool(p.error) for p in played)
            out.write(
                f"  +{time.monotonic() - start:5.0f} s: {tally.turns} turns,"
                f" {sum(tally.failures.values())} sent again, {done} screenings done\n"
            )
            out.flush()
    wall_s = time.monotonic() - start
    deadline_passed = any(thread.is_alive() for thread in threads)
    injector.finish()

    check = StoreCheck()
    check_tracker_store(cluster.config, played, check)
    check_referral_store(cluster.config, played, check)
    given_up = [service.name for service in cluster.given_up()]
    return SoakReport(options, played, tally, faults, check, wall_s, deadline_passed, given_up)


def parse_options(argv: list[str] | None) -> SoakOptions:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenings", type=int, default=DEFAULT_SCREENINGS)
    parser.add_argument("--concurrency", type=int, help="at most this many at once (default all)")
    parser.add_argument("--no-faults", action="store_true", help="kill and restart nothing")
    parser.add_argument(
        "--deadline", type=float, default=DEFAULT_DEADLINE_S,
        help="seconds the patients have, from the first message, before the soak fails",
    )  # fmt: skip
    args = parser.parse_args(argv)
    return SoakOptions(args.screenings, args.concurrency, not args.no_faults, args.deadline)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    config = ClusterConfig.throwaway(
        SOAK_DIR, pg_db="hn2301_soak", redis_prefix="hn2301soak",
        with_dashboard=False, with_page=False, **SOAK_PORTS,
    )  # fmt: skip
    print(f"starting the cluster (logs in {config.log_dir})...", flush=True)
    with (SOAK_DIR / "cluster.log").open("w") as cluster_log:
        cluster = Cluster(config, echo=cluster_log)
        started = time.monotonic()
        try:
            cluster.start()
        except StackError as error:
            print(f"the cluster did not start: {error}", file=sys.stderr)
            return 1
        try:
            print(f"cluster up in {time.monotonic() - started:.0f} s", flush=True)
            report = soak(cluster, options, sys.stdout)
        finally:
            cluster.stop()
    print(report.text())
    if report.exit_status:
        print(report.failure_dump())
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
