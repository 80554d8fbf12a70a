"""The trial definition: criteria, questions and coordinator checks, loaded from YAML.

A broken definition must fail at start with the file, the entry and what is wrong, never with a
stack trace from deep inside the engine, so everything the engine relies on is checked here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.lexicon import Lexicon, load_lexicon
from bot.parsing import ANSWER_KINDS
from bot.rules import PREDICATES, RULES

TRIALS_DIR = Path(__file__).parent / "trials"
CRITERION_KINDS = ("self_reported", "verified", "information")
PROTOCOL_ITEM = re.compile(r"^(I[1-8]|E[1-9]|-)$")


class TrialDefinitionError(ValueError):
    """A trial definition that cannot be used, with the place and the problem."""

    def __init__(self, file: Path, entry: str, problem: str) -> None:
        super().__init__(f"{file}: {entry}: {problem}")
        self.file, self.entry, self.problem = file, entry, problem


@dataclass(frozen=True)
class Condition:
    """`<question>:<predicate>`: ask only when the predicate holds for that earlier answer."""

    question: str
    predicate: str


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Question:
    """One thing we ask, in plain words, and how its answer is read."""

    id: str
    answer: str
    ask: str
    reask: str
    why: str
    buttons: tuple[Button, ...] = ()
    ask_if: tuple[Condition, ...] = ()
    topic: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criterion:
    """One protocol requirement, judged by a rule from one or more answers."""

    id: str
    item: str
    kind: str
    summary: str
    explain: str
    about: str
    rule: str
    uses: tuple[str, ...]
    params: dict[str, Any]
    also_items: tuple[str, ...] = ()

    @property
    def items(self) -> str:
        """The protocol items this criterion comes from, e.g. "I8/E4"."""
        return "/".join((self.item, *self.also_items))


@dataclass(frozen=True)
class CoordinatorCheck:
    """Something only the study team can check; always on the coordinator's list."""

    item: str
    text: str


