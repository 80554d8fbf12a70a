"""Rasa's REST and socket.io input channels, guarded: bounded input, rate limits, never silence.

Named in credentials.yml in place of `rest:` and `socketio:`; the URL paths stay Rasa's own
(`/webhooks/rest/webhook`, `/socket.io`). Before a patient's message reaches Rasa (and its NLU):

- a message longer than `max_message_chars` (or with oversized metadata) gets a kind "that's a
  long message" reply and never reaches Rasa, so nothing already answered changes;
- more than `per_conversation` messages in a conversation, or `per_address` from one address,
  within their time windows get a kind "please slow down" reply (token buckets in this process;
  addresses in `unlimited_addresses`, the machine's own scripts by default, are not limited; behind
  a proxy in `trusted_proxies` the address is the one it adds to `X-Forwarded-For`).

During the turn the output channel holds what Rasa sends. When the turn raised, an action failed
(Rasa logs it and goes on, its events lost) or nothing at all was sent, the patient gets only
"Sorry, something went wrong on our side ... send your last answer again", in their language;
otherwise what was held is sent as it came.
Rasa has already stored the message in the tracker, so earlier answers are kept and the answer
sent again continues the screening at the same question. When Rasa's tracker store (the
database) fails, Rasa's own fail-safe would go on with an empty conversation; here the turn
fails instead, with the same kind message.

A message sent again is not handled twice. The page and scripts give each message an id
(metadata `message_id`) and send a message again with the same id when no reply came (a dropped
connection; HAProxy re-sends a request whose server died). Under Rasa's own lock for the
conversation, the guard looks at the conversation's latest message in the tracker store: when it
is this id, the turn was handled (and saved) already, and its stored replies are sent again
instead of reading the answer a second time, as the answer to the next question. A turn that
raised after its events were saved (the lock store failing at release, the database at the
end) is answered the same way, from the store, rather than with "send it again".

No patient text reaches the error log: a failed turn is logged by its exception's type and stack
only, and the error records of Rasa's processor and actions lose their exception's message.
Rasa's own REST handler logs a failed message's text; ours never does.

Text that cannot be stored or sent back (NUL and other control characters, a lone UTF-16
surrogate that JSON can carry) is cleaned before anything reads it.

Ids that can't be borrowed (issue 11):
- socket.io: a connection must present a token from the patient page's server
  (bot/webpage/tokens.py, the `jwt_key` shared with it) when it opens, and can then join
  (`session_request`) and post to (`user_uttered`) only the chat id its token names. A missing,
  forged or expired token, or an Origin not in `allowed_origins`, is refused at connect; a foreign
  id is refused and the connection closed, and nothing is sent to it. Without a `jwt_key` every
  connection is refused.
- REST: a message without a `sender` gets 400 and a kind JSON error instead of Rasa's shared
  "default" conversation. With a `token` (or HN2301_REST_TOKEN) every request needs
  `Authorization: Bearer <token>`. The production configuration has no REST channel at all
  (deploy/production/credentials.yml).
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import ipaddress
import json
import logging
import re
import time
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request

from bot import messages
from bot.conversation import requested_language
from bot.i18n import ENGLISH, detect, named_language
from bot.settings import load_settings
from bot.webpage import tokens

logger = logging.getLogger(__name__)

# Rasa's loggers whose error records mark a turn as failed and may carry patient text.
RASA_ERROR_LOGGERS = (
    "rasa.core.processor",
    "rasa.core.actions.action",
    "rasa.core.agent",
    "rasa.core.tracker_store",
    "rasa.core.lock_store",
)
# What a database error's message appends: the statement and its values (the patient's words).
_STATEMENT = re.compile(r"\s*\[(SQL|parameters):.*", re.DOTALL)
TOO_LONG = "too_long"
SLOW_DOWN = "slow_down"
ACCEPT = "accept"
MAX_TRACKED_KEYS = 100_000


@dataclass(frozen=True)
class Limit:
    """At most `messages` in any `seconds` (a token bucket: `messages` at once, then steadily)."""

    messages: int
    seconds: float

    @classmethod
    def parse(cls, given: object, default: Limit) -> Limit:
        if not given:
            return default
        if not isinstance(given, Mapping):
            raise ValueError(f"a rate limit is {{messages: N, seconds: S}}, not {given!r}")
        limit = cls(
            int(given.get("messages", default.messages)),
            float(given.get("seconds", default.seconds)),
        )
        if limit.messages < 1 or limit.seconds <= 0:
            raise ValueError(f"a rate limit needs messages >= 1 and seconds > 0, not {given!r}")
        return limit


@dataclass(frozen=True)
class GuardSettings:
    """The guard's settings, read from the channel's section of credentials.yml."""

    max_message_chars: int = 2000
    max_metadata_chars: int = 2000
    per_conversation: Limit = Limit(20, 60.0)
    per_address: Limit = Limit(300, 60.0)
    trusted_proxies: tuple[str, ...] = ()
    unlimited_addresses: tuple[str, ...] = ()

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> GuardSettings:
        given = credentials or {}
        default = cls()
        return cls(
            max_message_chars=int(given.get("max_message_chars", default.max_message_chars)),
            max_metadata_chars=int(given.get("max_metadata_chars", default.max_metadata_chars)),
            per_conversation=Limit.parse(given.get("per_conversation"), default.per_conversation),
            per_address=Limit.parse(given.get("per_address"), default.per_address),
            trusted_proxies=tuple(str(a) for a in given.get("trusted_proxies") or ()),
            unlimited_addresses=tuple(str(a) for a in given.get("unlimited_addresses") or ()),
        )


GUARD_KEYS = {field_name for field_name in GuardSettings.__dataclass_fields__}


class RateLimiter:
    """Token buckets by key (a conversation or an address), the least recently used forgotten
    beyond `max_keys` so memory stays bounded."""

    def __init__(self, limit: Limit, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float) -> bool:
        """Take a token for `key` if one is left."""
        capacity = float(self.limit.messages)
        tokens, last = self._buckets.pop(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * capacity / self.limit.seconds)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed


def _networks(addresses: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(address, strict=False) for address in addresses]


def _in(address: str, networks: list) -> bool:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(parsed.version == network.version and parsed in network for network in networks)


class InputGuard:
    """Decides, before Rasa, whether a message is handled; remembers each conversation's
    language so a kind reply is in it."""

    def __init__(self, settings: GuardSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.clock = clock
        self.conversations = RateLimiter(settings.per_conversation)
        self.addresses = RateLimiter(settings.per_address)
        self._trusted = _networks(settings.trusted_proxies)
        self._unlimited = _networks(settings.unlimited_addresses)
        self._languages: OrderedDict[str, str] = OrderedDict()

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The patient's address: the peer's, or behind trusted proxies the last address in
        `X-Forwarded-For` that is not one of them."""
        address = (peer or "").strip()
        if forwarded_for and _in(address, self._trusted):
            for hop in reversed([hop.strip() for hop in forwarded_for.split(",") if hop.strip()]):
                address = hop
                if not _in(hop, self._trusted):
                    break
        return address

    def check(self, sender: str, address: str, text: str, metadata: object) -> str:
        """ACCEPT, TOO_LONG or SLOW_DOWN. Every message counts towards the limits."""
        if not _in(address, self._unlimited):
            now = self.clock()
            conversation_ok = self.conversations.allow(f"c:{sender}", now)
            address_ok = self.addresses.allow(f"a:{address}", now)
            if not (conversation_ok and address_ok):
                return SLOW_DOWN
        if len(text) > self.settings.max_message_chars:
            return TOO_LONG
        if metadata and len(json.dumps(metadata, default=str)) > self.settings.max_metadata_chars:
            return TOO_LONG
        return ACCEPT

    def language(self, sender: str, text: str, metadata: object) -> str:
        """The language to answer in: the one the message names (metadata `language`, "in
        English please"), else the one this conversation was in, else the message's own."""
        given = metadata.get("language") if isinstance(metadata, Mapping) else None
        named = named_language(given) if isinstance(given, str) else None
        named = named or requested_language(text[: self.settings.max_message_chars])
        if named:
            self.remember(sender, named)
            return named
        if sender in self._languages:
            return self._languages[sender]
        return detect(text[: self.settings.max_message_chars]) or ENGLISH

    def remember(self, sender: str, language: str | None) -> None:
        if not language:
            return
        self._languages.pop(sender, None)
        self._languages[sender] = language
        while len(self._languages) > MAX_TRACKED_KEYS:
            self._languages.popitem(last=False)


