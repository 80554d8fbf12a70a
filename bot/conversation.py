"""What a message inside the screening is: the answer to the open question, or a digression.

The open question comes first (README, "Architecture and choices"): a message is read as the
answer unless it can't be read and the NLU is sure it is something else, or it is plainly a
question back to us ("why do you need to know if I'm pregnant?" names pregnancy, yet is no answer).
Also decided here: which readings are said back to the patient before they are judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.i18n import ENGLISH, detect, named_language
from bot.messages import plain_reading_words
from bot.parsing import UNSURE
from bot.parsing.context import has_context_words
from bot.parsing.text import compact, padded, prepare
from bot.parsing.yes_no import parse_yes_no

# The intents that the dialogue's digression rules answer while the screening form is open.
DIGRESSION_INTENTS = frozenset(
    {
        "ask_why",
        "go_back",
        "correct_answer",
        "start_over",
        "stop",
        "human_handoff",
        "ask_about_study",
        "ask_location",
        "ask_next_steps",
        "ask_who_runs",
        "ask_other_question",
        "chitchat",
        "insult",
        "greet",
        "thank",
        "goodbye",
        "what_do_you_know",
        "delete_data",
        "change_language",
    }
)
# While contact details are asked, only these leave the question: a name or a time of day is
# free text ("Hope", "evenings"), so anything else is the answer.
CONTACT_DIGRESSION_INTENTS = frozenset(
    {"stop", "delete_data", "what_do_you_know", "human_handoff", "start_over", "change_language"}
)
# Sure enough that an unreadable message is this digression (the NLU's fallback is at 0.65).
DIGRESSION_CONFIDENCE = 0.65
# Sure enough that a question back to us is a digression even though it names an answer's words.
QUESTION_BACK_CONFIDENCE = 0.85

_QUESTION_BACK = re.compile(
    r"\?\s*$|^\s*(?:why|what|where|who|how|when|can|could|is|are|do|does|will|would)\b"
    r"|为什么|为啥|什么|哪里|哪儿|吗[?？]?\s*$|么[?？]?\s*$",
    re.IGNORECASE,
)


def asks_back(text: str) -> bool:
    """The message is a question to us, not a statement about the patient."""
    return bool(_QUESTION_BACK.search(text.strip()))


def is_digression(
    *,
    text: str,
    readable: bool,
    intent: str | None,
    confidence: float,
    intents: frozenset[str] = DIGRESSION_INTENTS,
) -> bool:
    """True when the message should leave the open question for a digression rule; `intents`
    are the digressions the rules answer at this question."""
    if intent not in intents:
        return False
    if not readable:
        return confidence >= DIGRESSION_CONFIDENCE
    return confidence >= QUESTION_BACK_CONFIDENCE and asks_back(text)


# Consent and "is that right?" in the words people use for them; refusals are checked first,
# since "disagree" holds "agree" and 不同意 holds 同意.
_REFUSE = ("disagree", "dont agree", "do not agree", "refuse", "not ok", "not okay", "no way")
_REFUSE += ("not right", "wrong", "not correct", "incorrect", "let me fix", "fix it")
_REFUSE += ("not willing", "unwilling", "not happy", "dont want", "do not want", "no thanks")
_REFUSE_CJK = ("不同意", "不愿意", "不可以", "不行", "不要", "不对", "不是", "不想")
_AGREE = ("agree", "i agree", "agreed", "ok", "okay", "k", "kk", "fine", "go ahead", "accept")
_AGREE += ("i consent", "consent", "right", "thats right", "correct", "all good", "good")
_AGREE += ("happy to", "glad to", "willing", "lets go", "lets start", "go on", "continue")
_AGREE_CJK = ("同意", "好的", "好", "可以", "行", "没问题", "对", "是的", "愿意")


_ASKS = re.compile(
    r"[?？]|吗|\b(?:what|how|why|who|where|when)\b|^\s*(?:is|are|can|could|do|does|will|would)\b"
)
_HAVING = re.compile(
    r"\b(?:i|we|she|he)?\s*(?:have|has|had|got|ve|am|m|is)\b|\bim\b|(?<!没)有(?!问题)|我是"
)
# Agreement said with a negative word: "no problem".
_AGREE_WITH_A_NO = ("没问题", "没有问题", "没关系", "没意见", "没有意见")


def read_consent(text: str) -> str | None:
    """ "yes" | "no" | None for an agreement or a confirmation, in English or Chinese.

    A question ("is this study ok with hiv?") is none of them, and "I have HIV" says what the
    patient has, not that they agree: the yes of "do you have...?" does not count here."""
    prepared = prepare(text)
    spaced = padded(prepared).replace("'", "")
    joined = compact(prepared)
    if any(f" {p} " in spaced for p in _REFUSE) or any(p in joined for p in _REFUSE_CJK):
        return "no"
    if _ASKS.search(prepared) and len(prepared.split()) > 2:
        return None
    if any(p in joined for p in _AGREE_WITH_A_NO):
        return "yes"
    said = parse_yes_no(_HAVING.sub(" ", prepared))
    if said in ("yes", "no"):
        return said
    if any(f" {p} " in spaced for p in _AGREE) or any(p in joined for p in _AGREE_CJK):
        return "yes"
    return None


READ_BACK_QUESTIONS = frozenset(
    {
        "current_medicines",
        "steroid_dose",
        "immunosuppressant_history",
        "viral_infections",
        "mrna_lnp",
        "covid_vaccine_type",
        "live_vaccine",
    }
)


# Plain answers (what the yes/no-like parsers return) that can be said back in one word or two.
PLAIN_READINGS = frozenset(plain_reading_words())
# Questions that decide nothing: their answers are not said back, whatever their words.
_INFORMATION_ONLY = frozenset({"travel", "disease_activity_score"})


# Said back together, once, after the last of them that is asked: "Now: Plaquenil and
# prednisone 10 mg a day. Ever taken: CellCept. Is that right?"
MEDICINE_QUESTIONS = ("current_medicines", "steroid_dose", "immunosuppressant_history")


def read_back_later(question_id: str, upcoming: str | None) -> bool:
    """Wait with this medicines read-back: the next question is about the medicines too."""
    return question_id in MEDICINE_QUESTIONS and upcoming in MEDICINE_QUESTIONS


def needs_read_back(question_id: str, value: object, text: str = "") -> bool:
    """Say this reading back before it is judged?

    Medicines, doses, vaccines and infections decide outcomes, so they are said back; a plain
    "none" of vaccines or infections, and "not sure", have nothing to confirm (the medicines
    are said back together, see read_back_later). Any other
    deciding answer is said back when its words carry context ("no, but my mum had a kidney
    transplant", "yes, except I raised my prednisone"): the reading is then not the first word.
    """
    if value == UNSURE:
        return False
    if question_id not in READ_BACK_QUESTIONS:
        return (
            question_id not in _INFORMATION_ONLY
            and isinstance(value, str)
            and value in PLAIN_READINGS
            and has_context_words(text)
        )
    if not isinstance(value, dict):
        return False
    if question_id in ("viral_infections", "mrna_lnp", "covid_vaccine_type", "live_vaccine"):
        return not value.get("none")
    return True


# "English please", "can we speak Chinese", 说中文, 请用英文吧: a request for a language and nothing
# else. (The page's language switch sends `/change_language` with the language in the metadata.)
_LANGUAGE_WORDS = re.compile(
    r"\b(english|chinese|mandarin)\b|中文|汉语|普通话|国语|英文|英语", re.I
)
_REQUEST_FILLER = re.compile(
    r"\b(?:please|pls|plz|can|could|we|you|i|let'?s|lets|speak|use|talk|write|type|reply|answer"
    r"|continue|go|on|switch|change|to|in|the|language|want|prefer|would|like|do|it)\b"
    r"|请|麻烦|我想|我要|能不能|能|可不可以|可以|用|说|讲|换成|换|切换到|切换|改成|改用|改|成|继续|交流"
    r"|聊|回答|吧|吗|好吗|行吗|谢谢|语言|一下|版",
    re.I,
)


def requested_language(text: str) -> str | None:
    """The language a message asks for, when asking for one is all it does."""
    text = text or ""
    said = {named_language(found.group(0)) for found in _LANGUAGE_WORDS.finditer(text)}
    if len(text) > 40 or len(said) != 1:
        return None
    rest = _REQUEST_FILLER.sub(" ", _LANGUAGE_WORDS.sub(" ", text))
    return None if re.sub(r"[\s\W_]+", "", rest) else said.pop()


def language_of(said: Iterable[tuple[str, Mapping | None]]) -> str:
    """The patient's language, from their messages so far as (text, metadata), oldest first.

    The latest language the channel names in a message's metadata (the page sends its switch's
    setting) or that a message asks for wins; otherwise the language of the first message with
    words in it ("38" has none). English, the source language, when nothing tells."""
    chosen = None
    for text, metadata in said:
        given = metadata.get("language") if isinstance(metadata, Mapping) else None
        named = named_language(given) or requested_language(text)
        if named:
            chosen = named
        elif chosen is None:
            chosen = detect(text)
    return chosen or ENGLISH


__all__ = [
    "CONTACT_DIGRESSION_INTENTS",
    "DIGRESSION_INTENTS",
    "MEDICINE_QUESTIONS",
    "PLAIN_READINGS",
    "READ_BACK_QUESTIONS",
    "asks_back",
    "is_digression",
    "language_of",
    "needs_read_back",
    "read_back_later",
    "read_consent",
    "requested_language",
]
