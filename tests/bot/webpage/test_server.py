"""The patient page server: what it serves, what it refuses, and its security headers."""

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.webpage.build import ensure_node_modules
from bot.webpage.server import make_server

SOCKET_URL = "http://127.0.0.1:5005"


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    ensure_node_modules(quiet=True)
    server = make_server("127.0.0.1", 0, SOCKET_URL)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
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
