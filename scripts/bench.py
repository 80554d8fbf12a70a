"""Benchmarks: the engine on its own, then one Rasa process against Rasa's own floor.

Prints figures; asserts nothing (a timing test would flake). Every speed is a ratio to a
baseline measured in the same run on the same machine:
- engine: judging a full answer set vs. deep-copying that answer set;
- serving: this assistant's whole screenings vs. a plain `rasa init` bot (the floor: Rasa's own
  example, its default pipeline and policies, no action server), each one `rasa run` process on
  the REST channel, driven by the same client the same way: first one conversation alone (turn
  latency), then N conversations at once (messages per second, latency under load), and the
  CPU-seconds every process of the assistant spent per whole screening.

The floor bot is made and trained once with `rasa init` in var/bench/floor (a few minutes the
first time) and reused while Rasa's version is the same.

    make bench                                       # engine + serving, 40 screenings, 10 at once
    .venv/bin/python scripts/bench.py --screenings 20 --concurrency 5
    .venv/bin/python scripts/bench.py --engine-only
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from patients import ELIGIBLE_ANSWERS, post, screen  # noqa: E402
from stack import BIN, Stack, StackConfig, answers, free_port  # noqa: E402

from bot.eligibility import assess, next_question, read_answer  # noqa: E402
from bot.trial import load_trial  # noqa: E402

TRIAL = load_trial()
# The engine judges the answers of the patient the serving benchmark plays (scripts/patients.py).
PATIENT = {q.id: ELIGIBLE_ANSWERS[q.id] for q in TRIAL.questions if q.id in ELIGIBLE_ANSWERS}
TODAY = date(2026, 11, 24)
FLOOR_DIR = ROOT / "var" / "bench" / "floor"
# The moodbot's own conversations (rasa init's stories), said the way its NLU data says them.
FLOOR_CONVERSATIONS = [
    ["hello", "I am feeling very good", "bye"],
    ["hey there", "I am sad", "yes", "goodbye"],
    ["hi", "very sad", "no", "see you later"],
    ["good morning", "great", "are you a bot?", "bye"],
]
READY_TIMEOUT_S = 300


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def bench_engine(runs: int) -> None:
    answers_set = {q: read_answer(TRIAL, q, text, TODAY) for q, text in PATIENT.items()}
    judge = timed(lambda: assess(TRIAL, answers_set, TODAY), runs)
    plan = timed(lambda: next_question(TRIAL, answers_set, TODAY), runs)
    baseline = timed(lambda: copy.deepcopy(answers_set), runs)
    parse = timed(
        lambda: [read_answer(TRIAL, q, text, TODAY) for q, text in PATIENT.items()], runs // 10
    )
    base_median = statistics.median(baseline)
    print(f"Engine, {runs} runs on a full answer set of {len(answers_set)} answers:")
    print(f"  {'':32} {'median':>10} {'p95':>10} {'x deepcopy':>11}")
    for name, times in [
        ("assess (verdicts + outcome)", judge),
        ("next_question", plan),
        ("parse all answers", parse),
        ("baseline: deepcopy of answers", baseline),
    ]:
        median = statistics.median(times)
        print(
            f"  {name:32} {median * 1e6:8.1f}µs {percentile(times, 0.95) * 1e6:8.1f}µs "
            f"{median / base_median:10.1f}x"
        )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@dataclass
class Load:
    """One bot under one load: every turn's latency and the wall time it all took."""

    turns: list[float]
    conversations: int
    wall: float
    cpu: float

    @property
    def per_second(self) -> float:
        return len(self.turns) / self.wall

    def line(self, name: str) -> str:
        return (
            f"  {name:34} {statistics.median(self.turns) * 1e3:7.0f}ms "
            f"{percentile(self.turns, 0.95) * 1e3:7.0f}ms {self.per_second:9.1f}/s "
            f"{len(self.turns):6d}"
        )


def load(
    conversation: Callable[[int], list[float]], count: int, concurrency: int, pids: list[int]
) -> Load:
    """Run `count` conversations, `concurrency` at a time; `conversation(i)` returns its turns."""
    cpu_before = cpu_seconds(pids)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        per_conversation = list(pool.map(conversation, range(count)))
    wall = time.perf_counter() - start
    turns = [turn for conversation_turns in per_conversation for turn in conversation_turns]
    return Load(turns, count, wall, cpu_seconds(pids) - cpu_before)


