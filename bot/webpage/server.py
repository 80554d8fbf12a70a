"""A tiny HTTP server for the patient page: static files, the widget bundle, security headers,
and the chat's id and token.

GET and HEAD of a fixed set of files, and `POST /chat/session`: nothing a patient types ever
reaches this server (the chat goes straight to Rasa's socket.io channel), so it keeps no logs of
requests' contents.

`POST /chat/session` (`{"chat_id": null}` for a new chat, or the tab's chat id) answers
`{"chat_id", "token", "expires_in"}`: a chat id bound to this browser's cookie (an HttpOnly,
SameSite=Strict random key, set here) and a short-lived token for it, which Rasa's socket.io
channel asks for at connect (bot/webpage/tokens.py). A chat id of another browser gets 403, so a
token for someone else's chat cannot be had. The page asks again at every reconnection.

The page is rendered once per language from templates/index.html through the patient catalog
(bot/i18n.py). `/?lang=zh` or `/?lang=en` picks one (the page's 中文 / English switch); without
it the browser's Accept-Language does.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.i18n import BCP47, CHINESE, ENGLISH, LANGUAGES, N_, named_language, translations
from bot.messages import study_facts
from bot.retention import RetentionSettings
from bot.trial import load_trial
from bot.webpage import tokens
from bot.webpage.build import SOCKET_IO_BUNDLE

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# Each language named in itself, as the switch shows it.
LANGUAGE_NAMES = {CHINESE: "中文", ENGLISH: "English"}
# What the chat script writes on the page (bot/webpage/static/chat.js reads them by key).
CHAT_STRINGS = {
    "assistant": N_("Assistant:"),
    "you": N_("You:"),
    "choices": N_("Answer choices"),
    "notConnected": N_("Not connected yet. Please wait a moment and try again."),
    "progress": N_("Question {position} of about {total}"),
    "ended": N_("This chat has ended. Nothing of it is kept in this browser."),
    "cannotStart": N_(
        "The chat could not start. Please check your connection and reload the page."
    ),
    "connected": N_("Connected. Type your answer below."),
    "connectionLost": N_("Connection lost. Trying again…"),
    "unreachable": N_("Cannot reach the study assistant right now. Trying again…"),
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
logger = logging.getLogger(__name__)
SESSION_PATH = "/chat/session"
COOKIE = "hn2301_browser"
# Over HTTPS the cookie gets the __Host- prefix: Secure, this host only, no other path can set it.
SECURE_COOKIE = "__Host-hn2301_browser"
MAX_SESSION_BODY = 1024


def websocket_origin(http_origin: str) -> str:
    """ws://host:port for http://host:port (socket.io upgrades to a WebSocket)."""
    return "ws" + http_origin.removeprefix("http")


def security_headers(socket_origin: str) -> dict[str, str]:
    """Headers on every answer. The CSP allows only this server and the Rasa socket origin."""
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' {socket_origin} {websocket_origin(socket_origin)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cache-Control": "no-cache",
    }


def render_page(language: str) -> bytes:
    """The patient page in one language."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    catalog = translations(language)
    environment.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    page = environment.get_template("index.html").render(
        language=language,
        html_lang=BCP47[language],
        switch=[(code, LANGUAGE_NAMES[code], BCP47[code]) for code in LANGUAGES],
        chat_strings={key: catalog.gettext(text) for key, text in CHAT_STRINGS.items()},
        # who runs the study and where, as the trial definition says (and the chat tells)
        facts=study_facts(load_trial(), language),
        # The privacy text states the periods the purge keeps to (bot/retention.py).
        retention=RetentionSettings.from_environment(),
    )
    return page.encode()


def page_language(query: str, accept_language: str | None) -> str:
    """`?lang=` when it names a language, else the browser's first supported one, else English."""
    asked = named_language((parse_qs(query).get("lang") or [""])[0])
    if asked:
        return asked
    for entry in (accept_language or "").split(","):
        named = named_language(entry.split(";")[0])
        if named:
            return named
    return ENGLISH


def routes(socket_url: str) -> dict[str, tuple[str, bytes | Path]]:
    """URL path -> (content type, file or generated bytes); "/" is chosen per language."""
    chat_config = {"socketUrl": socket_url, "socketPath": "/socket.io/", "sessionUrl": SESSION_PATH}
    table: dict[str, tuple[str, bytes | Path]] = {
        "/vendor/socket.io.min.js": (CONTENT_TYPES[".js"], SOCKET_IO_BUNDLE),
        "/chat-config.js": (
            CONTENT_TYPES[".js"],
            f"window.HN2301_CHAT = {json.dumps(chat_config)};\n".encode(),
        ),
    }
    for file in STATIC_DIR.iterdir():
        if file.suffix in CONTENT_TYPES:
            table[f"/static/{file.name}"] = (CONTENT_TYPES[file.suffix], file)
    return table


