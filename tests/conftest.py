"""Fixtures shared across test packages (the running stack lives in tests/support)."""

from tests.support.stack import rasa_stack

__all__ = ["rasa_stack"]
