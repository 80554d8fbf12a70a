"""Daily steroid dose from "10mg", "ten milligrams", "7.5", "2.5 mg twice a day", "4 mg Medrol"."""

from __future__ import annotations

import re

from bot.lexicon import Lexicon
from bot.parsing.numbers import looks_like_code, words_to_digits
from bot.parsing.text import UNSURE, has_phrase, is_unsure, phrase_pattern, prepare
from bot.parsing.yes_no import yes_no_signal

MAX_BARE_MG = 200.0
MAX_MG = 2000.0
_NUMBER = r"(\d+,\d(?!\d)|\d+(?:\.\d+)?)"
_MG = r"(?:mg|mgs|milligrams?|milligrammes?|millig|毫克)"
_MICROGRAMS = r"(?:mcg|µg|μg|micrograms?|微克)"
_GRAMS = r"(?:g|gm|grams?|克)"
_TABLET = r"(?:tablets?|tabs?|pills?|caps?|capsules?|片|粒|颗)"
_STRENGTH_COUNT = re.compile(
    rf"\b{_NUMBER}\s*(?:x|×|\*|times)\s*{_NUMBER}\s*{_MG}"
    rf"|\b{_NUMBER}\s*{_TABLET}\s+(?:of\s+)?{_NUMBER}\s*{_MG}"
    rf"|\b{_NUMBER}\s+(?:of\s+)?(?:the\s+)?{_NUMBER}\s*{_MG}\s*{_TABLET}"
)
_AMOUNT = re.compile(
    rf"(?<![\d./])(?P<value>{_NUMBER[1:-1]})\s*"
    rf"(?P<unit>{_MG}|{_MICROGRAMS}|{_GRAMS}(?![a-z])|{_TABLET})?(?!\d)(?!/\d)"
)
# A number followed by one of these is a duration or a count, not a dose ("for 2 weeks").
_NOT_A_DOSE = re.compile(
    r"\s*(?:days?|weeks?|months?|years?|yrs?|hours?|hrs?|times|years? old|yo\b"
    r"|天|周|个月|年|次|岁|小时)"
)
# Times a day; searched longest first. 'a day' / 'daily' alone change nothing.
_FREQUENCIES = {
    "four times a day": 4,
    "four times daily": 4,
    "4 times a day": 4,
    "4 times daily": 4,
    "qid": 4,
    "q i d": 4,
    "every 6 hours": 4,
    "three times a day": 3,
    "three times daily": 3,
    "3 times a day": 3,
    "3 times daily": 3,
    "thrice daily": 3,
    "thrice a day": 3,
    "tid": 3,
    "t i d": 3,
    "tds": 3,
    "every 8 hours": 3,
    "twice a day": 2,
    "twice daily": 2,
    "twice per day": 2,
    "two times a day": 2,
    "2 times a day": 2,
    "2 times daily": 2,
    "2x a day": 2,
    "2x daily": 2,
    "bid": 2,
    "b i d": 2,
    "bd": 2,
    "every 12 hours": 2,
    "morning and evening": 2,
    "morning and night": 2,
    "once a day": 1,
    "once daily": 1,
    "qd": 1,
    "od": 1,
    "每天一次": 1,
    "一天一次": 1,
    "每日一次": 1,
    "every other day": 0.5,
    "every second day": 0.5,
    "alternate days": 0.5,
    "on alternate days": 0.5,
    "once a week": 1 / 7,
    "twice a week": 2 / 7,
    "three times a week": 3 / 7,
    "weekly": 1 / 7,
    "a week": 1 / 7,
    "per week": 1 / 7,
    "每日两次": 2,
    "一日两次": 2,
    "每天两次": 2,
    "一天两次": 2,
    "每日2次": 2,
    "每天2次": 2,
    "一天2次": 2,
    "每日三次": 3,
    "每天三次": 3,
    "每日3次": 3,
    "每天3次": 3,
    "一天3次": 3,
    "1天2次": 2,
    "1日2次": 2,
    "1天3次": 3,
    "1日3次": 3,
    "隔日": 0.5,
    "隔天": 0.5,
}
_NONE_PHRASES = (
    "none",
    "no steroid",
    "no steroids",
    "not taking",
    "not on",
    "dont take",
    "do not take",
    "stopped",
    "quit",
    "not anymore",
    "no longer",
    "off steroids",
    "nothing",
    "停了",
    "停药",
    "不吃",
    "没吃",
    "没有",
)


