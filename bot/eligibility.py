"""The eligibility engine: answers -> a verdict per criterion -> one outcome, and what to ask next.

Pure: no I/O and no Rasa. Everything it decides comes with a reason a coordinator can check
and the patient's own words, and nothing it is given is dropped: an answer whose question no
longer applies (after a correction) is ignored openly, by the same skip logic that decides
what to ask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

from bot.parsing import parse_answer
from bot.parsing.context import as_the_patient
from bot.rules import (
    INFORMATION,
    MET,
    NOT_MET,
    NOT_MET_UNTIL,
    PENDING,
    PREDICATES,
    RULES,
    UNKNOWN,
    VERDICT_STATUSES,
    Answer,
    RuleContext,
    reason_tree,
)
from bot.trial import Criterion, Question, Trial

LIKELY_ELIGIBLE = "likely_eligible"
NEEDS_REVIEW = "needs_review"
NOT_ELIGIBLE_NOW = "not_eligible_now"
NOT_ELIGIBLE = "not_eligible"
OUTCOMES = (LIKELY_ELIGIBLE, NEEDS_REVIEW, NOT_ELIGIBLE_NOW, NOT_ELIGIBLE)
# The outcomes whose screening may be passed to the study team (bot.store.repository checks it
# when a referral is made; the chat offers the referral only for these).
REFERABLE_OUTCOMES = (LIKELY_ELIGIBLE, NEEDS_REVIEW)


class VerdictRecord(TypedDict):
    """A verdict as it is stored and served: the one record from the engine through the
    referral store to the JSON API. `Verdict.to_dict` writes it, a stored row
    (bot.store.models.CriterionVerdict) keeps it one column each, the store's
    `verdict_as_dict` reads it back, and the dashboard API's "CriterionVerdict" schema
    describes it; tests hold all of them to these fields."""

    criterion: str
    item: str  # the protocol items, e.g. "I1" or "I8/E4"
    kind: str  # bot.trial.CRITERION_KINDS
    verdict: str  # Verdict.status: one of VERDICT_STATUSES
    reason: str
    reason_i18n: dict[str, Any] | None  # how the English reason was composed (reason_tree)
    words: str  # the patient's own words
    parsed: dict[str, Any] | None
    until: str | None  # an ISO date


VERDICT_RECORD_FIELDS: tuple[str, ...] = tuple(VerdictRecord.__annotations__)


@dataclass(frozen=True)
class Verdict:
    """One criterion judged: what was decided, why, and from which words."""

    criterion: str
    item: str  # the protocol items, e.g. "I8/E4"
    kind: str
    summary: str
    about: str
    status: str  # one of VERDICT_STATUSES: met, not_met, not_met_until, unknown, ...
    reason: str
    explain: str
    words: str
    parsed: dict[str, Any]
    until: date | None = None
    confirm: bool = False  # met, but on the coordinator's "to verify" list

    def to_dict(self) -> VerdictRecord:
        """The record the referral store keeps (see bot.store.repository.save_assessment)."""
        return VerdictRecord(
            criterion=self.criterion,
            item=self.item,
            kind=self.kind,
            verdict=self.status,
            reason=self.reason,
            # how the English reason was composed, so the dashboard can translate it
            reason_i18n=reason_tree(self.reason),
            words=self.words,
            parsed=self.parsed,
            until=self.until.isoformat() if self.until else None,
        )


@dataclass(frozen=True)
class Assessment:
    """The whole pre-screen as it stands."""

    outcome: str
    verdicts: tuple[Verdict, ...]
    main_reason: str
    recheck_date: date | None
    to_verify: tuple[str, ...]
    # A permanent "not met" settles the outcome: no answer still to come can change it, so
    # nothing more is asked.
    final: bool

    def verdict(self, criterion_id: str) -> Verdict:
        return next(v for v in self.verdicts if v.criterion == criterion_id)


def read_answer(
    trial: Trial,
    question_id: str,
    text: str,
    today: date,
    answers: Mapping[str, Answer] | None = None,
    on_behalf_of: str | None = None,
) -> Answer | None:
    """Parse the patient's words for a question; None when they could not be read.

    `answers` are the answers so far (question id -> Answer), for words that lean on them:
    the patient's age in whole years, from the answer to the age question, dates "since I was
    19". An age known only as two possible years (a year of birth) is not used.
    `on_behalf_of` is the relative a carer answers for (bot.parsing.context.answered_for): their
    "my mum had a transplant" is then the patient's own. The Answer keeps the words as typed."""
    question = trial.question(question_id)
    age_years = None
    for asked in trial.questions:
        known = (answers or {}).get(asked.id) if asked.answer == "age" else None
        age = getattr(known, "value", None)
        if type(age) is int and 0 <= age <= 120:
            age_years = age
            break
    value = parse_answer(
        question.answer,
        as_the_patient(text, on_behalf_of),
        today=today,
        lexicon=trial.lexicon,
        age_years=age_years,
    )
    return None if value is None else Answer(text=text, value=value)


