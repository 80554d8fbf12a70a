"""Answers that list names from a lexicon: medicines, vaccines, and SLEDAI-2K symptoms."""

from __future__ import annotations

import re

from bot.lexicon import Lexicon, NameMatch, fold
from bot.parsing import context
from bot.parsing.text import (
    CHOICE_WORDS,
    LISTED_WITH,
    UNSURE,
    has_phrase,
    is_negated,
    is_unsure,
    phrase_pattern,
    prepare,
)
from bot.parsing.yes_no import yes_no_signal

_NONE_PHRASES = (
    "none",
    "nothing",
    "no medicine",
    "no medicines",
    "no medication",
    "no medications",
    "no meds",
    "no drugs",
    "no vaccine",
    "no vaccines",
    "none of these",
    "none of them",
    "not any",
    "dont take any",
    "do not take any",
    "not taking any",
    "i dont take anything",
    "havent had any",
    "have not had any",
    "not in the last",
    "没有",
    "无",
    "都没有",
    "没打",
    "没吃",
    "不吃药",
)
_SKIP_PHRASES = (
    "skip",
    "pass",
    "rather not",
    "prefer not",
    "id rather not",
    "dont want to",
    "do not want to",
    "no thanks",
    "no thank you",
    "next",
    "跳过",
    "不想说",
    "不想回答",
)


def _by_context(lexicon: Lexicon, kind: str, text: str) -> dict[str, list[str]]:
    """Ids named, by their context (bot.parsing.context status), in order, once each."""
    folded = fold(text)
    found: dict[str, list[str]] = {}
    matches: list[NameMatch] = lexicon.locate(kind, text)
    previous: tuple[int, str] | None = None
    denied_list = context.denied_as_a_list(folded, [(m.start, m.end) for m in matches])
    for index, match in enumerate(matches):
        where = context.status(folded, match.start, match.end)
        if index in denied_list:
            where = context.NEGATED  # "骁悉 环磷酰胺都没吃过": the denial after the list
        if (
            previous is not None
            and (
                where == context.PRESENT or (where, previous[1]) == (context.PAST, context.NEGATED)
            )
            and LISTED_WITH.fullmatch(folded, previous[0], match.start)
        ):
            where = previous[1]  # "没打过辉瑞莫德纳": the list shares what was said of its head
        previous = (match.end, where)
        ids = found.setdefault(where, [])
        if match.entry_id not in ids:
            ids.append(match.entry_id)
    return found


def _affirmed(lexicon: Lexicon, kind: str, text: str) -> list[str]:
    """Ids named as the patient's present fact ("no fever", "my mum had" do not count)."""
    return _by_context(lexicon, kind, text).get(context.PRESENT, [])


# Words that may stand around a plain "no" without naming anything ("no, I don't", "nope thanks").
_AROUND_A_NO = frozenset(
    [
        "i",
        "im",
        "am",
        "do",
        "dont",
        "doesnt",
        "take",
        "taking",
        "any",
        "thanks",
        "thank",
        "you",
        "sorry",
        "just",
        "really",
        "at",
        "all",
        "ive",
        "have",
        "havent",
        "had",
        "never",
        "not",
        "no",
        "nope",
        "nah",
        "n",
        "none",
        "不",
        "没",
        "没有",
        "无",
    ]
)


_MEDICINE_WORDS = frozenset(
    [
        "medicine",
        "medicines",
        "meds",
        "medication",
        "medications",
        "drug",
        "drugs",
        "pill",
        "pills",
        "tablets",
        "for",
        "lupus",
        "anything",
        "now",
        "currently",
        "right",
    ]
)
_VACCINE_WORDS = frozenset(
    [
        "covid",
        "vaccine",
        "vaccines",
        "vaccination",
        "shot",
        "shots",
        "jab",
        "jabs",
        "booster",
        "boosters",
        "rsv",
        "the",
        "in",
        "last",
        "years",
        "year",
        "two",
        "recently",
        "anything",
    ]
)


_SYMPTOM_WORDS = frozenset(["symptoms", "of", "these", "them", "problems", "issues"])


# "no covid or rsv shots in years": how long and "or" name nothing else either.
_WHEN_AROUND_A_NO = frozenset(
    ("or", "nor", "in", "for", "years", "year", "ages", "long", "time", "while", "the", "last")
) | frozenset(("past", "months", "month", "recently", "lately", "since", "ever", "a"))