def floor_model() -> Path:
    """The `rasa init` bot's model, trained here once per Rasa version."""
    version = subprocess.run(
        [str(BIN / "python"), "-c", "import rasa; print(rasa.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stamp = FLOOR_DIR / ".rasa-version"
    models = sorted((FLOOR_DIR / "models").glob("*.tar.gz"))
    if models and stamp.exists() and stamp.read_text() == version:
        return models[-1]
    print(f"Making the floor bot with `rasa init` (Rasa {version}) in {FLOOR_DIR}...", flush=True)
    shutil.rmtree(FLOOR_DIR, ignore_errors=True)
    FLOOR_DIR.mkdir(parents=True)
    subprocess.run(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(FLOOR_DIR)],
        cwd=FLOOR_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(version)
    return sorted((FLOOR_DIR / "models").glob("*.tar.gz"))[-1]


def wait_until(check: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.5)


def bench_floor(conversations: int, concurrency: int) -> tuple[Load, Load]:
    """The plain `rasa init` bot, one `rasa run` process, its REST channel."""
    model = floor_model()
    port = free_port()
    argv = [
        str(BIN / "rasa"), "run", "--model", str(model), "-i", "127.0.0.1", "-p", str(port),
        "--credentials", str(FLOOR_DIR / "credentials.yml"),
        "--endpoints", str(FLOOR_DIR / "endpoints.yml"),
    ]  # fmt: skip
    print("\nStarting the floor: `rasa init`'s bot, one `rasa run`...", flush=True)
    with subprocess.Popen(
        argv, cwd=FLOOR_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as process:
        try:
            wait_until(answers(f"http://127.0.0.1:{port}/", "Hello from Rasa"), process, "floor")
            url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"

            def conversation(index: int) -> list[float]:
                sender = f"floor-{uuid.uuid4().hex}"
                turns = []
                for text in FLOOR_CONVERSATIONS[index % len(FLOOR_CONVERSATIONS)]:
                    start = time.perf_counter()
                    post(url, sender, text)
                    turns.append(time.perf_counter() - start)
                return turns

            load(conversation, len(FLOOR_CONVERSATIONS), 1, [process.pid])  # warm-up
            alone = load(conversation, conversations, 1, [process.pid])
            together = load(conversation, conversations, concurrency, [process.pid])
        finally:
            process.terminate()
    return alone, together


def bench_assistant(screenings: int, concurrency: int) -> tuple[Load, Load, int]:
    """This assistant, one `rasa run` and its action server, as `make run` serves them."""
    with tempfile.TemporaryDirectory() as work:
        config = StackConfig.throwaway(Path(work), with_dashboard=False, with_page=False)
        print("Starting the assistant: one `rasa run` and the action server...", flush=True)
        with Stack(config, echo=open(os.devnull, "w")) as stack:
            pids = [stack.supervisor.pid("rasa"), stack.supervisor.pid("actions")]
            outcomes: list[bool] = []

            def conversation(_: int) -> list[float]:
                sender = f"bench-{uuid.uuid4().hex}"
                played = screen(lambda text: post(stack.rest_url, sender, text), sender)
                outcomes.append(played.referred)
                return played.turns

            load(conversation, 2, 1, pids)  # warm-up
            outcomes.clear()
            alone = load(conversation, max(2, screenings // 10), 1, pids)
            together = load(conversation, screenings, concurrency, pids)
    return alone, together, sum(outcomes)


def bench_serving(screenings: int, concurrency: int) -> None:
    floor_alone, floor_together = bench_floor(screenings * 4, concurrency)
    alone, together, referred = bench_assistant(screenings, concurrency)
    print(f"\nOne `rasa run` process each, REST, {concurrency} conversations at once:")
    print(f"  {'':34} {'p50':>9} {'p95':>9} {'messages':>11} {'turns':>6}")
    print(floor_alone.line("floor (rasa init), one at a time"))
    print(floor_together.line(f"floor (rasa init), {concurrency} at once"))
    print(alone.line("screenings, one at a time"))
    print(together.line(f"screenings, {concurrency} at once"))
    ratio = together.per_second / floor_together.per_second
    latency = statistics.median(alone.turns) / statistics.median(floor_alone.turns)
    print(f"  messages/s, {concurrency} at once: {ratio:.2f}x the floor (aim: at least 0.80x)")
    print(f"  turn p50, one at a time: {latency:.2f}x the floor's (aim: at most 1.5x)")
    turns_each = len(together.turns) / together.conversations
    print(
        f"  CPU per whole screening (Rasa + action server): "
        f"{together.cpu / together.conversations:.2f} s for {turns_each:.0f} turns "
        f"(floor: {floor_together.cpu / len(floor_together.turns) * 1e3:.0f} ms a turn, "
        f"screening: {together.cpu / len(together.turns) * 1e3:.0f} ms a turn)"
    )
    print(f"  screenings that ended with a referral: {referred}/{screenings + alone.conversations}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="engine runs")
    parser.add_argument("--screenings", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--engine-only", action="store_true")
    options = parser.parse_args()
    bench_engine(options.runs)
    if not options.engine_only:
        bench_serving(options.screenings, options.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