_CJK_TOPIC = re.compile(r"[\u4e00-\u9fff]")


def question_named_in(trial: Trial, text: str) -> Question | None:
    """The question a correction like "change my age to 45" is about, from its topic words.

    The longest topic word found wins ("skin lupus" over "lupus"); None when no topic is named.
    Chinese corrections name theirs the same way ("把年龄改成45").
    """
    words = re.findall(r"\w+", text.lower())
    lowered = f" {' '.join(words)} "
    best: tuple[int, Question] | None = None
    for question in trial.questions:
        for word in question.topic:
            # Chinese has no spaces: a Chinese topic is found anywhere in the message.
            named = word in text if _CJK_TOPIC.match(word) else f" {word} " in lowered
            if named and (best is None or len(word) > best[0]):
                best = (len(word), question)
    return best[1] if best else None


def _applies(trial: Trial, question: Question, counted: Mapping[str, Answer]) -> bool:
    if not question.ask_if:
        return True
    return any(
        condition.question in counted
        and PREDICATES[condition.predicate](counted[condition.question].value, trial.lexicon)
        for condition in question.ask_if
    )


# Follow-up questions whose answer is a date: words that name the event often date it too.
_DATED_FOLLOW_UPS = frozenset({"when", "treatment_change"})


def follow_ups_answered(
    trial: Trial,
    question_id: str,
    answer: Answer,
    today: date,
    answers: Mapping[str, Answer] | None = None,
    on_behalf_of: str | None = None,
) -> dict[str, Answer]:
    """Follow-up questions the same words already answer, so they are not asked: "a heart attack
    in August" dates the heart attack; "the last change was lowering my prednisone in
    September" dates the change. Only dates, and only follow-ups this answer opens."""
    counted = counted_answers(trial, {**(answers or {}), question_id: answer})
    found: dict[str, Answer] = {}
    for question in trial.questions:
        opened_here = any(condition.question == question_id for condition in question.ask_if)
        if (
            not opened_here
            or question.answer not in _DATED_FOLLOW_UPS
            or question.id in counted
            or not _applies(trial, question, counted)
        ):
            continue
        dated = read_answer(trial, question.id, answer.text, today, counted, on_behalf_of)
        if dated is not None and isinstance(dated.value, dict):
            found[question.id] = dated
    return found


def counted_answers(trial: Trial, answers: Mapping[str, Answer]) -> dict[str, Answer]:
    """The answers that count: those whose question still applies, in question order."""
    counted: dict[str, Answer] = {}
    for question in trial.questions:
        if question.id in answers and _applies(trial, question, counted):
            counted[question.id] = answers[question.id]
    return counted


def _judge(criterion: Criterion, trial: Trial, counted: dict[str, Answer], today: date) -> Verdict:
    applicable = [q for q in criterion.uses if _applies(trial, trial.question(q), counted)]
    words = " / ".join(counted[q].text for q in criterion.uses if q in counted)
    parsed = {q: counted[q].value for q in criterion.uses if q in counted}
    if any(q not in counted for q in applicable):
        status, reason, until, confirm = PENDING, "Not asked yet.", None, False
    else:
        context = RuleContext(
            answers=counted, today=today, lexicon=trial.lexicon, params=criterion.params
        )
        found = RULES[criterion.rule].judge(context)
        status, reason, until = found.status, found.reason, found.until
        confirm = found.confirm
    return Verdict(
        criterion=criterion.id,
        item=criterion.items,
        kind=criterion.kind,
        summary=criterion.summary,
        about=criterion.about,
        status=status,
        reason=reason,
        explain=criterion.explain,
        words=words,
        parsed=parsed,
        until=until,
        confirm=confirm,
    )


