"""Whole conversations written as data (tests/conversations/*.yml), played over REST or a page.

The conversation's wording belongs to its author, so tests never hard-code questions: a file says
what the patient answers after each bot turn (`say` types text, `click` presses the button with
that title), optionally what that bot reply must contain (`expect`), and what the bot's last
replies must contain (`expect_final_contains`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from scripts.stack import Stack
from tests.support.stack import talk_raw

CONVERSATIONS_DIR = Path(__file__).resolve().parent.parent / "conversations"


@dataclass(frozen=True)
class Turn:
    """One patient move: type `say`, or press the button titled `click`."""

    say: str | None = None
    click: str | None = None
    expect: str | None = None

    def __post_init__(self) -> None:
        if (self.say is None) == (self.click is None):
            raise ValueError(f"a turn needs exactly one of `say` or `click`: {self}")

    @property
    def shown(self) -> str:
        return self.say if self.say is not None else f"[{self.click}]"


@dataclass(frozen=True)
class Conversation:
    name: str
    turns: list[Turn]
    expect_final_contains: str


def load_conversation(name: str) -> Conversation:
    """Read tests/conversations/<name>.yml."""
    data = yaml.safe_load((CONVERSATIONS_DIR / f"{name}.yml").read_text())
    return Conversation(
        name=name,
        turns=[Turn(**turn) for turn in data["turns"]],
        expect_final_contains=data["expect_final_contains"],
    )


class ConversationFailed(AssertionError):
    """The bot did not answer as the file expects; the message shows the whole exchange."""


def play(
    conversation: Conversation,
    send_text: Callable[[str], list[str]],
    press: Callable[[str], list[str]],
) -> list[str]:
    """Play every turn through `send_text` / `press` (each returns the bot's new texts).

    Returns the bot's texts after the last turn, once they contain `expect_final_contains`.
    """
    transcript: list[str] = []
    replies: list[str] = []
    for number, turn in enumerate(conversation.turns, start=1):
        transcript.append(f"patient: {turn.shown}")
        try:
            replies = send_text(turn.say) if turn.say is not None else press(turn.click or "")
        except Exception as error:
            raise ConversationFailed(
                f"{conversation.name}, turn {number} ({turn.shown}) failed: {error}\n"
                + "\n".join(transcript)
            ) from error
        transcript.extend(f"bot: {reply}" for reply in replies)
        if turn.expect and not any(turn.expect.lower() in reply.lower() for reply in replies):
            raise ConversationFailed(
                f"{conversation.name}, turn {number}: expected {turn.expect!r}\n"
                + "\n".join(transcript)
            )
    final = conversation.expect_final_contains.lower()
    if not any(final in reply.lower() for reply in replies):
        raise ConversationFailed(
            f"{conversation.name}: the last replies lack {conversation.expect_final_contains!r}\n"
            + "\n".join(transcript)
        )
    return replies


def play_over_rest(stack: Stack, sender: str, conversation: Conversation) -> list[str]:
    """Play a conversation through the REST channel, pressing buttons by sending their payload."""
    last_buttons: dict[str, str] = {}

    def exchange(text: str) -> list[str]:
        messages = talk_raw(stack, sender, text)
        buttons = {b["title"]: b["payload"] for m in messages for b in m.get("buttons", [])}
        last_buttons.clear()
        last_buttons.update(buttons)
        return [m["text"] for m in messages if m.get("text")]

    def press(title: str) -> list[str]:
        if title not in last_buttons:
            raise LookupError(f"no button {title!r}; the bot offered {sorted(last_buttons)}")
        return exchange(last_buttons[title])

    return play(conversation, exchange, press)
