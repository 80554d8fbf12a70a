"""A dashboard on a migrated temp SQLite store, with a steppable clock and a coordinator."""

from tests.bot.dashboard.dashboard_fixtures import app, client, clock, signed_in, store

__all__ = ["app", "client", "clock", "signed_in", "store"]
