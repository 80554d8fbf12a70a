"""Context of a mention: is a named medicine, infection, transplant or event the patient's present
fact, or negated, past, only planned, someone else's, or a negative test?

A small ConText-style reader (after Chapman et al.'s NegEx/ConText, as in medspaCy): trigger
phrases are data (`TRIGGERS` below), each with a status and a direction (before or after the
mention); a trigger's scope ends at a clause break (commas, "but", "except", "although",
"however", "apart from", 但是/但/不过/除了, ，。；). medspaCy's ConText was considered: it has no
Chinese triggers and would add spaCy to the action server, while the parsers here work on a
prepared string with character spans; this module covers English and Chinese in the same way.

Pure functions; never raise.
"""

from __future__ import annotations

import re

from bot.parsing.text import CJK_LIST_JOINERS, has_cjk, is_negated, phrase_pattern, prepare
from bot.parsing.text import CJK_RANGES as _CJK

PRESENT = "present"
NEGATED = "negated"
PAST = "past"
PLANNED = "planned"
OTHER_PERSON = "other_person"
NEGATIVE_TEST = "negative_test"

_RELATIVES = (
    "mum", "mom", "mother", "dad", "father", "sister", "brother", "husband", "wife", "friend",
    "son", "daughter", "aunt", "uncle", "grandmother", "grandfather", "grandma", "grandpa",
    "cousin", "partner", "family",
)  # fmt: skip

# A relative of the patient's after 我 / 她 / 他 ("她爸", "他母亲"): their illness is not hers.
_CJK_RELATIVES = (
    *("爸", "妈", "父亲", "母亲", "爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷", "哥", "姐"),
    *("弟", "妹", "舅舅", "姑姑", "阿姨", "叔叔", "婆婆", "公公", "岳母", "丈母娘"),
    *("爹", "娘", "儿子", "女儿", "老公", "老婆", "媳妇", "丈夫", "妻子"),
    # spouses, children and cousins as people say them; 老汉 is a father in Sichuan
    *("老汉", "老伴", "爱人", "对象", "孩子", "闺女", "表姐", "表哥", "表妹", "表弟", "堂姐"),
    *("堂哥", "堂妹", "堂弟", "外甥", "侄子", "侄女", "小姨", "大姨", "姨妈", "舅妈", "朋友"),
    *("老妈", "老爸", "老头", "家人", "家里人"),
)

