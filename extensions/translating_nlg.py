"""Rasa's response generator, in the patient's language.

The responses in domain.yml are written in English, the source language; this generator, named
in endpoints.yml, fills them as Rasa's own does and then translates their text and buttons
through the patient catalog (bot/i18n.py). The language is decided from the conversation's own
messages (bot.conversation.language_of), exactly as the actions decide it, so a response and an
action's message in the same turn always agree.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.conversation import language_of
from bot.i18n import ENGLISH, gettext_for


def tracker_language(tracker: DialogueStateTracker) -> str:
    """The patient's language, from the tracker's user messages."""
    return language_of(
        (event.text or "", event.metadata)
        for event in tracker.events
        if isinstance(event, UserUttered)
    )


def translated(response: dict[str, Any], language: str) -> dict[str, Any]:
    """A filled response with its text and button titles in `language`."""
    if language == ENGLISH:
        return response
    _ = gettext_for(language)
    if response.get("text"):
        response["text"] = _(response["text"])
    for button in response.get("buttons") or []:
        if button.get("title"):
            button["title"] = _(button["title"])
    return response


class TranslatingNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """domain.yml's responses, translated into the patient's language."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None):
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if response is None:
            return None
        return translated(response, tracker_language(tracker))
