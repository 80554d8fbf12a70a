"""actions.common: the transcript the study team reads."""

from __future__ import annotations

from actions.common import MAX_BUTTON_TITLE, transcript_from
from tests.actions.conftest import make_tracker


def user(text, metadata=None):
    return {"event": "user", "text": text, "timestamp": 1.0, "metadata": metadata or {}}


def test_a_pressed_button_is_shown_by_the_words_the_patient_pressed():
    tracker = make_tracker(
        events=[
            {"event": "bot", "text": "您同意吗？", "timestamp": 0.5},
            user("yes", {"language": "zh", "pressed": "是，我同意"}),
            user("38岁", {"language": "zh"}),
        ]
    )
    transcript = transcript_from(tracker)
    assert [entry["text"] for entry in transcript] == ["您同意吗？", "是，我同意", "38岁"]
    assert transcript[1]["button"] is True
    assert "button" not in transcript[2]


def test_pressed_words_are_only_a_button_title():
    """A client's metadata is the patient's own words at most: never longer than a title, and
    never on the assistant's side."""
    tracker = make_tracker(
        events=[
            user("yes", {"pressed": "x" * (MAX_BUTTON_TITLE + 1)}),
            user("no", {"pressed": 42}),
            {"event": "bot", "text": "Thanks", "timestamp": 2.0, "metadata": {"pressed": "Hi"}},
        ]
    )
    assert [entry["text"] for entry in transcript_from(tracker)] == ["yes", "no", "Thanks"]
