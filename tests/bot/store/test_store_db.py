"""The store's plumbing: URL, migrations, transactions, and an unreachable database."""

import socket
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from bot.store.db import (
    DATABASE_URL_VARIABLE,
    REPO_ROOT,
    StoreUnavailable,
    database_url,
    make_engine,
    session_scope,
    upgrade_database,
)
from bot.store.models import Base, Referral, Screening
from tests.support.referrals import consent, refer

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def test_url_comes_from_the_environment_or_defaults_to_var(monkeypatch):
    monkeypatch.setenv(DATABASE_URL_VARIABLE, "postgresql+psycopg2://u@h/db")
    assert database_url() == "postgresql+psycopg2://u@h/db"
    monkeypatch.delenv(DATABASE_URL_VARIABLE)
    assert database_url() == f"sqlite:///{REPO_ROOT / 'var' / 'hn2301.db'}"


def test_sqlite_folder_is_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'var' / 'store.db'}"
    upgrade_database(url)
    assert (tmp_path / "nested" / "var" / "store.db").exists()


def test_migrations_build_exactly_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrating_twice_is_harmless(store_url):
    upgrade_database(store_url)


def test_failed_transaction_leaves_nothing_half_written(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        consent(session, "c", at=AT)
        raise RuntimeError("the action crashed between writes")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Screening)) == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_closed_port_raises_store_unavailable_and_writes_nothing():
    unreachable_url = f"postgresql+psycopg2://postgres@127.0.0.1:{_closed_port()}/test"
    engine = make_engine(unreachable_url)
    with pytest.raises(StoreUnavailable), session_scope(engine) as session:
        consent(session, "c", at=AT)
    with pytest.raises(StoreUnavailable):
        upgrade_database(unreachable_url)


def test_database_lost_mid_referral_leaves_nothing(postgresql_url):
    """The server drops the connection between the screening and the referral rows."""
    upgrade_database(postgresql_url)
    engine = make_engine(postgresql_url)
    with pytest.raises(StoreUnavailable), session_scope(engine) as session:
        consent(session, "c", at=AT)
        backend_pid = session.scalar(text("SELECT pg_backend_pid()"))
        with make_engine(postgresql_url).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
        refer(session, "c", at=AT, name="Li Wei", preferred_time="")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Screening)) == 0
        assert session.scalar(select(func.count()).select_from(Referral)) == 0
    engine.dispose()