# status -> (phrases before the mention, phrases after it, in the same clause)
TRIGGERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    PAST: (
        (
            "used to",
            "was on",
            "were on",
            "previously",
            "in the past",
            "came off",
            "stopped",
            "no longer",
            "was taking",
            "used to take",
            "had been on",
            "quit",
            "went off",
            "stopped taking",
            "tapered off",
            "吃过",
            "用过",
            "得过",
            "曾经",
            "小时候",
            "以前",
            "之前吃过",
            "之前用过",
            "过去",
            "曾经吃",
            "停了",
        ),
        (
            "stopped",
            "in the past",
            "no longer",
            "came off",
            "not anymore",
            "any more",
            "anymore",
            "停了",
            "停药",
            "已经停",
            "以前",
            "tapered off",
            "cleared up",
            "it cleared",
            "went away",
            "was treated",
            "治好了",
            "已经好了",
            "停药了",
            "不吃了",
            "不用了",
        ),
    ),
    PLANNED: (
        (
            "wants me to start",
            "wants me to try",
            "want me to start",
            "want me to try",
            "going to start",
            "going to try",
            "might start",
            "may start",
            "will start",
            "plan to start",
            "planning to start",
            "thinking of starting",
            "suggested",
            "might add",
            "may add",
            "might try",
            "may try",
            "plans to give me",
            "plan to give me",
            "scheduled for",
            "supposed to start",
            "on the list for",
            "on the waiting list for",
            "planning to get",
            "going to get",
            "next month",
            "next week",
            "建议用",
            "要开始",
            "下周",
            "下个月",
            "wants me to have",
            "want me to have",
            "wants me to get",
            "want me to get",
            "医生说要加",
            "医生说要",
            "要加",
            "要做",
            "要打",
            "准备",
            "打算",
            # a doctor raising a drug is not the patient taking it
            *("mentioned", "talked about", "brought up", "recommended", "discussed", "offered"),
            *("建议我", "想让我", "提过", "说过可以"),
        ),
        (
            *("next month", "next week", "next year", "soon", "还没开始", "还没吃", "还没用"),
            *("还没打", "还没做", "not started yet", "not yet started", "yet to start"),
            *("havent started", "haven't started", "have not started", "hasnt started"),
            *("hasn't started", "has not started"),
        ),
    ),
    OTHER_PERSON: (
        (
            *(f"{whose} {who}" for whose in ("my", "her", "his", "their") for who in _RELATIVES),
            # "my mom's on dialysis" without its apostrophe
            *(f"{whose} {who}s" for whose in ("my", "her", "his", "their") for who in _RELATIVES),
            *("我妈", "我爸", "家人", "妈妈", "爸爸", "我姐", "我哥", "我弟", "我妹", "我老公"),
            *(f"{whose}{who}" for whose in ("我", "她", "他") for who in _CJK_RELATIVES),
        ),
        (
            *("in my family", "in the family", "runs in"),
            # "乙肝是我婆婆有": said after the illness
            *(f"是{whose}{who}" for whose in ("我", "她", "他") for who in _CJK_RELATIVES),
        ),
    ),
    NEGATIVE_TEST: (
        ("tested negative for", "negative for", "阴性"),
        ("negative", "阴性", "came back clear", "was clear"),
    ),
}
_POSITIVE_TEST = ("positive", "阳性")
# A clause that only gives a result ("tested for HIV, negative", "查过HIV，是阴性", "HIV、梅毒，
# 全部negative"): these words and nothing else.
_RESULT_FILLERS = (
    *("negative", "it", "was", "were", "is", "are", "came", "back", "the", "result", "results"),
    *("all", "both", "clear", "all of them", "both of them", "they", "them"),
    *("阴性", "结果", "全部", "全都", "都", "全", "是", "也", "查过", "检查"),
)
_RESULT_ONLY = re.compile(
    "|".join(
        re.escape(f) if has_cjk(f) else rf"(?<![^\W_{_CJK}]){re.escape(f)}(?![^\W_{_CJK}])"
        for f in sorted(_RESULT_FILLERS, key=len, reverse=True)
    )
)