_FRACTION_WORDS = re.compile(r"\b(?:half|halves|quarter|third)\b|半片|半粒")
_CLAUSE_BREAK = re.compile(r"[,;，；、]|\band\b|\bplus\b|\balso\b|\bwith\b|和|还有|加上")


def _number(written: str) -> float:
    return float(written.replace(",", "."))


_FREQUENCY_PATTERNS = [
    (phrase_pattern(phrase), times)
    for phrase, times in sorted(_FREQUENCIES.items(), key=lambda item: -len(item[0]))
]


def _take_frequencies(prepared: str) -> tuple[list[float], str]:
    """Times-a-day phrases found (longest first), and the text with them blanked out."""
    found = []
    rest = prepared
    for pattern, times in _FREQUENCY_PATTERNS:
        rest, count = pattern.subn(" # ", rest)
        found.extend([times] * count)
    return found, rest


# A milligram amount said to be the day's ("7.5 mg a day", "10mg daily", "每天10毫克").
_DAILY_TOTAL = re.compile(
    rf"(?<![\d.])\d+(?:\.\d+)?\s*{_MG}\s*(?:(?:a|per|each|every|/)\s*day\b|daily\b|每天|每日|一天)"
    rf"|(?:每天|每日|一天)\s*\d+(?:\.\d+)?\s*{_MG}"
)


def _amounts(prepared: str) -> list[float] | None:
    """Milligram amounts written in the text; None when an amount is in tablets only or bare
    numbers leave it open which one is the dose. With a unit written, bare numbers are ignored."""
    strength = _STRENGTH_COUNT.search(prepared)
    if strength:
        numbers = [_number(group) for group in strength.groups() if group is not None]
        return [numbers[0] * numbers[1]]
    with_unit: list[float] = []
    bare: list[float] = []
    daily_total = bool(_DAILY_TOTAL.search(prepared))
    for match in _AMOUNT.finditer(prepared):
        value, unit = _number(match["value"]), match["unit"] or ""
        if re.fullmatch(_TABLET, unit):
            if value == 1 or daily_total:
                # "pred 5mg qd, 1 tab": one tablet is the strength written; "7.5 mg a day,
                # one and a half tablets": the tablets the day's total is made of
                continue
            return None
        if re.fullmatch(_MICROGRAMS, unit):
            with_unit.append(value / 1000)
        elif re.fullmatch(_GRAMS, unit):
            with_unit.append(value * 1000)
        elif unit:
            with_unit.append(value)
        elif 0 <= value <= MAX_BARE_MG and not _NOT_A_DOSE.match(prepared, match.end()):
            bare.append(value)
    if with_unit:
        return with_unit
    return bare if len(bare) <= 1 else None


def _is_steroid(lexicon: Lexicon, medicine_id: str) -> bool:
    return lexicon.medicine(medicine_id).drug_class == "corticosteroid"


def _steroid_part(prepared: str, lexicon: Lexicon) -> tuple[str | None, str | None]:
    """The first steroid named, and the part of the text about it: when other medicines are
    named too ("7.5 mg prednisone, 400 mg Plaquenil"), only the clauses naming the steroid."""
    named = lexicon.find_medicines(prepared)
    steroids = [m for m in named if _is_steroid(lexicon, m)]
    steroid = steroids[0] if steroids else None
    if len(steroids) == len(named):
        return steroid, prepared
    if steroid is None:
        return None, None
    clauses = [
        clause
        for clause in _CLAUSE_BREAK.split(prepared)
        if any(_is_steroid(lexicon, m) for m in lexicon.find_medicines(clause))
    ]
    return steroid, " ".join(clauses)


