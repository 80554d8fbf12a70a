"""The input guard of extensions/channels.py with Rasa's real output channel and messages.

The handler standing in for Rasa's agent is a plain coroutine: what it sends, raises or logs is
what Rasa's does in the cases named (a normal turn, a failed action, an exception, silence).
"""

import asyncio
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered

from bot import messages
from bot.i18n import CHINESE, ENGLISH
from extensions.channels import (
    _PEER,
    ACCEPT,
    SLOW_DOWN,
    TOO_LONG,
    GuardedRestInput,
    GuardedSocketIOInput,
    GuardSettings,
    InputGuard,
    Limit,
    RateLimiter,
    TrackerStoreUnavailable,
    _strict_tracker_store,
    clean_text,
    clean_value,
    client_message_id,
    guarded,
    read_rest_message,
)

ROOT = Path(__file__).resolve().parents[2]
SORRY = messages.something_went_wrong_message(language=ENGLISH)
SECRET = "my phone is 13800138000 and I have HIV"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_messages_at_once_then_refills_steadily():
    limiter = RateLimiter(Limit(3, 30.0))
    assert [limiter.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", 0.0), "another key has its own bucket"
    assert not limiter.allow("a", 5.0), "a third of a token after 5 s"
    assert limiter.allow("a", 10.0), "one token after 10 s (3 per 30 s)"


def test_the_buckets_kept_are_bounded():
    limiter = RateLimiter(Limit(1, 60.0), max_keys=10)
    for key in range(100):
        limiter.allow(str(key), 0.0)
    assert len(limiter._buckets) == 10


def test_limits_are_read_from_the_credentials_file():
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    for name in (
        "extensions.channels.GuardedRestInput",
        "extensions.channels.GuardedSocketIOInput",
    ):
        settings = GuardSettings.from_credentials(credentials[name])
        assert settings.max_message_chars == credentials[name]["max_message_chars"]
        assert settings.per_conversation == Limit(**credentials[name]["per_conversation"])
        assert settings.per_address == Limit(**credentials[name]["per_address"])
    with pytest.raises(ValueError, match="messages >= 1"):
        GuardSettings.from_credentials({"per_address": {"messages": 0, "seconds": 1}})


def test_the_channels_keep_rasas_names_so_the_urls_stay():
    assert GuardedRestInput.name() == "rest"
    assert GuardedRestInput().url_prefix() == "rest"
    channel = GuardedSocketIOInput.from_credentials(
        {"session_persistence": True, "bot_message_evt": "bot_uttered", "max_message_chars": 9}
    )
    assert channel.name() == "socketio" and channel.socketio_path == "/socket.io"
    assert channel.session_persistence and channel.guard.settings.max_message_chars == 9


def test_the_address_is_the_peer_unless_a_trusted_proxy_forwarded_it():
    guard = InputGuard(GuardSettings(trusted_proxies=("127.0.0.1", "10.0.0.0/8")))
    assert guard.client_address("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    assert guard.client_address("127.0.0.1", None) == "127.0.0.1"
    assert guard.client_address("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    # a forged first hop is ignored: the last address not a trusted proxy counts
    assert guard.client_address("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.1.1.1") == "198.51.100.1"


def test_a_long_message_and_big_metadata_are_refused_and_short_ones_accepted():
    guard = InputGuard(GuardSettings(max_message_chars=100, max_metadata_chars=50))
    assert guard.check("s", "198.51.100.1", "x" * 100, None) == ACCEPT
    assert guard.check("s", "198.51.100.1", "x" * 101, None) == TOO_LONG
    assert guard.check("s", "198.51.100.1", "hi", {"language": "zh"}) == ACCEPT
    assert guard.check("s", "198.51.100.1", "hi", {"junk": "y" * 60}) == TOO_LONG


def test_rate_limits_per_conversation_and_per_address():
    clock = Clock()
    settings = GuardSettings(
        per_conversation=Limit(3, 30.0),
        per_address=Limit(5, 50.0),
        unlimited_addresses=("127.0.0.1",),
    )
    guard = InputGuard(settings, clock=clock)
    assert [guard.check("a", "198.51.100.1", "hi", None) for _ in range(4)] == [
        ACCEPT, ACCEPT, ACCEPT, SLOW_DOWN,
    ]  # fmt: skip
    assert guard.check("b", "198.51.100.2", "hi", None) == ACCEPT, "others are not held up"
    # the same address under new conversation ids: limited by address
    assert [guard.check(f"new{n}", "198.51.100.1", "hi", None) for n in range(2)] == [
        ACCEPT, SLOW_DOWN,
    ]  # fmt: skip
    assert all(guard.check("c", "127.0.0.1", "hi", None) == ACCEPT for _ in range(50))
    clock.now += 10.0
    assert guard.check("a", "198.51.100.1", "hi", None) == ACCEPT, "after waiting, go on"


def test_the_reply_language_is_the_named_then_the_remembered_then_the_detected():
    guard = InputGuard(GuardSettings())
    assert guard.language("a", "38", None) == ENGLISH
    assert guard.language("a", "你好", None) == CHINESE
    assert guard.language("b", "38", {"language": "zh"}) == CHINESE
    assert guard.language("b", "38", None) == CHINESE, "remembered for the conversation"
    guard.remember("c", CHINESE)
    assert guard.language("c", "ok", None) == CHINESE


def run_turn(guard, handler, text="hi", metadata=None, sender="patient-1"):
    collector = CollectingOutputChannel()
    message = UserMessage(text, collector, sender, input_channel="rest", metadata=metadata)
    calls = []

    async def on_new_message(message):
        calls.append(message.text)
        await handler(message)

    asyncio.run(guarded(guard, on_new_message)(message))
    return [m.get("text") for m in collector.messages], calls


async def answers(message):
    await message.output_channel.send_response(message.sender_id, {"text": "Question 2 of 18"})


async def says_nothing(message):
    return None


async def raises(message):
    raise RuntimeError(SECRET)


async def action_fails(message):
    # what Rasa's processor does when the action server is away: log, lose the events, go on
    try:
        raise ConnectionError(SECRET)
    except ConnectionError:
        logging.getLogger("rasa.core.processor").exception(
            "Encountered an exception while running action 'validate_screening_form'."
        )
    await message.output_channel.send_response(message.sender_id, {"text": "partial"})


def test_a_normal_turn_passes_through_untouched():
    assert run_turn(InputGuard(GuardSettings()), answers) == (["Question 2 of 18"], ["hi"])


def test_a_long_message_never_reaches_rasa_and_gets_a_kind_reply():
    sent, calls = run_turn(InputGuard(GuardSettings(max_message_chars=10)), answers, "x" * 11)
    assert sent == [messages.too_long_message(language=ENGLISH)] and calls == []
    sent, _ = run_turn(InputGuard(GuardSettings(max_message_chars=10)), answers, "很" * 11)
    assert sent == [messages.too_long_message(language=CHINESE)]


def test_a_limited_patient_is_told_to_slow_down_not_ignored():
    guard = InputGuard(GuardSettings(per_conversation=Limit(1, 60.0)))
    run_turn(guard, answers)
    sent, calls = run_turn(guard, answers, metadata={"language": "zh"})
    assert sent == [messages.slow_down_message(language=CHINESE)] and calls == []


@pytest.mark.parametrize("handler", [says_nothing, raises, action_fails])
def test_a_failed_or_silent_turn_gets_the_kind_message_in_the_patients_language(handler, caplog):
    guard = InputGuard(GuardSettings())
    sent, _ = run_turn(guard, handler, "38", metadata={"language": "en"})
    assert sent == [SORRY], "only the kind message, not a half-done turn's reply"
    guard.remember("patient-1", CHINESE)
    sent, _ = run_turn(guard, handler, "38")
    assert sent == [messages.something_went_wrong_message(language=CHINESE)]


@pytest.mark.parametrize("handler", [raises, action_fails])
def test_no_patient_text_in_the_error_log(handler, caplog):
    caplog.set_level(logging.INFO)
    run_turn(InputGuard(GuardSettings()), handler, SECRET)
    assert caplog.records, "the failure is logged"
    for record in caplog.records:
        assert "13800138000" not in record.getMessage()
        assert record.exc_info is None or "13800138000" not in str(record.exc_info[1])
    assert any(
        "RuntimeError" in r.getMessage() or "ConnectionError" in r.getMessage()
        for r in caplog.records
    ), "the exception's type is kept"


def test_a_database_error_logged_by_rasa_keeps_neither_the_statement_nor_its_values(caplog):
    caplog.set_level(logging.INFO)
    run_turn(InputGuard(GuardSettings()), says_nothing)
    logging.getLogger("rasa.core.tracker_store").error(
        "Error happened when trying to save conversation tracker. Please investigate the "
        f"following error: (psycopg2.OperationalError) server closed\n[SQL: INSERT INTO events"
        f"]\n[parameters: ('{SECRET}',)]."
    )
    (record,) = [r for r in caplog.records if r.name == "rasa.core.tracker_store"]
    assert record.getMessage().endswith("(psycopg2.OperationalError) server closed")


class BrokenStore(InMemoryTrackerStore):
    """A conversation store whose database is away."""

    async def retrieve(self, sender_id):
        raise ConnectionError("the database is away")

    async def save(self, tracker):
        raise ConnectionError("the database is away")


def test_a_failing_tracker_store_fails_the_turn_instead_of_an_empty_conversation():
    store = FailSafeTrackerStore(BrokenStore(Domain.empty()))
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))
    assert asyncio.run(store.retrieve("patient-1")) is None, "Rasa's own: an empty conversation"
    _strict_tracker_store(app)
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(store.retrieve("patient-1"))


class Processor:
    """Stands in for Rasa's MessageProcessor: the turn's events are saved, then it may raise
    (as Rasa's lock store can when it releases the lock after the save)."""

    def __init__(self, store, fail=None):
        self.store, self.fail, self.handled = store, fail, []

    async def handle_message(self, message):
        self.handled.append(message.text)
        if self.fail == "before saving":
            raise ConnectionError("the database is away")
        tracker = await self.store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, message_id=message.message_id))
        reply = f"Question {len(self.handled) + 1}"
        tracker.update(BotUttered(reply, data={"buttons": [{"title": "Yes", "payload": "yes"}]}))
        await self.store.save(tracker)
        await message.output_channel.send_response(message.sender_id, {"text": reply})
        if self.fail == "after saving":
            raise ConnectionError("Redis went away while releasing the lock")


