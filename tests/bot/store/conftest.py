"""A migrated, empty store on SQLite (temp file) and on the machine's real PostgreSQL.

PostgreSQL tests run in a schema of their own, dropped afterwards, so parallel runs and other
data in database `test` stay apart. If PostgreSQL does not answer, the tests fail when CI=true
(CI guarantees it is up) and are skipped with the reason otherwise.
"""

import os
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.store.db import make_engine, upgrade_database

POSTGRES_URL = os.environ.get(
    "HN2301_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


def _postgres_schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def postgresql_url():
    admin = create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 5})
    try:
        admin.connect().close()
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL at {POSTGRES_URL} is not reachable: {error.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"hn2301_test_{secrets.token_hex(6)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request):
    """The URL of an empty, migrated store, once per database."""
    url = request.getfixturevalue(f"{request.param}_url")
    upgrade_database(url)
    return url


@pytest.fixture
def engine(store_url):
    engine = make_engine(store_url)
    yield engine
    engine.dispose()
