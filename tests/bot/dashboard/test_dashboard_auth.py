"""Sign-in, sessions, CSRF and headers of the coordinator dashboard."""

import os
import re
import stat

from dashboard_helpers import PASSWORD, csrf_token, sign_in, totp_now

from bot.dashboard import create_app
from bot.dashboard.security import load_or_create_secret
from bot.store import repository
from tests.support.referrals import make_referral


def _example_path(rule) -> str:
    """A concrete URL for a route, filling each converter with a plausible value."""
    values = {argument: 1 for argument in rule.arguments}
    path = rule.rule
    for argument, value in values.items():
        path = path.replace(f"<int:{argument}>", str(value)).replace(f"<{argument}>", str(value))
    return path


def _without_tokens(response) -> str:
    return re.sub(r'(content|value)="[^"]*"', "", response.get_data(as_text=True))


def test_every_route_but_login_and_static_requires_sign_in(app, client, store):
    make_referral(store)
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("auth.login", "static"):
            continue
        path = _example_path(rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            checked += 1
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
                assert response.get_json() == {"error": "sign in first"}
            else:
                assert response.status_code == 302, (method, path)
                assert response.headers["Location"].startswith("/login")
    assert checked >= 15


def test_post_without_csrf_token_is_rejected(signed_in, store):
    referral_id = make_referral(store)
    page_post = signed_in.post(f"/referrals/{referral_id}/status", data={"status": "contacted"})
    api_post = signed_in.post(f"/api/referrals/{referral_id}/status", json={"status": "contacted"})
    login_post = signed_in.post(
        "/login",
        data={"username": "amy", "password": PASSWORD, "totp": totp_now(signed_in.application)},
    )
    assert page_post.status_code == 400
    assert api_post.status_code == 400
    assert api_post.get_json()["error"].startswith("The form expired")
    assert login_post.status_code == 400
    with store() as session:
        assert repository.get_referral(session=session, referral_id=referral_id).status == "new"


def test_api_post_with_csrf_header_is_accepted(signed_in, store):
    referral_id = make_referral(store)
    token = signed_in.get("/api/csrf-token").get_json()["csrf_token"]
    response = signed_in.post(
        f"/api/referrals/{referral_id}/status",
        json={"status": "contacted", "note": "rang"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.get_json() == {"id": referral_id, "status": "contacted"}


def test_every_failure_gives_the_same_generic_error(client, clock):
    unknown_user = sign_in(client, username="nobody", password="whatever")
    assert unknown_user.status_code == 401
    wrong = sign_in(client, password="wrong password")
    wrong_code = sign_in(client, totp="000000")
    for response in (wrong, wrong_code):
        assert response.status_code == 401
        assert response.get_data(as_text=True).count("Sign-in failed.") == 1
        assert _without_tokens(unknown_user) == _without_tokens(response)


def test_login_starts_a_new_session_and_logout_ends_it(client):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before login"
    assert sign_in(client).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        first_token = session["token"]
    old_cookie = client.get_cookie("hn2301_dashboard").value

    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302

    # The old cookie, replayed after logout, no longer opens anything.
    client.set_cookie("hn2301_dashboard", old_cookie)
    assert client.get("/").status_code == 302

    assert sign_in(client).status_code == 302
    with client.session_transaction() as session:
        assert session["token"] != first_token


def test_idle_session_expires_after_thirty_minutes(signed_in, clock):
    clock.advance(minutes=29)
    assert signed_in.get("/").status_code == 200
    clock.advance(minutes=29)
    assert signed_in.get("/").status_code == 200
    clock.advance(minutes=31)
    expired = signed_in.get("/funnel")
    assert expired.status_code == 302
    assert expired.headers["Location"] == "/login?next=/funnel"
    assert signed_in.get("/api/referrals").status_code == 401


def test_side_requests_before_login_keep_the_login_forms_token(client):
    """Browsers fetch /favicon.ico and the like while the login form is open."""
    token = csrf_token(client)
    assert client.get("/favicon.ico").status_code == 302
    assert client.get("/funnel").status_code == 302
    response = client.post(
        "/login",
        data={
            "username": "amy",
            "password": PASSWORD,
            "totp": totp_now(client.application),
            "csrf_token": token,
        },
    )
    assert response.status_code == 302


def test_login_redirects_only_within_the_site(client):
    token = csrf_token(client)
    for target, expected in [
        ("/funnel", "/funnel"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
    ]:
        response = client.post(
            "/login",
            query_string={"next": target},
            data={
                "username": "amy",
                "password": PASSWORD,
                "totp": totp_now(client.application),
                "csrf_token": token,
            },
        )
        assert response.headers["Location"] == expected
        token = csrf_token(client)


def test_cookies_and_security_headers(app, client, tmp_path, monkeypatch):
    response = sign_in(client)
    cookie = next(
        value for value in response.headers.getlist("Set-Cookie") if "hn2301_dashboard=" in value
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" not in cookie
    page = client.get("/")
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"

    monkeypatch.setenv("HN2301_DASHBOARD_SECURE_COOKIES", "1")
    secure_app = create_app(
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY_FILE": tmp_path / "secret",
            "CLOCK": app.config["CLOCK"],
        }
    )
    secure_cookies = sign_in(secure_app.test_client()).headers.getlist("Set-Cookie")
    assert len(secure_cookies) == 2  # the session and the trusted-device cookie
    assert all("Secure" in cookie for cookie in secure_cookies)
    secure_app.extensions["hn2301_engine"].dispose()


def test_signing_key_is_generated_once_private_or_taken_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("HN2301_DASHBOARD_SECRET", raising=False)
    secret_file = tmp_path / "var" / "dashboard_secret"
    first = load_or_create_secret(secret_file)
    assert len(first) == 64
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert load_or_create_secret(secret_file) == first
    monkeypatch.setenv("HN2301_DASHBOARD_SECRET", "from-the-environment")
    assert load_or_create_secret(secret_file) == "from-the-environment"
