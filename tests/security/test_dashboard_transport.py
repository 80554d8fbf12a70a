"""Cookies are Secure whenever the dashboard is not served on loopback, and the documented TLS
reverse proxy sends HSTS (issue 11: "Secure cookies whenever the dashboard is not on loopback,
and a documented TLS reverse proxy with HSTS")."""

import re
import shutil
import subprocess

import pytest

from bot import cli
from bot.dashboard import serving_settings
from bot.store.db import REPO_ROOT
from tests.bot.dashboard.dashboard_fixtures import app, client, clock, signed_in, store
from tests.bot.dashboard.dashboard_helpers import sign_in

__all__ = ["app", "client", "clock", "signed_in", "store"]

NGINX = REPO_ROOT / "deploy" / "nginx" / "dashboard.conf"


@pytest.fixture
def served(app, monkeypatch):
    """`python -m bot dashboard ARGS`, with waitress replaced: the app it would have served."""
    monkeypatch.setenv("HN2301_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.delenv("HN2301_DASHBOARD_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("HN2301_DASHBOARD_TRUSTED_PROXY", raising=False)
    monkeypatch.setenv("HN2301_DASHBOARD_SECRET", "a test signing key")  # no key file in var/
    served_apps = []
    monkeypatch.setattr("waitress.serve", lambda wsgi, **options: served_apps.append(wsgi))

    def serve(*arguments):
        assert cli.main(["dashboard", *arguments]) == 0
        served = served_apps.pop()
        served.config["CLOCK"] = app.config["CLOCK"]
        return served

    yield serve


def set_cookies(dashboard):
    response = sign_in(dashboard.test_client())
    assert response.status_code == 302
    return response.headers.getlist("Set-Cookie")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "dashboard.example.org"])
def test_served_off_loopback_every_cookie_is_secure(served, host):
    dashboard = served("--host", host)
    assert dashboard.config["SESSION_COOKIE_SECURE"] is True
    cookies = set_cookies(dashboard)
    assert len(cookies) == 2 and all("; Secure" in cookie for cookie in cookies)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2", "[::1]"])
def test_on_loopback_plain_http_keeps_working(served, host):
    dashboard = served("--host", host)
    assert dashboard.config["SESSION_COOKIE_SECURE"] is False
    assert not any("Secure" in cookie for cookie in set_cookies(dashboard))
    assert dashboard.config["TRUSTED_PROXY"] is False


def test_behind_the_proxy_cookies_are_secure_and_its_forwarded_address_believed(served):
    dashboard = served("--host", "127.0.0.1", "--behind-proxy")
    assert dashboard.config["SESSION_COOKIE_SECURE"] is True
    assert dashboard.config["TRUSTED_PROXY"] is True
    assert all("; Secure" in cookie for cookie in set_cookies(dashboard))


def test_serving_settings_say_the_same():
    assert serving_settings("0.0.0.0") == {"SESSION_COOKIE_SECURE": True}
    assert serving_settings("127.0.0.1") == {}
    assert serving_settings("127.0.0.1", behind_proxy=True) == {
        "SESSION_COOKIE_SECURE": True,
        "TRUSTED_PROXY": True,
    }


def test_the_nginx_example_terminates_tls_with_hsts_and_forwards_to_loopback():
    conf = NGINX.read_text()
    directives = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    hsts = re.search(
        r'add_header Strict-Transport-Security "max-age=(\d+)[^"]*" always;', directives
    )
    assert hsts and int(hsts.group(1)) >= 31536000
    assert re.search(r"listen 443 ssl", directives)
    assert re.search(r"ssl_protocols TLSv1\.2 TLSv1\.3;", directives)
    assert re.search(r"return 301 https://\$host\$request_uri;", directives)
    assert re.search(r"proxy_pass http://127\.0\.0\.1:8001;", directives)
    # the client's own X-Forwarded-For is replaced, never appended to
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", directives)
    assert "--behind-proxy" in conf  # and it says how to run the dashboard behind it


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_example(tmp_path):
    """`nginx -t` on the example, with a throw-away certificate in place of the real one."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=dashboard.example.org", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (
        NGINX.read_text()
        .replace("/etc/ssl/certs/dashboard.example.org.fullchain.pem", str(cert))
        .replace("/etc/ssl/private/dashboard.example.org.key", str(key))
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    checked = subprocess.run(
        ["nginx", "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