@dataclass
class Turn:
    """What happened while Rasa handled one message."""

    failed: bool = False
    sent_texts: list[str] = field(default_factory=list)


_TURN: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("hn2301_turn", default=None)
# The request a message came in with: (peer address, X-Forwarded-For, the Sanic app).
_PEER: contextvars.ContextVar[tuple[str | None, str | None, Any]] = contextvars.ContextVar(
    "hn2301_peer", default=(None, None, None)
)


class FailedTurnFilter(logging.Filter):
    """On Rasa's loggers: an error record marks the current turn as failed and keeps only its
    message's first line, without a database statement's values, and its exception's type and
    stack, not the exception's message: either may quote the conversation."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        turn = _TURN.get()
        if turn is not None:
            turn.failed = True
        message = _STATEMENT.sub("", record.getMessage().split("\n", 1)[0])
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} [{_describe(record.exc_info[1])}]"
        record.msg, record.args = message, None
        record.exc_info = record.exc_text = None
        return True


class TrackerStoreUnavailable(RuntimeError):
    """Rasa's tracker store failed to read or save a conversation."""


def _raise_tracker_store_error(error: Exception) -> None:
    raise TrackerStoreUnavailable("Rasa's tracker store failed") from error


def _strict_tracker_store(app: Any) -> None:
    """Rasa's FailSafeTrackerStore answers a failed read with an empty conversation (the patient
    would be greeted as new) and keeps a failed save in this process's memory only. Given its
    documented error callback, one that raises, the turn fails instead: nothing is run on an
    empty conversation, and the patient is asked to send the answer again."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    store = getattr(agent, "tracker_store", None)
    if isinstance(store, FailSafeTrackerStore):
        store._on_tracker_store_error = _raise_tracker_store_error


def _describe(error: BaseException) -> str:
    """An exception's type chain and where it was raised, without its message."""
    chain = []
    current: BaseException | None = error
    while current is not None and len(chain) < 5:
        frames = traceback.extract_tb(current.__traceback__)[-2:]
        where = ", ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames)
        chain.append(f"{type(current).__module__}.{type(current).__qualname__} at {where}")
        current = current.__cause__ or current.__context__
    return " <- ".join(chain)


