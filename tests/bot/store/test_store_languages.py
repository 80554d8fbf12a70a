"""Languages in the store: the patient's (on the screening) and the coordinator's (issue 9)."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from bot.store import repository as repo
from bot.store.db import alembic_config, make_engine, session_scope
from bot.store.models import Coordinator

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def test_a_screening_keeps_the_patients_language(engine):
    with session_scope(engine) as session:
        english = repo.record_consent(
            session=session, conversation_id="en", trial_id="hn2301", consented_at=T0
        )
        chinese = repo.record_consent(
            session=session,
            conversation_id="zh",
            trial_id="hn2301",
            consented_at=T0,
            language="zh-CN",
        )
        assert (english.language, chinese.language) == ("en", "zh")
    with session_scope(engine) as session:
        again = repo.record_consent(
            session=session, conversation_id="en", trial_id="hn2301", consented_at=T0,
            language="zh",
        )  # fmt: skip
        assert again.language == "zh"  # the patient switched: the latest language counts
    with session_scope(engine) as session:
        described = repo.describe_conversation_data(session=session, conversation_id="en")
        assert described["screening"]["language"] == "zh"
        with pytest.raises(ValueError):
            repo.record_consent(
                session=session, conversation_id="x", trial_id="hn2301", consented_at=T0,
                language="fr",
            )  # fmt: skip


def test_a_coordinators_language_defaults_to_english_and_can_be_saved(engine):
    with session_scope(engine) as session:
        repo.create_coordinator(session=session, username="amy", password="x" * 12, at=T0)
        repo.create_coordinator(
            session=session, username="li", password="x" * 12, at=T0, language="zh"
        )
    with session_scope(engine) as session:
        repo.set_coordinator_language(session=session, username="amy", language="zh")
        with pytest.raises(LookupError):
            repo.set_coordinator_language(session=session, username="nobody", language="zh")
    with session_scope(engine) as session:
        languages = {c.username: c.language for c in session.query(Coordinator)}
        assert languages == {"amy": "zh", "li": "zh"}


def test_rows_from_before_migration_0003_read_as_english(sqlite_url):
    from alembic import command

    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
            connection.execute(
                text(
                    "INSERT INTO coordinator (username, password_hash, created_at, failed_logins)"
                    " VALUES ('old', 'h', '2026-01-01 00:00:00', 0)"
                )
            )
            command.upgrade(config, "head")
            assert connection.execute(text("SELECT language FROM coordinator")).scalar() == "en"
            command.downgrade(config, "0002")
            command.upgrade(config, "head")
    finally:
        engine.dispose()