_N = r"(\d+(?:\.\d+)?)"
# "half a tablet of 5 mg" / "半片5mg": half the strength.
_HALF_TABLET = re.compile(
    rf"\bhalf\s+(?:of\s+)?(?:a|one)?\s*{_TABLET}\s+of\s+(?:the\s+)?{_N}\s*{_MG}"
    rf"|\bhalf\s+(?:of\s+)?(?:a|an|one|my|the)?\s*{_N}\s*{_MG}(?=\s+(?:[a-z]+\s+)?{_TABLET})"
    rf"|\bhalf\s+of\s+(?:a|an|one|my|the)\s+{_N}\s*{_MG}"
    rf"|(?<![\d.])半{_TABLET}\s*(?:的)?\s*{_N}\s*{_MG}"
)
# "每天半片，一片是5毫克", "half a tab of deltasone 20mg", "1/2 tab": half a tablet, its strength
# said apart (or after the medicine's name).
_HALF_A_TABLET = re.compile(
    rf"(?<![\d.])半({_TABLET})|\bhalf\s+(?:of\s+)?(?:a\s+|an\s+|one\s+)?({_TABLET})"
    rf"|(?<![\d./])(?:1/2|½)\s*(?:a\s+)?({_TABLET})"
)
# A strength and a count of tablets: "4 mg, two tablets", "每日1片 5mg" -> the mg they make.
# Between them, in Chinese: the medicine's name ("4mg的美卓乐"), how often ("一天", "每天"), and
# "take" ("吃", "服用"): "美卓乐4毫克，一天两片", "4mg的美卓乐，每天吃两片".
_CHINESE_BETWEEN = (
    r"(?:的[\u4e00-\u9fff]{0,6})?\s*[,，]?\s*(?:1天|每天|每日|每早|每晚)?\s*(?:早上|晚上|早晚各?)?"
    r"\s*(?:吃|服|服用|口服|各)?\s*"
)
# The strengths steroid tablets are made in (prednisone 1, 2.5, 5, 10, 20, 50 mg; prednisolone
# 1, 5, 25; methylprednisolone 2, 4, 8, 16, 32; dexamethasone 0.5, 0.75, 1.5, 4, 6; hydrocortisone
# 5, 10, 20). "15mg, 3 tablets" or "40mg，每天早上8片" name no tablet's strength, but a total that
# many usual tablets make: 15 mg, not 45; 40 mg, not 320.
_TABLET_STRENGTHS_MG = frozenset({0.5, 0.75, 1, 1.5, 2, 2.5, 4, 5, 6, 8, 10, 16, 20, 25, 32, 50})
# "一片半" / "两粒半": one and a half tablets.
_AND_A_HALF = re.compile(rf"(?<![\d.])(\d+)\s*({_TABLET})半")
_STRENGTH_THEN_COUNT = re.compile(
    rf"(?<![\d.共]){_N}\s*{_MG}(?:\s*{_TABLET})?\s*[,，]?\s*"
    rf"(?:(?:(?:i|she|he|we)\s+)?(?:take|takes|taking|have|has)\s+|x\s*)?{_CHINESE_BETWEEN}"
    rf"(\d+(?:\.5)?)\s*{_TABLET}"
)
# "Medrol 4mg tablets, I take one and a half every morning": a strength, then how many.
_STRENGTH_THEN_TAKE = re.compile(
    rf"(?<![\d.]){_N}\s*{_MG}\s*{_TABLET}\s*[,，]?\s*(?:and\s+)?(?:i\s+|she\s+|he\s+)?"
    rf"(?:take|takes|taking|have|has)\s+(\d+(?:\.\d+)?)(?!\s*(?:\.\d|{_MG}|{_TABLET}))"
)
# One word that can be the medicine's name, not when or how often ("2 tabs daily 20mg" is not
# "2 tabs of 20mg").
_NAME_WORD = (
    r"(?!(?:daily|day|days|a|an|per|each|every|in|at|on|twice|once|thrice|morning|mornings"
    r"|evening|night|noon|am|pm|total|and|or|now)\b)[a-z]{4,}|[\u4e00-\u9fff]{2,6}"
)
# "2 tablets of 5 mg", "0.5 tab of deltasone 20mg": the medicine's name may stand between.
_COUNT_THEN_STRENGTH = re.compile(
    rf"(?<![\d.])(\d+(?:\.\d+)?)\s*{_TABLET}\s*[,，]?\s*(?:of\s+)?(?:the\s+|my\s+)?"
    rf"(?:({_NAME_WORD})\s*)?{_N}\s*{_MG}(?!\s*{_TABLET})"
)
# A strength per tablet said apart from the count: "一天两片 每片5mg", "5mg一片，一天两片",
# "two tablets a day, each 5 mg".
_PER_TABLET = re.compile(
    rf"(?:每|一|(?<![\d.])1\s*|each\s+|per\s+){_TABLET}\s*(?:是|is\s+)?{_N}\s*{_MG}"
    rf"|(?<![\d.]){_N}\s*{_MG}\s*(?:一|每|1\s*|/|a\s+|per\s+|each\s+){_TABLET}"
    rf"|\beach\s+(?:one\s+)?(?:is\s+)?{_N}\s*{_MG}"
    rf"|(?<![\d.]){_N}\s*{_MG}\s+(?:tablets|tabs|pills)\b"  # "10 mg tablets, two at night"
)
# A strength of tablets, then bare counts by the time of day: those are tablets.
_STRENGTH_OF_TABLETS = re.compile(rf"{_N}\s*{_MG}\s+(?:tablets|tabs|pills)\b")
_COUNT_AT_A_TIME = re.compile(
    r"(?<![\d.])(\d+(?:\.5)?)\s+(in the morning|at night|in the evening|at bedtime|at lunch"
    r"|at noon|at breakfast|at dinner|am|pm)\b"
)
# "prednisolone 5mg, I take 7 of them": a count of the tablets just named.
_OF_THEM = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s+of\s+(?:them|those|these|the tablets|the pills|it)\b"
)
_TABLET_COUNT = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)\s*{_TABLET}")
# Durations are not frequencies ("started a week ago", "for 2 weeks").
_DURATION = re.compile(
    r"\b(?:a|an|one|\d+|a few|few|a couple of)\s+(?:days?|weeks?|months?|years?)"
    r"\s+(?:ago|back|now)\b|\b(?:for|since|over)\s+(?:a|an|one|\d+|the\s+past|the\s+last)"
    r"\s+(?:days?|weeks?|months?|years?)\b"
)
_VARIES = (
    "it varies",
    "varies",
    "it depends",
    "depends",
    "not fixed",
    "no fixed dose",
    "not on a fixed dose",
    "changes",
    "it changes",
    "不固定",
    "看情况",
    "不一定",
)
# Words marking a steroid as taken in the past, before or after its name.
_PAST = re.compile(
    r"\b(?:stopped|quit|no longer|used to|came off|come off|weaned off|tapered off|was on"
    r"|previously|formerly|in the past|discontinued)\b|停了|停药|停掉|以前|之前|曾经|不吃了"
)


