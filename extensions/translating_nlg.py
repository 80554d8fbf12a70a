"""Rasa's response generator, in the patient's language.

The responses in domain.yml are written in English, the source language; this generator, named
in endpoints.yml, picks one as Rasa's own does, translates its text and buttons through the
patient catalog (bot/i18n.py), then fills in the study's facts from the trial definition
(`{site}`..., bot.messages.study_facts) and any slots. The language is decided from the
conversation's own messages (bot.conversation.language_of), exactly as the actions decide it, so
a response and an action's message in the same turn always agree.
"""

from __future__ import annotations

import copy
from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.conversation import language_of
from bot.i18n import ENGLISH, gettext_for
from bot.messages import study_facts
from bot.trial import load_trial


def tracker_language(tracker: DialogueStateTracker) -> str:
    """The patient's language, from the tracker's user messages."""
    return language_of(
        (event.text or "", event.metadata)
        for event in tracker.events
        if isinstance(event, UserUttered)
    )


def translated(response: dict[str, Any], language: str) -> dict[str, Any]:
    """A response with its text and button titles in `language` (before it is filled: the
    catalog holds the texts with their `{placeholders}`)."""
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
        filled_slots = tracker.current_slot_values()
        chosen = self._random_response_for(utter_action, output_channel, filled_slots)
        if chosen is None:
            return None
        language = tracker_language(tracker)
        response = translated(copy.deepcopy(chosen), language)
        facts = study_facts(load_trial(), language)
        return self._fill_response(response, filled_slots, **{**facts, **kwargs})