_FILTER = FailedTurnFilter()


def _install_log_filter() -> None:
    for name in RASA_ERROR_LOGGERS:
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)


class HeldOutputChannel(OutputChannel):
    """Holds what Rasa sends during a turn: passed on to Rasa's output channel when the turn
    went well, replaced by the kind message when it failed (a reply from a half-done turn, such
    as "Sorry, I didn't understand" after a failed action, would only mislead)."""

    def __init__(self, inner: OutputChannel, turn: Turn) -> None:
        self.inner = inner
        self.turn = turn
        self.held: list[tuple[str, tuple, dict]] = []

    def name(self) -> str:  # type: ignore[override]  (the inner channel's, for NLG variants)
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    def _hold(self, method: str, text: object, *args: Any, **kwargs: Any) -> None:
        self.turn.sent_texts.append(str(text or ""))
        self.held.append((method, args, kwargs))

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self._hold("send_response", message.get("text"), recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self._hold("send_text_message", text, recipient_id, text, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: dict, **kwargs: Any) -> None:
        self._hold("send_custom_json", "", recipient_id, json_message, **kwargs)

    async def release(self) -> None:
        """Send what was held, in order."""
        held, self.held = self.held, []
        for method, args, kwargs in held:
            await getattr(self.inner, method)(*args, **kwargs)


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
# A client's id for one message: a UUID, hex or the like, never free text.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# After a turn raised, how often to look whether it was saved all the same (the database may be
# restarting), and how long to wait between looks.
_SAVED_CHECKS = 3
_SAVED_CHECK_PAUSE_S = 1.0


# What a database or a JSON answer cannot carry: C0/C1 control characters but tab and newlines,
# and lone UTF-16 surrogates (JSON's "\ud800" reads as one; it cannot be encoded as UTF-8).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_DEPTH = 20


def clean_text(text: str) -> str:
    """The text without what cannot be stored or sent back: a lone surrogate becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", _UNSTORABLE.sub("", text))


def clean_value(value: object, depth: int = 0) -> Any:
    """Metadata with its strings cleaned; nesting deeper than any page or script sends is cut."""
    if isinstance(value, str):
        return clean_text(value)
    if depth >= _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v, depth + 1) for v in value]
    return value


def client_message_id(metadata: object) -> str | None:
    """The id the page or a script gave the message (metadata `message_id`), if well formed."""
    given = metadata.get("message_id") if isinstance(metadata, dict) else None
    return given if isinstance(given, str) and _MESSAGE_ID.fullmatch(given) else None


async def stored_replies(agent: Any, sender: str, message_id: str) -> list[dict] | None:
    """The replies to the conversation's latest message, when that message is `message_id`:
    the turn was handled and saved. None when the latest message is another one."""
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    replies: list[dict] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return list(reversed(replies)) if event.message_id == message_id else None
        if isinstance(event, BotUttered):
            replies.append(event.message())
    return None


async def _saved_replies_after_failure(agent: Any, sender: str, message_id: str) -> list | None:
    for check in range(_SAVED_CHECKS):
        try:
            return await stored_replies(agent, sender, message_id)
        except Exception as error:  # the store is still away: look again, then give up
            logger.warning("Could not check whether a failed turn was saved: %s", _describe(error))
            if check + 1 < _SAVED_CHECKS:
                await asyncio.sleep(_SAVED_CHECK_PAUSE_S)
    return None


async def _handle_once(agent: Any, message: UserMessage, held: HeldOutputChannel) -> None:
    """Handle the message unless the tracker shows it was handled: then send its replies again.
    Both under Rasa's lock for the conversation, as Rasa's Agent.handle_message takes it."""
    sender = str(message.sender_id)
    async with agent.lock_store.lock(sender):
        replies = await stored_replies(agent, sender, message.message_id)
        if replies is None:
            await agent.processor.handle_message(message)
            return
        logger.info("A message sent again was answered from the tracker store")
        for reply in replies:
            await held.send_response(sender, reply)


def guarded(guard: InputGuard, on_new_message: OnNewMessage) -> OnNewMessage:
    """Rasa's message handler behind the guard, never leaving the patient without a reply."""

    async def handle(message: UserMessage) -> None:
        # (A message far over the limit is refused below, never read: not worth cleaning.)
        if (
            isinstance(message.text, str)
            and len(message.text) <= 4 * guard.settings.max_message_chars
        ):
            message.text = clean_text(message.text)
        message.metadata = clean_value(message.metadata)
        text = message.text if isinstance(message.text, str) else ""
        sender = str(message.sender_id)
        peer, forwarded_for, app = _PEER.get()
        _strict_tracker_store(app)
        address = guard.client_address(peer, forwarded_for)
        verdict = guard.check(sender, address, text, message.metadata)
        language = guard.language(sender, text, message.metadata)
        if verdict == SLOW_DOWN:
            logger.warning("Message not handled: too many messages (conversation or address)")
            await message.output_channel.send_text_message(
                message.sender_id, messages.slow_down_message(language=language)
            )
            return
        if verdict == TOO_LONG:
            logger.warning("Message not handled: %d characters is too long", len(text))
            await message.output_channel.send_text_message(
                message.sender_id, messages.too_long_message(language=language)
            )
            return
        turn = Turn()
        held = HeldOutputChannel(message.output_channel, turn)
        message.output_channel = held
        client_id = client_message_id(message.metadata)
        if client_id:
            message.message_id = client_id  # kept with the message in the tracker
        agent = getattr(getattr(app, "ctx", None), "agent", None)
        raised = False
        token = _TURN.set(turn)
        try:
            if client_id and agent is not None and agent.is_ready():
                await _handle_once(agent, message, held)
            else:
                await on_new_message(message)
        except (Exception, asyncio.CancelledError) as error:
            turn.failed = raised = True
            logger.error("A turn failed: %s", _describe(error))
        finally:
            _TURN.reset(token)
        if raised and agent is not None:
            saved = await _saved_replies_after_failure(agent, sender, message.message_id)
            if saved:
                logger.warning("The failed turn had been saved: its replies are sent")
                held.held, turn.sent_texts, turn.failed = [], [], False
                for reply in saved:
                    await held.send_response(sender, reply)
        replied = [t for t in turn.sent_texts if t]
        if replied:
            guard.remember(sender, detect(replied[-1]))
        if turn.sent_texts and not turn.failed:
            await held.release()
            return
        if not turn.failed:
            logger.error("A turn sent nothing back; the patient was asked to send it again")
        await held.inner.send_text_message(
            message.sender_id, messages.something_went_wrong_message(language=language)
        )

    return handle


# A conversation id from a script or a page: a UUID, "eval-<hex>" and the like, never free text.
_SENDER = re.compile(r"[A-Za-z0-9_.:@+=-]{1,128}")
_INVALID_JSON = {
    "error": "invalid_json",
    "message": 'Please send a JSON object: {"sender": "<conversation id>", "message": "<text>"}.',
}
_SENDER_REQUIRED = {
    "error": "sender_required",
    "message": (
        'Each conversation needs its own id: send "sender" (a random id such as a UUID) with'
        " every message, the same one for the whole conversation."
    ),
}
_INVALID_SENDER = {
    "error": "invalid_sender",
    "message": 'A "sender" is 1-128 letters, digits or ._:@+=- (a UUID is a good one).',
}
_MESSAGE_REQUIRED = {
    "error": "message_required",
    "message": 'Please send the text as "message" (a string; it may be empty).',
}
_INVALID_METADATA = {
    "error": "invalid_metadata",
    "message": '"metadata", when sent, is a JSON object.',
}
_UNAUTHORIZED = {
    "error": "unauthorized",
    "message": "This endpoint needs its token: Authorization: Bearer <token>.",
}


def read_rest_message(body: bytes) -> tuple[tuple[str, str, dict | None] | None, dict | None]:
    """(sender, text, metadata) of a REST request's body, or the kind error to answer with."""
    try:
        given = json.loads(body)
    except (ValueError, RecursionError):
        return None, _INVALID_JSON
    if not isinstance(given, dict):
        return None, _INVALID_JSON
    sender, text, metadata = given.get("sender"), given.get("message"), given.get("metadata")
    if sender is None or sender == "":
        return None, _SENDER_REQUIRED
    if not isinstance(sender, str) or not _SENDER.fullmatch(sender):
        return None, _INVALID_SENDER
    if not isinstance(text, str):
        return None, _MESSAGE_REQUIRED
    if metadata is not None and not isinstance(metadata, dict):
        return None, _INVALID_METADATA
    return (sender, text, metadata), None


def _same_secret(given: str, expected: str) -> bool:
    """A constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


class GuardedRestInput(RestInput):
    """Rasa's REST channel (`POST /webhooks/rest/webhook`) behind the input guard, with Rasa's
    request and answer shapes; no sender is refused, a token can be required."""

    def __init__(self, settings: GuardSettings | None = None, token: str | None = None) -> None:
        self.guard = InputGuard(settings or GuardSettings())
        self.token = token or load_settings().rest_token or None
        _install_log_filter()

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> GuardedRestInput:
        given = credentials or {}
        token = str(given["token"]) if given.get("token") else None
        return cls(GuardSettings.from_credentials(given), token=token)

    def authorized(self, authorization: str | None) -> bool:
        """Whether the request may be handled: always without a token, else with its bearer."""
        if not self.token:
            return True
        scheme, _, given = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and _same_secret(given.strip(), self.token)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        handle = guarded(self.guard, on_new_message)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> Any:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            if not self.authorized(request.headers.get("authorization")):
                logger.warning("A REST request without the right token was refused")
                return response.json(
                    _UNAUTHORIZED, status=401, headers={"WWW-Authenticate": "Bearer"}
                )
            parsed, error = read_rest_message(request.body)
            if parsed is None:
                return response.json(error, status=400)
            sender, text, metadata = parsed
            _PEER.set((request.ip, request.headers.get("x-forwarded-for"), request.app))
            if bool_arg(request, "stream", default=False):
                stream = self.stream_response(handle, text, sender, self.name(), metadata)
                return response.stream(stream, content_type="text/event-stream")
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=metadata
            )
            try:
                await handle(message)
            except (Exception, asyncio.CancelledError) as failure:  # never the text (Rasa logs it)
                logger.error("A REST message could not be handled: %s", _describe(failure))
            return response.json(collector.messages)

        return webhook


def _origins(given: object) -> tuple[str, ...]:
    """Allowed origins from a list or a comma-separated string (as an environment variable)."""
    items = given.split(",") if isinstance(given, str) else list(given or ())
    return tuple(str(item).strip().rstrip("/") for item in items if str(item).strip())


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (`/socket.io`, the page's chat) behind the input guard; a
    connection joins and posts to only the chat id its token names."""

    allowed_origins: tuple[str, ...] = ()

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> GuardedSocketIOInput:
        given = dict(credentials or {})
        own = GUARD_KEYS | {"allowed_origins"}
        channel = super().from_credentials({k: v for k, v in given.items() if k not in own})
        channel.guard = InputGuard(GuardSettings.from_credentials(given))
        channel.allowed_origins = _origins(given.get("allowed_origins"))
        _install_log_filter()
        return channel  # type: ignore[return-value]

    def chat_key(self) -> str | None:
        key = str(self.jwt_key or "").strip()
        return key if len(key) >= tokens.MIN_KEY_CHARS else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        if not hasattr(self, "guard"):
            self.guard = InputGuard(GuardSettings())
            _install_log_filter()
        blueprint = super().blueprint(guarded(self.guard, on_new_message))
        sio = self.sio
        namespace = self.namespace or "/"
        rasa_handler = sio.handlers[namespace][self.user_message_evt]
        key = self.chat_key()
        if key is None:
            logger.error(
                "The socket.io channel has no jwt_key (HN2301_CHAT_JWT_KEY, at least %d"
                " characters): every connection is refused",
                tokens.MIN_KEY_CHARS,
            )

        async def connect(sid: str, environ: dict, auth: object = None) -> bool:
            origin = (environ.get("HTTP_ORIGIN") or "").rstrip("/")
            # Rasa's own origin, as python-engineio's default allows (a WebSocket client that is
            # not a browser, such as scripts/soak.py's, names the server it connects to).
            own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
            allowed = (*self.allowed_origins, own)
            if origin and self.allowed_origins and origin not in allowed:
                logger.warning("A socket.io connection from another site was refused")
                return False
            token = auth.get("token") if isinstance(auth, dict) else None
            chat_id = tokens.chat_id_of(key, token) if key else None
            if chat_id is None:
                logger.warning("A socket.io connection without a valid token was refused")
                return False
            await sio.save_session(sid, {"chat_id": chat_id}, namespace=namespace)
            return True

        async def bound_chat(sid: str) -> str | None:
            try:
                session = await sio.get_session(sid, namespace=namespace)
            except KeyError:
                return None
            return session.get("chat_id")

        async def refuse(sid: str, what: str) -> None:
            logger.warning("A socket.io connection tried to %s another chat; it was closed", what)
            await sio.disconnect(sid, namespace=namespace)

        async def session_request(sid: str, data: Any) -> None:
            chat_id = await bound_chat(sid)
            asked = data.get("session_id") if isinstance(data, dict) else None
            if chat_id is None or (asked is not None and asked != chat_id):
                await refuse(sid, "join")
                return
            if self.session_persistence:
                sio.enter_room(sid, chat_id, namespace=namespace)
            await sio.emit("session_confirm", chat_id, room=sid, namespace=namespace)

        async def handle_message(sid: str, data: Any) -> None:
            data = dict(data) if isinstance(data, dict) else {}
            chat_id = await bound_chat(sid)
            if chat_id is None or (self.session_persistence and data.get("session_id") != chat_id):
                await refuse(sid, "post to")
                return
            if not isinstance(data.get("message", ""), str):
                data["message"] = ""
            given = data.get(self.metadata_key)
            if isinstance(given, str):
                try:
                    given = json.loads(given)
                except ValueError:
                    given = None
            data[self.metadata_key] = given if isinstance(given, dict) else {}
            environ = sio.get_environ(sid, namespace=namespace) or {}
            request = environ.get("sanic.request")
            peer = getattr(request, "ip", None)
            _PEER.set((peer, environ.get("HTTP_X_FORWARDED_FOR"), getattr(request, "app", None)))
            await rasa_handler(sid, data)

        sio.handlers[namespace]["connect"] = connect
        sio.handlers[namespace]["session_request"] = session_request
        sio.handlers[namespace][self.user_message_evt] = handle_message
        return blueprint
