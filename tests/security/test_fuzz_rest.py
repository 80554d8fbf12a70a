"""Issue 11: a fuzz run through the real REST channel of the test stack.

At least 10,000 random messages (HN2301_FUZZ_MESSAGES, default 10000; a seeded generator, the
seed printed, HN2301_FUZZ_SEED to replay one): huge ones, binary and control characters, lone
UTF-16 surrogates as JSON carries them, emoji, mixed scripts and right-to-left marks, JSON-ish
text, script tags, SQL and format strings, empty and whitespace-only. Several senders post at
once, in many conversations, while a few whole screenings run among them (with over-long
messages sent into them between answers). Every message must get a 2xx answer with at least one
non-empty, kind reply (never an error dump), and every screening must end with each of its
answers kept, word for word, in the referral store.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.support.stack import new_sender
from tests.test_rest_screenings import EVERYTHING_FINE, asked, stored

MESSAGES = int(os.environ.get("HN2301_FUZZ_MESSAGES", "10000"))
SEED = int(os.environ.get("HN2301_FUZZ_SEED", str(random.SystemRandom().randrange(2**32))))
SENDERS_AT_ONCE = 6
SCREENINGS = 3
CONVERSATIONS = 2500  # a few messages each, as most visitors send
# Words of an error dump, never of the assistant's own replies.
UNKIND = ("traceback", "exception", "internal server error", "errno", "sqlalchemy")

SCRIPTS = [
    "abcdefghijklmnopqrstuvwxyz ",
    "我有红斑狼疮吃了羟氯喹和泼尼松五年了是的不是不知道",
    "إنني أعاني من الذئبة الحمراء",
    "У меня волчанка уже пять лет",
    "मुझे ल्यूपस है",
    "ループスです。はい、いいえ",
    "루푸스가 있어요",
    "ÀÉÎÕÜçñß",
    "\u0301\u0308\u20dd",  # combining marks
    "\u202e\u202d\u200f\u200e\u200b\ufeff\u2028\u2029",  # bidi overrides, zero-width, separators
]
EMOJI = ["😀", "🙂", "👩🏽‍⚕️", "🏳️‍🌈", "💊", "🩺", "❤️", "🇨🇳", "\U0001f9ec", "🫠"]
# "{n}" is replaced by a number; every other brace is literal.
TEMPLATES = [
    "<script>alert({n})</script>",
    '"><img src=x onerror=alert({n})>',
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "'; DROP TABLE events; --",
    "%s%s%s%n {0} {} %(x)s",
    '{"sender": "default", "message": "{n}"}',
    '{"intent": "affirm", "entities": [{"entity": "age", "value": {n}}]}',
    "/restart",
    "/affirm",
    '/inform{"age": {n}}',
    "[{n}](age)",
    "../../etc/passwd\x00",
    "yes" * 50,
    "I'm {n}",
    "delete my data",
    "what do you know about me",
    "\\u0000\\ud800 literally",
    '=HYPERLINK("http://x","{n}")',
]


def fuzz_text(rng: random.Random) -> str:
    """One random message, drawn from the kinds the module's docstring names."""
    kind = rng.random()
    n = rng.randrange(10**6)
    if kind < 0.10:  # huge: over the guard's limit, up to 300k characters
        size = rng.randrange(2001, 10_000) if rng.random() < 0.8 else rng.randrange(10_000, 300_000)
        return (rng.choice(SCRIPTS + EMOJI) * size)[:size]
    if kind < 0.14:
        return ""
    if kind < 0.18:
        return "".join(rng.choice(" \t\n\r\u00a0\u3000") for _ in range(rng.randrange(1, 40)))
    if kind < 0.30:  # binary and control characters
        return "".join(chr(rng.randrange(0, 256)) for _ in range(rng.randrange(1, 200)))
    if kind < 0.40:  # lone surrogates among text, as JSON's \\ud800 escapes carry them
        parts = [
            chr(rng.randrange(0xD800, 0xE000)) if rng.random() < 0.3 else "a" for _ in "x" * 30
        ]
        return "".join(parts)
    if kind < 0.55:  # mixed scripts with emoji
        return "".join(
            rng.choice(rng.choice(SCRIPTS)) if rng.random() < 0.8 else rng.choice(EMOJI)
            for _ in range(rng.randrange(1, 300))
        )
    if kind < 0.75:
        return rng.choice(TEMPLATES).replace("{n}", str(n))
    if kind < 0.85:  # any code point
        return "".join(chr(rng.randrange(0, 0x110000)) for _ in range(rng.randrange(1, 100)))
    return " ".join(rng.choice(SCRIPTS).strip() for _ in range(rng.randrange(1, 6)))


