"""The guarded input channels over real HTTP: a real `rasa run` and action server, through REST
and through socket.io (the page's chat).

Killing the action server mid-screening gets the patient the kind "send your last answer again"
message, never an empty reply, and once it is back the answer sent again continues the screening
at the same question with every earlier answer kept. A 1 MB message gets the kind "long message"
reply at once without holding up another patient; a patient sending too fast is told to slow
down (credentials.yml's own limits), never ignored. None of it writes patient text to the logs.
"""

import asyncio
import json
import os
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import socketio
import yaml

from bot import messages
from bot.i18n import CHINESE, ENGLISH
from scripts.stack import ROOT
from tests.support.stack import chat_session, new_sender, talk
from tests.test_rest_screenings import EVERYTHING_FINE, asked, stored

SORRY = messages.something_went_wrong_message(language=ENGLISH)
CREDENTIALS = yaml.safe_load((ROOT / "credentials.yml").read_text())[
    "extensions.channels.GuardedRestInput"
]


def post(stack, sender, text, forwarded_for=None, timeout=60):
    """The bot's texts for one message, optionally as if forwarded for another address."""
    headers = {"Content-Type": "application/json"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    request = urllib.request.Request(
        stack.rest_url,
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return [message.get("text") for message in json.loads(response.read())]


def actions_health(stack) -> bool:
    url = f"http://127.0.0.1:{stack.config.actions_port}/health"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def actions_service(stack):
    return next(service for service in stack.services if service.name == "actions")


def kill_action_server(stack) -> None:
    """kill -9 the action server process, as a crash would."""
    supervisor = getattr(stack, "supervisor", None)
    pid = (
        supervisor.pid("actions") if supervisor is not None else actions_service(stack).process.pid
    )
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while actions_health(stack):
        assert time.monotonic() < deadline, "the action server still answers after kill -9"
        time.sleep(0.05)


def restart_action_server(stack) -> None:
    """Back again: its supervisor restarts it, or (stack without one) start it as the stack does."""
    if getattr(stack, "supervisor", None) is None:
        service = actions_service(stack)
        if service.exit_code() is not None:
            service.start(stack.env(), stack.config.log_dir, stack.echo)
    deadline = time.monotonic() + 90
    while not actions_health(stack):
        assert time.monotonic() < deadline, f"the action server did not come back{stack.logs()}"
        time.sleep(0.2)


def log_text(stack) -> str:
    return "".join(
        path.read_text(errors="replace") for path in Path(stack.config.log_dir).glob("*.log")
    )


def test_the_action_server_away_gets_the_kind_message_and_the_answer_sent_again_goes_on(
    rasa_stack,
):
    sender = new_sender()
    talk(rasa_stack, sender, "hi")
    reply = talk(rasa_stack, sender, "yes")
    for question in ("age", "sle_diagnosis"):
        assert asked(reply) == question, reply
        reply = talk(rasa_stack, sender, EVERYTHING_FINE[question])
    assert asked(reply) == "sle_duration", reply
    chinese = new_sender()

    kill_action_server(rasa_stack)
    try:
        answer = "it was about 5 years ago"
        started = time.monotonic()
        assert post(rasa_stack, sender, answer) == [SORRY]
        print(f"kind message with the action server away in {time.monotonic() - started:.3f} s")
        assert post(rasa_stack, chinese, "你好") == [
            messages.something_went_wrong_message(language=CHINESE)
        ]
    finally:
        restart_action_server(rasa_stack)

    reply = talk(rasa_stack, sender, answer)
    assert asked(reply) == "disease_active", reply
    questions = ["age", "sle_diagnosis", "sle_duration", "disease_active"]
    while True:  # the rest of the screening, as in tests/test_rest_screenings.py
        if any(text.startswith("Let me check I have this right.") for text in reply):
            reply = talk(rasa_stack, sender, "yes")
            continue
        if (question := asked(reply)) is None:
            break
        assert question == questions[-1] or question not in questions, reply
        questions.append(question)
        reply = talk(rasa_stack, sender, EVERYTHING_FINE[question])
    assert "may be a good fit" in " ".join(reply)
    words = {a["criterion"]: a["words"] for a in stored(rasa_stack, sender)["answers"]}
    assert words["age"] == EVERYTHING_FINE["age"]
    assert answer not in log_text(rasa_stack), "no patient text in the logs"


def test_the_conversation_store_away_gets_the_kind_message_and_nothing_is_lost(rasa_stack):
    """Rasa's tracker store (a SQLite file in the tests) locked by another writer: Rasa cannot
    read or save the conversation, the patient is asked to send the answer again, and it goes on."""
    sender = new_sender()
    talk(rasa_stack, sender, "hi")
    assert asked(talk(rasa_stack, sender, "yes")) == "age"
    blocker = sqlite3.connect(rasa_stack.config.tracker_db, isolation_level=None, timeout=30)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        assert post(rasa_stack, sender, EVERYTHING_FINE["age"]) == [SORRY]
    finally:
        blocker.rollback()
        blocker.close()
    assert asked(talk(rasa_stack, sender, EVERYTHING_FINE["age"])) == "sle_diagnosis"


def test_a_1mb_message_gets_the_kind_reply_at_once_and_does_not_hold_up_another_patient(
    rasa_stack,
):
    sender, other = new_sender(), new_sender()
    talk(rasa_stack, sender, "hi")
    assert asked(talk(rasa_stack, sender, "yes")) == "age"
    huge = "pain " * 200_000  # 1 MB of words
    results = {}

    def send(name, who, text):
        started = time.monotonic()
        results[name] = (post(rasa_stack, who, text), time.monotonic() - started)

    threads = [
        threading.Thread(target=send, args=("huge", sender, huge)),
        threading.Thread(target=send, args=("hi", other, "hi")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    texts, seconds = results["huge"]
    assert texts == [messages.too_long_message(language=ENGLISH)] and seconds < 2.0, results
    texts, seconds = results["hi"]
    assert any("may I use your health answers" in t for t in texts) and seconds < 5.0, results
    print(f"1 MB message answered in {results['huge'][1]:.3f} s, 'hi' meanwhile in {seconds:.3f} s")
    assert asked(talk(rasa_stack, sender, EVERYTHING_FINE["age"])) == "sle_diagnosis"
    assert "pain pain pain pain" not in log_text(rasa_stack)


def test_too_many_messages_get_a_kind_slow_down_and_others_are_not_limited(rasa_stack):
    slow_down = messages.slow_down_message(language=ENGLISH)
    long_text = "x" * (CREDENTIALS["max_message_chars"] + 1)  # cheap: never reaches the NLU
    per_conversation = CREDENTIALS["per_conversation"]
    sender, address = new_sender(), "198.51.100.7"
    for _ in range(per_conversation["messages"]):
        assert post(rasa_stack, sender, long_text, address) != [slow_down]
    assert post(rasa_stack, sender, "hi", address) == [slow_down]
    other = talk(rasa_stack, new_sender(), "hi")
    assert any("may I use your health answers" in t for t in other), "others go on"
    time.sleep(per_conversation["seconds"] / per_conversation["messages"] + 0.5)
    reply = post(rasa_stack, sender, "hi", address)
    assert any("may I use your health answers" in t for t in reply), "after a pause, go on"

    per_address, address = CREDENTIALS["per_address"], "198.51.100.8"
    started, accepted = time.monotonic(), 0  # fresh conversations, one address
    while post(rasa_stack, new_sender(), long_text, address) != [slow_down]:
        accepted += 1
        assert accepted <= 2 * per_address["messages"], "never limited"
    refilled = (time.monotonic() - started) * per_address["messages"] / per_address["seconds"]
    assert per_address["messages"] <= accepted <= per_address["messages"] + refilled + 1
    assert post(rasa_stack, new_sender(), "hi", address) == [slow_down]
    assert post(rasa_stack, new_sender(), "hi", "198.51.100.9") != [slow_down]


class SocketPatient:
    """A patient on the page's socket.io channel, as bot/webpage/static/chat.js talks to it: a
    chat id and its token from the page's server, then connect with the token."""

    def __init__(self, stack, forwarded_for=None):
        self.stack = stack
        self.headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        self.client = socketio.AsyncClient()
        self.received: asyncio.Queue = asyncio.Queue()
        self.session_id = None

    async def __aenter__(self):
        session = chat_session(self.stack)
        confirmed = asyncio.get_running_loop().create_future()
        self.client.on("session_confirm", lambda sid: confirmed.set_result(sid))
        self.client.on("bot_uttered", lambda data: self.received.put_nowait(data))
        await self.client.connect(
            self.stack.socket_url, headers=self.headers, socketio_path="/socket.io",
            transports=["polling"],  # this aiohttp is too old for engineio's websocket client
            auth={"token": session.token},
        )  # fmt: skip
        await self.client.emit("session_request", {"session_id": session.chat_id})
        self.session_id = await asyncio.wait_for(confirmed, 10)
        assert self.session_id == session.chat_id
        return self

    async def __aexit__(self, *exc_info):
        await self.client.disconnect()

    async def say(self, text, language="en", quiet_s=1.5):
        """The texts the bot sends back, once it has been quiet for `quiet_s` seconds."""
        await self.client.emit(
            "user_uttered",
            {"message": text, "session_id": self.session_id, "metadata": {"language": language}},
        )
        texts, timeout = [], 60.0
        while True:
            try:
                data = await asyncio.wait_for(self.received.get(), timeout)
            except asyncio.TimeoutError:
                return texts
            if isinstance(data, dict) and data.get("text"):
                texts.append(data["text"])
            timeout = quiet_s


def test_the_socketio_channel_is_guarded_the_same_way(rasa_stack):
    async def run():
        async with SocketPatient(rasa_stack) as patient:
            assert asked(await patient.say("hi")) is None
            assert await patient.say("x" * 5000) == [messages.too_long_message(language=ENGLISH)]
            kill_action_server(rasa_stack)
            try:
                reply = await patient.say("好的", language="zh")
                assert reply == [messages.something_went_wrong_message(language=CHINESE)]
            finally:
                restart_action_server(rasa_stack)
            assert asked(await patient.say("yes")) == "age"
        slow_down = messages.slow_down_message(language=ENGLISH)
        async with SocketPatient(rasa_stack, forwarded_for="198.51.100.20") as patient:
            limit, accepted = CREDENTIALS["per_conversation"]["messages"], 0
            while await patient.say("x" * 5000, quiet_s=0.1) != [slow_down]:
                accepted += 1
                assert accepted <= 2 * limit, "never limited"
            assert accepted >= limit

    asyncio.run(run())
