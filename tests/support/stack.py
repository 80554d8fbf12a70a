"""One running assistant for the whole test session: action server, Rasa, dashboard, page.

Starting Rasa with the trained model takes 20-40 s, so every test module shares the same stack
(session scope). Each test talks under its own random sender id, so conversations never mix.
Databases (referral store, Rasa's tracker store) are throw-away SQLite files for this session.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from scripts.stack import DEFAULT_MODEL, Stack, StackConfig, StackError


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real stack on free ports; `.rest_url`, `.socket_url`, `.page_url`, `.dashboard_url`,
    `.database_url`."""
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: run `make model` (or `make test`)")
    config = StackConfig.throwaway(tmp_path_factory.mktemp("stack"))
    stack = Stack(config, echo=open(config.work_dir / "stack.log", "w"))  # noqa: SIM115
    try:
        stack.start()
    except StackError as error:
        pytest.fail(f"the stack did not start: {error}")
    try:
        yield stack
    finally:
        stack.stop()
        stack.echo.close()


def new_sender() -> str:
    """An unguessable sender id, like the ones the socket.io channel hands out."""
    return uuid.uuid4().hex


def talk_raw(stack: Stack, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
    """POST one message to the REST channel; the bot's messages as Rasa returns them."""
    body = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    request = urllib.request.Request(
        stack.rest_url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def talk(stack: Stack, sender: str, text: str, metadata: dict | None = None) -> list[str]:
    """The bot's texts for one message; each button follows its text as "[title]"."""
    lines: list[str] = []
    for message in talk_raw(stack, sender, text, metadata):
        if message.get("text"):
            lines.append(message["text"])
        lines.extend(f"[{button['title']}]" for button in message.get("buttons", []))
    return lines


@dataclass
class ChatSession:
    """What the patient page's server hands a browser tab: its chat id, a token for it, and the
    browser's cookie (the `Cookie` header to send it back)."""

    chat_id: str
    token: str
    cookie: str


def chat_session(stack: Stack, chat_id: str | None = None, cookie: str = "") -> ChatSession:
    """Ask the page's server for a chat (a new one, or `chat_id` again), as chat.js does."""
    status, body, set_cookie = post_chat_session(stack, {"chat_id": chat_id}, cookie)
    assert status == 200, (status, body)
    if set_cookie:
        cookie = set_cookie.split(";", 1)[0]
    return ChatSession(body["chat_id"], body["token"], cookie)


def post_chat_session(
    stack: Stack, body: object, cookie: str = "", headers: dict | None = None
) -> tuple[int, dict, str]:
    """Status, JSON answer and Set-Cookie of one `POST /chat/session`."""
    request = urllib.request.Request(
        stack.page_url.rstrip("/") + "/chat/session",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Cookie": cookie, **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers["Set-Cookie"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers["Set-Cookie"]
