"""Helpers for the dashboard tests: a steppable clock, sign-in, CSRF tokens, sample referrals."""

import re
from datetime import datetime, timedelta, timezone

from bot.store import repository

PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    """The app's clock, moved forward by tests (idle timeout, lockout)."""

    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


def csrf_token(client, path="/login"):
    """The CSRF token of the client's current session, read from a page's hidden field."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, username="amy", password=PASSWORD):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def make_referral(store, conversation_id="conv-1", **overrides):
    """A consented, assessed, referred screening; `overrides` replace patient-typed fields."""
    fields = {
        "name": "Li Wei",
        "phone": "+8613800138000",
        "email": "li@example.org",
        "preferred_time": "mornings",
        "words": "I'm 34",
        "reason": "34 years old",
        "main_reason": "",
        "transcript_text": "I'm 34",
        "assistant_text": "How old are you?",
        "outcome": "likely_eligible",
        "to_verify": ["Screening labs: ANA, anti-dsDNA, complement (C3/C4)", "E9"],
        "language": "en",
        "verdicts": None,  # None: the two sample verdicts below
        **overrides,
    }
    with store() as session:
        repository.record_consent(
            session=session,
            conversation_id=conversation_id,
            trial_id="hn2301",
            consented_at=START,
            language=fields["language"],
        )
        repository.save_assessment(
            session=session,
            conversation_id=conversation_id,
            outcome=fields["outcome"],
            main_reason=fields["main_reason"],
            recheck_date=None,
            to_verify=fields["to_verify"],
            verdicts=fields["verdicts"]
            or [
                {
                    "criterion": "age",
                    "item": "I1",
                    "kind": "self_reported",
                    "verdict": "met",
                    "reason": fields["reason"],
                    "words": fields["words"],
                    "parsed": {"years": 34},
                    "until": None,
                },
                {
                    "criterion": "lab_markers",
                    "item": "I5",
                    "kind": "verified",
                    "verdict": "unknown",
                    "reason": "not sure",
                    "words": "no idea",
                    "parsed": None,
                    "until": None,
                },
            ],
            finished_at=START + timedelta(minutes=5),
        )
        referral = repository.create_referral(
            session=session,
            conversation_id=conversation_id,
            name=fields["name"],
            phone=fields["phone"],
            email=fields["email"],
            preferred_time=fields["preferred_time"],
            share_consent_at=START + timedelta(minutes=6),
            transcript=[
                {
                    "sender": "assistant",
                    "text": fields["assistant_text"],
                    "at": "2026-03-02T09:01:00Z",
                },
                {
                    "sender": "patient",
                    "text": fields["transcript_text"],
                    "at": "2026-03-02T09:01:09Z",
                },
            ],
        )
        return referral.id


def audit_actions(store, referral_id=None):
    with store() as session:
        return [
            (event.actor, event.action, event.referral_id)
            for event in repository.list_audit(session=session, referral_id=referral_id)
        ]
