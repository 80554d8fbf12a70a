"""Every read of patient data is audited, with its source address (issue 11, finding 5: "GET
/api/referrals and the queue page return every referral's contacts and answers with no audit
entry; audit entries carry no source address; a failed login stores the typed username raw")."""

import inspect

import pytest
from sqlalchemy import select

from bot.store import repository
from bot.store.db import session_scope
from bot.store.models import AuditEvent, LoginThrottle
from tests.bot.dashboard.dashboard_fixtures import app, client, clock, signed_in, store
from tests.bot.dashboard.dashboard_helpers import (
    PASSWORD,
    csrf_token,
    dashboard_app,
    sign_in,
)
from tests.support.referrals import make_referral

__all__ = ["app", "client", "clock", "signed_in", "store"]

ADDRESS = "203.0.113.44"


def events(store):
    with store() as session:
        return [
            (event.actor, event.action, event.referral_id, event.detail, event.source_address)
            for event in reversed(repository.list_audit(session=session))
        ]


def read(client, path):
    response = client.get(path, environ_base={"REMOTE_ADDR": ADDRESS})
    assert response.status_code == 200, path
    return response


LIST_READS = [
    ("/", "queue_viewed", "no filter; 2 referrals"),
    ("/?status=new&outcome=likely_eligible", "queue_viewed",
     "status=new outcome=likely_eligible; 2 referrals"),
    ("/?from=2026-03-03", "queue_viewed", "from=2026-03-03; 0 referrals"),
    ("/api/referrals", "api_referrals_listed", "no filter; 2 referrals"),
    ("/api/referrals?status=enrolled", "api_referrals_listed", "status=enrolled; 0 referrals"),
    ("/export/referrals.csv?outcome=likely_eligible", "queue_exported_csv",
     "outcome=likely_eligible; 2 referrals"),
    ("/funnel?from=2026-03-01", "funnel_viewed", "page; from=2026-03-01"),
    ("/api/funnel", "funnel_viewed", "api; no filter"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "action", "detail"), LIST_READS)
def test_every_list_read_is_audited_with_its_filters_row_count_and_address(
    signed_in, store, path, action, detail
):
    make_referral(store, "conv-1")
    make_referral(store, "conv-2")
    read(signed_in, path)
    assert events(store)[-1] == ("amy", action, None, detail, ADDRESS)


def test_every_read_of_one_referral_is_audited_with_the_address(signed_in, store):
    referral_id = make_referral(store)
    read(signed_in, f"/referrals/{referral_id}")
    read(signed_in, f"/api/referrals/{referral_id}")
    read(signed_in, f"/referrals/{referral_id}/fhir.json")
    assert events(store)[-3:] == [
        ("amy", "referral_viewed", referral_id, "page, with transcript", ADDRESS),
        ("amy", "referral_viewed", referral_id, "api, with transcript", ADDRESS),
        ("amy", "referral_exported_fhir", referral_id, "", ADDRESS),
    ]


def test_writes_inside_the_repository_carry_the_address_too(signed_in, store):
    referral_id = make_referral(store)
    token = csrf_token(signed_in, "/")
    signed_in.post(
        f"/referrals/{referral_id}/status",
        data={"status": "contacted", "note": "rang", "csrf_token": token},
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    signed_in.post(
        f"/referrals/{referral_id}/notes",
        data={"text": "left a message", "csrf_token": token},
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    written = [event for event in events(store) if event[1] in ("status_changed", "note_added")]
    assert len(written) == 2
    assert all(event[4] == ADDRESS for event in written)


def test_the_audit_page_and_api_show_the_address(signed_in, store):
    referral_id = make_referral(store)
    read(signed_in, f"/referrals/{referral_id}")
    assert ADDRESS in read(signed_in, "/audit").get_data(as_text=True)
    listed = read(signed_in, "/api/audit").get_json()["events"]
    assert listed[0]["source_address"] == ADDRESS


def test_a_failed_sign_in_stores_a_typed_name_only_if_it_names_an_account(client, store):
    for typed in (PASSWORD, "amy", "  amy  ", "mistyped-amy"):
        assert sign_in(client, username=typed, password="wrong").status_code == 401
    actors = [event[0] for event in events(store) if event[1] == "login_failed"]
    assert actors == ["(unknown)", "amy", "amy", "(unknown)"]
    with store() as session:
        stored = " ".join(
            f"{e.actor} {e.detail}" for e in session.scalars(select(AuditEvent)).all()
        ) + " ".join(session.scalars(select(LoginThrottle.key)).all())
    assert PASSWORD not in stored and "mistyped" not in stored


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy_on_loopback(tmp_path, clock):
    def source(app, peer, forwarded):
        """The source address the audit trail records for a failed sign-in."""
        client = app.test_client()
        client.post(
            "/login",
            data={"username": "amy", "password": "x", "csrf_token": csrf_token(client)},
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": peer},
        )  # fmt: skip
        with session_scope(app.extensions["hn2301_engine"]) as session:
            return session.scalars(
                select(AuditEvent.source_address).order_by(AuditEvent.id.desc())
            ).first()

    with dashboard_app(tmp_path / "plain", clock) as plain:
        assert source(plain, "127.0.0.1", "198.51.100.9") == "127.0.0.1"
    with dashboard_app(tmp_path / "proxied", clock, TRUSTED_PROXY=True) as proxied:
        assert source(proxied, "127.0.0.1", "6.6.6.6, 198.51.100.9") == "198.51.100.9"
        assert source(proxied, "::1", "2001:db8::5") == "2001:db8::5"
        assert source(proxied, "192.0.2.1", "198.51.100.9") == "192.0.2.1"  # not loopback
        assert source(proxied, "127.0.0.1", "<script>") == "127.0.0.1"  # not an address


def test_new_record_audit_arguments_are_keyword_only_with_defaults():
    parameters = inspect.signature(repository.record_audit).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    assert parameters["source_address"].default is None
