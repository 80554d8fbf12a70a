"""The trained NLU (models/hn2301.tar.gz, from `make model`) reads answers as answers.

These guard the figures `make nlu-report` prints: a change to the training data that breaks
held-out accuracy, or makes a button's own answer look like a digression, fails `make test`.
"""

import logging
import re

import pytest
import yaml

ANSWER_INTENTS = {"affirm", "deny", "unsure", "inform"}
# Per language of the held-out sets (heldout.yml, heldout_zh.yml), clean: a few points under the
# figures of `make nlu-report` (README), so a change that loses one language fails.
MIN_HELDOUT_INTENT_ACCURACY = {"en": 0.90, "zh": 0.90}
MIN_HELDOUT_ENTITY_F1 = {"en": 0.90, "zh": 0.90}


@pytest.fixture(scope="module")
def agent(train_if_stale):
    if not train_if_stale.MODEL.exists():
        pytest.fail(f"no trained model at {train_if_stale.MODEL}: run `make model`")
    if train_if_stale.FINGERPRINT.read_text() != train_if_stale.inputs_fingerprint():
        pytest.fail("the trained model is older than its training data: run `make model`")
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)
    return Agent.load(str(train_if_stale.MODEL))


def _answers_the_trial_suggests(train_if_stale) -> list[str]:
    """Every button payload, and every quoted example answer in the questions' wording."""
    trial_file = train_if_stale.ROOT / "bot" / "trials" / "hn2301.yml"
    trial = yaml.safe_load(trial_file.read_text(encoding="utf-8"))
    answers = []
    for question in trial["questions"]:
        answers += [button["payload"] for button in question.get("buttons", [])]
        answers += re.findall(r'"([^"]+)"', f"{question['ask']} {question['reask']}")
    return list(dict.fromkeys(answers))


def test_suggested_answers_are_read_as_answers(agent, train_if_stale, nlu_report):
    answers = _answers_the_trial_suggests(train_if_stale)
    assert len(answers) > 30
    examples = [nlu_report.Example(text, "inform", ()) for text in answers]
    predictions = nlu_report.predict(agent, examples)
    misread = {
        text: intent
        for text, (intent, _) in zip(answers, predictions, strict=True)
        if intent not in ANSWER_INTENTS
    }
    assert not misread


@pytest.mark.parametrize("language", ["en", "zh"])
def test_heldout_accuracy_stays_above_its_floor(agent, nlu_report, language):
    heldout = nlu_report.load_heldout()
    examples = [heldout[index] for index in nlu_report.by_language(heldout)[language]]
    scores = nlu_report.score(examples, nlu_report.predict(agent, examples))
    assert scores.intent_accuracy >= MIN_HELDOUT_INTENT_ACCURACY[language]
    assert scores.entity_f1 >= MIN_HELDOUT_ENTITY_F1[language]
