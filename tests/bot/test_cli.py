"""`python -m bot` as scripts run it: a real subprocess against a temp database URL."""

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.store import repository
from bot.store.db import make_engine, session_scope
from tests.support.referrals import age_met, refer, screened

REPO_ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'var' / 'store.db'}"


def run_bot(database_url, *arguments, stdin=""):
    environment = {**os.environ, "HN2301_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=environment,
        timeout=60,
        check=False,
    )


def test_create_coordinator_from_stdin_stores_an_argon2id_hash(database_url):
    created = run_bot(
        database_url, "create-coordinator", "amy", "--password-stdin", stdin="a long passphrase\n"
    )
    assert created.returncode == 0, created.stderr
    assert "otpauth://totp/" in created.stdout
    secret = re.search(r"secret \(to type in by hand\): ([A-Z2-7]+)", created.stdout).group(1)
    again = run_bot(
        database_url, "create-coordinator", "amy", "--password-stdin", stdin="a long passphrase\n"
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = run_bot(database_url, "create-coordinator", "bob", "--password-stdin", stdin="short\n")
    assert short.returncode == 1
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        hashes = session.scalars(select(repository.Coordinator.password_hash)).all()
        assert repository.verify_login(
            session=session,
            username="amy",
            password="a long passphrase",
            totp=repository.totp_code(secret, AT),
            at=AT,
        ).coordinator
    engine.dispose()
    assert len(hashes) == 1
    assert hashes[0].startswith("$argon2id$")


def test_referrals_json_prints_answers_and_transcript_only_on_request(database_url):
    assert run_bot(database_url, "migrate").returncode == 0
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        screened(
            session,
            "c1",
            at=AT,
            to_verify=["E9"],
            verdicts=[age_met("三十四岁", reason="34", parsed={"years": 34}, until=None)],
        )
        refer(
            session,
            "c1",
            at=AT,
            name="李伟",
            preferred_time="",
            transcript=[{"sender": "patient", "text": "三十四岁", "at": AT.isoformat()}],
        )
    engine.dispose()

    plain = run_bot(database_url, "referrals", "--json")
    assert plain.returncode == 0, plain.stderr
    referrals = json.loads(plain.stdout)
    assert referrals[0]["name"] == "李伟"
    assert referrals[0]["answers"][0]["words"] == "三十四岁"
    assert referrals[0]["screening"]["to_verify"] == ["E9"]
    assert "transcript" not in referrals[0]

    with_transcript = json.loads(
        run_bot(database_url, "referrals", "--json", "--with-transcript").stdout
    )
    assert with_transcript[0]["transcript"][0]["text"] == "三十四岁"
    assert (
        json.loads(run_bot(database_url, "referrals", "--json", "--status", "enrolled").stdout)
        == []
    )


def test_unreachable_database_is_reported_not_traced(tmp_path):
    result = run_bot("postgresql+psycopg2://nobody:secret@127.0.0.1:1/none", "migrate")
    assert result.returncode == 2
    assert "cannot be reached" in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr
