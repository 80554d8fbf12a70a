"""The rasa_sdk action server: thin adapters from Rasa trackers to bot/ and back."""

from actions import privacy, referral, screening

__all__ = ["privacy", "referral", "screening"]