def _says_none(prepared: str, topic_words: frozenset[str]) -> bool:
    """A "none" answer: a none-phrase, or a plain no with nothing else named.

    "no steroids" or "I'm not pregnant" name something else, so they are not read as "none"
    (a wrong "none" would end the screening on a medicine question).
    """
    if has_phrase(prepared, _NONE_PHRASES):
        return True
    words = re.findall(r"[^\W\d_]+", prepared.replace("'", ""))
    allowed = _AROUND_A_NO | _WHEN_AROUND_A_NO | topic_words
    return yes_no_signal(prepared) == "no" and all(word in allowed for word in words)


# "plaquenil, and some others I can't remember": the list is known to be incomplete.
_UNNAMED_OTHERS = (
    "others",
    "other ones",
    "some other",
    "other meds",
    "other medicines",
    "other drugs",
    "a few more",
    "more",
    "another one",
    "another",
    "one more",
    "其他",
    "别的",
    "还有一些",
    "还有几种",
    "还有一种",
    "还有一个",
    "还有个",
    "有个药",
    "another pill",
    "some pill",
    "另一种",
    "另外一种",
    "一种药",
    "一个药",
    # an unnamed drug of a kind: "还吃过一种免疫抑制剂 ... 名字记不住了"
    *("一种", "某种", "some drug", "a drug", "some medicine", "a medicine", "something else"),
    *("另外那个", "另外一个", "the other one"),
)


def parse_medicines(text: str, lexicon: Lexicon) -> dict[str, object] | str | None:
    """{"medicines": [current ids], "past": [ids], "planned": [ids], "none": bool} (with
    "incomplete": True when the patient says there are others they can't name) | UNSURE | None.
    "none" means nothing current; "medicines" are only the current ones."""
    prepared = prepare(text)
    incomplete = is_unsure(prepared) and has_phrase(prepared, _UNNAMED_OTHERS)
    found = _by_context(lexicon, "medicine", prepared)
    medicines = found.get(context.PRESENT, [])
    past = [m for m in found.get(context.PAST, []) if m not in medicines]
    planned = [m for m in found.get(context.PLANNED, []) if m not in medicines + past]
    if medicines or past or planned:
        result = {"medicines": medicines, "past": past, "planned": planned, "none": not medicines}
        return {**result, "incomplete": True} if incomplete else result
    if is_unsure(prepared):
        return UNSURE
    if _says_none(prepared, _MEDICINE_WORDS):
        return {"medicines": [], "past": [], "planned": [], "none": True}
    return None


# Where one shot ends and another begins: "Sinovac, then a covid booster" names two shots.
_NEXT_SHOT = re.compile(
    r"\b(?:and then|then|followed by|plus|after that|later|another|and (?:a|an|one|the|my))\b"
    r"|然后|之后|后来|再打|又打"
)


# A clause that says which the shot just named was: "a covid booster last year, it was CoronaVac".
# "不记得是 Pfizer 还是 Sinovac": the general shot is one of those named, not known which.
_EITHER_OR = re.compile(rf"\beither\b|{CHOICE_WORDS}")
_IT_WAS = re.compile(
    r"\s*(?:and\s+)?(?:it|that|which|this|the booster|the shot|the one)\s+(?:was|is|were)\b"
    r"|\s*(?:不过|但是|但)?\s*(?:是|打的是|就是)"
)


def _shot_of(folded: str, position: int) -> int:
    """Which stretch of the answer a position is in (split at clause breaks and "then"; a
    clause saying "it was ..." stays with the shot before it)."""
    breaks = [
        m.start()
        for m in context.CLAUSE_BREAK.finditer(folded)
        if not _IT_WAS.match(folded, m.end())
    ]
    breaks += [m.start() for m in _NEXT_SHOT.finditer(folded)]
    return sum(1 for at in breaks if at < position)


def _unnamed_covid(lexicon: Lexicon, prepared: str) -> bool:
    """A COVID-19 shot named only in general, with no named COVID-19 product in its own
    stretch of the answer: "the covid shot"; the booster of "Sinovac, then a covid booster"."""
    folded = fold(prepared)

    def present(kind: str) -> list[NameMatch]:
        return [
            m
            for m in lexicon.locate(kind, prepared)
            if context.status(folded, m.start, m.end) == context.PRESENT
        ]

    generic = present("generic_covid")
    if not generic:
        return False
    covid_named = [m for m in present("vaccine") if lexicon.vaccine(m.entry_id).covid]
    named = {_shot_of(folded, m.start) for m in covid_named}
    return any(
        _shot_of(folded, m.start) not in named and not _introduces(folded, m, covid_named)
        for m in generic
    )


