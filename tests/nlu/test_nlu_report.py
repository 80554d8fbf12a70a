"""The noisy copy and the scores of scripts/nlu_report.py (the training itself is not run here)."""

import random

import pytest


@pytest.fixture(scope="module")
def heldout(nlu_report):
    return nlu_report.load_heldout()


def test_heldout_examples_carry_their_entity_spans(heldout):
    with_entities = [example for example in heldout if example.entities]
    assert with_entities
    for example in with_entities:
        for entity in example.entities:
            assert (
                example.text[entity.start : entity.end].strip()
                == (example.text[entity.start : entity.end])
            )


def test_noisy_copy_is_the_same_for_the_same_seed_and_differs_for_another(nlu_report, heldout):
    assert nlu_report.noisy_copy(heldout, 7) == nlu_report.noisy_copy(heldout, 7)
    assert nlu_report.noisy_copy(heldout, 7) != nlu_report.noisy_copy(heldout, 8)


def test_noise_changes_many_messages_but_keeps_intents(nlu_report, heldout):
    noisy = nlu_report.noisy_copy(heldout)
    changed = sum(clean.text != dirty.text for clean, dirty in zip(heldout, noisy, strict=True))
    assert changed >= len(heldout) // 3
    assert [example.intent for example in noisy] == [example.intent for example in heldout]


def test_noisy_entity_spans_cover_the_noisy_entity_words(nlu_report, heldout):
    noisy = nlu_report.noisy_copy(heldout)
    for clean, dirty in zip(heldout, noisy, strict=True):
        assert [entity.label for entity in dirty.entities] == [
            entity.label for entity in sorted(clean.entities, key=lambda entity: entity.start)
        ]
        for clean_entity, dirty_entity in zip(
            sorted(clean.entities, key=lambda entity: entity.start), dirty.entities, strict=True
        ):
            clean_words = clean.text[clean_entity.start : clean_entity.end].split()
            dirty_words = dirty.text[dirty_entity.start : dirty_entity.end].split()
            assert len(dirty_words) == len(clean_words)
            for clean_word, dirty_word in zip(clean_words, dirty_words, strict=True):
                assert len(dirty_word) > 0 and len(clean_word) - len(dirty_word) <= 2
                assert len(dirty_word) <= len(clean_word)


def test_noise_drops_most_punctuation_but_none_inside_numbers(nlu_report):
    example = nlu_report.Example("7.5 mg, born 1980-04-03!!! why?", "inform", ())
    marks = sum(char in ",!?" for char in example.text)
    rng = random.Random(1)
    kept = 0
    for _ in range(50):
        noisy = nlu_report.add_noise(example, rng).text
        assert "7.5" in noisy
        assert "1980-04-03" in noisy
        kept += sum(char in ",!?" for char in noisy)
    assert kept < 0.4 * marks * 50


def test_both_languages_and_mixed_messages_are_held_out(nlu_report, heldout):
    groups = nlu_report.by_language(heldout)
    assert len(groups["en"]) > 150
    assert len(groups["zh"]) > 100
    assert len(groups["mixed"]) >= 10
    assert set(groups["mixed"]) <= set(groups["zh"])
    assert nlu_report.language_of("吃plaquenil") == "zh"
    assert nlu_report.is_mixed("吃plaquenil")
    assert not nlu_report.is_mixed("45岁")


def test_chinese_noise_uses_homophones_traditional_forms_widths_and_drops(nlu_report, heldout):
    chinese = [example for example in heldout if nlu_report.language_of(example.text) == "zh"]
    noisy = nlu_report.noisy_copy(chinese)
    homophones = set(nlu_report.HOMOPHONES.values())
    traditional = set(nlu_report.TRADITIONAL.values())
    clean_text = "".join(example.text for example in chinese)
    noisy_text = "".join(example.text for example in noisy)
    assert set(noisy_text) & traditional - set(clean_text)
    assert set(noisy_text) & homophones
    assert "，" in clean_text and "," in noisy_text
    assert len(noisy_text) < len(clean_text)
    changed = sum(clean.text != dirty.text for clean, dirty in zip(chinese, noisy, strict=True))
    assert changed >= len(chinese) // 2


def test_chinese_noise_keeps_latin_words_and_numbers_readable(nlu_report):
    example = nlu_report.Example("我吃plaquenil 200mg，一天两次", "inform", ())
    rng = random.Random(3)
    for _ in range(30):
        noisy = nlu_report.add_noise(example, rng).text
        assert "200mg" in noisy
        assert noisy[0] in "我窝"


def test_perfect_predictions_score_one(nlu_report):
    examples = [
        nlu_report.Example("plaquenil", "inform", (nlu_report.Entity(0, 9, "medicine"),)),
        nlu_report.Example("why", "ask_why", ()),
    ]
    predictions = [(example.intent, frozenset(example.entities)) for example in examples]
    scores = nlu_report.score(examples, predictions)
    assert scores == nlu_report.Scores(1.0, 1.0, 1.0, 0.0)


def test_scores_count_fallback_as_wrong_and_entities_by_exact_span(nlu_report):
    Entity, Example = nlu_report.Entity, nlu_report.Example
    examples = [
        Example(
            "plaquenil and pfizer", "inform", (Entity(0, 9, "medicine"), Entity(14, 20, "vaccine"))
        ),
        Example("why", "ask_why", ()),
        Example("hiya", "greet", ()),
        Example("hello", "greet", ()),
    ]
    predictions = [
        ("inform", frozenset({Entity(0, 9, "medicine"), Entity(14, 19, "vaccine")})),
        ("ask_why", frozenset()),
        ("nlu_fallback", frozenset()),
        ("greet", frozenset()),
    ]
    scores = nlu_report.score(examples, predictions)
    assert scores.intent_accuracy == pytest.approx(0.75)
    # inform 1.0, ask_why 1.0, greet: precision 1, recall 0.5 -> 2/3
    assert scores.intent_macro_f1 == pytest.approx((1 + 1 + 2 / 3) / 3)
    # 1 of 2 predicted spans right, 1 of 2 gold spans found
    assert scores.entity_f1 == pytest.approx(0.5)
    assert scores.fallback_share == pytest.approx(0.25)
