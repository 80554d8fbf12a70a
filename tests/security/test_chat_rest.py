"""Issue 11, finding 1 (REST): no shared "default" conversation, no REST in production, and a
token when one is set.

The test stack and `make run` keep REST open on 127.0.0.1 without a token (the scripts and the
evaluators screen through it); a message without a sender is refused there. A deployment's
credentials (deploy/production/credentials.yml) have no REST channel at all. With
HN2301_REST_TOKEN the channel asks every request for `Authorization: Bearer <token>` (a real
Sanic server with the real channel, started here).
"""

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from rasa.core.run import create_http_input_channels

from extensions.channels import GuardedRestInput, GuardedSocketIOInput
from scripts.stack import ROOT, free_port
from tests.support.stack import new_sender

PRODUCTION = ROOT / "deploy" / "production" / "credentials.yml"


def post(url: str, body: object, headers: dict | None = None) -> tuple[int, object]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def default_events(stack) -> int:
    with sqlite3.connect(stack.config.tracker_db) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = 'default'"
        ).fetchone()
    return count


@pytest.mark.parametrize(
    "body",
    [
        {"message": "what do you know about me?"},
        {"sender": None, "message": "hi"},
        {"sender": "", "message": "hi"},
    ],
)
def test_a_message_without_a_sender_gets_a_kind_400_and_no_shared_conversation(rasa_stack, body):
    status, answer = post(rasa_stack.rest_url, body)
    assert status == 400
    assert answer["error"] == "sender_required"
    assert "sender" in answer["message"] and "UUID" in answer["message"]
    assert default_events(rasa_stack) == 0, "nothing went into Rasa's 'default' conversation"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b"[" * 50_000 + b"]" * 50_000, "invalid_json"),
        ({"sender": "a b c", "message": "hi"}, "invalid_sender"),
        ({"sender": ["x"], "message": "hi"}, "invalid_sender"),
        ({"sender": "abcdefgh", "message": None}, "message_required"),
        ({"sender": "abcdefgh", "message": "hi", "metadata": "x"}, "invalid_metadata"),
    ],
)
def test_a_malformed_request_gets_a_kind_400_not_a_500(rasa_stack, body, error):
    status, answer = post(rasa_stack.rest_url, body)
    assert (status, answer["error"]) == (400, error)
    assert answer["message"]


def test_the_test_stack_keeps_rest_open_on_loopback_without_a_token(rasa_stack):
    status, answer = post(rasa_stack.rest_url, {"sender": new_sender(), "message": "hi"})
    assert status == 200 and any("may I use your health answers" in m["text"] for m in answer)


def test_the_production_configuration_has_no_rest_channel(monkeypatch):
    monkeypatch.setenv("HN2301_CHAT_JWT_KEY", "k" * 64)
    monkeypatch.setenv("HN2301_PAGE_ORIGINS", "https://trial.example.org")
    monkeypatch.delenv("HN2301_REST_TOKEN", raising=False)
    channels = create_http_input_channels(None, str(PRODUCTION))  # as `rasa run` reads it
    assert [type(channel) for channel in channels] == [GuardedSocketIOInput]
    (chat,) = channels
    assert chat.chat_key() == "k" * 64, "the chat needs a token signed with the shared key"
    assert chat.allowed_origins == ("https://trial.example.org",)
    assert chat.session_persistence
    assert not any(isinstance(channel, GuardedRestInput) for channel in channels)


def test_the_production_configuration_cannot_start_without_the_chat_key(monkeypatch):
    monkeypatch.delenv("HN2301_CHAT_JWT_KEY", raising=False)
    monkeypatch.setenv("HN2301_PAGE_ORIGINS", "https://trial.example.org")
    with pytest.raises(Exception, match="HN2301_CHAT_JWT_KEY"):
        create_http_input_channels(None, str(PRODUCTION))


PROBE_APP = """
import sys
from sanic import Sanic
from extensions.channels import GuardedRestInput

async def answer(message):
    await message.output_channel.send_text_message(message.sender_id, "heard you")

app = Sanic("hn2301_rest_token_probe")
channel = GuardedRestInput.from_credentials({"unlimited_addresses": ["127.0.0.1"]})
app.blueprint(channel.blueprint(answer), url_prefix="/webhooks/rest")
app.run("127.0.0.1", int(sys.argv[1]), access_log=False)
"""


@pytest.fixture(scope="module")
def rest_with_token(tmp_path_factory):
    """The real guarded REST channel in a real Sanic server, HN2301_REST_TOKEN set."""
    port, token = free_port(), "t0ken-" + "9" * 40
    log = tmp_path_factory.mktemp("rest-token") / "server.log"
    env = {**os.environ, "HN2301_REST_TOKEN": token, "PYTHONPATH": str(ROOT)}
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", PROBE_APP, str(port)], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    yield url, token, log
    server.terminate()
    server.wait(timeout=10)


def test_with_a_rest_token_set_every_request_needs_it(rest_with_token):
    url, token, log = rest_with_token
    body = {"sender": new_sender(), "message": "hi, my phone is 13800138000"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        status, answer = post(url, body, headers)
        assert status == 401 and answer["error"] == "unauthorized", headers
    status, answer = post(url, body, {"Authorization": f"Bearer {token}"})
    assert status == 200 and answer == [{"recipient_id": body["sender"], "text": "heard you"}]
    assert "13800138000" not in log.read_text()