def agent_app(fail=None):
    store = InMemoryTrackerStore(Domain.empty())
    agent = SimpleNamespace(
        tracker_store=store,
        lock_store=InMemoryLockStore(),
        processor=Processor(store, fail),
        is_ready=lambda: True,
    )
    return SimpleNamespace(ctx=SimpleNamespace(agent=agent))


def send(app, text, message_id=None, guard=None):
    """One message through the guard of a running Rasa app, as its channels hand it over."""
    collector = CollectingOutputChannel()
    metadata = {"message_id": message_id} if message_id else None
    message = UserMessage(text, collector, "patient-1", input_channel="rest", metadata=metadata)

    async def turn():
        _PEER.set(("127.0.0.1", None, app))
        await guarded(guard or InputGuard(GuardSettings()), app.ctx.agent.processor.handle_message)(
            message
        )

    asyncio.run(turn())
    return [m.get("text") for m in collector.messages if m.get("text")]


def test_a_message_sent_again_is_answered_from_the_store_not_read_twice():
    app = agent_app()
    assert send(app, "plaquenil, prednisone", "m-0000000001") == ["Question 2"]
    assert send(app, "plaquenil, prednisone", "m-0000000001") == ["Question 2"]
    assert app.ctx.agent.processor.handled == ["plaquenil, prednisone"]
    assert send(app, "10 mg", "m-0000000002") == ["Question 3"]  # a new message is read