# A clause right after a mention that only says it was stopped ("CellCept, stopped it in March",
# "CellCept, stopped in 2020", "环磷酰胺，停了"); "Plaquenil, stopped methotrexate" names another.
_STOPPED_IT = re.compile(
    r"\s*(?:i\s+|but\s+|i\s+have\s+|ive\s+)?"
    r"(?:stopped|quit|came off|no longer take|tapered off|went off|not any ?more|no longer)"
    r"(?:\s+(?:it|them|that|those|both|taking it|taking them))?"
    r"(?:\s+(?:in|last|on|since|about|around|a|an|years?|months?|weeks?|ago|already|now|when|"
    r"after|because|due|\d)\b.*)?\s*$"
    r"|\s*(?:去年|已经|早就)?停(?:了|药|掉了)"
)
# "CellCept, but I haven't started it", "骁悉 还没开始吃": a drug named, then not yet begun.
_NOT_STARTED_IT = re.compile(
    r"\s*(?:but\s+)?(?:i|she|he|we)?\s*(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not)\s+"
    r"(?:started|start|begun|begin|tried|taken|had)(?:\s+(?:it|them|that|taking it))?"
    r"(?:\s+yet)?\b"
    r"|\s*(?:还|都)?没(?:有)?开始"
)
# "still on it" after a mention keeps it present; "no longer" before it is the past, not a no;
# "no side effects from Benlysta" negates the side effects, not Benlysta.
_STILL_ON = re.compile(r"\bstill (?:on|taking|take)\b|还在吃|一直在吃")
_NO_LONGER = re.compile(r"\bno longer\b|\bnot any ?more\b")
# Denied right after the name: "羟氯喹没吃过", "骁悉从来没用过", "plaquenil, never taken"
# (not "还没吃": not yet, which is planned).
_NOT_TAKEN_AFTER = re.compile(
    r"\s*(?:从来|从|都|也|一直|根本)?(?:没有|没|未|不能|不让|不)(?:吃|用|服|打|做|试)过?"
    r"(?!了|药|针|抗|治|什么)"  # "乙肝没有吃药": the medicine is denied, not the hepatitis
    r"|\s*[,-]?\s*(?:never|not)\s+(?:taken|tried|used|had|been on)\b"
)
# Denied by the words that end its piece: "梅毒也没有", "丙肝没得过 ", "hiv都没有，".
_DENIED_RIGHT_AFTER = re.compile(
    r"\s*(?:也|都|全都|全|从来|一直|根本)?\s*(?:没有|没|无|未)(?:得过|感染过|查出来?|过)?"
    r"\s*(?:了|的|呢|啊)?(?=\s|$|[,.;!?，。；！？])"
)
# A Chinese clause that ends by denying its subject, after a reason: "羟氯喹因为眼睛不好从来没吃过".
_DENIED_AT_CLAUSE_END = re.compile(
    r"[\u4e00-\u9fff](?:从来|从|都|也|一直|根本)?(?:没有|没|未)(?:吃|用|服|打|做|试|得)过?"
    r"(?:了|的|呢|啊)?\s*$"
)
# ...unless the clause turns to something else ("羟氯喹在吃别的没吃过").
_SOMETHING_ELSE_CJK = re.compile(r"在吃|在用|吃着|还在|别的|其他|其它|另外|以外|之外")
_ABOUT_SOMETHING_ELSE = re.compile(
    r"\b(?:no|without|never had any|not any)\s+(?:side effects?|problems?|issues?|reactions?)"
    r"\s+(?:from|with|on|to)\b"
)
_ANY_CJK_RELATIVE = "|".join(sorted(_CJK_RELATIVES, key=len, reverse=True))
_THE_PATIENT = re.compile(rf"\b(?:me|my|i|im)\b|我(?!{_ANY_CJK_RELATIVE})")
# "my sister has asthma, me too", "我妈有 我也有": the patient has it as well.
_THE_PATIENT_TOO = re.compile(
    r"\b(?:me too|me as well|so do i|so did i|so have i|i do too|i did too|i have too"
    r"|i have it too|i had it too|both of us|we both)\b|我也|我们都|我们俩都"
)


def the_patient_too(prepared: str) -> bool:
    """The answer says the patient shares someone else's condition."""
    return bool(_THE_PATIENT_TOO.search(prepared))


# 、 lists things (乙肝、丙肝、HIV): what is said before or after the list is said of each.
# A space between Chinese words ends a clause too: voice input and WeChat use it as a comma
# ("甲氨蝶呤一个礼拜吃一次 还有羟氯喹 激素去年就停了").
CLAUSE_BREAK = re.compile(
    r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|[,.;:!?()，。；：！？]|\b(?:but|except|although|though|however|whereas)\b"
    r"|\b(?:apart|other) (?:from|than)\b|但是|但|不过|除了"
    r"|\b(?:and|but) now\b|\bcurrently\b|现在|目前"
)


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the clauses of a text."""
    spans, start = [], 0
    for match in CLAUSE_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()] or [(0, len(text))]


def clause_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause around the span [start, end)."""
    for clause_start, clause_end in clauses(text):
        if clause_start <= start < clause_end or clause_start < end <= clause_end:
            return clause_start, clause_end
    return 0, len(text)


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return any(phrase_pattern(phrase).search(text) for phrase in phrases)


def _next_clause(text: str, end: int) -> str:
    """The short clause right after a mention ("tested for HIV, negative")."""
    spans = clauses(text)
    for index, (_, clause_end) in enumerate(spans[:-1]):
        if end <= clause_end:
            start, stop = spans[index + 1]
            return text[start:stop]
    return ""