class PageHandler(BaseHTTPRequestHandler):
    """Serves the fixed route table; anything else is 404."""

    server_version = "hn2301-page"
    sys_version = ""

    def __init__(self, *args, table, pages, headers, chat_key, secure_cookie, **kwargs) -> None:
        self.table = table
        self.pages = pages
        self.extra_headers = headers
        self.chat_key = chat_key
        self.secure_cookie = secure_cookie
        super().__init__(*args, **kwargs)

    def do_POST(self) -> None:
        if urlsplit(self.path).path != SESSION_PATH:
            self.send_json(HTTPStatus.NOT_IMPLEMENTED, {"error": "not_implemented"})
            return
        self.chat_session()

    def cookie_name(self) -> str:
        behind_tls = self.headers.get("X-Forwarded-Proto", "").lower() == "https"
        return SECURE_COOKIE if self.secure_cookie or behind_tls else COOKIE

    def browser_key(self) -> str | None:
        try:
            cookies = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = cookies.get(self.cookie_name())
        return morsel.value if morsel is not None and tokens.is_browser_key(morsel.value) else None

    def same_origin(self) -> bool:
        """A request from the page itself: no other site's script may ask for a token (it could
        not read the answer anyway; this also keeps forms and tags of other sites out)."""
        if self.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return False
        origin = self.headers.get("Origin")
        host = self.headers.get("Host", "")
        return origin is None or urlsplit(origin).netloc == host

    def chat_session(self) -> None:
        """A chat id for this browser and a fresh token for it (see the module's docstring)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if not self.same_origin() or content_type != "application/json":
            self.send_json(HTTPStatus.FORBIDDEN, {"error": "forbidden"})
            return
        if not 0 < length <= MAX_SESSION_BODY:
            self.send_json(HTTPStatus.BAD_REQUEST, {"error": "bad_request"})
            return
        try:
            asked = json.loads(self.rfile.read(length))
        except ValueError:
            asked = None
        if not isinstance(asked, dict) or not isinstance(asked.get("chat_id"), (str, type(None))):
            self.send_json(HTTPStatus.BAD_REQUEST, {"error": "bad_request"})
            return
        browser_key, set_cookie = self.browser_key(), None
        chat_id = asked.get("chat_id")
        if chat_id is not None:
            if not tokens.belongs_to(self.chat_key, browser_key or "", chat_id):
                logger.warning("page: a token was asked for a chat this browser did not start")
                self.send_json(HTTPStatus.FORBIDDEN, {"error": "unknown_chat"})
                return
        else:
            if browser_key is None:
                browser_key = tokens.new_browser_key()
                set_cookie = browser_key
            chat_id = tokens.new_chat_id(self.chat_key, browser_key)
        token = tokens.issue_token(self.chat_key, chat_id)
        body = {"chat_id": chat_id, "token": token, "expires_in": tokens.TOKEN_TTL_S}
        self.send_json(HTTPStatus.OK, body, set_cookie=set_cookie)

    def send_json(self, status: HTTPStatus, body: dict, set_cookie: str | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in self.extra_headers.items():
            if name != "Cache-Control":
                self.send_header(name, value)
        self.send_header("Cache-Control", "no-store")
        if set_cookie is not None:
            name = self.cookie_name()
            secure = "; Secure" if name == SECURE_COOKIE else ""
            # A session cookie: gone with the browser session, like the tab's sessionStorage.
            self.send_header(
                "Set-Cookie", f"{name}={set_cookie}; Path=/; HttpOnly; SameSite=Strict{secure}"
            )
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.answer(with_body=True)

    def do_HEAD(self) -> None:
        self.answer(with_body=False)

    def answer(self, with_body: bool) -> None:
        url = urlsplit(self.path)
        if url.path == "/":
            language = page_language(url.query, self.headers.get("Accept-Language"))
            entry = (CONTENT_TYPES[".html"], self.pages[language])
        else:
            entry = self.table.get(url.path)
        if entry is None:
            status, content_type, body = HTTPStatus.NOT_FOUND, "text/plain", b"Not found\n"
        else:
            content_type, source = entry
            status = HTTPStatus.OK
            body = source.read_bytes() if isinstance(source, Path) else source
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if url.path == "/":
            self.send_header("Vary", "Accept-Language")
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("page: " + format, *args)


def make_server(
    host: str, port: int, socket_url: str, chat_key: str, secure_cookie: bool = False
) -> ThreadingHTTPServer:
    """A ready-to-serve page server; `socket_url` is where the browser finds Rasa's socket.io,
    `chat_key` the secret shared with Rasa (bot/webpage/tokens.py); `secure_cookie` when the
    page is served over HTTPS (also when a proxy says so in X-Forwarded-Proto)."""
    socket_origin = "{0.scheme}://{0.netloc}".format(urlsplit(socket_url))
    headers = security_headers(socket_origin)
    pages = {language: render_page(language) for language in LANGUAGES}
    handler = partial(
        PageHandler, table=routes(socket_url), pages=pages, headers=headers,
        chat_key=chat_key, secure_cookie=secure_cookie,
    )  # fmt: skip
    return ThreadingHTTPServer((host, port), handler)
