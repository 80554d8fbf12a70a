"""A dashboard on a migrated temp SQLite store, with a steppable clock and a coordinator."""

import pytest
from dashboard_helpers import PASSWORD, START, Clock, sign_in

from bot.dashboard import create_app
from bot.store import repository
from bot.store.db import session_scope, upgrade_database


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY_FILE": tmp_path / "dashboard_secret",
            "CLOCK": clock,
        }
    )
    with session_scope(app.extensions["hn2301_engine"]) as session:
        repository.create_coordinator(session=session, username="amy", password=PASSWORD, at=START)
    yield app
    app.extensions["hn2301_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def signed_in(client):
    assert sign_in(client).status_code == 302
    return client


@pytest.fixture
def store(app):
    """Open a store transaction on the app's database."""
    return lambda: session_scope(app.extensions["hn2301_engine"])
