"""Every route of the dashboard, read from the app's own url_map (so a route added later is
covered without editing this file): nothing but the login page and static files answers an
anonymous visitor, with any method; every state-changing route refuses a request without the
session's CSRF token, and changes nothing."""

import itertools

from sqlalchemy import select

from bot.dashboard.security import PUBLIC_ENDPOINTS
from bot.store.models import Base
from tests.bot.dashboard.dashboard_fixtures import app, client, clock, signed_in, store
from tests.bot.dashboard.dashboard_helpers import csrf_token, sign_in
from tests.support.referrals import make_referral

__all__ = ["app", "client", "clock", "signed_in", "store"]

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_FAILED = "The form expired or was not sent by this dashboard"
PATIENT = {
    "name": "Zhang Xiuying",
    "phone": "+8613912345678",
    "email": "zhang.xiuying@example.org",
    "words": "I am 41 and take hydroxychloroquine",
    "transcript_text": "my secret health detail",
}
# Fields a state-changing form or JSON body may take: enough that a route without the CSRF
# check would really change something (and the snapshot below would see it).
FORM = {"status": "contacted", "note": "n", "text": "a note", "language": "zh", "next": "/",
        "confirm": "yes", "reference_code": "", "username": "amy", "password": "x"}  # fmt: skip
_numbers = itertools.count(1)


def rules(app):
    return [rule for rule in app.url_map.iter_rules()]


def concrete_path(rule, referral_id: int, reference_code: str) -> str:
    """The rule's URL with every variable filled: the given referral, its code otherwise."""
    values = {}
    for argument in rule.arguments:
        converter = type(rule._converters[argument]).__name__
        values[argument] = referral_id if converter == "IntegerConverter" else reference_code
    if rule.endpoint == "static":
        values["filename"] = "dashboard.css"
    return rule.build(values, append_unknown=False)[1]


def new_referral(store):
    referral_id = make_referral(store, f"conv-{next(_numbers)}", **PATIENT)
    from bot.store import repository

    with store() as session:
        code = repository.get_referral(session=session, referral_id=referral_id).reference_code
    return referral_id, code


def snapshot(store):
    """Every row of every table (a session's last-seen time aside: any request moves it)."""
    rows = {}
    with store() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "last_seen_at"]
            rows[table.name] = sorted(
                (tuple(str(v) for v in row) for row in session.execute(select(*columns))),
            )
    return rows


def test_the_only_public_endpoints_are_login_and_static():
    assert frozenset({"auth.login", "static"}) == PUBLIC_ENDPOINTS


def test_an_anonymous_visitor_gets_only_a_redirect_or_401_from_every_route_and_method(app, store):
    referral_id, code = new_referral(store)
    checked = 0
    for rule in rules(app):
        path = concrete_path(rule, referral_id, code)
        for method in ALL_METHODS:
            anonymous = app.test_client()
            response = anonymous.open(path, method=method, data=FORM)
            body = response.get_data(as_text=True)
            for value in (*PATIENT.values(), code):
                assert value not in body, (method, path)
            checked += 1
            if rule.endpoint in PUBLIC_ENDPOINTS and method in rule.methods:
                # the form, the stylesheet, or (a POST) the CSRF refusal
                assert response.status_code in (200, 400), (method, path)
                continue
            if rule.endpoint in PUBLIC_ENDPOINTS:  # a method the route does not take
                assert response.status_code == 302, (method, path)
                assert response.headers["Location"].startswith("/login"), (method, path)
                continue
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
                if method != "HEAD":
                    assert response.get_json() == {"error": "sign in first"}, (method, path)
            else:
                assert response.status_code == 302, (method, path)
                assert response.headers["Location"].startswith("/login"), (method, path)
    assert checked >= 15 * len(ALL_METHODS)


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app, store):
    changing = [rule for rule in rules(app) if rule.methods & STATE_CHANGING]
    assert len(changing) >= 7  # login, logout, language, status and notes (page and API)
    for rule in changing:
        referral_id, code = new_referral(store)
        path = concrete_path(rule, referral_id, code)
        client = app.test_client()
        assert sign_in(client).status_code == 302
        for method in sorted(rule.methods & STATE_CHANGING):
            before = snapshot(store)
            attempts = [
                client.open(path, method=method, data=FORM),
                client.open(path, method=method, data={**FORM, "csrf_token": "forged"}),
                client.open(path, method=method, json=FORM),
                client.open(path, method=method, json=FORM, headers={"X-CSRFToken": "forged"}),
            ]
            for response in attempts:
                assert response.status_code == 400, (method, path)
                text = response.get_data(as_text=True)
                assert CSRF_FAILED in text, (method, path)
            assert snapshot(store) == before, (method, path)
            # With the session's token the same request gets past the CSRF check: the test
            # above fails if a route stops checking.
            token = csrf_token(client, "/")
            accepted = client.open(
                path, method=method, data={**FORM, "csrf_token": token},
                headers={"X-CSRFToken": token},
            )  # fmt: skip
            assert CSRF_FAILED not in accepted.get_data(as_text=True), (method, path)
