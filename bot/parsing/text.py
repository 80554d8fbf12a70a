"""Shared text helpers of the parsers: normalisation, phrase search, negation and "not sure"."""

from __future__ import annotations

import functools
import re
import unicodedata

from bot.chinese import to_simplified

UNSURE = "unsure"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_WORD = re.compile(r"[^\W_]+")
CJK_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{CJK_RANGES}]")
# "有没有" / "是不是" ask "whether": their 没有 / 不是 negate nothing.
_CJK_WHETHER = ("有没有", "是不是", "有无")
_NOT_WORD = re.compile(r"[\W_]+")
# What joins two names of one Chinese list ("乙肝、丙肝", "骁悉和环磷酰胺"); the parsers add the
# joiners their own reading allows ("or", "nor", 还有).
CJK_LIST_JOINERS = r"[、/]|和|与|跟|及|或者|或是|或"
# Between two names of one list, without a clause break: nothing, 、, 和, 或, "or", "nor", "/".
LISTED_WITH = re.compile(rf"\s*(?:{CJK_LIST_JOINERS}|\bor\b|\bnor\b)?\s*")
# Words that offer a choice: "13年还是14年", "tablets or injections".
CHOICE_WORDS = r"\bor\b|还是|或者|或是"

UNSURE_PHRASES = (
    "not sure",
    "im not sure",
    "unsure",
    "not certain",
    "uncertain",
    "idk",
    "dunno",
    "dont know",
    "do not know",
    "didnt know",
    "no idea",
    "no clue",
    "not a clue",
    "dont remember",
    "do not remember",
    "cant remember",
    "cannot remember",
    # the answer is somewhere else: "I'd have to check my notes"
    "have to check",
    "need to check",
    "have to look it up",
    "need to look it up",
    "not 100 sure",
    "not a hundred percent",
    "can not remember",
    "dont recall",
    "cant recall",
    "cannot recall",
    "i forget",
    "i forgot",
    "forgot",
    "maybe",
    "perhaps",
    "possibly",
    "not that i know",
    "hard to say",
    "who knows",
    "undecided",
    "havent decided",
    "not decided",
    # a no said with a doubt: "probably not, Hefei is like a 20 hour trip for me"
    "probably not",
    "likely not",
    "not likely",
    "unlikely",
    "doubt it",
    "i doubt",
)
_UNSURE_CJK = (
    "不知道",
    "不清楚",
    "不确定",
    "不记得",
    "忘了",
    "忘记了",
    "说不清",
    "不太确定",
    "不晓得",
    "不好说",
    "记不清",
    "记不住",
    "想不起来",
    "想不起",
    "无法确定",
    "不太清楚",
    "说不准",
    "可能吧",
    "不一定",
    "说不好",
    "没想好",
    "还没决定",
    "要商量",
    "得商量",
)
_UNSURE_EMOJI = ("🤷", "❓", "?")
# A hedged answer ("好像有", "可能没有", "应该没有"): a guess, never a no (不可能 is a no; a hedged
# yes like 应该有 or 应该是 reads as "I think so", a yes).
_UNSURE_CJK_HEDGE = re.compile(r"(?<!不)(?:好像|可能|大概|也许|或许|似乎|估计)|应该(?:没|不|无|未)")

NEGATION_WORDS = frozenset(
    {
        "no",
        "not",
        "never",
        "without",
        "nor",
        "neither",
        "dont",
        "didnt",
        "doesnt",
        "havent",
        "hasnt",
        "hadnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "none",
    }
)
_NEGATION_CJK = ("没有", "没", "无", "不是", "未", "不", "非")


def prepare(text: str) -> str:
    """Case-fold, unify Unicode forms and apostrophes, drop control characters, squeeze spaces;
    traditional Chinese characters become simplified (四個月前確診 reads as 四个月前确诊)."""
    text = re.sub(r"(\d)½", r"\1.5", text).replace("½", "0.5")
    text = unicodedata.normalize("NFKC", text).casefold()
    if _CJK.search(text):
        text = to_simplified(text)
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'")
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def words(prepared: str) -> list[str]:
    """The words of a prepared text, apostrophes dropped ("don't" -> "dont")."""
    return _WORD.findall(prepared.replace("'", ""))


def padded(prepared: str) -> str:
    """Words joined by single spaces with a space at each end, for whole-phrase search."""
    return " " + " ".join(words(prepared)) + " "


