"""Alembic environment: migrate the connection `upgrade_database` hands over, or a URL."""

from alembic import context

from bot.store.db import make_engine
from bot.store.models import Base

target_metadata = Base.metadata


def run_migrations(connection) -> None:
    """Run the pending migrations on `connection` (batch mode lets SQLite alter tables)."""
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given_connection = context.config.attributes.get("connection")
if given_connection is not None:
    run_migrations(given_connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        run_migrations(connection)
    engine.dispose()