@dataclass(frozen=True)
class Trial:
    """A trial definition. The study's facts (STUDY_FACTS, and `study_team`, which may name them)
    are written once, in the trial file, in English; bot.messages.study_facts gives them, in the
    patient's language, to every text that names them (`{site}`...)."""

    id: str
    title: str
    timezone: str
    site: str
    location: str
    lead_doctor: str
    sponsor: str
    study_team: str
    other_studies_url: str
    criteria: tuple[Criterion, ...]
    questions: tuple[Question, ...]
    coordinator_checks: tuple[CoordinatorCheck, ...]
    lexicon: Lexicon

    def question(self, question_id: str) -> Question:
        return self._questions_by_id[question_id]

    def today(self) -> date:
        """Today at the study site: a patient's "3 months ago" is counted from there."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions_by_id

    def __post_init__(self) -> None:
        object.__setattr__(self, "_questions_by_id", {q.id: q for q in self.questions})


def _require(data: dict, key: str, file: Path, entry: str, kind: type = str) -> Any:
    if key not in data:
        raise TrialDefinitionError(file, entry, f"missing `{key}`")
    value = data[key]
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise TrialDefinitionError(file, entry, f"`{key}` must be a non-empty {kind.__name__}")
    return value


def _conditions(raw: Any, file: Path, entry: str) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    texts = raw if isinstance(raw, list) else [raw]
    conditions = []
    for text in texts:
        question, _, predicate = str(text).partition(":")
        if not predicate:
            raise TrialDefinitionError(
                file, entry, f"ask_if `{text}` is not <question>:<predicate>"
            )
        if predicate not in PREDICATES:
            raise TrialDefinitionError(
                file, entry, f"unknown ask_if predicate `{predicate}` ({', '.join(PREDICATES)})"
            )
        conditions.append(Condition(question, predicate))
    return tuple(conditions)


def _question(data: Any, file: Path, index: int) -> Question:
    if not isinstance(data, dict):
        raise TrialDefinitionError(file, f"questions[{index}]", "must be a mapping")
    entry = f"question `{data.get('id', index)}`"
    answer = _require(data, "answer", file, entry)
    if answer not in ANSWER_KINDS:
        raise TrialDefinitionError(
            file, entry, f"unknown answer kind `{answer}` ({', '.join(sorted(ANSWER_KINDS))})"
        )
    buttons = tuple(
        Button(str(_require(b, "title", file, entry)), str(_require(b, "payload", file, entry)))
        for b in data.get("buttons") or []
    )
    return Question(
        id=_require(data, "id", file, entry),
        answer=answer,
        ask=_require(data, "ask", file, entry),
        reask=_require(data, "reask", file, entry),
        why=_require(data, "why", file, entry),
        buttons=buttons,
        ask_if=_conditions(data.get("ask_if"), file, entry),
        topic=tuple(str(word).lower() for word in data.get("topic") or ()),
    )


def _criterion(data: Any, file: Path, index: int) -> Criterion:
    if not isinstance(data, dict):
        raise TrialDefinitionError(file, f"criteria[{index}]", "must be a mapping")
    entry = f"criterion `{data.get('id', index)}`"
    item = str(_require(data, "item", file, entry))
    also_items = tuple(str(i) for i in data.get("also_items") or ())
    for name in (item, *also_items):
        if not PROTOCOL_ITEM.match(name):
            raise TrialDefinitionError(file, entry, f"protocol item `{name}` is not I1-I8/E1-E9")
    kind = _require(data, "kind", file, entry)
    if kind not in CRITERION_KINDS:
        raise TrialDefinitionError(file, entry, f"kind `{kind}` is not one of {CRITERION_KINDS}")
    rule = _require(data, "rule", file, entry)
    if rule not in RULES:
        raise TrialDefinitionError(file, entry, f"unknown rule `{rule}`")
    params = data.get("params") or {}
    missing = RULES[rule].params - set(params)
    if missing:
        raise TrialDefinitionError(file, entry, f"rule `{rule}` needs params {sorted(missing)}")
    return Criterion(
        id=_require(data, "id", file, entry),
        item=item,
        kind=kind,
        summary=_require(data, "summary", file, entry),
        explain=_require(data, "explain", file, entry),
        about=_require(data, "about", file, entry),
        rule=rule,
        uses=tuple(_require(data, "uses", file, entry, list)),
        params=params,
        also_items=also_items,
    )


def _check_references(trial: Trial, file: Path) -> None:
    seen: set[str] = set()
    for question in trial.questions:
        if question.id in seen:
            raise TrialDefinitionError(file, f"question `{question.id}`", "duplicate id")
        for condition in question.ask_if:
            if condition.question not in seen:
                raise TrialDefinitionError(
                    file,
                    f"question `{question.id}`",
                    f"ask_if refers to `{condition.question}`, which is not asked before it",
                )
        seen.add(question.id)
    used: set[str] = set()
    for criterion in trial.criteria:
        for question_id in criterion.uses:
            if question_id not in seen:
                raise TrialDefinitionError(
                    file, f"criterion `{criterion.id}`", f"uses unknown question `{question_id}`"
                )
        used.update(criterion.uses)
    unused = seen - used
    if unused:
        raise TrialDefinitionError(
            file, f"question `{sorted(unused)[0]}`", "no criterion uses its answer"
        )
    if len({c.id for c in trial.criteria}) != len(trial.criteria):
        raise TrialDefinitionError(file, "criteria", "duplicate criterion id")


# The study's facts a patient-facing text may name as `{fact}` (domain.yml's responses, the
# trial's `study_team`); bot.messages.study_facts fills them in.
STUDY_FACTS = ("title", "site", "location", "lead_doctor", "sponsor")


def _check_study_team(trial: Trial, file: Path) -> None:
    named = re.findall(r"\{([^{}]*)\}", trial.study_team)
    unknown = [name for name in named if name not in STUDY_FACTS]
    if unknown:
        raise TrialDefinitionError(
            file,
            "study_team",
            f"names `{{{unknown[0]}}}`; it may name only {', '.join(STUDY_FACTS)}",
        )


def load_trial_file(file: Path, lexicon: Lexicon | None = None) -> Trial:
    """Read and check one trial definition file."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TrialDefinitionError(file, "file", f"cannot be read: {error}") from None
    if not isinstance(data, dict):
        raise TrialDefinitionError(file, "file", "must be a mapping")
    criteria = tuple(
        _criterion(c, file, i) for i, c in enumerate(_require(data, "criteria", file, "file", list))
    )
    questions = tuple(
        _question(q, file, i) for i, q in enumerate(_require(data, "questions", file, "file", list))
    )
    checks = tuple(
        CoordinatorCheck(
            str(_require(c, "item", file, "coordinator_checks")),
            _require(c, "text", file, "coordinator_checks"),
        )
        for c in _require(data, "coordinator_checks", file, "file", list)
    )
    trial = Trial(
        id=_require(data, "id", file, "file"),
        title=_require(data, "title", file, "file"),
        timezone=_require(data, "timezone", file, "file"),
        site=_require(data, "site", file, "file"),
        location=_require(data, "location", file, "file"),
        lead_doctor=_require(data, "lead_doctor", file, "file"),
        sponsor=_require(data, "sponsor", file, "file"),
        study_team=_require(data, "study_team", file, "file"),
        other_studies_url=_require(data, "other_studies_url", file, "file"),
        criteria=criteria,
        questions=questions,
        coordinator_checks=checks,
        lexicon=lexicon or load_lexicon(),
    )
    _check_references(trial, file)
    _check_study_team(trial, file)
    try:
        ZoneInfo(trial.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TrialDefinitionError(file, "timezone", f"unknown zone `{trial.timezone}`") from None
    return trial


@cache
def load_trial(trial_id: str = "hn2301") -> Trial:
    """The named trial from bot/trials/, loaded and checked once per process."""
    return load_trial_file(TRIALS_DIR / f"{trial_id}.yml")