def status(text: str, start: int, end: int) -> str:
    """The context of the mention text[start:end] (a prepared text): PRESENT, NEGATED, PAST,
    PLANNED, OTHER_PERSON or NEGATIVE_TEST."""
    try:
        clause_start, clause_end = clause_of(text, start, end)
        before = text[clause_start:start]
        after = text[end:clause_end]
        if _STILL_ON.search(after):
            return PRESENT
        if _NO_LONGER.search(before):
            return PAST
        if _NOT_TAKEN_AFTER.match(text, end) or _DENIED_RIGHT_AFTER.match(text, end):
            return NEGATED
        if _DENIED_AT_CLAUSE_END.search(after) and not _SOMETHING_ELSE_CJK.search(after):
            return NEGATED  # "羟氯喹因为眼睛不好从来没吃过"
        if is_negated(text, start) and not _ABOUT_SOMETHING_ELSE.search(before):
            return NEGATED
        if _others(before) or _has(after, TRIGGERS[OTHER_PERSON][1]):
            return OTHER_PERSON
        neg_before, neg_after = TRIGGERS[NEGATIVE_TEST]
        if not _has(after, _POSITIVE_TEST) and (_has(before, neg_before) or _has(after, neg_after)):
            return NEGATIVE_TEST
        following = _next_clause(text, end)
        if _has(following, neg_after) and not re.search(r"[^\W_]", _RESULT_ONLY.sub("", following)):
            return NEGATIVE_TEST
        if _STOPPED_IT.match(following):
            return PAST
        if _NOT_STARTED_IT.match(following):
            return PLANNED
        for kind in (PLANNED, PAST):
            pre, post = TRIGGERS[kind]
            if _has(before, pre) or _has(after, post):
                return kind
        return PRESENT
    except Exception:  # a parser never raises: unknown context reads as present
        return PRESENT


# A list of names followed by its denial and nothing more: "乙肝丙肝艾滋都没有", "骁悉 环磷酰胺
# 都没吃过". Not "乙肝没有吃药" (something else is denied), and a clause break ends the list.
_DENIED_AFTER_LIST = re.compile(
    r"\s*(?:啥的|什么的|之类的|这些|这几个|等)?\s*(?:都|全都|全|也|从来|一直|根本)?\s*"
    r"(?:没有|没|无|未)(?:吃|用|服|打|做|试|得|查出|感染)?(?:过)?\s*(?:了|的|呢|啊|吧|哦)?"
    r"(?=\s|$|[,.;!?，。；！？])"  # then nothing more in its piece ("艾滋梅毒都没有 CMV...")
)
_LIST_GAP = re.compile(rf"\s*(?:{CJK_LIST_JOINERS}|还有)?\s*")


def denied_as_a_list(text: str, spans: list[tuple[int, int]]) -> set[int]:
    """Indices of the spans (sorted, over `text`) in a list whose denial follows its last name."""
    denied: set[int] = set()
    run: list[int] = []
    for index, (start, end) in enumerate(spans):
        if run and not _LIST_GAP.fullmatch(text, spans[run[-1]][1], start):
            run = []
        run.append(index)
        next_start = spans[index + 1][0] if index + 1 < len(spans) else None
        denial = _DENIED_AFTER_LIST.match(text, end)
        if denial and (next_start is None or next_start >= denial.end()):
            denied.update(run)
    return denied


def _others(before: str) -> bool:
    """Someone else is named before the mention, and the patient is not named after them ("my
    mum had a transplant" is hers; "my mum reminds me to take my CellCept" is the patient's)."""
    for phrase in TRIGGERS[OTHER_PERSON][0]:
        found = phrase_pattern(phrase).search(before)
        if found and not _THE_PATIENT.search(before[found.end() :]):
            return True
    return False


def is_present(text: str, start: int, end: int, *, past_counts: bool = False) -> bool:
    """The mention is the patient's own fact now (or ever, with past_counts)."""
    found = status(text, start, end)
    return found == PRESENT or (past_counts and found == PAST)


# Words that turn an answer after its first word: "no, but ...", "yes, except ...".
_TURN = re.compile(
    r"\b(?:but|except|although|though|however|apart from|other than)\b|但是|不过|除了"
)