# An amount the dose was changed from, not the dose now: "从四片减到三片", "上周刚从4片减下来",
# "down from 20mg", "from 4 tablets to 3".
_FORMER_AMOUNT = re.compile(
    rf"(?:\b(?:down|up|reduced|lowered|cut|tapered|increased|dropped|went)\s+(?:it\s+)?from"
    rf"|(?<![a-z])from|从|由)\s*\d+(?:\.\d+)?\s*(?:{_MG}|{_TABLET})?"
    rf"(?=\s*(?:减|降|调|加|改|变|到|\bto\b|\bdown\b|\bup\b|->|→))"
    rf"|(?<=\bdown)\s+from\s+\d+(?:\.\d+)?\s*(?:{_MG}|{_TABLET})?"
)
# "from 4 tablets to 3", "从20mg减到15": the new amount in the old one's unit.
_FROM_TO = re.compile(
    rf"(?:(?<![a-z])from|从|由)\s*\d+(?:\.\d+)?\s*(?P<unit>{_MG}|{_TABLET})\s*"
    r"(?:to|->|→|(?:减|降|调|改|加)?(?:到|成|为))\s*(?P<amount>\d+(?:\.\d+)?)(?![\d.]|\s*[a-z毫片粒颗])"
)


# "10mg 每天 就是两片", "20 mg, that's 4 tablets": the tablets the stated total is made of.
_THAT_IS_TABLETS = re.compile(
    rf"(?:也就是|就是|即|that'?s|that is|i\.?e\.?|so)\s*(?:\d+(?:\.\d+)?)\s*{_TABLET}"
)


def _rewrite_tablets(prepared: str) -> str:
    prepared = _OF_THEM.sub(r" \1 tablets ", prepared)
    if _STRENGTH_OF_TABLETS.search(
        prepared
    ):  # "10 mg tablets, two in the morning and two at night"
        prepared = _COUNT_AT_A_TIME.sub(r" \1 tablets \2", prepared)

    def half(m: re.Match[str]) -> str:
        return f" {float(next(group for group in m.groups() if group)) / 2:g} mg "

    stated = _stated_mg(prepared)
    if stated:
        prepared = _THAT_IS_TABLETS.sub(" ", prepared)

    def made_of(strength: float, count: float) -> str:
        """The mg a count of tablets makes; nothing when the patient also gave that total
        ("每天15毫克，一片5毫克吃三片"); the "strength" itself when it is a total of usual
        tablets ("15mg, 3 tablets")."""
        others = list(stated)
        if strength in others:
            others.remove(strength)
        if strength * count in others:
            return " "
        if strength not in _TABLET_STRENGTHS_MG and strength / count in _TABLET_STRENGTHS_MG:
            return f" {strength:g} mg "
        return f" {strength * count:g} mg "

    def strength_count(m: re.Match[str]) -> str:
        return made_of(float(m[1]), float(m[2]))

    def count_strength(m: re.Match[str]) -> str:
        name = f" {m[2]} " if m[2] else ""  # kept: it says which steroid the mg are of
        return name + made_of(float(m[3]), float(m[1]))

    prepared = _AND_A_HALF.sub(lambda m: f"{m[1]}.5{m[2]}", prepared)
    prepared = _HALF_TABLET.sub(half, prepared)
    prepared = _HALF_A_TABLET.sub(
        lambda m: f" 0.5{next(group for group in m.groups() if group)}", prepared
    )
    prepared = _count_times_strength_apart(prepared, stated)
    prepared = _STRENGTH_THEN_TAKE.sub(lambda m: f" {float(m[1]) * float(m[2]):g} mg ", prepared)
    prepared = _STRENGTH_THEN_COUNT.sub(strength_count, prepared)
    return _COUNT_THEN_STRENGTH.sub(count_strength, prepared)


