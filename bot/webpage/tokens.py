"""Chat ids bound to the browser that started them, and the short-lived tokens that name them.

The patient page's server (bot/webpage/server.py) gives each browser a random key in an HttpOnly,
SameSite=Strict cookie. A chat id is a random part and a MAC of it under that browser key, so
the server can tell, without keeping any state, that a chat id belongs to the browser asking:
it issues a token (a JWT, HS256, a few minutes) only for such an id. Rasa's socket.io channel
(extensions/channels.py) checks the token when a connection opens and lets the connection join
and post to that one id only. Someone who knows or guesses a chat id has neither the cookie nor
a token for it.

One secret (HN2301_CHAT_JWT_KEY, made by scripts/stack.py) is shared by the page server and
Rasa; the MAC key and the token key are derived from it, so neither can stand in for the other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path

import jwt

from bot.settings import load_settings, variable

KEY_ENV = variable("chat_jwt_key")
AUDIENCE = "hn2301-chat"
ISSUER = "hn2301-page"
ALGORITHM = "HS256"
# A token only opens a connection; the page asks for a new one at every (re)connection.
TOKEN_TTL_S = 300
MIN_KEY_CHARS = 32
# What the page server issues: 32 hex characters of chance, 32 of MAC.
CHAT_ID = re.compile(r"[0-9a-f]{64}")
# What a token may name (scripts mint tokens for their own uuid4 ids): never free text.
TOKEN_SUBJECT = re.compile(r"[A-Za-z0-9_-]{16,128}")
BROWSER_KEY = re.compile(r"[A-Za-z0-9_-]{43}")


class ChatKeyMissing(RuntimeError):
    """No chat secret configured (HN2301_CHAT_JWT_KEY or a key file)."""


def load_key(key_file: str | Path | None = None) -> str:
    """The shared secret: HN2301_CHAT_JWT_KEY, else the file's contents."""
    key = load_settings().chat_jwt_key
    if not key and key_file:
        key = Path(key_file).read_text().strip()
    if len(key) < MIN_KEY_CHARS:
        raise ChatKeyMissing(
            f"the chat secret ({KEY_ENV} or a key file) is missing or under {MIN_KEY_CHARS}"
            " characters; scripts/stack.py makes one (var/secrets/)"
        )
    return key


def _derived(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"hn2301 {purpose}".encode(), hashlib.sha256).digest()


def new_browser_key() -> str:
    """The cookie's value: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def is_browser_key(value: str | None) -> bool:
    return bool(value) and BROWSER_KEY.fullmatch(value) is not None


def _mac(secret: str, browser_key: str, nonce: str) -> str:
    message = f"{browser_key}:{nonce}".encode()
    return hmac.new(_derived(secret, "chat id"), message, hashlib.sha256).hexdigest()[:32]


def new_chat_id(secret: str, browser_key: str) -> str:
    """A fresh chat id bound to this browser."""
    nonce = secrets.token_hex(16)
    return nonce + _mac(secret, browser_key, nonce)


def belongs_to(secret: str, browser_key: str, chat_id: str | None) -> bool:
    """Whether `chat_id` was issued to the browser holding `browser_key`."""
    if not chat_id or not CHAT_ID.fullmatch(chat_id) or not is_browser_key(browser_key):
        return False
    return hmac.compare_digest(chat_id[32:], _mac(secret, browser_key, chat_id[:32]))


def issue_token(secret: str, chat_id: str, ttl_s: int = TOKEN_TTL_S, now: float | None = None):
    """A token that lets one socket.io connection join `chat_id` (and nothing else)."""
    if not TOKEN_SUBJECT.fullmatch(chat_id):
        raise ValueError("a chat id is 16-128 letters, digits, '-' or '_'")
    issued = int(time.time() if now is None else now)
    claims = {"sub": chat_id, "aud": AUDIENCE, "iss": ISSUER, "iat": issued, "exp": issued + ttl_s}
    return jwt.encode(claims, _derived(secret, "chat token"), algorithm=ALGORITHM)


def chat_id_of(secret: str, token: object) -> str | None:
    """The chat id a valid, unexpired token of ours names; None for anything else."""
    if not isinstance(token, str) or not token or len(token) > 2048:
        return None
    try:
        claims = jwt.decode(
            token,
            _derived(secret, "chat token"),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "aud", "iss"]},
            leeway=5,
        )
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) and TOKEN_SUBJECT.fullmatch(subject) else None