def has_context_words(text: str) -> bool:
    """The answer carries context (a past, a plan, someone else, a test result, a "but"): its
    reading is then not simply its first word, so it is said back before it counts."""
    prepared = prepare(text)
    if _TURN.search(prepared):
        return True
    return any(
        _has(prepared, phrases)
        for kind in (PAST, PLANNED, OTHER_PERSON, NEGATIVE_TEST)
        for phrases in TRIGGERS[kind]
    )


# --- a relative answering for the patient ------------------------------------------------------
# Each relative a carer may answer for, with the words for them (English after "my"; Chinese).
RELATIVES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mother": (("mum", "mom", "mother", "mama", "mommy", "mam"), ("妈妈", "母亲", "老妈", "妈")),
    "father": (("dad", "father", "papa", "daddy"), ("爸爸", "父亲", "老爸", "爸")),
    "daughter": (("daughter",), ("女儿",)),
    "son": (("son",), ("儿子",)),
    "wife": (("wife",), ("老婆", "妻子")),
    "husband": (("husband",), ("老公", "丈夫")),
    "sister": (("sister",), ("姐姐", "妹妹", "姐", "妹")),
    "brother": (("brother",), ("哥哥", "弟弟", "哥", "弟")),
    "grandmother": (("grandmother", "grandma", "gran", "nan"), ("奶奶", "外婆", "姥姥")),
    "partner": (("partner", "girlfriend", "boyfriend"), ("对象",)),
    "friend": (("friend",), ("朋友",)),
}  # fmt: skip


def _carer_patterns(english: tuple[str, ...], chinese: tuple[str, ...]) -> re.Pattern[str]:
    who = "|".join(sorted(english, key=len, reverse=True))
    zh = "|".join(sorted(chinese, key=len, reverse=True))
    return re.compile(
        rf"\b(?:for|on behalf of|about|helping|help)\s+my\s+(?:{who})\b"
        rf"|\bmy\s+(?:{who})\s*(?:is|was|will be|turned|turns|just turned)?\s*(?:\d|about\b|"
        rf"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty)\b)"
        rf"|(?:帮|替|给|为|代)(?:我)?(?:{zh})|(?:我)?(?:{zh})(?:今年)?\s*\d+\s*岁"
    )


_CARER = {relative: _carer_patterns(*words) for relative, words in RELATIVES.items()}


def answered_for(texts: list[str]) -> str | None:
    """The relative a carer says they are answering for ("I'm filling this in for my mum",
    "my daughter is 45", "帮我妈填的"), from the patient's messages so far; None for oneself."""
    for text in texts:
        prepared = prepare(text).replace("'", "")
        for relative, pattern in _CARER.items():
            if pattern.search(prepared):
                return relative
    return None


# The carer's own age ("my daughter is 16, im her mom typing for her (im 44)", "我自己40岁"):
# beside the relative's age, not the patient's. Alone ("I'm 41") it is the patient's, in the
# carer's words.
_CARERS_OWN_AGE = re.compile(
    r"\b(?:i'?m|i am)\s+(?:only\s+|just\s+)?\d{1,3}\b(?!\s*(?:mg|kg|lb|weeks?|months?|days?|%))"
    r"(?:\s*(?:years?|yrs?)(?:\s*old)?)?"
    rf"|我(?!{_ANY_CJK_RELATIVE})(?:自己)?(?:今年)?\s*\d{{1,3}}\s*岁",
    re.IGNORECASE,
)


def as_the_patient(text: str, relative: str | None) -> str:
    """The carer's words with the relative they answer for as the patient: "my mum had a kidney
    transplant" is the patient's transplant when the carer answers for their mum."""
    if relative is None or relative not in RELATIVES:
        return text
    without_own_age = _CARERS_OWN_AGE.sub(" ", text)
    if re.search(r"\d", without_own_age):  # another age is said: the carer's own is not it
        text = without_own_age
    english, chinese = RELATIVES[relative]
    who = "|".join(sorted(english, key=len, reverse=True))
    text = re.sub(rf"\bmy\s+(?:{who})(?:'s|s)?\b", "I", text, flags=re.IGNORECASE)
    zh = "|".join(sorted(chinese, key=len, reverse=True))
    return re.sub(rf"(?:我)?(?:{zh})", "我", text)