def post(url: str, sender: str, text: str) -> tuple[int, list]:
    """Status and messages of one REST message (a lone surrogate goes as JSON's \\udXXXX)."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, []


class Tally:
    """What went wrong, kept short (the first few cases) so a failure stays readable."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0
        self.problems: list[str] = []

    def check(self, text: str, status: int, replies: list) -> None:
        texts = [m.get("text") or "" for m in replies if isinstance(m, dict)]
        problem = None
        if status != 200:
            problem = f"HTTP {status}"
        elif not any(t.strip() for t in texts):
            problem = f"no reply: {replies!r}"
        elif any(word in t.lower() for t in texts for word in UNKIND):
            problem = f"an error shown to the patient: {texts!r}"
        with self.lock:
            self.sent += 1
            if problem and len(self.problems) < 20:
                self.problems.append(f"{problem} for {text[:80]!r} ({len(text)} chars)")


def screening(url: str, tally: Tally, rng: random.Random) -> tuple[str, dict[str, str]]:
    """A whole screening to its outcome, over-long fuzz messages sent into it between answers;
    returns the sender and the answers given, by question."""
    sender = new_sender()
    given: dict[str, str] = {}

    def say(text: str) -> list[str]:
        status, replies = post(url, sender, text)
        tally.check(text, status, replies)
        return [m.get("text") or "" for m in replies]

    say("hi")
    reply = say("yes")
    for _ in range(60):
        if any(text.startswith("Let me check I have this right.") for text in reply):
            reply = say("yes")
            continue
        question = asked(reply)
        if question is None:
            break
        huge = (rng.choice(SCRIPTS) * 8000)[: rng.randrange(2001, 8000)]  # never reaches Rasa
        assert len(huge) > 2000 and "long message" in " ".join(say(huge))
        given[question] = EVERYTHING_FINE[question]
        reply = say(given[question])
    assert "may be a good fit" in " ".join(reply), reply
    return sender, given


def test_10000_random_messages_get_kind_replies_and_no_answer_is_lost(rasa_stack):
    print(f"fuzz seed {SEED} (HN2301_FUZZ_SEED={SEED} to replay), {MESSAGES} messages")
    rng = random.Random(SEED)
    texts = [fuzz_text(rng) for _ in range(MESSAGES)]
    senders = [new_sender() for _ in range(CONVERSATIONS)]
    plan = [(rng.choice(senders), text) for text in texts]
    url, tally = rasa_stack.rest_url, Tally()

    def fuzz(item: tuple[str, str]) -> None:
        sender, text = item
        status, replies = post(url, sender, text)
        tally.check(text, status, replies)

    started = time.monotonic()
    with ThreadPoolExecutor(SENDERS_AT_ONCE + SCREENINGS) as pool:
        screenings = [
            pool.submit(screening, url, tally, random.Random(SEED + n)) for n in range(SCREENINGS)
        ]
        list(pool.map(fuzz, plan))
    seconds = time.monotonic() - started
    print(f"{tally.sent} messages in {seconds:.0f} s ({tally.sent / seconds:.1f}/s)")

    assert tally.sent >= MESSAGES
    assert tally.problems == [], f"seed {SEED}: " + "\n".join(tally.problems)
    finished = [future.result() for future in screenings]
    for sender, given in finished:
        # An answer is kept under its criterion; one that several questions inform keeps each
        # question's words, joined by " / ".
        answers = stored(rasa_stack, sender)["answers"]
        kept = {words for answer in answers for words in answer["words"].split(" / ")}
        lost = {q: words for q, words in given.items() if words not in kept}
        assert lost == {}, f"seed {SEED}: answers lost or changed: {lost}"
