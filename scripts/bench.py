"""Benchmarks: the engine on its own, then whole screenings through the real REST channel.

Prints figures; asserts nothing (a timing test would flake). Every speed is also given as a
ratio to a baseline measured in the same run on the same machine:
- engine: judging a full answer set vs. deep-copying that answer set;
- conversation: a screening turn vs. a plain greeting turn (NLU + policies, no engine work).

    make bench                                  # engine + 50 screenings, 10 at a time
    .venv/bin/python scripts/bench.py --screenings 20 --concurrency 5
    .venv/bin/python scripts/bench.py --engine-only
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests")]

from bot.engine import assess, next_question, read_answer  # noqa: E402
from bot.trial import load_trial  # noqa: E402

TRIAL = load_trial()
PATIENT = yaml.safe_load((ROOT / "tests/bot/patients.yml").read_text(encoding="utf-8"))["base"]
TODAY = date(2026, 11, 24)


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
    answers = {q: read_answer(TRIAL, q, text, TODAY) for q, text in PATIENT.items()}
    judge = timed(lambda: assess(TRIAL, answers, TODAY), runs)
    plan = timed(lambda: next_question(TRIAL, answers, TODAY), runs)
    baseline = timed(lambda: copy.deepcopy(answers), runs)
    parse = timed(
        lambda: [read_answer(TRIAL, q, text, TODAY) for q, text in PATIENT.items()], runs // 10
    )
    base_median = statistics.median(baseline)
    print(f"Engine, {runs} runs on a full answer set of {len(answers)} answers:")
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


def question_in(texts: list[str]) -> str | None:
    """Which question the bot just asked, found by its wording."""
    for text in texts:
        for question in TRIAL.questions:
            if question.ask in text:
                return question.id
    return None


def screening(stack, sender: str, greet_times: list, turn_times: list, lock) -> str:
    from support.stack import talk

    start = time.perf_counter()
    texts = talk(stack, sender, "hi")
    with lock:
        greet_times.append(time.perf_counter() - start)
    for message in ["yes", *([None] * (len(TRIAL.questions) + 2))]:
        question = question_in(texts) if message is None else None
        if message is None and question is None:
            return " ".join(texts)
        start = time.perf_counter()
        texts = talk(stack, sender, message or PATIENT[question])
        with lock:
            turn_times.append(time.perf_counter() - start)
    return " ".join(texts)


def bench_conversation(screenings: int, concurrency: int) -> None:
    from stack import Stack, StackConfig

    with tempfile.TemporaryDirectory() as work:
        config = StackConfig.for_tests(Path(work), with_dashboard=False, with_page=False)
        print("\nStarting the real stack (action server + rasa run)...", flush=True)
        with Stack(config, echo=open("/dev/null", "w")) as stack:
            greet_times: list[float] = []
            turn_times: list[float] = []
            lock = threading.Lock()
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                endings = list(
                    pool.map(
                        lambda _: screening(
                            stack, f"bench-{uuid.uuid4().hex}", greet_times, turn_times, lock
                        ),
                        range(screenings),
                    )
                )
            wall = time.perf_counter() - started
    finished = sum("good fit" in ending for ending in endings)
    messages = len(greet_times) + len(turn_times)
    greet_p50, turn_p50 = statistics.median(greet_times), statistics.median(turn_times)
    print(f"{screenings} screenings, {concurrency} at a time, through POST /webhooks/rest/webhook:")
    print(f"  reached the likely-eligible outcome: {finished}/{screenings}")
    print(f"  {'':24} {'p50':>9} {'p95':>9}")
    for name, times in [("greeting turn", greet_times), ("screening turn", turn_times)]:
        p50, p95 = statistics.median(times) * 1e3, percentile(times, 0.95) * 1e3
        print(f"  {name:24} {p50:7.0f}ms {p95:7.0f}ms")
    print(f"  screening turn / greeting turn (p50): {turn_p50 / greet_p50:.2f}x")
    print(f"  throughput: {messages / wall:.1f} messages/s ({messages} messages in {wall:.1f}s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="engine runs")
    parser.add_argument("--screenings", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--engine-only", action="store_true")
    options = parser.parse_args()
    bench_engine(options.runs)
    if not options.engine_only:
        bench_conversation(options.screenings, options.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
