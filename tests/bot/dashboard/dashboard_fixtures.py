"""The dashboard test fixtures, importable from other folders (tests/security) as well."""

import pytest

from bot.store.db import session_scope
from tests.bot.dashboard.dashboard_helpers import Clock, dashboard_app, sign_in


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, clock):
    with dashboard_app(tmp_path, clock) as app:
        yield app


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