def test_a_turn_that_raised_after_its_save_gets_its_saved_replies_not_send_it_again():
    assert send(agent_app(fail="after saving"), "no", "m-0000000001") == ["Question 2"]
    assert send(agent_app(fail="after saving"), "no") == ["Question 2"]  # an id of Rasa's own


def test_a_turn_that_raised_before_its_save_asks_for_the_answer_again():
    app = agent_app(fail="before saving")
    assert send(app, "no", "m-0000000001") == [SORRY]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("3f2b9c1e8a7d4f6b9e0c1a2b3c4d5e6f", True),
        ("m-0000000001", True),
        ("short", False),
        ("x" * 65, False),
        ("my phone is 13800138000", False),
        (12345678, False),
    ],
)
def test_only_a_well_formed_message_id_is_taken(given, kept):
    assert (client_message_id({"message_id": given}) == given) is kept
    assert client_message_id(None) is None


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("I'm 41", "I'm 41"),
        ("a\x00b\x07c\x1b[31md\x7f\x85", "abc[31md"),
        ("tab\tand\nnewlines\r", "tab\tand\nnewlines\r"),
        ("lone \ud800 and \udfff", "lone \ufffd and \ufffd"),
        ("😀 我 ü", "😀 我 ü"),
    ],
)
def test_text_that_cannot_be_stored_or_sent_back_is_cleaned(given, cleaned):
    assert clean_text(given) == cleaned
    cleaned.encode("utf-8")  # a JSON answer and the database can carry it