def _stated_mg(prepared: str) -> list[float]:
    """The milligram amounts written in the text, as written."""
    return [
        _number(m["value"])
        for m in _AMOUNT.finditer(prepared)
        if m["unit"] and re.fullmatch(_MG, m["unit"])
    ]


def _count_times_strength_apart(prepared: str, stated: list[float]) -> str:
    """ "一天两片 每片5mg" -> "一天 10 mg": one strength per tablet and one count of tablets
    (nothing when the patient gave the total too: "每天15毫克，每片5毫克，吃三片")."""
    strengths = list(_PER_TABLET.finditer(prepared))
    if len(strengths) != 1:
        return prepared
    found = strengths[0]
    strength = float(next(group for group in found.groups() if group))
    rest = prepared[: found.start()] + " " + prepared[found.end() :]
    counts = list(_TABLET_COUNT.finditer(rest))
    if len(counts) > 1:  # "早上两片，晚上半片，每片5毫克": the tablets of the day add up
        numbers = [float(count[1]) for count in counts]
        total = max(numbers)
        # not a total said with its parts ("一天3片，早2晚1": three counts at least)
        if len(numbers) < 3 or total * 2 != sum(numbers):
            total = sum(numbers)
        rest = f"{total:g}片 " + _TABLET_COUNT.sub(" ", rest)
        counts = list(_TABLET_COUNT.finditer(rest))
    if len(counts) != 1:
        return prepared
    others = list(stated)
    if strength in others:
        others.remove(strength)

    def made(m: re.Match[str]) -> str:
        total = float(m[1]) * strength
        return " " if total in others else f" {total:g} mg "

    return _TABLET_COUNT.sub(made, rest)


def _drop_past_steroids(prepared: str, lexicon: Lexicon) -> str:
    """The text without the clauses about a steroid taken in the past ("stopped prednisone")."""
    kept = []
    for clause in re.split(r"[,;，；。.](?!\d)|\bbut\b|\bnow\b|但是|现在", prepared):
        steroids = [m for m in lexicon.find_medicines(clause) if _is_steroid(lexicon, m)]
        if steroids and _PAST.search(clause):
            continue
        kept.append(clause)
    return " , ".join(kept)


# A dose typed in pinyin ("yi tian liang pian", "mei tian san pian"): its numbers and units.
_PINYIN_NUMBERS = {"yi": "一", "er": "二", "liang": "两", "san": "三", "si": "四", "wu": "五"}
_PINYIN_NUMBERS |= {"liu": "六", "qi": "七", "ba": "八", "jiu": "九", "shi": "十", "ban": "半"}
_PINYIN_COUNT = re.compile(rf"\b({'|'.join(_PINYIN_NUMBERS)})\s*(pian|ke|li|ci|tian)\b")
_PINYIN_UNITS = {"pian": "片", "ke": "颗", "li": "粒", "ci": "次", "tian": "天"}
_PINYIN_WORDS = re.compile(r"\bmei\s*tian\b|\bhao\s*ke\b|\bmei\s*pian\b")
_PINYIN_WORD = {"meitian": "每天", "haoke": "毫克", "meipian": "每片"}


def _from_pinyin(prepared: str) -> str:
    prepared = _PINYIN_WORDS.sub(lambda m: _PINYIN_WORD[m[0].replace(" ", "")], prepared)
    return _PINYIN_COUNT.sub(lambda m: _PINYIN_NUMBERS[m[1]] + _PINYIN_UNITS[m[2]], prepared)