def _outcome(verdicts: list[Verdict]) -> tuple[str, str, date | None]:
    failing = [v for v in verdicts if v.status == NOT_MET]
    if failing:
        return NOT_ELIGIBLE, failing[0].explain, None
    waiting = [v for v in verdicts if v.status == NOT_MET_UNTIL]
    if waiting:
        dates = [v.until for v in waiting]
        recheck = max(dates) if all(dates) else None
        return NOT_ELIGIBLE_NOW, waiting[0].explain, recheck
    if any(v.status in (UNKNOWN, PENDING) and v.kind == "self_reported" for v in verdicts):
        return NEEDS_REVIEW, "", None
    return LIKELY_ELIGIBLE, "", None


def _to_verify(trial: Trial, verdicts: list[Verdict]) -> tuple[str, ...]:
    unknowns = [
        f"{v.item} {v.summary}: {v.reason}"
        for v in verdicts
        if (v.status in (UNKNOWN, PENDING) and v.kind != "information") or v.confirm
    ]
    checks = [f"{check.item} {check.text}" for check in trial.coordinator_checks]
    return (*unknowns, *checks)


def assess(trial: Trial, answers: Mapping[str, Answer], today: date) -> Assessment:
    """Judge every criterion from the answers so far and derive the outcome."""
    counted = counted_answers(trial, answers)
    verdicts = [_judge(criterion, trial, counted, today) for criterion in trial.criteria]
    if any(v.status == NOT_MET for v in verdicts):
        verdicts = [v if v.status != PENDING else _not_asked(v) for v in verdicts]
    outcome, main_reason, recheck = _outcome(verdicts)
    return Assessment(
        outcome=outcome,
        verdicts=tuple(verdicts),
        main_reason=main_reason,
        recheck_date=recheck,
        to_verify=_to_verify(trial, verdicts),
        final=outcome == NOT_ELIGIBLE,
    )


def _not_asked(verdict: Verdict) -> Verdict:
    return Verdict(
        **{
            **verdict.__dict__,
            "status": UNKNOWN,
            "reason": "Not asked: the screening ended early.",
        }
    )


def next_question(trial: Trial, answers: Mapping[str, Answer], today: date) -> Question | None:
    """The next question worth asking, or None when the screening is finished.

    Finished means every question that still applies is answered, or a permanent "not met" is
    already certain (nobody should answer twenty more questions to hear "no").
    """
    if assess(trial, answers, today).final:
        return None
    counted = counted_answers(trial, answers)
    for question in trial.questions:
        if question.id not in counted and _applies(trial, question, counted):
            return question
    return None


def progress(trial: Trial, answers: Mapping[str, Answer]) -> tuple[int, int]:
    """(number of the next question, about how many in all) for "question 6 of about 18"."""
    counted = counted_answers(trial, answers)
    remaining = sum(
        1 for q in trial.questions if q.id not in counted and _applies(trial, q, counted)
    )
    return len(counted) + 1, len(counted) + remaining


__all__ = [
    "INFORMATION",
    "LIKELY_ELIGIBLE",
    "MET",
    "NEEDS_REVIEW",
    "NOT_ELIGIBLE",
    "NOT_ELIGIBLE_NOW",
    "NOT_MET",
    "NOT_MET_UNTIL",
    "OUTCOMES",
    "PENDING",
    "REFERABLE_OUTCOMES",
    "UNKNOWN",
    "VERDICT_RECORD_FIELDS",
    "VERDICT_STATUSES",
    "Answer",
    "Assessment",
    "Verdict",
    "VerdictRecord",
    "assess",
    "counted_answers",
    "next_question",
    "progress",
    "question_named_in",
    "read_answer",
]
