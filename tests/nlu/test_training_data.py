"""The NLU training data, the held-out set and domain.yml agree, and the held-out set is unseen."""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parents[2]
HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout.yml"
HELDOUT_ZH_FILE = ROOT / "tests" / "nlu" / "heldout_zh.yml"
HAN = re.compile(r"[\u3400-\u9fff]")
MIN_EXAMPLES_PER_INTENT = 15


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def training():
    return load_data(str(ROOT / "data" / "nlu"))


@pytest.fixture(scope="module")
def heldout():
    return load_data(str(HELDOUT_FILE)).merge(load_data(str(HELDOUT_ZH_FILE)))


@pytest.fixture(scope="module")
def heldout_zh():
    return load_data(str(HELDOUT_ZH_FILE))


@pytest.fixture(scope="module")
def domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_training_data_has_every_domain_intent_and_no_other(training, domain):
    assert training.intents == set(domain["intents"])


def test_every_intent_has_enough_examples(training):
    counts = Counter(message.get("intent") for message in training.intent_examples)
    too_few = {intent: n for intent, n in counts.items() if n < MIN_EXAMPLES_PER_INTENT}
    assert not too_few
    assert counts["inform"] == max(counts.values())


def test_entities_are_the_domain_entities(training, heldout, domain):
    assert training.entities == set(domain["entities"])
    assert heldout.entities <= set(domain["entities"])


def test_heldout_covers_every_domain_intent(heldout, domain):
    assert heldout.intents == set(domain["intents"])


def test_chinese_heldout_covers_every_domain_intent_in_chinese(heldout_zh, domain):
    assert heldout_zh.intents == set(domain["intents"])
    assert all(HAN.search(message.get("text")) for message in heldout_zh.intent_examples)


def test_every_intent_is_trained_in_chinese(training, domain):
    chinese = Counter(
        message.get("intent")
        for message in training.intent_examples
        if HAN.search(message.get("text"))
    )
    assert {intent for intent, n in chinese.items() if n >= 10} == set(domain["intents"])


def test_no_heldout_sentence_is_in_the_training_data(training, heldout):
    trained = {_normalised(message.get("text")) for message in training.intent_examples}
    seen = [
        message.get("text")
        for message in heldout.intent_examples
        if _normalised(message.get("text")) in trained
    ]
    assert not seen


def test_no_sentence_is_trained_under_two_intents(training):
    intents_by_text: dict[str, set[str]] = {}
    for message in training.intent_examples:
        intents_by_text.setdefault(_normalised(message.get("text")), set()).add(
            message.get("intent")
        )
    assert not {text: intents for text, intents in intents_by_text.items() if len(intents) > 1}
