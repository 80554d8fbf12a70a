"""Train the NLU on data/nlu and measure it on the held-out sets, per language, clean and noisy.

The held-out sentences (tests/nlu/heldout.yml in English, tests/nlu/heldout_zh.yml in Chinese and
mixed Chinese/English) are never trained on. Each message is scored under its language: "zh" when
it holds a Chinese character, else "en"; "mixed" (a Chinese character and a Latin word) is
reported again on its own. The noisy copy imitates a tired patient on a phone. English: letters
swapped or dropped, random capitals, punctuation left out. Chinese: a character typed as a
homophone, a character in its traditional form (both from small fixed tables), full-width and
half-width punctuation swapped, a character dropped; the Latin words of a mixed message get the
English noise. It is made with a fixed seed, so two runs on the same model print the same figures.

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
HELDOUT_ZH_FILE = ROOT / "tests" / "nlu" / "heldout_zh.yml"
HELDOUT_FILES = (HELDOUT_FILE, HELDOUT_ZH_FILE)
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

HAN = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Chinese noise, per Chinese character: the chance it is typed as a homophone from the table, the
# chance it is shown in its traditional form, the chance it is dropped (messages of three
# characters or more); per punctuation mark: the chance it is typed in the other width.
HOMOPHONE_CHANCE = 0.15
TRADITIONAL_CHANCE = 0.3
DROP_HAN_CHANCE = 0.05
WIDTH_SWAP_CHANCE = 0.7
# Pinyin-input slips patients make: the same syllable, another character.
HOMOPHONES = {
    "的": "得", "得": "的", "在": "再", "再": "在", "做": "作", "作": "做", "吗": "嘛", "嘛": "吗",
    "么": "麽", "他": "她", "以": "已", "已": "以", "是": "事", "事": "是", "那": "哪", "哪": "那",
    "知": "之", "道": "到", "到": "道", "开": "凯", "始": "史", "问": "闻", "题": "提", "删": "山",
    "除": "出", "数": "树", "据": "句", "停": "亭", "止": "只", "人": "仁", "工": "公", "谢": "泻",
    "见": "件", "同": "铜", "意": "义", "好": "号", "要": "药", "药": "要", "吃": "痴", "年": "念",
    "岁": "碎", "医": "一", "院": "远", "里": "理", "研": "言", "究": "久", "没": "美", "有": "又",
    "不": "布", "对": "队", "可": "克", "清": "青", "楚": "处", "记": "计", "疫": "易", "苗": "描",
    "针": "真", "松": "送", "龙": "隆", "新": "心", "返": "反", "回": "会", "重": "虫", "我": "窝",
    "你": "尼", "们": "门", "什": "神", "为": "位", "这": "着",
}  # fmt: skip
TRADITIONAL = {
    "这": "這", "个": "個", "问": "問", "题": "題", "为": "為", "么": "麼", "们": "們", "说": "說",
    "话": "話", "数": "數", "据": "據", "删": "刪", "后": "後", "谢": "謝", "见": "見", "开": "開",
    "医": "醫", "药": "藥", "吗": "嗎", "里": "裡", "对": "對", "没": "沒", "确": "確", "记": "記",
    "岁": "歲", "针": "針", "龙": "龍", "复": "復", "乐": "樂", "兴": "興", "国": "國", "泼": "潑",
    "羟": "羥", "麦": "麥", "环": "環", "试": "試", "验": "驗", "联": "聯", "系": "係", "电": "電",
    "号": "號", "码": "碼", "边": "邊", "过": "過", "还": "還", "请": "請", "让": "讓", "从": "從",
    "头": "頭", "来": "來", "结": "結", "单": "單", "择": "擇", "机": "機", "觉": "覺", "发": "發",
    "补": "補", "贴": "貼", "钱": "錢", "长": "長", "时": "時", "间": "間",
}  # fmt: skip
FULL_WIDTH = {
    ",": "，",
    ".": "。",
    "?": "？",
    "!": "！",
    ":": "：",
    ";": "；",
    "(": "（",
    ")": "）",
}
WIDTH_SWAPS = {**FULL_WIDTH, **{full: half for half, full in FULL_WIDTH.items()}}


def language_of(text: str) -> str:
    """ "zh" for a message with a Chinese character, else "en"."""
    return "zh" if HAN.search(text) else "en"


def is_mixed(text: str) -> bool:
    """A Chinese message that also holds a Latin word ("吃plaquenil", "ok 可以")."""
    return bool(HAN.search(text) and LATIN_WORD.search(text))


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


def load_heldout() -> list[Example]:
    """Both held-out sets, English first."""
    return [example for path in HELDOUT_FILES for example in load_examples(path)]


def by_language(examples: list[Example]) -> dict[str, list[int]]:
    """The indexes of the messages of each language, then those of the mixed ones."""
    groups: dict[str, list[int]] = {"en": [], "zh": [], "mixed": []}
    for index, example in enumerate(examples):
        groups[language_of(example.text)].append(index)
        if is_mixed(example.text):
            groups["mixed"].append(index)
    return groups


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


def _noisy_chinese(part: str, rng: random.Random) -> str:
    """Homophones, traditional forms, dropped characters and width swaps in a Chinese word."""
    chars = []
    for char in part:
        if HAN.match(char):
            if len(part) >= 3 and rng.random() < DROP_HAN_CHANCE:
                continue
            if char in HOMOPHONES and rng.random() < HOMOPHONE_CHANCE:
                char = HOMOPHONES[char]
            elif char in TRADITIONAL and rng.random() < TRADITIONAL_CHANCE:
                char = TRADITIONAL[char]
        elif char in WIDTH_SWAPS and rng.random() < WIDTH_SWAP_CHANCE:
            char = WIDTH_SWAPS[char]
        chars.append(char)
    return "".join(chars) or part


def _noisy_piece(piece: str, rng: random.Random) -> str:
    """Add noise word by word; whitespace is kept, so word and entity boundaries stay put."""
    if HAN.search(piece):
        # Chinese runs get the Chinese noise, Latin words inside them the English typos.
        runs = re.split(r"([A-Za-z]+)", piece)
        return "".join(
            _typo(run, rng) if run.isascii() else _noisy_chinese(run, rng) for run in runs
        )
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
    if text and language_of(example.text) == "en" and rng.random() < CAPITALISED_MESSAGE_CHANCE:
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

    clean = load_heldout()
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
    groups = by_language(clean)
    rows = {}
    for language, indexes in groups.items():
        for name in examples:
            rows[f"{language} {name}"] = score(
                [examples[name][i] for i in indexes], [predictions[name][i] for i in indexes]
            )
    for name in examples:
        rows[f"all {name}"] = score(examples[name], predictions[name])
    if args.errors:
        for name in examples:
            print_errors(name, examples[name], predictions[name])
    print()
    files = ", ".join(str(path.relative_to(ROOT)) for path in HELDOUT_FILES)
    counts = ", ".join(f"{len(indexes)} {language}" for language, indexes in groups.items())
    print(f"Held-out: {files}; {len(clean)} messages ({counts}),", end=" ")
    print(f"{sum(len(e.entities) for e in clean)} entities; noise seed {args.seed}")
    if training_seconds is not None:
        print(f"NLU training took {training_seconds:.0f} s")
    for language in ("en", "zh"):
        sample = [noisy[i].text for i in groups[language]]
        print(f"Noisy {language} samples: " + " | ".join(sample[:: max(1, len(sample) // 4)]))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
