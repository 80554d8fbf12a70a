"""Compare the context readers on labelled patient phrases: our bot.parsing.context against
medspaCy's ConText (issue 8).

Each case in scripts/context_cases.yml is {text, mention, status}: what the patient means about
the mention (present, negated, past, planned, other_person, negative_test). medspaCy lives in a
throw-away venv, never in the project's:

    ~/.pyenv/versions/3.10.13/bin/python -m venv /tmp/msvenv
    /tmp/msvenv/bin/pip install medspacy==1.3.1 pydantic==1.10.9 pyyaml
    .venv/bin/python scripts/context_compare.py                      # our reader
    PYTHONPATH=. /tmp/msvenv/bin/python scripts/context_compare.py --medspacy

With --medspacy it runs medspaCy ConText twice: its default rules, then the same rules plus a
few for patients' words (EXTRA_RULES below), reported separately. The mention is set as the
doc's only entity (its character span, widened to whole tokens); medspaCy's own sentencizer
(PyRuSH) and ConText then run on the raw text.

Mapping of medspaCy's attributes: is_family -> other_person, is_negated -> negated,
is_hypothetical -> planned, is_historical -> past (first that is set, in that order);
is_uncertain alone -> "uncertain" (no status of ours: always a miss, and not present);
nothing -> present. For both readers a "negated" answer to a negative_test case counts as a
match (both mean "not the patient's fact"; medspaCy has no negative-test category); the
"strict" figure does not allow that. "Coarse" is present vs not present, which decides
eligibility.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = ROOT / "scripts" / "context_cases.yml"
STATUSES = ("present", "negated", "past", "planned", "other_person", "negative_test")
LANGUAGES = ("English", "Chinese", "mixed")
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile("[A-Za-z]")
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{2,5}(?![A-Za-z])")

# (literal, category, direction): patients' words missing from medspaCy's clinical defaults.
EXTRA_RULES = (
    ("used to", "HISTORICAL", "FORWARD"),
    ("was on", "HISTORICAL", "FORWARD"),
    ("previously", "HISTORICAL", "FORWARD"),
    ("came off", "HISTORICAL", "FORWARD"),
    ("no longer", "HISTORICAL", "FORWARD"),
    ("stopped", "HISTORICAL", "BIDIRECTIONAL"),
    ("in the past", "HISTORICAL", "BIDIRECTIONAL"),
    ("not anymore", "HISTORICAL", "BACKWARD"),
    ("wants me to try", "HYPOTHETICAL", "FORWARD"),
    ("wants me to start", "HYPOTHETICAL", "FORWARD"),
    ("going to start", "HYPOTHETICAL", "FORWARD"),
    ("next month", "HYPOTHETICAL", "BACKWARD"),
    ("next week", "HYPOTHETICAL", "BACKWARD"),
    ("my mum", "FAMILY", "FORWARD"),
    ("my mom", "FAMILY", "FORWARD"),
    ("my mother", "FAMILY", "FORWARD"),
    ("my dad", "FAMILY", "FORWARD"),
    ("my sister", "FAMILY", "FORWARD"),
    ("my brother", "FAMILY", "FORWARD"),
    ("my husband", "FAMILY", "FORWARD"),
    ("negative", "NEGATED_EXISTENCE", "BACKWARD"),
)


def load_cases(path: Path = CASES_FILE) -> list[dict]:
    """The labelled cases, each checked: a known status, the mention once in the text."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    for case in cases:
        if case["status"] not in STATUSES:
            raise ValueError(f"unknown status {case['status']!r}: {case}")
        if case["text"].casefold().count(case["mention"].casefold()) != 1:
            raise ValueError(f"mention not exactly once in its text: {case}")
        case["language"] = language(case["text"])
    return cases


def language(text: str) -> str:
    """English, Chinese or mixed; an acronym in capitals (HIV, TB) is no English word."""
    words = _ACRONYM.sub(" ", text)
    chinese, latin = bool(_CJK.search(words)), bool(_LATIN.search(words))
    return "mixed" if chinese and latin else "Chinese" if chinese else "English"


def our_reader():
    """Our bot.parsing.context.status, as a function of (text, mention)."""
    sys.path.insert(0, str(ROOT))
    from bot.parsing import context
    from bot.parsing.text import prepare

    def read(text: str, mention: str) -> str:
        prepared = prepare(text)
        start = prepared.index(prepare(mention))
        return context.status(prepared, start, start + len(prepare(mention)))

    return read


