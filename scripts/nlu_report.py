"""Train the NLU on data/nlu and measure it on the held-out set, clean and with injected noise.

The held-out sentences (tests/nlu/heldout.yml) are never trained on. The noisy copy imitates a
tired patient on a phone: letters swapped or dropped, random capitals, punctuation left out. It is
made with a fixed seed, so two runs on the same model print the same figures.

    .venv/bin/python scripts/nlu_report.py                 # train into a temp dir, then evaluate
    .venv/bin/python scripts/nlu_report.py --model models/hn2301.tar.gz  # an existing model
    .venv/bin/python scripts/nlu_report.py --errors        # also list each wrong prediction

Figures: intent accuracy; intent macro-F1 over the held-out intents (a message sent to
nlu_fallback counts as wrong); entity F1, micro over medicine and vaccine, an entity counting only
when its label and exact span match; the share of messages sent to nlu_fallback.
"""

import argparse
import asyncio
import logging
import os
import random
import re
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELDOUT_FILE = ROOT / "tests" / "nlu" / "heldout.yml"
ENTITY_LABELS = frozenset({"medicine", "vaccine"})
FALLBACK_INTENT = "nlu_fallback"
NOISE_SEED = 2301

# Per word of four letters or more: the chance of a swapped pair and of a dropped letter.
SWAP_CHANCE = 0.12
DROP_CHANCE = 0.10
# Per word: the chance it is typed in capitals; per message: the chance its first letter is.
UPPER_WORD_CHANCE = 0.08
CAPITALISED_MESSAGE_CHANCE = 0.5
# Per punctuation mark not inside a number ("7.5", "1980-04-03" keep theirs): the chance it is
# left out.
DROP_PUNCTUATION_CHANCE = 0.8


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[Entity, ...]


def load_examples(path: Path) -> list[Example]:
    """Read a Rasa NLU YAML file into plain examples (only medicine and vaccine entities)."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for message in load_data(str(path)).intent_examples:
        entities = tuple(
            Entity(entity["start"], entity["end"], entity["entity"])
            for entity in message.get("entities", [])
            if entity["entity"] in ENTITY_LABELS
        )
        examples.append(Example(message.get("text"), message.get("intent"), entities))
    return examples


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    letters = list(word)
    if rng.random() < SWAP_CHANCE:
        at = rng.randrange(len(letters) - 1)
        letters[at], letters[at + 1] = letters[at + 1], letters[at]
    if rng.random() < DROP_CHANCE:
        del letters[rng.randrange(len(letters))]
    return "".join(letters)


def _drop_punctuation(word: str, rng: random.Random) -> str:
    kept = []
    for index, char in enumerate(word):
        inside_number = (
            0 < index < len(word) - 1 and word[index - 1].isdigit() and word[index + 1].isdigit()
        )
        dropped = char in string.punctuation and not inside_number
        if dropped and rng.random() < DROP_PUNCTUATION_CHANCE:
            continue
        kept.append(char)
    return "".join(kept)


def _noisy_piece(piece: str, rng: random.Random) -> str:
    """Add noise word by word; whitespace is kept, so word and entity boundaries stay put."""
    parts = re.split(r"(\s+)", piece)
    noisy = []
    for part in parts:
        if not part or part.isspace():
            noisy.append(part)
            continue
        word = _drop_punctuation(_typo(part, rng), rng)
        if rng.random() < UPPER_WORD_CHANCE:
            word = word.upper()
        noisy.append(word)
    return "".join(noisy)


def add_noise(example: Example, rng: random.Random) -> Example:
    """A noisy copy of the example, its entity spans moved to where the noisy words are."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for entity in sorted(example.entities, key=lambda entity: entity.start):
        pieces.append((example.text[position : entity.start], None))
        pieces.append((example.text[entity.start : entity.end], entity.label))
        position = entity.end
    pieces.append((example.text[position:], None))

    text = ""
    entities = []
    for piece, label in pieces:
        noisy = _noisy_piece(piece, rng)
        if label is not None:
            entities.append(Entity(len(text), len(text) + len(noisy), label))
        text += noisy
    if text and rng.random() < CAPITALISED_MESSAGE_CHANCE:
        text = text[0].upper() + text[1:]
    return Example(text, example.intent, tuple(entities))


def noisy_copy(examples: list[Example], seed: int = NOISE_SEED) -> list[Example]:
    rng = random.Random(seed)
    return [add_noise(example, rng) for example in examples]


@dataclass(frozen=True)
class Scores:
    intent_accuracy: float
    intent_macro_f1: float
    entity_f1: float
    fallback_share: float


def _f1(true_positives: int, predicted: int, gold: int) -> float:
    if predicted == 0 or gold == 0:
        return 1.0 if predicted == gold else 0.0
    precision = true_positives / predicted
    recall = true_positives / gold
    return 0.0 if true_positives == 0 else 2 * precision * recall / (precision + recall)


