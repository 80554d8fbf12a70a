"""Issue 11, finding 1 (socket.io): a chat can be joined only by the browser that started it.

Against the real stack: the page's server hands a browser a chat id bound to its cookie and a
short-lived token for it; Rasa's socket.io channel lets a connection join and post to only the
chat its token names. A second client that knows a patient's chat id, with a token of its own,
with a forged or expired token, from another site or with none, gets nothing of that chat and
cannot post into it.
"""

import asyncio
import sqlite3

import jwt
import pytest
import socketio

from bot.webpage import tokens
from tests.support.stack import chat_session, post_chat_session

CONNECT_REFUSED = (socketio.exceptions.ConnectionError,)
ATTACKER_TEXT = "attacker-posted-7f3a9c"


class Client:
    """A raw socket.io client that records everything the server sends it."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, object]] = []
        for name in ("session_confirm", "bot_uttered"):
            self.sio.on(name, lambda data, name=name: self.events.append((name, data)))
        self.sio.on("disconnect", lambda: self.events.append(("disconnect", None)))

    async def connect(self, token=None, headers=None, wait_timeout=10) -> None:
        await self.sio.connect(
            self.stack.socket_url, socketio_path="/socket.io", transports=["polling"],
            auth={"token": token} if token is not None else None, headers=headers or {},
            wait_timeout=wait_timeout,
        )  # fmt: skip

    async def join(self, chat_id: str) -> None:
        await self.sio.emit("session_request", {"session_id": chat_id})

    async def say(self, chat_id: str, text: str) -> None:
        await self.sio.emit(
            "user_uttered", {"message": text, "session_id": chat_id, "metadata": {}}
        )

    def got(self, name: str) -> list:
        return [data for event, data in self.events if event == name]

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def settle(seconds: float = 1.5) -> None:
    await asyncio.sleep(seconds)


def tracker_texts(stack, sender: str) -> list[str]:
    with sqlite3.connect(stack.config.tracker_db) as connection:
        rows = connection.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchall()
    return [row[0] for row in rows]


async def patient_started(stack) -> tuple[Client, str]:
    """A patient whose chat has begun ("hi" answered)."""
    session = chat_session(stack)
    patient = Client(stack)
    await patient.connect(session.token)
    await patient.join(session.chat_id)
    await patient.say(session.chat_id, "hi")
    await settle()
    assert patient.got("session_confirm") == [session.chat_id]
    assert patient.got("bot_uttered"), "the patient is answered"
    return patient, session.chat_id


def test_a_second_client_with_its_own_token_can_neither_join_nor_post_to_a_patients_chat(
    rasa_stack,
):
    async def run():
        patient, chat_id = await patient_started(rasa_stack)
        try:
            intruder = Client(rasa_stack)
            await intruder.connect(chat_session(rasa_stack).token)  # a valid token, its own chat
            await intruder.join(chat_id)
            await settle()
            assert intruder.got("session_confirm") == [] and intruder.got("bot_uttered") == []
            assert not intruder.sio.connected, "the connection is closed"

            poster = Client(rasa_stack)
            await poster.connect(chat_session(rasa_stack).token)
            await poster.say(chat_id, ATTACKER_TEXT)
            await settle()
            assert poster.got("bot_uttered") == []
            assert not any(ATTACKER_TEXT in text for text in tracker_texts(rasa_stack, chat_id))

            before = len(patient.got("bot_uttered"))
            await patient.say(chat_id, "yes")
            await settle()
            assert len(patient.got("bot_uttered")) > before, "the patient's chat goes on"
            assert intruder.got("bot_uttered") == [] and poster.got("bot_uttered") == []
            await intruder.close()
            await poster.close()
        finally:
            await patient.close()

    asyncio.run(run())


def secret_of(stack) -> str:
    return stack.secrets()["HN2301_CHAT_JWT_KEY"]


def forged(stack, chat_id: str, how: str) -> str | None:
    secret = secret_of(stack)
    if how == "none":
        return None
    if how == "another key":
        return tokens.issue_token("another-secret-" + "x" * 40, chat_id)
    if how == "expired":
        return tokens.issue_token(secret, chat_id, now=0)
    if how == "the raw secret":  # signed with the shared secret itself, not the derived key
        claims = {"sub": chat_id, "aud": tokens.AUDIENCE, "iss": tokens.ISSUER, "iat": 1}
        return jwt.encode({**claims, "exp": 2**33}, secret, algorithm="HS256")
    if how == "alg none":
        claims = {"sub": chat_id, "aud": tokens.AUDIENCE, "iss": tokens.ISSUER}
        return jwt.encode({**claims, "iat": 1, "exp": 2**33}, None, algorithm="none")
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["none", "another key", "expired", "the raw secret", "alg none"])
def test_a_connection_without_a_valid_token_is_refused(rasa_stack, how):
    async def run():
        chat_id = chat_session(rasa_stack).chat_id  # a real patient's chat id
        intruder = Client(rasa_stack)
        with pytest.raises(CONNECT_REFUSED):
            await intruder.connect(forged(rasa_stack, chat_id, how), wait_timeout=3)
        assert not intruder.sio.connected and intruder.events == []
        control = Client(rasa_stack)  # the same connection with the page's own token works
        await control.connect(tokens.issue_token(secret_of(rasa_stack), chat_id))
        assert control.sio.connected
        await control.close()

    asyncio.run(run())


def test_a_connection_from_another_site_is_refused_even_with_a_token(rasa_stack):
    async def run():
        session = chat_session(rasa_stack)
        outsider = Client(rasa_stack)
        with pytest.raises(CONNECT_REFUSED):
            await outsider.connect(
                session.token, headers={"Origin": "https://evil.example"}, wait_timeout=3
            )
        page = Client(rasa_stack)
        await page.connect(session.token, headers={"Origin": rasa_stack.page_url.rstrip("/")})
        await page.join(session.chat_id)
        await settle(1.0)
        assert page.got("session_confirm") == [session.chat_id]
        await page.close()

    asyncio.run(run())


def test_the_page_gives_a_token_only_for_this_browsers_own_chat(rasa_stack):
    mine = chat_session(rasa_stack)
    again = chat_session(rasa_stack, mine.chat_id, mine.cookie)
    assert again.chat_id == mine.chat_id
    assert tokens.chat_id_of(secret_of(rasa_stack), again.token) == mine.chat_id, "a new token"

    other_browser = chat_session(rasa_stack)
    status, body, _ = post_chat_session(rasa_stack, {"chat_id": mine.chat_id}, other_browser.cookie)
    assert status == 403 and "token" not in body
    status, body, _ = post_chat_session(rasa_stack, {"chat_id": mine.chat_id})
    assert status == 403 and "token" not in body, "no cookie at all"
    status, _, _ = post_chat_session(
        rasa_stack, {"chat_id": None}, mine.cookie, headers={"Origin": "https://evil.example"}
    )
    assert status == 403, "another site's page cannot ask"


def test_the_browser_cookie_is_http_only_and_strict(rasa_stack):
    status, _, set_cookie = post_chat_session(rasa_stack, {"chat_id": None})
    assert status == 200
    flags = [part.strip().lower() for part in set_cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert not any(flag.startswith(("expires", "max-age", "domain")) for flag in flags)
