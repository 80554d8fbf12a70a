"""Where the store lives and how to talk to it: URL, engine, transactions, migrations.

The chat must be able to tell a patient "please try again shortly" when the database is down, so
connection failures surface as one exception, `StoreUnavailable`, and a failed transaction is
rolled back whole: a referral is never half-written and never kept in memory instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from bot.settings import REPO_ROOT as REPO_ROOT  # its importers' name for it
from bot.settings import load_settings, variable

DATABASE_URL_VARIABLE = variable("database_url")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StoreUnavailable(RuntimeError):
    """The database cannot be reached; nothing was written. Ask the user to try again later."""


def database_url() -> str:
    """The store's URL: `HN2301_DATABASE_URL`, else a SQLite file under the repository's var/."""
    return load_settings().database_url


def _is_connection_failure(error: DBAPIError) -> bool:
    return isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default `database_url()`), creating a SQLite file's folder if needed."""
    parsed = make_url(url or database_url())
    connect_args: dict[str, object] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    elif parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = 5
    engine = create_engine(parsed, future=True, pool_pre_ping=True, connect_args=connect_args)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _enable_sqlite_foreign_keys(dbapi_connection, _connection_record) -> None:
    """SQLite ignores ON DELETE CASCADE unless asked, and deletion must reach every row."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    Connection failures (on connect or mid-transaction) are raised as `StoreUnavailable`.
    """
    session = Session(engine, future=True, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except DBAPIError as error:
        _rollback_quietly(session)
        if _is_connection_failure(error):
            raise StoreUnavailable("the referral store cannot be reached") from error
        raise
    except BaseException:
        _rollback_quietly(session)
        raise
    finally:
        session.close()


def _rollback_quietly(session: Session) -> None:
    """Roll back; if the connection is already gone there is nothing left to undo."""
    try:
        session.rollback()
    except DBAPIError:
        session.invalidate()


def alembic_config() -> Config:
    """Alembic's configuration, built in code so no alembic.ini has to be found or parsed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_database(url: str | None = None) -> None:
    """Apply every migration up to the newest (`alembic upgrade head`)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as error:
        if _is_connection_failure(error):
            raise StoreUnavailable("the referral store cannot be reached") from error
        raise
    finally:
        engine.dispose()
