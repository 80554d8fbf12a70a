"""Fixtures and helpers shared across test packages: the running assistant, a browser, and
screenings put in the store as the actions leave them (referrals.py)."""
