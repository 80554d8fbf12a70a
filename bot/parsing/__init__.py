"""Parsers of patients' words: one per answer kind of the trial definition (`answer:`).

Every parser is a pure function that never raises on any text and never invents a value: what it
cannot read comes back as None (the bot asks again); "I don't know" comes back as UNSURE.
"""

from __future__ import annotations

import datetime
import logging
import re
import traceback
from collections.abc import Callable

from bot.lexicon import Lexicon
from bot.parsing.age import parse_age
from bot.parsing.conditions import (
    parse_asthma_allergy,
    parse_contraception,
    parse_diagnosis,
    parse_lab_markers,
    parse_organ_function,
    parse_pregnancy,
    parse_transplant,
    parse_viral_infections,
)
from bot.parsing.dose import parse_steroid_dose
from bot.parsing.events import (
    parse_active_infection,
    parse_cardiac_events,
    parse_disease_active,
    parse_flu_vaccine_form,
    parse_treatment_change,
    parse_treatment_stable,
)
from bot.parsing.names import parse_medicines, parse_symptoms, parse_vaccines
from bot.parsing.text import UNSURE
from bot.parsing.when import parse_when
from bot.parsing.yes_no import parse_yes_no

logger = logging.getLogger(__name__)

Parser = Callable[[str, datetime.date, Lexicon], object]

PARSERS: dict[str, Parser] = {
    "yes_no": lambda text, today, lexicon: parse_yes_no(text),
    "age": lambda text, today, lexicon: parse_age(text, today),
    "diagnosis": lambda text, today, lexicon: parse_diagnosis(text),
    "disease_active": lambda text, today, lexicon: parse_disease_active(text),
    "pregnancy": lambda text, today, lexicon: parse_pregnancy(text),
    "contraception": lambda text, today, lexicon: parse_contraception(text),
    "transplant": lambda text, today, lexicon: parse_transplant(text),
    "asthma_allergy": lambda text, today, lexicon: parse_asthma_allergy(text),
    "when": lambda text, today, lexicon: parse_when(text, today),
    "medicines": lambda text, today, lexicon: parse_medicines(text, lexicon),
    "steroid_dose": lambda text, today, lexicon: parse_steroid_dose(text, lexicon),
    "vaccines": lambda text, today, lexicon: parse_vaccines(text, lexicon),
    "viral_infections": lambda text, today, lexicon: parse_viral_infections(text),
    "organ_function": lambda text, today, lexicon: parse_organ_function(text),
    "lab_markers": lambda text, today, lexicon: parse_lab_markers(text),
    "symptoms": lambda text, today, lexicon: parse_symptoms(text, lexicon),
    "active_infection": lambda text, today, lexicon: parse_active_infection(text),
    "cardiac_events": lambda text, today, lexicon: parse_cardiac_events(text),
    "treatment_stable": lambda text, today, lexicon: parse_treatment_stable(text),
    "treatment_change": lambda text, today, lexicon: parse_treatment_change(text, today),
    "flu_vaccine_form": lambda text, today, lexicon: parse_flu_vaccine_form(text),
}
# Kinds that also read the patient's age ("since I was 19").
_AGE_AWARE = {"when": parse_when, "treatment_change": parse_treatment_change}
ANSWER_KINDS: frozenset[str] = frozenset(PARSERS)


def parse_answer(
    kind: str,
    text: str,
    *,
    today: datetime.date,
    lexicon: Lexicon,
    age_years: int | None = None,
) -> object | None:
    """Read the patient's words for an answer of `kind`; None when they cannot be read.

    `age_years`, the patient's age now when known, is given to the date parsers only, which
    dates an age the patient was with it ("since I was 19"); the other kinds ignore it.

    Raises ValueError only for an unknown kind (a broken trial definition). A parser fault is
    logged (without the patient's words) and treated as unreadable, so the bot asks again
    instead of breaking the conversation."""
    parser = PARSERS.get(kind)
    if parser is None:
        raise ValueError(f"unknown answer kind {kind!r}; known: {', '.join(sorted(ANSWER_KINDS))}")
    if not isinstance(text, str):
        return None
    try:
        corrected = _after_correction(text)
        if corrected is not None:
            reading = _read(kind, parser, corrected, today, lexicon, age_years)
            if reading is not None:
                return reading
        return _read(kind, parser, text, today, lexicon, age_years)
    except Exception as error:
        # The exception's message may quote the patient's words: log only its type and place.
        frame = traceback.extract_tb(error.__traceback__)[-1]
        logger.error(
            "parser for answer kind %r failed with %s at %s:%s; answer treated as unreadable",
            kind,
            type(error).__name__,
            frame.filename,
            frame.lineno,
        )
        return None


__all__ = ["ANSWER_KINDS", "PARSERS", "UNSURE", "parse_answer"]


# "70, no wait, 60", "no... wait, actually yes", "还在活动… 不对 其实一年多没犯过": the patient
# corrects themselves; what follows the last correction is the answer.
_CORRECTION = re.compile(
    r"\b(?:no,?\s+wait|wait,?\s+(?:no|actually)|sorry,?\s+i\s+meant?|i\s+meant|scratch that"
    r"|correction|actually,?\s+no)\b|不对(?!劲)|说错了|打错了|我是说|哦不|更正",
    re.IGNORECASE,
)


def _after_correction(text: str) -> str | None:
    """The words after the patient's last self-correction, or None when there is none."""
    corrections = list(_CORRECTION.finditer(text))
    last = corrections[-1] if corrections else None
    if last is None or not text[last.end() :].strip(" ,.!?…，。！？"):
        return None
    return text[last.end() :]


def _read(
    kind: str,
    parser: Parser,
    text: str,
    today: datetime.date,
    lexicon: Lexicon,
    age_years: int | None,
) -> object | None:
    if kind in _AGE_AWARE and age_years is not None:
        return _AGE_AWARE[kind](text, today, age_years=age_years)
    return parser(text, today, lexicon)