def _introduces(folded: str, generic: NameMatch, covid_named: list[NameMatch]) -> bool:
    """A COVID-19 shot in general said before the ones named, with no next shot between: the
    heading of a list ("新冠疫苗打过 前年打的国药 去年又打了一针科兴", "the covid vaccine, two
    Sinovac"), not a shot of its own."""
    later = [m.start for m in covid_named if m.start >= generic.end]
    if not later or _NEXT_SHOT.search(folded, generic.end, min(later)):
        return False
    rest = folded[generic.end :]
    return not (_EITHER_OR.search(rest) or is_unsure(rest))


def parse_vaccines(text: str, lexicon: Lexicon) -> dict[str, object] | str | None:
    """{"products": [ids], "generic_covid": bool, "none": bool} | UNSURE | None.

    A COVID-19 vaccine named only in general ("the covid shot") sets generic_covid: the bot then
    asks which one. A bare "yes" is unreadable here: it does not say which vaccine."""
    prepared = prepare(text)
    by_context = _by_context(lexicon, "vaccine", prepared)
    # A vaccine is always had in the past ("都是2022年以前的", "previously had Moderna"): when
    # it was is asked next and decides.
    products = list(
        dict.fromkeys([*by_context.get(context.PRESENT, []), *by_context.get(context.PAST, [])])
    )
    named = set(products)
    products = [p for p in products if not named & set(lexicon.vaccines[p].one_of)]
    products = list(dict.fromkeys(_said_which(lexicon, p, prepared) for p in products))
    generic_covid = _unnamed_covid(lexicon, prepared)
    if products or generic_covid:
        return {"products": products, "generic_covid": generic_covid, "none": False}
    if is_unsure(prepared):
        return UNSURE
    if _says_none(prepared, _VACCINE_WORDS):
        return {"products": [], "generic_covid": False, "none": True}
    return None


# "甲肝疫苗，是减毒活疫苗", "a typhoid vaccine, the live one": which of a name's products it was.
_INACTIVATED_WORDS = (
    *("inactivated", "killed", "not live", "not a live", "non live", "injected", "injection"),
    *("灭活", "不是活的", "不是减毒", "针剂", "打针", "打的针", "那种针", "注射", "打在胳膊"),
    *("in my arm", "in the arm", "in her arm", "in his arm"),
)
_LIVE_WORDS = ("live", "attenuated", "live attenuated", "oral", "减毒", "活疫苗", "活的", "口服")
_LIVE_WORDS += ("capsule", "capsules", "pills", "by mouth", "drops", "胶囊", "喝的", "吃的")
_LIVE_WORDS += ("nasal", "nose spray", "nasal spray", "喷鼻", "鼻喷", "喷雾")


def _said_not_denied(prepared: str, phrases: tuple[str, ...]) -> bool:
    return any(
        not is_negated(prepared, match.start())
        for phrase in phrases
        for match in phrase_pattern(phrase).finditer(prepared)
    )


def _said_which(lexicon: Lexicon, product: str, prepared: str) -> str:
    """A product that can be live or not (`one_of` in the lexicon), as the patient's words say."""
    choices = [lexicon.vaccines[choice] for choice in lexicon.vaccines[product].one_of]
    if not choices:
        return product
    inactivated = _said_not_denied(prepared, _INACTIVATED_WORDS)
    without_inactivated = prepared
    for phrase in _INACTIVATED_WORDS:  # 灭活的 holds 活的; "not live" holds "live"
        without_inactivated = phrase_pattern(phrase).sub(
            lambda m: " " * len(m[0]), without_inactivated
        )
    live = _said_not_denied(without_inactivated, _LIVE_WORDS)  # "是打针的 不是喷鼻子那种"
    if inactivated == live or _EITHER_OR.search(prepared) or is_unsure(prepared):
        return product  # "can't remember if it was capsules or an injection": ask which
    if inactivated:
        wanted = [choice for choice in choices if choice.kind != "live"]
    else:
        wanted = [choice for choice in choices if choice.kind == "live"]
    return wanted[0].id if len(wanted) == 1 else product


def parse_symptoms(text: str, lexicon: Lexicon) -> dict[str, object] | str | None:
    """{"items": [SLEDAI-2K ids], "points": int, "clinical_points": int} | "skipped" | UNSURE |
    None. Points are the patient's own estimate, for the coordinator only."""
    prepared = prepare(text)
    items = _affirmed(lexicon, "sledai", prepared)
    if not items:
        if has_phrase(prepared, _SKIP_PHRASES):
            return "skipped"
        if is_unsure(prepared):
            return UNSURE
        if not _says_none(prepared, _SYMPTOM_WORDS):
            return None
    points = sum(lexicon.sledai[item].points for item in items)
    clinical = sum(lexicon.sledai[item].points for item in items if lexicon.sledai[item].clinical)
    return {"items": items, "points": points, "clinical_points": clinical}
