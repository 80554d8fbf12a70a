"""Yes / no / not sure in their many forms, in English and Chinese."""

from __future__ import annotations

import re

from bot.parsing.text import (
    UNSURE,
    UNSURE_PHRASES,
    compact,
    has_cjk,
    is_unsure,
    padded,
    prepare,
    remove_phrases,
)

YES_PHRASES = frozenset(
    {
        "yes",
        "yess",
        "yesss",
        "yeah",
        "yea",
        "yah",
        "ya",
        "yep",
        "yup",
        "y",
        "sure",
        "correct",
        "true",
        "i think so",
        "think so",
        "of course",
        "ofc",
        "absolutely",
        "definitely",
        "certainly",
        "indeed",
        "affirmative",
        "yes please",
        "that is right",
        "thats right",
        "no problem",
        "no worries",
    }
)
# Weak: they only mean yes when nothing in the answer says no ("I have never had it" is no).
WEAK_YES_PHRASES = frozenset(
    {"ok", "okay", "i do", "i am", "i have", "i will", "i would", "i can", "i could", "it is"}
)
NO_PHRASES = frozenset(
    {
        "of course not",
        "not me",  # "not me. my sister gave a kidney to our dad"
        "not me personally",
        "not myself",
        "certainly not",
        "definitely not",
        "absolutely not",
        "no",
        "noo",
        "nooo",
        "nope",
        "nah",
        "n",
        "not really",
        "not at all",
        "i dont think so",
        "dont think so",
        "i think not",
        "never",
        "none",
        "nothing",
        "negative",
        "no way",
        "i dont",
        "i do not",
        "i am not",
        "im not",
        "i have not",
        "i havent",
        "i havent had",
        "i wont",
        "i will not",
        "i cant",
        "i cannot",
        "i wouldnt",
        "i would not",
        "not now",
        "not anymore",
        "false",
        "incorrect",
        "wrong",
    }
)
# Remarks that only say nothing changed ("yes, no changes since June", "yes, and nothing has
# changed"): they hold a "no" word but do not answer no, so they are blanked before reading.
NO_CHANGE_PHRASES = (
    "nothing new",
    "nothing is new",
    "nothing has changed",
    "nothing changed",
    "nothing different",
    "nothing else",
    "no changes",
    "no change",
    "no new",
    "no dose change",
    "no dose changes",
    "no changes to my dose",
    "not changed",
    "hasnt changed",
    "havent changed",
    "has not changed",
    "have not changed",
    "didnt change",
    "did not change",
    "never changed",
    "no new medicines",
    "no new meds",
    "没有变化",
    "没变化",
    "没有改变",
    "没改变",
    "没有调整",
    "没调整",
    "没有换",
    "没换",
    "没变",
)
_YES_EMOJI = ("👍", "✅", "✔", "👌", "🙆")
_NO_EMOJI = ("👎", "❌", "✖", "🙅", "🚫")
_CJK_PARTICLES = "啊呀吧呢哦的了嗯喔哈"
_CJK_UNSURE_START = ("不知", "不清", "不确", "不记", "说不")
_CJK_NO_START = ("没", "不", "否", "无", "从没", "从来没", "从未", "未")
_CJK_PRONOUN = re.compile(r"^(?:我|她|他)(?=没|不|无|有|是|未|从|否)")
_CJK_YES = ("是", "对", "有", "嗯", "好", "可以", "会", "愿意", "能", "行", "当然", "确实")
# Words that make a yes or no firmer without changing it: 肯定没有, 绝对没有, 当然不是.
_CJK_SURELY = re.compile(r"^(?:肯定|绝对|当然|确实|真的|的确)(?=没|不|无|未|从|有|是)")


_NO_CHANGE_LATIN = frozenset(p for p in NO_CHANGE_PHRASES if not has_cjk(p))


def _chinese_yes_no(prepared: str) -> str | None:
    """The Chinese words' yes or no, read from the first Chinese word ("ok so 没有" is 没有)."""
    joined = compact(prepared)
    joined = joined[next((i for i, char in enumerate(joined) if has_cjk(char)), 0) :]
    stripped = joined.strip(_CJK_PARTICLES) or joined
    stripped = _CJK_PRONOUN.sub("", stripped)  # "我没有" is 没有, "她有" is 有
    stripped = _CJK_SURELY.sub("", stripped)  # "肯定没有" is 没有, "当然有" is 有
    if stripped.startswith(_CJK_UNSURE_START):
        return UNSURE
    if stripped.startswith(_CJK_NO_START):
        return "no"
    if stripped.startswith(_CJK_YES):
        return "yes"
    return None


def yes_no_signal(prepared: str) -> str | None:
    """ "yes", "no", UNSURE or None for a prepared text; a hedge ("yes, not sure") is UNSURE and
    a contradiction ("yes and no") is None."""
    has_yes_emoji = any(emoji in prepared for emoji in _YES_EMOJI)
    has_no_emoji = any(emoji in prepared for emoji in _NO_EMOJI)
    unsure = is_unsure(prepared)
    spaced = remove_phrases(padded(prepared), UNSURE_PHRASES)
    spaced = remove_phrases(spaced, _NO_CHANGE_LATIN)
    yes = has_yes_emoji
    no = has_no_emoji
    weak_yes = False
    rest = spaced
    for phrase in sorted(NO_PHRASES | YES_PHRASES | WEAK_YES_PHRASES, key=len, reverse=True):
        if f" {phrase} " in rest:
            if phrase in NO_PHRASES:
                no = True
            elif phrase in YES_PHRASES:
                yes = True
            else:
                weak_yes = True
            rest = rest.replace(f" {phrase} ", " | ")
    if has_cjk(prepared):
        chinese = _chinese_yes_no(prepared)
        unsure = unsure or chinese == UNSURE
        yes = yes or chinese == "yes"
        no = no or chinese == "no"
    yes = yes or (weak_yes and not no)  # after the Chinese: "ok so 没有" is a no
    if unsure:
        return UNSURE
    if yes and no:
        return None
    if yes:
        return "yes"
    if no:
        return "no"
    return None


def parse_yes_no(text: str) -> str | None:
    """ "yes" | "no" | UNSURE | None (unreadable: the bot asks again)."""
    return yes_no_signal(prepare(text))
