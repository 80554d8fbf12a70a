"""Queue, referral page, status workflow, funnel and audit pages; escaping of patient text."""

import re
from datetime import timedelta

import pytest
from dashboard_helpers import START, audit_actions, csrf_token

from bot.store import repository
from tests.support.referrals import make_referral, screened

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_patient_typed_text_is_escaped_on_every_page(signed_in, store, payload):
    referral_id = make_referral(
        store,
        name=payload,
        email=None,
        preferred_time=payload,
        words=payload,
        reason=payload,
        main_reason=payload,
        transcript_text=payload,
        to_verify=[payload],
    )
    signed_in.post(
        f"/referrals/{referral_id}/notes",
        data={"text": payload, "csrf_token": csrf_token(signed_in, "/")},
    )
    for path in ("/", f"/referrals/{referral_id}", "/audit", "/funnel"):
        page = signed_in.get(path).get_data(as_text=True)
        assert payload not in page, path
        assert "<script>" not in page
        assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
        assert not re.search(r"<[^>]*\sonmouseover=", page)
    referral_page = signed_in.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert referral_page.count("alert(1)") >= 7  # shown, escaped, in every patient field


def test_queue_filters_newest_first_with_counts(signed_in, store):
    older = make_referral(store, "a", name="Older Patient")
    newer = make_referral(store, "b", name="Newer Patient", outcome="needs_review")
    with store() as session:
        repository.get_referral(session=session, referral_id=newer).created_at = START + timedelta(
            days=2
        )
        repository.change_status(
            session=session,
            referral_id=older,
            new_status="contacted",
            note="",
            actor="amy",
            at=START,
        )
    everything = signed_in.get("/").get_data(as_text=True)
    assert everything.index("Newer Patient") < everything.index("Older Patient")
    assert "new: <strong>1</strong>" in everything
    assert "contacted: <strong>1</strong>" in everything

    needs_review = signed_in.get("/?outcome=needs_review").get_data(as_text=True)
    assert "Newer Patient" in needs_review
    assert "Older Patient" not in needs_review
    contacted = signed_in.get("/?status=contacted").get_data(as_text=True)
    assert "Older Patient" in contacted
    assert "Newer Patient" not in contacted
    first_day = signed_in.get("/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    assert "Older Patient" in first_day
    assert "Newer Patient" not in first_day


def test_referral_page_shows_checklist_to_verify_transcript_and_contact(signed_in, store):
    referral_id = make_referral(store)
    page = signed_in.get(f"/referrals/{referral_id}").get_data(as_text=True)
    for expected in (
        "lab markers",
        "I5",
        "unknown",
        "I&#39;m 34",
        "34 years old",
        "Screening labs: ANA, anti-dsDNA, complement (C3/C4)",
        "How old are you?",
        "+8613800138000",
        "li@example.org",
        "mornings",
    ):
        assert expected in page, expected
    assert audit_actions(store, referral_id) == [("amy", "referral_viewed", referral_id)]


def test_status_workflow_through_the_form(signed_in, store):
    referral_id = make_referral(store)

    def move(status, note=""):
        return signed_in.post(
            f"/referrals/{referral_id}/status",
            data={"status": status, "note": note, "csrf_token": csrf_token(signed_in, "/")},
            follow_redirects=True,
        ).get_data(as_text=True)

    refused = move("enrolled")
    assert "cannot go from new to enrolled" in refused
    for status in ("contacted", "visit_scheduled", "enrolled"):
        page = move(status, note=f"now {status}")
    assert "This referral is closed (enrolled)" in page
    assert "now visit_scheduled" in page
    assert "contacted → visit scheduled" in page
    with store() as session:
        referral = repository.get_referral(session=session, referral_id=referral_id)
        assert referral.status == "enrolled"
        assert [note.status_to for note in referral.notes] == [
            "contacted",
            "visit_scheduled",
            "enrolled",
        ]
    changes = [a for a in audit_actions(store, referral_id) if a[1] == "status_changed"]
    assert len(changes) == 3


def test_funnel_page_counts_and_chart(signed_in, store):
    with store() as session:
        for _ in range(4):
            repository.note_conversation_started(
                session=session, trial_id="hn2301", on=START.date()
            )
        screened(session, "c", at=START, outcome="not_eligible", main_reason="too old")
    make_referral(store, "a")
    make_referral(store, "b", outcome="needs_review")
    page = signed_in.get("/funnel").get_data(as_text=True)
    assert '<td id="count-started">4</td>' in page
    assert '<td id="count-consented">3</td>' in page
    assert '<td id="count-finished">3</td>' in page
    assert '<td id="count-referred">2</td>' in page
    assert '<td id="count-not_eligible">1</td>' in page
    assert page.count('class="chart-bar"') == 6
    assert "<script" not in page
    api = signed_in.get("/api/funnel").get_json()
    assert api["counts"]["started"] == 4


def test_audit_page_lists_events(signed_in, store):
    referral_id = make_referral(store)
    signed_in.get(f"/referrals/{referral_id}")
    page = signed_in.get("/audit").get_data(as_text=True)
    assert "referral viewed" in page
    assert "login" in page
    filtered = signed_in.get(f"/audit?referral={referral_id}").get_data(as_text=True)
    assert "referral viewed" in filtered
    assert ">login<" not in filtered
