"""Fixtures and helpers shared by the tests that need the running assistant or a browser."""
