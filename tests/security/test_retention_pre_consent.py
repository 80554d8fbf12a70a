"""Against the running stack (`make run`'s services): nothing a visitor types before consent is
kept beyond the running conversation, and a patient reaches an earlier referral by its code
(issue 11, findings 3 and 4: '"hi, I have HIV and I am pregnant" from a new visitor who then
leaves stays word for word in the tracker store'; "no one can erase by reference code")."""

import json
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy
from sqlalchemy import select

from bot import retention
from bot.store.db import make_engine, session_scope
from bot.store.models import Referral
from tests.support.referrals import age_met, referred
from tests.support.stack import new_sender, talk, talk_raw

SAID = "hi, I have HIV and I am pregnant"
# Said at the consent question; not read as an agreement (unlike "I have HIV", which the
# consent reading takes for a yes).
AT_CONSENT = "Zelda here, HIV positive and pregnant"


def message_id() -> str:
    return uuid.uuid4().hex


def rows(stack, sender):
    """The sender's events as Rasa's tracker store holds them (the stack's SQLite file)."""
    with sqlite3.connect(stack.config.tracker_db) as connection:
        return [
            json.loads(data)
            for (data,) in connection.execute(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
            )
        ]


def stored_text(stack, sender) -> str:
    return json.dumps(rows(stack, sender), ensure_ascii=False)


def test_what_a_visitor_typed_is_gone_once_the_conversation_moves_on(rasa_stack):
    sender = new_sender()
    first = talk_raw(rasa_stack, sender, SAID, {"message_id": message_id()})
    assert first  # answered, from the message in memory
    second_id = message_id()
    replies = talk(rasa_stack, sender, "what is this study about?", {"message_id": second_id})
    assert SAID not in stored_text(rasa_stack, sender)
    # the message sent again (no reply came) is answered from the store, not handled twice
    assert talk(rasa_stack, sender, "what is this study about?", {"message_id": second_id}) == (
        replies
    )
    ids = [row.get("message_id") for row in rows(rasa_stack, sender) if row["event"] == "user"]
    assert ids.count(second_id) == 1


def test_a_visitor_who_leaves_is_purged_after_the_idle_time(rasa_stack, tmp_path):
    sender = new_sender()
    talk(rasa_stack, sender, SAID, {"message_id": message_id()})
    assert SAID in stored_text(rasa_stack, sender)  # the running conversation, until it ends
    copy = tmp_path / "tracker.db"  # the purge runs on a copy: other tests share the stack
    with sqlite3.connect(rasa_stack.config.tracker_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    tracker = sqlalchemy.create_engine(f"sqlite:///{copy}", future=True)
    store = make_engine(rasa_stack.database_url)
    try:
        counts = retention.purge(
            store_engine=store,
            tracker_engine=tracker,
            settings=retention.RetentionSettings(),
            now=datetime.now(timezone.utc) + timedelta(minutes=61),
            dry_run=False,
        )
        with tracker.connect() as connection:
            left = connection.execute(
                select(retention.EVENTS.c.data).where(retention.EVENTS.c.sender_id == sender)
            ).all()
    finally:
        tracker.dispose()
        store.dispose()
    assert counts.unconsented_conversations >= 1
    assert left == []


def test_a_visitor_who_consents_goes_on_and_only_the_words_before_are_gone(rasa_stack):
    sender = new_sender()
    talk(rasa_stack, sender, "hi")  # the consent question
    talk(rasa_stack, sender, AT_CONSENT)  # not an answer to it: asked again
    after_consent = talk(rasa_stack, sender, "yes")
    talk(rasa_stack, sender, "I am 34")
    assert any("?" in line or "？" in line for line in after_consent)  # the first question
    kept = [row["text"] for row in rows(rasa_stack, sender) if row["event"] == "user"]
    assert kept == ["", "", "yes", "I am 34"]
    assert "Zelda" not in stored_text(rasa_stack, sender)


@pytest.fixture
def earlier_referral(rasa_stack):
    """A referral made in an earlier conversation, in the stack's store."""
    engine = make_engine(rasa_stack.database_url)
    conversation = new_sender()
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        code = referred(
            session,
            conversation,
            at=now,
            verdicts=[age_met("forty one")],
            name="Zhang Min",
            phone="+8613900001111",
            preferred_time="evenings",
        ).reference_code
    yield engine, code
    engine.dispose()


def test_what_do_you_know_with_code_and_phone_in_a_new_chat(rasa_stack, earlier_referral):
    _engine, code = earlier_referral
    sender = new_sender()
    said = " ".join(
        talk(rasa_stack, sender, f"what do you know about me? {code} +86 139 0000 1111")
    )
    assert "forty one" in said and "+86 139 **** 1111" in said and "0000" not in said
    assert rows(rasa_stack, sender) == []  # nothing of the request or the answer is kept
    with_code_only = " ".join(talk(rasa_stack, new_sender(), f"what do you know about me {code}"))
    assert "Zhang Min" not in with_code_only and "forty one" not in with_code_only


def test_delete_my_data_with_code_and_phone_in_a_new_chat(rasa_stack, earlier_referral):
    engine, code = earlier_referral
    sender = new_sender()
    talk(rasa_stack, sender, f"delete my data {code} +86 139 0000 1111")
    said = " ".join(talk(rasa_stack, sender, "yes"))
    assert code in said
    with session_scope(engine) as session:
        assert session.scalar(select(Referral).where(Referral.reference_code == code)) is None
    assert rows(rasa_stack, sender) == []


def test_the_referral_transcript_starts_at_the_consent_and_keeps_a_carers_relative(rasa_stack):
    from tests.test_rest_screenings import EVERYTHING_FINE, asked, stored

    sender = new_sender()
    greeted = talk(rasa_stack, sender, "hello, I'm filling this in for my mum, Zelda")
    assert any("may I use your health answers" in text for text in greeted), greeted
    reply = talk(rasa_stack, sender, "yes")
    while (question := asked(reply)) is not None or any(
        text.startswith("Let me check I have this right.") for text in reply
    ):
        reply = talk(rasa_stack, sender, EVERYTHING_FINE[question] if question else "yes")
    for text in ("yes", "Wang Fang", "+86 139 1234 5678", "none", "evenings", "yes"):
        talk(rasa_stack, sender, text)
    transcript = stored(rasa_stack, sender)["transcript"]
    patient = [line["text"] for line in transcript if line["sender"] == "patient"]
    assert patient[:2] == ["for my mother", "yes"]  # the greeting's words are not kept
    assert "Wang Fang" in patient and "I'm 41" in patient
    assert any("may I use your health answers" in line["text"] for line in transcript)
    assert "Zelda" not in str(transcript) and "Zelda" not in stored_text(rasa_stack, sender)