def score(examples: list[Example], predictions: list[tuple[str, frozenset[Entity]]]) -> Scores:
    """Intent accuracy, macro-F1 over the gold intents, micro entity F1 on exact spans."""
    gold_intents = [example.intent for example in examples]
    predicted_intents = [intent for intent, _ in predictions]
    correct = sum(
        gold == predicted for gold, predicted in zip(gold_intents, predicted_intents, strict=True)
    )
    intent_f1s = []
    for intent in sorted(set(gold_intents)):
        hits = sum(g == p == intent for g, p in zip(gold_intents, predicted_intents, strict=True))
        intent_f1s.append(_f1(hits, predicted_intents.count(intent), gold_intents.count(intent)))
    gold_entities = [frozenset(example.entities) for example in examples]
    predicted_entities = [entities for _, entities in predictions]
    entity_hits = sum(len(g & p) for g, p in zip(gold_entities, predicted_entities, strict=True))
    entity_f1 = _f1(
        entity_hits,
        sum(map(len, predicted_entities)),
        sum(map(len, gold_entities)),
    )
    return Scores(
        intent_accuracy=correct / len(examples),
        intent_macro_f1=sum(intent_f1s) / len(intent_f1s),
        entity_f1=entity_f1,
        fallback_share=predicted_intents.count(FALLBACK_INTENT) / len(examples),
    )


def train(output_dir: Path) -> tuple[Path, float]:
    """Train an NLU-only model on data/nlu with config.yml; return it and the seconds it took."""
    rasa = Path(sys.executable).parent / "rasa"
    started = time.monotonic()
    subprocess.run(
        [
            str(rasa), "train", "nlu", "--nlu", "data/nlu", "--config", "config.yml",
            "--out", str(output_dir), "--fixed-model-name", "nlu", "--quiet",
        ],
        cwd=ROOT,
        check=True,
        env={**os.environ, "RASA_CACHE_DIRECTORY": str(output_dir / "cache")},
    )  # fmt: skip
    return output_dir / "nlu.tar.gz", time.monotonic() - started


def predict(agent, examples: list[Example]) -> list[tuple[str, frozenset[Entity]]]:
    """Parse every example with a loaded rasa Agent: the intent and the entities found."""

    async def parse_all() -> list[tuple[str, frozenset[Entity]]]:
        predictions = []
        for example in examples:
            parsed = await agent.parse_message(example.text)
            entities = frozenset(
                Entity(entity["start"], entity["end"], entity["entity"])
                for entity in parsed.get("entities", [])
                if entity["entity"] in ENTITY_LABELS
            )
            predictions.append((parsed["intent"]["name"], entities))
        return predictions

    return asyncio.run(parse_all())


def print_errors(
    name: str, examples: list[Example], predictions: list[tuple[str, frozenset[Entity]]]
) -> None:
    """One line per held-out message whose intent or entities came out wrong."""
    for example, (intent, entities) in zip(examples, predictions, strict=True):
        if intent != example.intent or entities != frozenset(example.entities):
            found = sorted(example.text[entity.start : entity.end] for entity in entities)
            wanted = sorted(example.text[entity.start : entity.end] for entity in example.entities)
            print(f"{name}: {example.text!r}: {example.intent} -> {intent}", end="")
            print(f"; entities {wanted} -> {found}" if found != wanted else "")


def print_table(rows: dict[str, Scores]) -> None:
    header = f"{'held-out set':<14}{'intent acc':>12}{'intent F1':>12}{'entity F1':>12}"
    print(header + f"{'fallback':>11}")
    print("-" * (len(header) + 11))
    for name, scores in rows.items():
        print(
            f"{name:<14}{scores.intent_accuracy:>12.3f}{scores.intent_macro_f1:>12.3f}"
            f"{scores.entity_f1:>12.3f}{scores.fallback_share:>11.1%}"
        )


def _quiet_rasa() -> None:
    """Keep Rasa's per-message debug lines and warnings out of the report."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.ERROR)
    configure_structlog(logging.ERROR)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="evaluate this model instead of training one")
    parser.add_argument("--seed", type=int, default=NOISE_SEED, help="seed of the noisy copy")
    parser.add_argument("--errors", action="store_true", help="also list every wrong prediction")
    args = parser.parse_args()
    _quiet_rasa()

    clean = load_examples(HELDOUT_FILE)
    noisy = noisy_copy(clean, args.seed)
    with tempfile.TemporaryDirectory(prefix="nlu-report-") as temp_dir:
        if args.model:
            model, training_seconds = args.model, None
        else:
            model, training_seconds = train(Path(temp_dir))
        from rasa.core.agent import Agent

        agent = Agent.load(str(model))
        predictions = {"clean": predict(agent, clean), "noisy": predict(agent, noisy)}
    examples = {"clean": clean, "noisy": noisy}
    rows = {name: score(examples[name], predictions[name]) for name in examples}
    if args.errors:
        for name in examples:
            print_errors(name, examples[name], predictions[name])
    print()
    print(f"Held-out: {HELDOUT_FILE.relative_to(ROOT)}, {len(clean)} messages,", end=" ")
    print(f"{sum(len(e.entities) for e in clean)} entities; noise seed {args.seed}")
    if training_seconds is not None:
        print(f"NLU training took {training_seconds:.0f} s")
    print("Noisy samples: " + " | ".join(example.text for example in noisy[:: len(noisy) // 4]))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
