"""Additions to the Rasa server itself (loaded by endpoints.yml), kept apart from bot/."""
