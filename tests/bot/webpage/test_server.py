"""The patient page server: what it serves, what it refuses, its security headers, and the chat
ids and tokens it hands out (bound to the browser's cookie)."""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.webpage import tokens
from bot.webpage.build import ensure_node_modules
from bot.webpage.server import make_server

SOCKET_URL = "http://127.0.0.1:5005"
KEY = "test-chat-secret-" + "0" * 40


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    ensure_node_modules(quiet=True)
    server = make_server("127.0.0.1", 0, SOCKET_URL, KEY)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None, data: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_page_is_served_with_strict_security_headers(page_url):
    status, headers, body = fetch(page_url + "/")

    assert status == 200
    assert b"HN2301" in body and b'role="log"' in body
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert f"connect-src 'self' {SOCKET_URL} ws://127.0.0.1:5005" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/chat.js", "text/javascript"),
        ("/static/page.css", "text/css"),
        ("/vendor/socket.io.min.js", "text/javascript"),
        ("/chat-config.js", "text/javascript"),
    ],
)
def test_the_chat_and_its_socket_io_client_come_from_this_server(page_url, path, content_type):
    status, headers, body = fetch(page_url + path)

    assert status == 200
    assert headers["Content-Type"].startswith(content_type)
    assert body


def test_the_chat_config_points_the_browser_at_the_rasa_socket(page_url):
    _, _, body = fetch(page_url + "/chat-config.js")

    assert f'"socketUrl": "{SOCKET_URL}"'.encode() in body


@pytest.mark.parametrize(
    "path", ["/../pyproject.toml", "/static/../server.py", "/node_modules/axe-core/axe.js", "/x"]
)
def test_nothing_outside_the_route_table_is_served(page_url, path):
    status, headers, _ = fetch(page_url + path)

    assert status == 404
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_only_reading_is_allowed(page_url):
    status, _, _ = fetch(page_url + "/", method="POST")

    assert status == 501


@pytest.mark.parametrize(
    ("query", "accept_language", "lang"),
    [
        ("", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),  # pre-selected from the browser's language
        ("", "en-GB,en;q=0.9", "en"),
        ("", "fr-FR,zh-TW;q=0.8", "zh-CN"),  # the first one the page has
        ("", "fr-FR", "en"),
        ("", "", "en"),
        ("?lang=en", "zh-CN", "en"),  # the page's switch wins
        ("?lang=zh", "en-US", "zh-CN"),
        ("?lang=xx", "zh-CN", "zh-CN"),
    ],
)
def test_the_page_comes_in_the_language_asked_for(page_url, query, accept_language, lang):
    status, headers, body = fetch(
        page_url + "/" + query, headers={"Accept-Language": accept_language}
    )
    assert status == 200
    assert f'<html lang="{lang}">'.encode() in body
    assert "Accept-Language" in headers.get("Vary", "")


def session(page_url, chat_id=None, cookie="", **headers) -> tuple[int, dict, dict[str, str]]:
    status, answer_headers, body = fetch(
        page_url + "/chat/session",
        method="POST",
        headers={"Content-Type": "application/json", "Cookie": cookie, **headers},
        data=json.dumps({"chat_id": chat_id}).encode(),
    )
    return status, json.loads(body or b"{}"), answer_headers


def cookie_of(headers: dict[str, str]) -> str:
    return headers["Set-Cookie"].split(";", 1)[0]


def test_a_new_chat_gets_an_id_bound_to_a_new_http_only_strict_cookie(page_url):
    status, body, headers = session(page_url)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    name, _, browser_key = cookie_of(headers).partition("=")
    assert name == "hn2301_browser"
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= {
        part.strip() for part in headers["Set-Cookie"].split(";")
    }
    assert tokens.belongs_to(KEY, browser_key, body["chat_id"])
    assert tokens.chat_id_of(KEY, body["token"]) == body["chat_id"]
    assert body["expires_in"] == tokens.TOKEN_TTL_S


def test_a_tab_gets_a_fresh_token_for_its_chat_and_another_tab_a_chat_of_its_own(page_url):
    _, first, headers = session(page_url)
    cookie = cookie_of(headers)
    status, again, again_headers = session(page_url, first["chat_id"], cookie)
    assert status == 200 and again["chat_id"] == first["chat_id"]
    assert "Set-Cookie" not in again_headers, "the cookie stays"
    status, other_tab, _ = session(page_url, None, cookie)
    assert status == 200 and other_tab["chat_id"] != first["chat_id"]


@pytest.mark.parametrize("cookie", ["", "hn2301_browser=" + "A" * 43, "hn2301_browser=short"])
def test_no_token_for_a_chat_this_browser_did_not_start(page_url, cookie):
    _, mine, _ = session(page_url)
    status, body, _ = session(page_url, mine["chat_id"], cookie)
    assert status == 403 and body == {"error": "unknown_chat"}


@pytest.mark.parametrize("chat_id", ["f" * 64, "0" * 32, "not hex at all", "x" * 5000])
def test_a_made_up_chat_id_gets_no_token(page_url, chat_id):
    _, _, headers = session(page_url)
    status, body, _ = session(page_url, chat_id, cookie_of(headers))
    assert status in (400, 403) and "token" not in body


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "text/plain"},
    ],
)
def test_another_sites_page_cannot_ask_for_a_chat(page_url, headers):
    status, body, answer_headers = session(page_url, **headers)
    assert status == 403 and "token" not in body and "Set-Cookie" not in answer_headers


def test_behind_tls_the_cookie_is_secure_and_host_only(page_url):
    status, _, headers = session(page_url, **{"X-Forwarded-Proto": "https"})
    assert status == 200
    parts = {part.strip() for part in headers["Set-Cookie"].split(";")}
    assert headers["Set-Cookie"].startswith("__Host-hn2301_browser=") and "Secure" in parts


def test_the_chat_asks_for_its_token_at_every_connection(page_url):
    _, _, script = fetch(page_url + "/static/chat.js")
    _, _, config = fetch(page_url + "/chat-config.js")
    assert b"auth: function (callback)" in script and b"/chat/session" in config