def compact(prepared: str) -> str:
    """The text without spaces and punctuation: how Chinese phrases are searched."""
    return _NOT_WORD.sub("", prepared)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@functools.lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A regex finding the phrase as whole words, any punctuation between its words ("b.i.d.",
    "n/a"); a Chinese phrase anywhere."""
    if has_cjk(phrase) or not phrase.split():
        return re.compile(re.escape(phrase))
    between_words = r"[\W_]*".join(map(re.escape, phrase.split()))
    # A Latin phrase is whole words, but may touch Chinese ("有hiv", "吃plaquenil").
    return re.compile(rf"(?<![^\W_{CJK_RANGES}]){between_words}(?![^\W_{CJK_RANGES}])")


def has_phrase(prepared: str, phrases: tuple[str, ...] | frozenset[str]) -> bool:
    """True when any phrase occurs as whole words (Latin) or as a substring (Chinese)."""
    spaced = padded(prepared)
    joined = compact(prepared)
    for whether in _CJK_WHETHER:
        joined = joined.replace(whether, "|")
    for phrase in phrases:
        if has_cjk(phrase):
            if phrase in joined:
                return True
        elif f" {phrase} " in spaced:
            return True
    return False


def remove_phrases(spaced: str, phrases: tuple[str, ...] | frozenset[str]) -> str:
    """A padded text with every whole-word occurrence of the phrases blanked out."""
    for phrase in sorted(phrases, key=len, reverse=True):
        spaced = spaced.replace(f" {phrase} ", " | ")
    return spaced


# "not so sure", "don't really know", "can't quite remember": a hedge word may sit in between.
_UNSURE_PATTERN = re.compile(
    r" (?:not|never|im not|am not) (?:\w+ ){0,2}(?:sure|certain) "
    r"| (?:dont|do not|didnt) (?:\w+ ){0,2}(?:know|remember|recall) "
    r"| (?:cant|cannot|can not|couldnt) (?:\w+ ){0,2}(?:remember|recall|say|tell) "
)
_CLAUSE_BREAK = re.compile(
    r"[,.;:!?()，。；：！？、]|\b(?:but|except|besides|only|just|however|although|though)\b"
    r"|\b(?:apart|other) (?:from|than)\b|但是|但|只有|除了|不过"
)
_CJK_NEGATION_REACH = 4
_OR_LIST_REACH = 10  # words from a denial to what it denies, along an "or" list
# "梅毒也没有 ", "乙肝丙肝都没有 ": a denial that ends its piece says no to what came before it,
# not to what follows the space.
_DENIAL_OF_WHAT_CAME_BEFORE = re.compile(
    r"(?P<owner>[\u4e00-\u9fffa-z0-9])(?:也|都|全都|全|亦)?\s*(?:没有|没|无|未)"
    r"(?:吃|用|服|打|做|试|得|感染|查出来?)?过?\s*(?:了|的|呢|啊)?\s+"
)
# ...unless what comes before is the patient or a time or emphasis word ("我没有 乙肝", "从来没有
# 乙肝", "现在没有 ..."): then the denial is of what follows.
_NOT_OWNERS = frozenset("我她他它俺们来直本在前还并实的是")
# Words between a denial and what it denies that do not lengthen its reach: "没有做过啥移植".
_CJK_FILLERS = re.compile(r"(?:啥|什么|任何|过)+$")


def find_phrases(prepared: str, phrases: tuple[str, ...]) -> list[tuple[int, int]]:
    """Spans over `prepared` of every phrase (whole words; Chinese by substring), in order."""
    spans = []
    for phrase in phrases:
        spans.extend((m.start(), m.end()) for m in phrase_pattern(phrase).finditer(prepared))
    return sorted(spans)


def is_unsure(prepared: str) -> bool:
    """The patient says they don't know ("not sure", "idk", "不知道", a shrug)."""
    if has_phrase(prepared, UNSURE_PHRASES) or has_phrase(prepared, _UNSURE_CJK):
        return True
    if _UNSURE_CJK_HEDGE.search(compact(prepared)):
        return True
    if _UNSURE_PATTERN.search(padded(prepared)):
        return True
    stripped = prepared.strip()
    return bool(stripped) and all(char in "".join(_UNSURE_EMOJI) + " " for char in stripped)


def is_negated(folded: str, start: int) -> bool:
    """True when the words just before position `start`, in the same clause, negate what
    follows ("no fever", "never took methotrexate", "没有打过辉瑞"); a new clause ("no, but
    Plaquenil", "nothing other than Plaquenil") ends the negation."""
    before = folded[max(0, start - 60) : start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    said_before = [
        m for m in _DENIAL_OF_WHAT_CAME_BEFORE.finditer(clause) if m["owner"] not in _NOT_OWNERS
    ]
    if said_before:  # "梅毒也没有 HIV阳性": the 没有 is said of 梅毒, not of what follows
        clause = clause[said_before[-1].end() :]
    chinese_tail = _CJK_FILLERS.sub("", compact(clause))[-_CJK_NEGATION_REACH:]
    if has_cjk(chinese_tail) and any(word in chinese_tail for word in _NEGATION_CJK):
        return True
    said = words(clause)
    if any(word in NEGATION_WORDS for word in said[-4:]):
        return True
    # "never had a bad reaction or needed an EpiPen": a denial reaches along an "or" list
    negations = [i for i, word in enumerate(said) if word in NEGATION_WORDS]
    reach = said[negations[-1] + 1 :] if negations else []
    return bool(reach) and len(reach) <= _OR_LIST_REACH and bool({"or", "nor"} & set(reach))
