"""The repository against a migrated SQLite file and the real PostgreSQL."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.store import repository as repo
from bot.store.db import session_scope
from bot.store.models import AuditEvent, CriterionVerdict, Referral, ReferralNote, Screening
from tests.support.referrals import assess, consent, refer

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
TRIAL = "hn2301"

VERDICTS = [
    {
        "criterion": "age",
        "item": "I1",
        "kind": "self_reported",
        "verdict": "met",
        "reason": "34 years old",
        "reason_i18n": {"t": "{age} years old", "p": {"age": 34}},
        "words": "I'm 34",
        "parsed": {"years": 34},
        "until": None,
    },
    {
        "criterion": "mrna_lnp",
        "item": "E5",
        "kind": "self_reported",
        "verdict": "not_met_until",
        "reason": "Comirnaty on 2025-01-10",
        "reason_i18n": None,
        "words": "pfizer shot jan 2025",
        "parsed": {"product": "comirnaty", "on": "2025-01-10"},
        "until": "2027-01-10",
    },
    {
        "criterion": "lab_markers",
        "item": "I5",
        "kind": "verified",
        "verdict": "unknown",
        "reason": "patient not sure",
        "reason_i18n": None,
        "words": "no idea",
        "parsed": None,
        "until": None,
    },
    {
        "criterion": "transplant",
        "item": "E3",
        "kind": "self_reported",
        "verdict": "pending",
        "reason": "not asked",
        "reason_i18n": None,
        "words": "",
        "parsed": None,
        "until": None,
    },
]
TRANSCRIPT = [
    {"sender": "assistant", "text": "How old are you?", "at": "2026-03-02T09:20:00+00:00"},
    {"sender": "patient", "text": "I'm 34", "at": "2026-03-02T09:20:05+00:00"},
]


def _screen(session, conversation_id="conv-1", outcome="likely_eligible", verdicts=VERDICTS):
    consent(session, conversation_id, at=T0)
    return assess(
        session,
        conversation_id,
        at=T0 + timedelta(minutes=8),
        outcome=outcome,
        to_verify=["I5 labs", "E9 investigator judgement"],
        verdicts=verdicts,
    )


def _refer(session, conversation_id="conv-1", name="Li Wei"):
    return refer(
        session,
        conversation_id,
        at=T0 + timedelta(minutes=9),
        name=name,
        email="li@example.org",
        transcript=TRANSCRIPT,
    )


def test_started_counter_holds_only_a_number_per_day(engine):
    with session_scope(engine) as session:
        for _ in range(3):
            repo.note_conversation_started(session=session, trial_id=TRIAL, on=date(2026, 3, 2))
        repo.note_conversation_started(session=session, trial_id=TRIAL, on=date(2026, 3, 3))
    with session_scope(engine) as session:
        counts = repo.funnel_counts(session=session, trial_id=TRIAL)
        only_second = repo.funnel_counts(session=session, trial_id=TRIAL, since=date(2026, 3, 3))
    assert counts["started"] == 4
    assert only_second["started"] == 1


def test_assessment_round_trips_every_verdict_and_resaving_replaces_answers(engine):
    with session_scope(engine) as session:
        _screen(session)
    with session_scope(engine) as session:
        stored = repo.describe_conversation_data(session=session, conversation_id="conv-1")
    assert stored["answers"] == VERDICTS
    assert stored["screening"]["outcome"] == "likely_eligible"
    assert stored["screening"]["to_verify"] == ["I5 labs", "E9 investigator judgement"]
    assert stored["screening"]["consented_at"] == T0.isoformat()

    with session_scope(engine) as session:
        _screen(session, outcome="not_eligible_now", verdicts=VERDICTS[1:])
    with session_scope(engine) as session:
        answers = session.scalars(select(CriterionVerdict.criterion)).all()
        screening = session.scalar(select(Screening))
    assert sorted(answers) == ["lab_markers", "mrna_lnp", "transplant"]
    assert screening.outcome == "not_eligible_now"


def test_consenting_twice_keeps_one_screening(engine):
    with session_scope(engine) as session:
        first = repo.record_consent(
            session=session, conversation_id="c", trial_id=TRIAL, consented_at=T0
        )
        second = repo.record_consent(
            session=session, conversation_id="c", trial_id=TRIAL, consented_at=T0 + timedelta(1)
        )
        assert first.id == second.id
        assert second.consented_at == T0
        assert len(first.screening_id) == 32


def test_assessment_without_consent_is_refused(engine):
    with pytest.raises(repo.UnknownConversation), session_scope(engine) as session:
        _screen_without_consent(session)


def _screen_without_consent(session):
    assess(session, "never-consented", at=T0)


def test_referral_gets_a_quotable_code_contact_and_transcript(engine):
    with session_scope(engine) as session:
        _screen(session)
        referral = _refer(session)
        code = referral.reference_code
    assert code.startswith("HN-")
    assert len(code) == 9
    assert all(character in repo.REFERENCE_ALPHABET for character in code[3:])
    with session_scope(engine) as session:
        found = repo.get_referral_by_code(session=session, reference_code=code.lower()[3:])
        as_json = repo.referral_as_dict(
            repo.get_referral(session=session, referral_id=found.id), with_transcript=True
        )
    assert as_json["name"] == "Li Wei"
    assert as_json["status"] == "new"
    assert as_json["transcript"] == TRANSCRIPT
    assert [answer["criterion"] for answer in as_json["answers"]] == [
        verdict["criterion"] for verdict in VERDICTS
    ]


def test_referral_needs_a_way_to_reach_the_patient(engine):
    with pytest.raises(ValueError), session_scope(engine) as session:
        _screen(session)
        refer(session, at=T0, name="Li", phone=None, email=None, preferred_time="")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Screening)) == 0


@pytest.mark.parametrize("outcome", ["not_eligible", "not_eligible_now", None])
def test_only_likely_eligible_or_needs_review_screenings_are_referred(engine, outcome):
    with pytest.raises(repo.NotReferable), session_scope(engine) as session:
        if outcome is None:
            consent(session, at=T0)
        else:
            _screen(session, outcome=outcome)
        _refer(session)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 0


def test_status_workflow_allows_only_listed_moves_and_keeps_notes(engine):
    with session_scope(engine) as session:
        _screen(session)
        referral_id = _refer(session).id
    with session_scope(engine) as session:
        repo.change_status(
            session=session,
            referral_id=referral_id,
            new_status="contacted",
            note="called, will book",
            actor="amy",
            at=T0 + timedelta(days=1),
        )
        with pytest.raises(repo.InvalidStatusChange):
            repo.change_status(
                session=session,
                referral_id=referral_id,
                new_status="enrolled",
                note="",
                actor="amy",
                at=T0 + timedelta(days=2),
            )
        repo.add_note(
            session=session,
            referral_id=referral_id,
            text="prefers WeChat",
            actor="amy",
            at=T0 + timedelta(days=2),
        )
    with session_scope(engine) as session:
        referral = repo.get_referral(session=session, referral_id=referral_id)
        notes = [(n.text, n.status_from, n.status_to) for n in referral.notes]
        actions = [event.action for event in repo.list_audit(session=session)]
    assert referral.status == "contacted"
    assert notes == [("called, will book", "new", "contacted"), ("prefers WeChat", None, None)]
    assert actions == ["note_added", "status_changed"]
    assert repo.allowed_next_statuses("enrolled") == ()


def test_queue_filters_and_counts(engine):
    with session_scope(engine) as session:
        _screen(session, "a", outcome="likely_eligible")
        _refer(session, "a")
        _screen(session, "b", outcome="needs_review")
        second = _refer(session, "b")
        second.created_at = T0 + timedelta(days=3)
        repo.change_status(
            session=session,
            referral_id=second.id,
            new_status="contacted",
            note="",
            actor="amy",
            at=T0 + timedelta(days=3),
        )
    with session_scope(engine) as session:
        newest_first = [r.screening.conversation_id for r in repo.list_referrals(session=session)]
        needs_review = repo.list_referrals(
            session=session, filters=repo.ReferralFilters(outcome="needs_review")
        )
        early = repo.list_referrals(
            session=session, filters=repo.ReferralFilters(created_to=T0.date())
        )
        counts = repo.count_referrals_by_status(session=session)
        contacted = repo.list_referrals(
            session=session, filters=repo.ReferralFilters(status="contacted")
        )
    assert newest_first == ["b", "a"]
    assert [r.screening.conversation_id for r in needs_review] == ["b"]
    assert [r.screening.conversation_id for r in early] == ["a"]
    assert [r.screening.conversation_id for r in contacted] == ["b"]
    assert counts["new"] == 1
    assert counts["contacted"] == 1
    assert counts["enrolled"] == 0


def test_funnel_counts_every_step_and_top_reasons(engine):
    failing_age = [{**VERDICTS[0], "verdict": "not_met", "reason": "75"}]
    with session_scope(engine) as session:
        for _ in range(5):
            repo.note_conversation_started(session=session, trial_id=TRIAL, on=T0.date())
        _screen(session, "a", outcome="likely_eligible")
        referral = _refer(session, "a")
        _screen(session, "b", outcome="not_eligible", verdicts=failing_age)
        _screen(session, "c", outcome="not_eligible", verdicts=failing_age)
        consent(session, "d", at=T0)
        for status in ("contacted", "visit_scheduled", "enrolled"):
            repo.change_status(
                session=session,
                referral_id=referral.id,
                new_status=status,
                note="",
                actor="amy",
                at=T0 + timedelta(days=1),
            )
    with session_scope(engine) as session:
        counts = repo.funnel_counts(session=session, trial_id=TRIAL)
        reasons = repo.top_not_eligible_reasons(session=session, trial_id=TRIAL)
    assert counts == {
        "started": 5,
        "consented": 4,
        "finished": 3,
        "likely_eligible": 1,
        "needs_review": 0,
        "not_eligible_now": 0,
        "not_eligible": 2,
        "referred": 1,
        "contacted": 1,
        "enrolled": 1,
    }
    assert reasons == [("age (I1)", 2)]


def test_describe_and_delete_remove_everything_but_an_anonymous_audit(engine):
    with session_scope(engine) as session:
        _screen(session)
        referral_id = _refer(session).id
        repo.add_note(session=session, referral_id=referral_id, text="x", actor="amy", at=T0)
        repo.record_other_studies_contact(
            session=session,
            conversation_id="conv-1",
            email="li@example.org",
            phone=None,
            consent_at=T0,
        )
    with session_scope(engine) as session:
        described = repo.describe_conversation_data(session=session, conversation_id="conv-1")
    assert described["referral"]["phone"] == "+8613800138000"
    assert described["transcript"] == TRANSCRIPT
    assert described["other_studies_contacts"][0]["email"] == "li@example.org"

    with session_scope(engine) as session:
        assert repo.delete_conversation_data(session=session, conversation_id="conv-1")
    with session_scope(engine) as session:
        for model in (Screening, CriterionVerdict, Referral, ReferralNote):
            assert session.scalar(select(func.count()).select_from(model)) == 0
        empty = repo.describe_conversation_data(session=session, conversation_id="conv-1")
        deletion = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "patient_data_deleted")
        ).one()
        assert not repo.delete_conversation_data(session=session, conversation_id="conv-1")
    assert empty == {
        "screening": None,
        "answers": [],
        "referral": None,
        "transcript": [],
        "other_studies_contacts": [],
    }
    assert deletion.referral_id == referral_id
    assert deletion.actor == "patient"
    assert deletion.detail == ""


def test_login_needs_password_and_totp_and_backs_off_after_repeated_failures(engine):
    with session_scope(engine) as session:
        amy = repo.create_coordinator(
            session=session, username="amy", password="correct horse battery", at=T0
        )
        secret = amy.totp_secret
        with pytest.raises(repo.CoordinatorExists):
            repo.create_coordinator(session=session, username="amy", password="x" * 12, at=T0)

    def login(password, at, totp=None):
        code = repo.totp_code(secret, at) if totp is None else totp
        return repo.verify_login(
            session=session, username="amy", password=password, totp=code, at=at
        ).coordinator

    with session_scope(engine) as session:
        stored_hash = session.scalar(select(repo.Coordinator.password_hash))
        assert stored_hash.startswith("$argon2id$")
        assert login("correct horse battery", T0)
        assert not login("correct horse battery", T0)  # the same code twice
        assert not login("correct horse battery", T0 + timedelta(minutes=1), totp="000000")
        for attempt in range(repo.THROTTLE_FREE_TRIES["acct"]):
            assert not login("wrong", T0 + timedelta(minutes=2, seconds=attempt))
        throttled_at = T0 + timedelta(minutes=2, seconds=10)
        assert not login("correct horse battery", throttled_at)
        after_backoff = throttled_at + repo.THROTTLE_CAP["acct"]
        assert login("correct horse battery", after_backoff)
        result = repo.verify_login(
            session=session, username="nobody", password="x", totp="123456", at=T0
        )
        assert result.coordinator is None
        assert result.actor == repo.UNKNOWN_ACCOUNT


def test_short_passwords_are_refused(engine):
    with pytest.raises(ValueError), session_scope(engine) as session:
        repo.create_coordinator(session=session, username="amy", password="short", at=T0)


def test_dashboard_sessions_end_on_logout_and_when_idle(engine):
    idle = timedelta(minutes=30)
    with session_scope(engine) as session:
        amy = repo.create_coordinator(
            session=session, username="amy", password="correct horse battery", at=T0
        )
        kept = repo.open_dashboard_session(session=session, coordinator=amy, at=T0)
        idle_token = repo.open_dashboard_session(session=session, coordinator=amy, at=T0)
        logged_out = repo.open_dashboard_session(session=session, coordinator=amy, at=T0)
    with session_scope(engine) as session:
        later = T0 + timedelta(minutes=20)
        resumed = repo.resume_dashboard_session(
            session=session, token=kept, at=later, idle_timeout=idle
        )
        assert resumed.username == "amy"
        repo.close_dashboard_session(session=session, token=logged_out)
    with session_scope(engine) as session:
        much_later = T0 + timedelta(minutes=45)
        assert repo.resume_dashboard_session(
            session=session, token=kept, at=much_later, idle_timeout=idle
        )
        for token in (idle_token, logged_out, "forged"):
            assert not repo.resume_dashboard_session(
                session=session, token=token, at=much_later, idle_timeout=idle
            )
        assert not repo.resume_dashboard_session(
            session=session, token=idle_token, at=T0, idle_timeout=idle
        )
