"""bot/retention.py: the settings, the tracker store's URL as Rasa builds it, and a message's
redaction (the purge itself: tests/security/test_retention_purge.py)."""

from datetime import date

import pytest
from sqlalchemy.engine import make_url

from bot import retention
from bot.store.db import REPO_ROOT


def test_settings_default_and_from_the_environment():
    assert retention.RetentionSettings.from_environment({}) == retention.RetentionSettings()
    settings = retention.RetentionSettings.from_environment(
        {
            retention.UNCONSENTED_MINUTES: "15",
            retention.ABANDONED_DAYS: " 3 ",
            retention.SCREENINGS_DAYS: "14",
            retention.REFERRALS_AFTER_CLOSE_DAYS: "365",
            retention.STUDY_CLOSES: "2027-06-30",
        }
    )
    assert (settings.unconsented_minutes, settings.abandoned_days) == (15, 3)
    assert settings.referrals_deleted_on == date(2028, 6, 29)
    assert retention.RetentionSettings().referrals_deleted_on is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (retention.ABANDONED_DAYS, "0"),
        (retention.SCREENINGS_DAYS, "-1"),
        (retention.UNCONSENTED_MINUTES, "1.5"),
        (retention.STUDY_CLOSES, "30/06/2027"),
    ],
)
def test_a_bad_setting_is_refused_by_name(name, value):
    with pytest.raises(retention.RetentionSettingError, match=name):
        retention.RetentionSettings.from_environment({name: value})


def test_the_tracker_url_from_the_environment_wins(tmp_path):
    assert retention.tracker_url({retention.TRACKER_URL: "sqlite:////x.db"}) == "sqlite:////x.db"


def endpoints(tmp_path, text):
    path = tmp_path / "endpoints.yml"
    path.write_text(text)
    return {retention.ENDPOINTS: str(path)}


def test_the_repositorys_endpoints_name_var_tracker_db():
    url = retention.tracker_url({})
    assert url == f"sqlite:///{REPO_ROOT / 'var' / 'tracker.db'}"


def test_a_postgresql_tracker_store_as_rasa_builds_its_url(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_PASSWORD", "s3cret")
    env = endpoints(
        tmp_path,
        "tracker_store:\n  type: extensions.erasable_tracker_store.ErasableSQLTrackerStore\n"
        "  dialect: postgresql\n  url: db.internal:6543\n  db: rasa\n  username: rasa\n"
        "  password: ${TRACKER_PASSWORD}\n",
    )
    url = make_url(retention.tracker_url(env))
    assert (url.drivername, url.host, url.port, url.database) == (
        "postgresql",
        "db.internal",
        6543,
        "rasa",
    )
    assert (url.username, url.password) == ("rasa", "s3cret")


def test_an_absolute_sqlite_file_and_no_sql_store(tmp_path):
    sqlite = endpoints(tmp_path, "tracker_store:\n  type: SQL\n  db: /srv/tracker.db\n")
    assert retention.tracker_url(sqlite) == "sqlite:////srv/tracker.db"
    assert retention.tracker_url(endpoints(tmp_path, "tracker_store:\n  type: redis\n")) is None


def test_a_redacted_message_keeps_what_rasa_and_the_guard_need_only():
    event = {
        "event": "user",
        "timestamp": 12.5,
        "text": "I take plaquenil, call me on 138 0013 8000",
        "message_id": "m-1234567",
        "input_channel": "rest",
        "metadata": {"pressed": "Yes", "language": "en"},
        "parse_data": {
            "intent": {"name": "inform", "confidence": 0.9},
            "entities": [{"entity": "medicine", "value": "plaquenil", "start": 7, "end": 16}],
            "intent_ranking": [{"name": "inform", "confidence": 0.9}],
            "text": "I take plaquenil, call me on 138 0013 8000",
        },
    }
    redacted = retention.redacted_user_event(event, language="en", relative=None)
    assert "plaquenil" not in repr(redacted) and "0013" not in repr(redacted)
    assert (redacted["timestamp"], redacted["message_id"]) == (12.5, "m-1234567")
    assert redacted["parse_data"]["intent"] == {"name": "inform", "confidence": 0.9}
    assert [e["entity"] for e in redacted["parse_data"]["entities"]] == ["medicine"]
    assert redacted["metadata"] == {"redacted": True, "language": "en"}
    assert retention.is_redacted(redacted) and not retention.is_redacted(event)
    carer = retention.redacted_user_event(event, language=None, relative="mother")
    assert carer["text"] == "for my mother" and "language" not in carer["metadata"]


@pytest.mark.parametrize(
    ("said", "language"),
    [
        ([("38", None)], None),
        ([("38", None), ("你好", None)], "zh"),
        ([("hello", None), ("你好", None)], "en"),
        ([("hello", None), ("ok", {"language": "zh"})], "zh"),
    ],
)
def test_the_language_a_redacted_message_keeps(said, language):
    assert retention.decided_language(said) == language