def medspacy_reader(extra_rules: bool):
    """medspaCy ConText (default rules, optionally EXTRA_RULES) as a function of (text,
    mention), and its load time in seconds."""
    from loguru import logger  # PyRuSH logs every token at DEBUG

    logger.remove()
    began = time.perf_counter()
    import medspacy
    from medspacy.context import ConTextRule

    nlp = medspacy.load(medspacy_disable=["medspacy_target_matcher"])
    sentencizer = nlp.get_pipe("medspacy_pyrush")
    context = nlp.get_pipe("medspacy_context")
    if extra_rules:
        context.add([ConTextRule(lit, cat, direction=way) for lit, cat, way in EXTRA_RULES])
    loaded = time.perf_counter() - began

    def read(text: str, mention: str) -> str:
        doc = sentencizer(nlp.make_doc(text))
        start = text.casefold().index(mention.casefold())
        span = doc.char_span(start, start + len(mention), label="MENTION", alignment_mode="expand")
        doc.ents = [span]
        ent = context(doc).ents[0]
        for attribute, found in (
            ("is_family", "other_person"),
            ("is_negated", "negated"),
            ("is_hypothetical", "planned"),
            ("is_historical", "past"),
            ("is_uncertain", "uncertain"),
        ):
            if getattr(ent._, attribute):
                return found
        return "present"

    return read, loaded


def matches(expected: str, found: str, *, strict: bool = False) -> bool:
    return found == expected or (not strict and expected == "negative_test" and found == "negated")


def percent(hits: int, total: int) -> str:
    return f"{hits}/{total} = {100 * hits / total:.1f}%" if total else "-"


def evaluate(name: str, read, cases: list[dict]) -> None:
    began = time.perf_counter()
    found = [read(case["text"], case["mention"]) for case in cases]
    per_message = (time.perf_counter() - began) / len(cases)
    hits = [matches(case["status"], got) for case, got in zip(cases, found, strict=True)]
    strict = [matches(c["status"], got, strict=True) for c, got in zip(cases, found, strict=True)]
    coarse = [
        (case["status"] == "present") == (got == "present")
        for case, got in zip(cases, found, strict=True)
    ]
    print(f"\n=== {name} ({len(cases)} cases, {1000 * per_message:.2f} ms per message) ===")
    print(f"accuracy           {percent(sum(hits), len(cases))}")
    print(f"strict             {percent(sum(strict), len(cases))}")
    print(f"coarse present/not {percent(sum(coarse), len(cases))}")
    for label, key, values in (
        ("status", "status", STATUSES),
        ("language", "language", LANGUAGES),
    ):
        groups: dict[str, list[bool]] = defaultdict(list)
        coarse_groups: dict[str, list[bool]] = defaultdict(list)
        for case, hit, rough in zip(cases, hits, coarse, strict=True):
            groups[case[key]].append(hit)
            coarse_groups[case[key]].append(rough)
        print(f"per {label}:")
        for value in values:
            group, rough = groups[value], coarse_groups[value]
            print(
                f"  {value:<14} {percent(sum(group), len(group)):<18}"
                f" coarse {percent(sum(rough), len(rough))}"
            )
    misses = [(c, got) for c, got, hit in zip(cases, found, hits, strict=True) if not hit]
    print(f"misses ({len(misses)}):")
    for case, got in misses:
        print(f"  [{case['status']} -> {got}] {case['mention']!r} in {case['text']!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--medspacy", action="store_true", help="evaluate medspaCy ConText instead of ours"
    )
    parser.add_argument("--cases", type=Path, default=CASES_FILE)
    args = parser.parse_args()
    cases = load_cases(args.cases)
    if not args.medspacy:
        evaluate("our reader (bot.parsing.context)", our_reader(), cases)
        return
    for extra in (False, True):
        read, loaded = medspacy_reader(extra)
        name = "medspaCy ConText " + (
            f"+ {len(EXTRA_RULES)} patient rules" if extra else "default rules"
        )
        print(f"\n{name}: loaded in {loaded:.2f} s")
        evaluate(name, read, cases)


if __name__ == "__main__":
    main()