def parse_steroid_dose(text: str, lexicon: Lexicon) -> dict[str, object] | str | None:
    """{"medicine": steroid id | None, "mg_per_day": float} | "none" | UNSURE | None.

    Two different current steroids give their sum in prednisone-equivalent mg with
    "medicine": "prednisone" and "parts" (each steroid's own dose) for the read-back."""
    prepared = _from_pinyin(prepare(text))
    if looks_like_code(prepared, arithmetic=False):
        return None
    if has_phrase(prepared, _VARIES):
        return UNSURE
    current = _drop_past_steroids(prepared, lexicon)
    if current != prepared and not re.search(r"\d", words_to_digits(current)):
        return "none" if not is_unsure(prepared) else UNSURE
    prepared = _FROM_TO.sub(r" \g<amount> \g<unit> ", words_to_digits(current))
    prepared = _FORMER_AMOUNT.sub(" # ", prepared)
    prepared = _DURATION.sub(" # ", _rewrite_tablets(prepared))
    several = _several_steroids(prepared, lexicon)
    if several is not False:
        return several
    steroid, about_steroid = _steroid_part(prepared, lexicon)
    if about_steroid is None or _FRACTION_WORDS.search(words_to_digits(prepared)):
        return None
    frequencies, rest = _take_frequencies(about_steroid)
    amounts = _amounts(words_to_digits(rest))
    if amounts is None:
        return None
    if not amounts:
        if has_phrase(prepared, _NONE_PHRASES) or yes_no_signal(prepared) == "no":
            return "none"
        return UNSURE if is_unsure(prepared) else None
    if len(frequencies) > 1 or (frequencies and len(amounts) > 1):
        return None
    times_a_day = frequencies[0] if frequencies else 1.0
    mg_per_day = round(sum(amounts) * times_a_day, 4)
    if mg_per_day == 0:
        return "none"
    if mg_per_day > MAX_MG:
        return None
    return {"medicine": steroid, "mg_per_day": mg_per_day}


def _steroid_groups(prepared: str, lexicon: Lexicon) -> list[tuple[str, str]] | None:
    """Each named steroid with the words that go with it: the clause or space-separated piece
    naming it and the pieces after it up to the next steroid ("强的松早上四片 一片5mg 晚上再加
    美卓乐三片 一片4mg"). None when a piece names two steroids, or a times-a-day in a clause of
    its own after the last one could belong to either ("prednisone 5mg, medrol 4mg, twice a
    day")."""
    groups: list[tuple[str, list[str]]] = []
    leading: list[str] = []
    last_steroid_clause = 0
    for clause_number, clause in enumerate(_CLAUSE_BREAK.split(prepared)):
        for piece in clause.split():
            named = [m for m in lexicon.find_medicines(piece) if _is_steroid(lexicon, m)]
            if len(set(named)) > 1:
                return None
            if named:
                groups.append((named[0], [*leading, piece]))
                leading = []
                last_steroid_clause = clause_number
            elif groups:
                groups[-1][1].append(piece)
            else:
                leading.append(piece)
        alone = len(groups) > 1 and clause_number > last_steroid_clause
        if alone and _take_frequencies(clause)[0] and not _amounts(words_to_digits(clause)):
            return None
    return [(medicine, " ".join(pieces)) for medicine, pieces in groups]


def _several_steroids(prepared: str, lexicon: Lexicon) -> dict[str, object] | bool | None:
    """Two or more different steroids now: their doses, each read in its own clause, summed
    as prednisone-equivalent; False when fewer than two steroids are named."""
    steroids = list(
        dict.fromkeys(m for m in lexicon.find_medicines(prepared) if _is_steroid(lexicon, m))
    )
    if len(steroids) < 2:
        return False
    groups = _steroid_groups(prepared, lexicon)
    if groups is None:
        return None
    parts = []
    for medicine, words in groups:
        dose = parse_steroid_dose(words, lexicon)
        if not isinstance(dose, dict):
            return None
        parts.append({"medicine": medicine, "mg_per_day": dose["mg_per_day"]})
    if sorted(p["medicine"] for p in parts) != sorted(steroids):
        return None
    total = 0.0
    for part in parts:
        converted = lexicon.prednisone_mg(part["medicine"], part["mg_per_day"])
        if converted is None:
            return None
        total += converted
    total = round(total, 4)
    if not 0 < total <= MAX_MG:
        return None
    return {"medicine": "prednisone", "mg_per_day": total, "parts": parts}