def test_metadata_strings_are_cleaned_and_deep_nesting_cut():
    assert clean_value({"pressed": "是\x00", "x": ["\ud800"]}) == {"pressed": "是", "x": ["\ufffd"]}
    deep: object = "leaf"
    for _ in range(100):
        deep = [deep]
    flattened = json.dumps(clean_value(deep))
    assert "leaf" not in flattened and flattened.count("[") <= 20


def test_the_guard_hands_rasa_the_cleaned_text():
    sent, calls = run_turn(InputGuard(GuardSettings()), answers, "I'm 4\x001\ud800")
    assert calls == ["I'm 41\ufffd"] and sent == ["Question 2 of 18"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"message": "hi"}', "sender_required"),
        (b'{"sender": null, "message": "hi"}', "sender_required"),
        (b'{"sender": "", "message": "hi"}', "sender_required"),
        (b'{"sender": "has space", "message": "hi"}', "invalid_sender"),
        (b'{"sender": 12, "message": "hi"}', "invalid_sender"),
        (b'{"sender": "' + b"x" * 129 + b'", "message": "hi"}', "invalid_sender"),
        (b'{"sender": "abc12345"}', "message_required"),
        (b'{"sender": "abc12345", "message": {"a": 1}}', "message_required"),
        (b'{"sender": "abc12345", "message": "", "metadata": [1]}', "invalid_metadata"),
        (b"", "invalid_json"),
        (b"\xc3\x28", "invalid_json"),
        (b'"just a string"', "invalid_json"),
        (b"[" * 100_000, "invalid_json"),
    ],
)
def test_a_rest_request_without_its_own_sender_or_text_gets_a_kind_error(body, error):
    parsed, answer = read_rest_message(body)
    assert parsed is None and answer["error"] == error and answer["message"]


def test_a_well_formed_rest_request_is_read_as_rasa_reads_it():
    body = b'{"sender": "eval-3f2b", "message": "\\ud800 hi", "metadata": {"message_id": "m1"}}'
    assert read_rest_message(body) == (("eval-3f2b", "\ud800 hi", {"message_id": "m1"}), None)


def test_rest_needs_a_bearer_token_only_when_one_is_set(monkeypatch):
    monkeypatch.delenv("HN2301_REST_TOKEN", raising=False)
    assert GuardedRestInput.from_credentials({}).authorized(None), "make run, tests, scripts"
    channel = GuardedRestInput.from_credentials({"token": "s3cret-token"})
    assert channel.authorized("Bearer s3cret-token") and channel.authorized("bearer s3cret-token")
    for header in (None, "", "s3cret-token", "Bearer wrong", "Basic s3cret-token", "Bearer é"):
        assert not channel.authorized(header), header
    monkeypatch.setenv("HN2301_REST_TOKEN", "from-the-environment")
    assert GuardedRestInput.from_credentials({}).token == "from-the-environment"


def test_the_chat_channel_without_a_key_has_none_and_refuses_everyone():
    assert GuardedSocketIOInput.from_credentials({}).chat_key() is None
    assert GuardedSocketIOInput.from_credentials({"jwt_key": "short"}).chat_key() is None
    channel = GuardedSocketIOInput.from_credentials(
        {"jwt_key": "k" * 40, "allowed_origins": "http://127.0.0.1:8000, http://localhost:8000/"}
    )
    assert channel.chat_key() == "k" * 40
    assert channel.allowed_origins == ("http://127.0.0.1:8000", "http://localhost:8000")
