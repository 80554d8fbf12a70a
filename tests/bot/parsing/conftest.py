"""Shared fixtures of the parser tests: one fixed day and the shipped lexicon."""

from __future__ import annotations

import datetime

import pytest

from bot.lexicon import Lexicon, load_lexicon

TODAY = datetime.date(2026, 11, 24)  # a Tuesday


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return load_lexicon()


@pytest.fixture(scope="session")
def today() -> datetime.date:
    return TODAY
