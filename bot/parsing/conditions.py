"""Answers about conditions: diagnosis, pregnancy, contraception, transplant, asthma and allergy,
viral infections, organ function and lab markers.

Each reads named things first ("kidney transplant", "hepatitis B, cleared"), skipping those the
patient negates ("no asthma"), then falls back on a plain yes / no / not sure.
"""

from __future__ import annotations

import re

from bot.parsing import context
from bot.parsing.text import (
    LISTED_WITH,
    UNSURE,
    find_phrases,
    has_phrase,
    is_negated,
    is_unsure,
    prepare,
)
from bot.parsing.yes_no import yes_no_signal


def _prepare(text: str) -> str:
    """Prepared text without apostrophes, so "doesn't apply" reads as "doesnt apply"; a double
    negative says yes ("it's not that I don't have asthma": I have asthma)."""
    return _DOUBLE_NEGATIVE.sub(r"i \g<verb>", prepare(text).replace("'", ""))


_DOUBLE_NEGATIVE = re.compile(
    r"\b(?:(?:its |it is )?not (?:that|like) i|i (?:cant|cannot|can not) say i)"
    r" (?:dont|do not|didnt|did not) (?P<verb>have|had|take|use)\b"
)


def _statuses(prepared: str, phrases: tuple[str, ...]) -> set[str]:
    """The contexts (bot.parsing.context) the phrases are said in."""
    return {context.status(prepared, s, e) for s, e in find_phrases(prepared, phrases)}


def _mentioned(prepared: str, phrases: tuple[str, ...]) -> bool:
    """Some phrase occurs as the patient's own fact (now or in the past): not negated, not
    someone else's, not only planned, not a negative test."""
    return any(
        context.is_present(prepared, start, end, past_counts=True)
        for start, end in find_phrases(prepared, phrases)
    )


def _negated_mention(prepared: str, phrases: tuple[str, ...]) -> bool:
    return any(is_negated(prepared, start) for start, _ in find_phrases(prepared, phrases))


# --- diagnosis (I1) -------------------------------------------------------------------------------
_SKIN_ONLY = (
    "skin lupus",
    "only skin",
    "just skin",
    "skin only",
    "only on my skin",
    "only in my skin",
    "only on the skin",
    "lupus of the skin",
    "cutaneous",
    "discoid",
    "dle",
    "scle",
    "ccle",
    "皮肤型",
    "盘状",
    "只有皮肤",
)
_DRUG_INDUCED = (
    "drug induced",
    "medication induced",
    "medicine induced",
    "caused by a medicine",
    "caused by a medication",
    "caused by a drug",
    "caused by medicine",
    "caused by medication",
    "from a medicine",
    "from medication",
    "药物性",
    "药物诱导",
    "药物引起",
)
_STRICTLY_SYSTEMIC = ("sle", "systemic", "系统性")
_ONLY_WORDS = ("only", "just", "skin only", "only skin", "只有", "只是", "仅")
_SYSTEMIC = ("sle", "systemic", "systemic lupus", "lupus", "lupus nephritis", "系统性", "狼疮")


# A lupus that is only suspected, or a patient unsure which kind it is: could go either way.
_SUSPECTED = (
    "thinks it is",
    "thinks its",
    "think it is",
    "think its",
    "probably lupus",
    "probably sle",
    "probably has lupus",
    "might be lupus",
    "may be lupus",
    "maybe lupus",
    "suspect",
    "suspected",
    "not confirmed",
    "nobody confirmed",
    "no one confirmed",
    "not diagnosed yet",
    "still doing tests",
    "still testing",
    "waiting for tests",
    "怀疑",
    "可能是",
    "还没确诊",
    "没有确诊",
    "疑似",
)


def parse_diagnosis(text: str) -> str | None:
    """ "yes" | "no" | "skin_only" | "drug_induced" | UNSURE | None. A suspected lupus, or a
    patient unsure whether it is systemic or skin-only, is UNSURE, never a no."""
    prepared = _prepare(text)
    reading = _diagnosis(prepared)
    hedged = is_unsure(prepared) or has_phrase(prepared, _SUSPECTED)
    if hedged and reading in ("no", "skin_only", "yes", None):
        return UNSURE if reading != "yes" or has_phrase(prepared, _SUSPECTED) else reading
    return reading


def _diagnosis(prepared: str) -> str | None:
    if _mentioned(prepared, _DRUG_INDUCED):
        return "drug_induced"
    if _mentioned(prepared, _SKIN_ONLY):
        # "SLE with a discoid rash" is systemic lupus; only "skin only", "just discoid" is not.
        names_systemic = _mentioned(prepared, _STRICTLY_SYSTEMIC)
        if not names_systemic or _mentioned(prepared, _ONLY_WORDS):
            return "skin_only"
        return "yes"
    signal = yes_no_signal(prepared)
    if signal is not None:
        return signal
    if _mentioned(prepared, _SYSTEMIC):
        return "yes"
    if _negated_mention(prepared, _SYSTEMIC):
        return "no"
    return None


# --- pregnancy (I8, E4) and contraception (I8) ----------------------------------------------------
_NOT_APPLICABLE = (
    "does not apply",
    "doesnt apply",
    "not applicable",
    "im a man",
    "i am a man",
    "im a guy",
    "i am male",
    "im male",
    "i am man",
    "im man",
    "i am a guy",
    "not apply",
    "no apply",
    "not applies",
    "menopause",
    "menopausal",
    "postmenopausal",
    "post menopausal",
    "after menopause",
    "hysterectomy",
    "不适用",
    "我是男",
    "男性",
    "男的",
    "绝经",
)
_PREGNANT = (
    "pregnant",
    "pregnancy",
    "expecting",
    "breastfeeding",
    "breast feeding",
    "breastfeed",
    "nursing",
    "give breast",
    "giving breast",
    "breast milk",
    "breastmilk",
    "nurse my baby",
    "nursing my baby",
    "怀孕",
    "妊娠",
    "哺乳",
    "母乳",
    "喂奶",
    "吃奶",
    "吃她的奶",
    "吃我的奶",
    # "怀了 刚查出来的才六周": 怀 as patients say it
    *("怀了", "怀上", "有喜", "有身孕", "怀着"),
    *("with child", "a baby on the way", "im expecting", "weeks along"),
)
_CANNOT_CONCEIVE = ("cant get pregnant", "cannot get pregnant", "infertile", "sterilised")
_CANNOT_CONCEIVE += ("sterilized", "tubes tied", "vasectomy", "不能生育", "结扎")
_WILLING = ("willing", "i will", "i would", "happy to", "already use", "already do", "on the pill")
_WILLING += ("iud", "condoms", "愿意", "可以", "会的")
_WILLING += ("implant", "coil", "上环")
# A method in use, the partner's included ("my husband had a vasectomy").
_METHOD_IN_USE = ("vasectomy", "had the snip", "结扎")
_DONT_MIND = ("wouldnt mind", "would not mind", "dont mind", "do not mind", "fine with that")
_DONT_MIND += ("fine with it", "ok with that", "okay with that", "不介意", "没问题")
_UNWILLING = ("not willing", "unwilling", "wont", "will not", "would not", "wouldnt", "refuse")
_UNWILLING += ("not going to", "不愿意")
_UNWILLING += ("不会", "不想")
_MALE = (
    "im a man",
    "i am a man",
    "im a guy",
    "i am male",
    "im male",
    "i am a guy",
    "我是男",
    "男的",
)


_HOPING_TO_BE = ("trying to get pregnant", "trying for a baby", "want to get pregnant")
_HOPING_TO_BE += ("planning a pregnancy", "planning to get pregnant", "hope to get pregnant")
_HOPING_TO_BE += ("备孕",)


# "现在没怀", "没有怀上": 怀 alone, denied (a "yes" 怀 is in _PREGNANT: 怀了, 怀上, 怀着).
_NOT_EXPECTING_CJK = re.compile(r"(?:没有|没|未|不)(?:在)?怀(?!疑)")
# Maybe pregnant: a late or missed period, no test yet ("I might be? My period is a week late").
_MAYBE_PREGNANT = re.compile(
    r"\b(?:i )?(?:might|may|could) be\b(?! (?:able|wrong))|\bperiods? (?:is |was |are )?"
    r"(?:[a-z]+ ){0,3}late\b|\bmissed (?:my |a )?period|\blate period\b"
    r"|\bhavent (?:done|taken|had) (?:a |the )?test|\bnot (?:done a )?test(?:ed)? yet\b"
    r"|(?:月经|例假|大姨妈)(?:\S{0,3})(?:推迟|没来|晚了|迟了)|还没测|没测过|可能怀了|可能怀孕|说不定怀了"
)
# A whole answer that only says "does not apply" ("n/a", "man"): never a word inside a sentence.
_NOT_APPLICABLE_ALONE = frozenset({"na", "n a", "n/a", "man", "male", "a man", "男", "男的"})
# "pregnant: no", "breastfeeding? yes": a label answered in place.
_LABELLED = re.compile(
    r"(pregnant|pregnancy|breastfeeding|breast feeding|nursing|怀孕|哺乳)\s*[:?：？\-]*\s*"
    r"(yes|no|n ?/ ?a|na|not applicable|是|否|没有|有)(?![^\W_])"
)
# Nursing as a job is not breastfeeding ("no, I work in nursing").
_NURSING_JOB = re.compile(
    r"\b(?:work|working|job|career|study|studying|degree|student|trained)\b[\w ]{0,12}\bnurs\w*"
    r"|\bnursing (?:home|student|school|job|degree|assistant)\b|\bnurse\b"
)


def _labelled_answers(prepared: str) -> set[str]:
    answers = set()
    for match in _LABELLED.finditer(prepared):
        said = match.group(2)
        answers.add(
            "yes" if said in ("yes", "是", "有") else "no" if said in ("no", "否", "没有") else "na"
        )
    return answers


def parse_pregnancy(text: str) -> str | None:
    """ "yes" | "no" | "not_applicable" | UNSURE | None."""
    prepared = _NURSING_JOB.sub(" ", _prepare(text))
    if is_unsure(prepared) or _MAYBE_PREGNANT.search(prepared):
        return UNSURE
    labelled = _labelled_answers(prepared)
    if "yes" in labelled:
        return "yes"
    if labelled == {"no"} or labelled == {"no", "na"}:
        return "no"
    if labelled == {"na"} or prepared.strip(" .!?") in _NOT_APPLICABLE_ALONE:
        return "not_applicable"
    if _mentioned(prepared, _NOT_APPLICABLE):
        return "not_applicable"
    if _mentioned(prepared, _HOPING_TO_BE):
        # planning a pregnancy is not being pregnant: a no when it says so ("没怀孕 在备孕中"),
        # else ask again
        return "no" if _negated_mention(prepared, _PREGNANT) else None
    if _mentioned(prepared, _PREGNANT):
        return "yes"
    if _negated_mention(prepared, _PREGNANT) or _NOT_EXPECTING_CJK.search(prepared):
        return "no"
    return yes_no_signal(prepared)


def parse_contraception(text: str) -> str | None:
    """ "yes" | "no" | "not_applicable" | UNSURE | None."""
    prepared = _prepare(text)
    if is_unsure(prepared):
        return UNSURE
    alone = prepared.strip(" .!?") in _NOT_APPLICABLE_ALONE
    if _mentioned(prepared, _MALE) and _mentioned(prepared, _UNWILLING):
        return "no"  # it applies to men too: "我是男的 我老婆想要孩子 这一年不想避孕"
    if alone or _mentioned(prepared, _NOT_APPLICABLE) or _mentioned(prepared, _CANNOT_CONCEIVE):
        return "not_applicable"
    if _mentioned(prepared, _DONT_MIND) or has_phrase(prepared, _METHOD_IN_USE):
        return "yes"
    if _mentioned(prepared, _UNWILLING):
        return "no"
    if _mentioned(prepared, _WILLING):
        return "yes"
    return yes_no_signal(prepared)


# --- transplant (E3) ------------------------------------------------------------------------------
_ORGANS = ("kidney", "renal", "liver", "heart", "lung", "lungs", "pancreas", "bowel", "intestine")
_MAJOR_TRANSPLANT = (
    *(f"{organ} transplant" for organ in _ORGANS),
    "organ transplant",
    "transplanted kidney",
    "transplanted liver",
    "donor kidney",
    "bone marrow",
    "stem cell",
    "stem cells",
    "肾移植",
    "肝移植",
    # 换肾 / 换的肾 / 换过肝: "had the kidney replaced", as patients say a transplant
    *(f"换{done}{organ}" for done in ("", "的", "了", "过") for organ in ("肾", "肝")),
    "心脏移植",
    "肺移植",
    "骨髓移植",
    "干细胞移植",
    "器官移植",
)
_MINOR_TRANSPLANT = (
    "cornea",
    "corneal",
    "skin graft",
    "bone graft",
    "skin transplant",
    "角膜",
    "植皮",
    "骨移植",
)
_ANY_TRANSPLANT = ("transplant", "transplanted", "transplantation", "移植")
_SHORT_ANSWER_WORDS = 3
_A_COPULA = re.compile(r"是(?=我|她|他|俺)")


# "I don't know if it was a transplant", "不知道算不算移植": the doubt is about the transplant.
_WHETHER = re.compile(r"\b(?:if|whether)\s+(?:it|that|this)\s+(?:was|is|counts)\b|算不算|是不是")


# Said of a transplant that never happened, or of a test of the marrow: no transplant.
_NO_TRANSPLANT_DONE = re.compile(
    r"\b(?:bone marrow|marrow) (?:biopsy|biopsies|test|tests|aspiration|aspirate|sample)\b"
    r"|\btransplant (?:evaluation|assessment|work ?up|consult(?:ation)?|list|waiting list)\b"
    r"|\b(?:evaluated|assessed|considered|referred|listed) for (?:a |an )?(?:\w+ )?transplant\b"
    r"|\bnothing (?:was |got )?transplanted\b"
    r"|骨穿|骨髓穿刺|骨髓活检|骨髓检查|移植评估|(?:等|排队等?)(?:肾|肝)?源|配型"
)


def parse_transplant(text: str) -> str | None:
    """ "yes" | "no" | "minor_only" (cornea, skin or bone graft only) | UNSURE | None."""
    prepared = _NO_TRANSPLANT_DONE.sub(" # ", _prepare(text))
    if is_unsure(prepared) and (
        not has_phrase(prepared, ("transplant", "transplanted", "移植"))
        or _WHETHER.search(prepared)
    ):
        return UNSURE  # "not sure, some procedure; I don't know if it was a transplant"
    if _mentioned(prepared, _MAJOR_TRANSPLANT):
        return "yes"
    short_answer = len(prepared.split()) <= _SHORT_ANSWER_WORDS
    if short_answer and _mentioned(prepared, _ORGANS):
        return "yes"
    if _mentioned(prepared, _MINOR_TRANSPLANT):
        return "minor_only"
    statuses = {
        context.status(prepared, start, end)
        for start, end in find_phrases(prepared, _ANY_TRANSPLANT)
    }
    if statuses & {context.PRESENT, context.PAST}:  # as `_mentioned` reads a mention
        return "yes"
    if (
        _only_someone_elses(prepared, statuses)
        and yes_no_signal(_A_COPULA.sub(" ", prepared)) != "yes"
    ):
        return "no"  # "是我爹做过肝移植": only someone else's ("是" is no yes here)
    return yes_no_signal(prepared)


def _only_someone_elses(prepared: str, statuses: set[str]) -> bool:
    """The mentions are someone else's or denied, and the patient does not say "me too"."""
    return (
        bool(statuses)
        and statuses <= {context.NEGATED, context.OTHER_PERSON}
        and not context.the_patient_too(prepared)
    )


# --- asthma and severe allergy (E8) ---------------------------------------------------------------
_ASTHMA_OR_SEVERE = (
    "asthma",
    "asthmatic",
    "inhaler",
    "anaphylaxis",
    "anaphylactic",
    "epipen",
    "epi pen",
    "adrenaline",
    "adrenalin",
    "epinephrine",
    # reliever and preventer inhalers, by name (an inhaler is asthma's)
    *("ventolin", "salbutamol", "albuterol", "proair", "symbicort", "seretide", "advair"),
    *("pulmicort", "flovent", "qvar", "万托林", "沙丁胺醇", "舒利迭", "信必可", "布地奈德"),
    "severe allergy",
    "severe allergies",
    "severe allergic",
    "serious allergy",
    "serious allergic",
    "allergic shock",
    "throat swelled",
    "throat closed",
    "哮喘",
    "过敏性休克",
    "严重过敏",
    "肾上腺素",
)
# "a severe peanut allergy", "serious allergic reaction to penicillin", "对青霉素严重过敏"
_SEVERE_ALLERGY = re.compile(
    r"\b(?:severe|serious|bad|life threatening|strong)\b(?: [^\W\d_]+){0,2} allerg\w*"
    r"|严重[\u4e00-\u9fff]{0,4}过敏"
    # "打青霉素过敏休克了, 抢救过来的", "过敏到喉头水肿", "allergic to bees, ended up in the ER"
    r"|过敏[\u4e00-\u9fff]{0,4}(?:休克|抢救|喉头水肿|喉咙肿|呼吸困难|急诊|icu)"
    r"|\ballerg\w*(?:[\s,]+(?!(?:never|not|no|didnt|nothing|without)\b)[^\W\d_]+){0,8}"
    r"[\s,]+(?:shock|er|icu|emergency room|intensive care)\b"
)
_HAY_FEVER = (
    "hay fever",
    "hayfever",
    "seasonal allergies",
    "seasonal allergy",
    "mild allergies",
    "mild allergy",
    "pollen",
    "allergic rhinitis",
    "花粉症",
    "花粉过敏",
    "过敏性鼻炎",
    "季节性过敏",
    "鼻炎",
    "轻微过敏",
    "轻度过敏",
)


# An allergy described by a mild reaction only ("allergic to penicillin, I get a rash").
_ALLERGY = ("allergic", "allergy", "allergies", "过敏")
_MILD_REACTION = (
    "rash",
    "hives",
    "itchy",
    "itch",
    "itching",
    "sneezing",
    "sneeze",
    "runny nose",
    "upset stomach",
    "mild",
    "皮疹",
    "起疹子",
    "荨麻疹",
    "痒",
    "轻微",
)


def _doubted_in_its_clause(prepared: str, start: int, end: int) -> bool:
    """The mention's clause, or the one right after it, says "not sure"."""
    spans = context.clauses(prepared)
    index = next(i for i, (s, e) in enumerate(spans) if s <= start < e or start < s)
    near = spans[index : index + 2]
    return any(is_unsure(prepared[s:e]) for s, e in near)


def parse_asthma_allergy(text: str) -> str | None:
    """ "yes" | "no" | "hay_fever_only" | "mild_allergy" | UNSURE | None."""
    prepared = _prepare(text)
    present = [
        (start, end)
        for start, end in find_phrases(prepared, _ASTHMA_OR_SEVERE)
        if context.is_present(prepared, start, end, past_counts=True)
    ]
    if present:
        # "好像有过哮喘，不确定算不算" is not sure; "my Ventolin maybe once a month" is a yes
        doubted = all(_doubted_in_its_clause(prepared, start, end) for start, end in present)
        return UNSURE if doubted else "yes"
    for match in _SEVERE_ALLERGY.finditer(prepared):
        if context.is_present(prepared, match.start(), match.end(), past_counts=True):
            return "yes"
    if _mentioned(prepared, _HAY_FEVER):
        return "hay_fever_only"
    if _mentioned(prepared, _ALLERGY) and has_phrase(prepared, _MILD_REACTION):
        return UNSURE if is_unsure(prepared) else "mild_allergy"
    signal = yes_no_signal(prepared)
    statuses = {
        context.status(prepared, s, e) for s, e in find_phrases(prepared, _ASTHMA_OR_SEVERE)
    }
    if signal is None and _only_someone_elses(prepared, statuses):
        return "no"  # "我姐有哮喘 我木有": the sister's asthma
    return signal


# --- viral infections (E1) ------------------------------------------------------------------------
_VIRUSES = {
    "hiv": ("hiv", "aids", "hiv positive", "艾滋", "艾滋病"),
    "syphilis": ("syphilis", "梅毒"),
    "hepatitis_b": (
        "hepatitis b",
        "hep b",
        "hepb",
        "hbv",
        "hbsag",
        "乙肝",
        "乙型肝炎",
        "大三阳",
        "小三阳",
        # the tests that show a hepatitis B infection, past or present
        *("anti hbc", "anti-hbc", "hbcab", "hbc antibody", "core antibody", "核心抗体"),
        *("表面抗原", "surface antigen"),
    ),
    "hepatitis_c": ("hepatitis c", "hep c", "hepc", "hcv", "丙肝", "丙型肝炎"),
    "cmv": ("cmv", "cytomegalovirus", "巨细胞病毒"),
}
_STATUS_WORDS = {
    "vaccinated": ("vaccinated", "vaccine", "vaccination", "immunised", "immunized", "疫苗"),
    "active": (
        "active",
        "now",
        "currently",
        "current",
        "still",
        "on treatment",
        "under treatment",
        "being treated",
        "antiviral",
        "antivirals",
        "entecavir",
        "tenofovir",
        "baraclude",
        "viread",
        "vemlidy",
        "viral load",
        "现在",
        "正在",
        "活动",
        "抗病毒",
        "恩替卡韦",
        "替诺福韦",
        "大三阳",
        "治疗中",
    ),
    "past": (
        "past",
        "cleared",
        "cured",
        "recovered",
        "resolved",
        "gone",
        "used to",
        "years ago",
        "healed",
        "以前",
        "过去",
        "治愈",
        "痊愈",
        "已愈",
        "清除",
        "好了",
    ),
}
_NONE_OF_THEM = ("none", "none of them", "none of these", "nothing", "没有", "都没有", "无")
# A test result alone ("查过是阴性", "都是阴性"): none of them.
_TESTED_NEGATIVE = ("阴性", "转阴", "都是阴性")
# Antivirals used only for hepatitis B: taking one now is active hepatitis B even when the virus
# is not named ("在吃恩替卡韦"). Sources: WHO hepatitis B guidelines (2024) and
# 中国慢性乙型肝炎防治指南 (2022): entecavir (Baraclude, 博路定; 润众), tenofovir alafenamide
# (Vemlidy, 韦立得), telbivudine, adefovir. Tenofovir disoproxil and lamivudine also treat HIV, so
# they do not say which virus.
_HBV_ONLY_ANTIVIRALS = (
    "entecavir",
    "baraclude",
    "tenofovir alafenamide",
    "vemlidy",
    "telbivudine",
    "adefovir",
    "恩替卡韦",
    "博路定",
    "润众",
    "丙酚替诺福韦",
    "韦立得",
    "替比夫定",
    "阿德福韦",
)


# A test that finds no virus now ("现在HCV RNA查不到", "viral load undetectable now"): cleared,
# whatever time word comes with it, unless a treatment is still going on.
_CLEARED = (
    "undetectable",
    "not detectable",
    "not detected",
    "查不到",
    "检测不到",
    "测不到",
    "查不出",
    "转阴",
)
_STILL_TREATED = (
    *("on treatment", "under treatment", "antiviral", "antivirals", "抗病毒", "治疗中"),
    *("tenofovir", "viread", "替诺福韦", *_HBV_ONLY_ANTIVIRALS),
)


def _virus_status(context: str) -> str:
    found = {status for status, words in _STATUS_WORDS.items() if _mentioned(context, words)}
    if _mentioned(context, _CLEARED) and not _mentioned(context, _STILL_TREATED):
        found = (found - {"active"}) | {"past"}
    if "vaccinated" in found and not found & {"active", "past"}:
        return "vaccinated"
    if found == {"active"} or found == {"active", "vaccinated"}:
        return "active"
    if found == {"past"} or found == {"past", "vaccinated"}:
        return "past"
    return "unclear"


def _denied_with_the_list_head(prepared: str, found: list[tuple[int, int, str]]) -> set[int]:
    """Indices of names listed right after a denied one ("没有 乙肝 丙肝 艾滋", "no hep b or
    hiv")."""
    denied: set[int] = set()
    for index in range(1, len(found)):
        head_denied = (
            index - 1 in denied
            or context.status(prepared, found[index - 1][0], found[index - 1][1]) == context.NEGATED
        )
        if head_denied and LISTED_WITH.fullmatch(prepared, found[index - 1][1], found[index][0]):
            denied.add(index)
    return denied


def parse_viral_infections(text: str) -> dict[str, object] | str | None:
    """{"hiv", "syphilis": bool; "hepatitis_b", "hepatitis_c", "cmv": None | "active" | "past" |
    "unclear"; "none": bool} | UNSURE | None."""
    prepared = _prepare(text)
    found = sorted(
        (start, end, virus)
        for virus, names in _VIRUSES.items()
        for start, end in find_phrases(prepared, names)
    )
    denied = context.denied_as_a_list(prepared, [(start, end) for start, end, _ in found])
    denied |= _denied_with_the_list_head(prepared, found)
    mentions = [
        (start, end, virus)
        for index, (start, end, virus) in enumerate(found)
        if index not in denied and context.is_present(prepared, start, end, past_counts=True)
    ]
    result: dict[str, object] = {"hiv": False, "syphilis": False}
    result |= {"hepatitis_b": None, "hepatitis_c": None, "cmv": None, "none": False}
    for start, end, virus in mentions:
        # what is said of this virus lies between the names around it, denied ones included
        previous_end = max([e for _, e, _ in found if e <= start], default=0)
        breaks = [m.end() for m in re.finditer(r"[,.;，。；]", prepared[:start])]
        clause_start = max([previous_end, *breaks])
        next_start = min([s for s, _, _ in found if s >= end], default=len(prepared))
        around = prepared[clause_start:start] + " " + prepared[end:next_start]
        if prepared[start:end] == "大三阳":  # HBsAg and HBeAg positive: a replicating infection
            around += " 大三阳"
        status = _virus_status(around)
        if virus in ("hiv", "syphilis"):
            result[virus] = result[virus] or status != "vaccinated"
        elif status != "vaccinated":
            if virus == "cmv" and status == "unclear" and not is_unsure(around):
                status = "active"  # the question asks about a CMV infection *now*
            result[virus] = _worse(result[virus], status)  # type: ignore[arg-type]
    if any(result[virus] for virus in _VIRUSES):
        return result
    if _mentioned(prepared, _HBV_ONLY_ANTIVIRALS):  # treated now, whatever hedge comes before
        return {**result, "hepatitis_b": "active"}
    if mentions:
        return {**result, "none": True}
    if is_unsure(prepared):
        return UNSURE
    if _mentioned(prepared, _NONE_OF_THEM) or yes_no_signal(prepared) == "no":
        return {**result, "none": True}
    if _mentioned(prepared, _TESTED_NEGATIVE) and not has_phrase(prepared, ("阳性", "positive")):
        return {**result, "none": True}
    return None


_STATUS_SEVERITY = {None: 0, "past": 1, "unclear": 2, "active": 3}


def _worse(current: str | None, new: str) -> str:
    """Two mentions of one virus: keep the status that matters more for safety."""
    return new if _STATUS_SEVERITY[new] > _STATUS_SEVERITY[current] else str(current)


# --- organ function (I7) --------------------------------------------------------------------------
_ORGAN_PROBLEMS = {
    "dialysis": ("dialysis", "haemodialysis", "hemodialysis", "透析", "血透", "腹透"),
    "kidney_failure": (
        "kidney failure",
        "renal failure",
        "kidneys failed",
        "kidneys are failing",
        "failing kidneys",
        "end stage renal",
        "esrd",
        "renal insufficiency",
        "kidney insufficiency",
        "肾衰",
        "肾衰竭",
        "尿毒症",
        "肾功能不全",
    ),
    "liver_disease": (
        "liver disease",
        "liver problems",
        "liver problem",
        "cirrhosis",
        "liver failure",
        "liver damage",
        "肝硬化",
        "肝病",
        "肝衰竭",
        "肝功能不全",
    ),
    "heart_failure": (
        "heart failure",
        "congestive heart",
        "chf",
        "weak heart",
        "心衰",
        "心力衰竭",
        "心功能不全",
    ),
    "oxygen": ("oxygen", "o2", "home oxygen", "oxygen tank", "吸氧", "氧气"),
    "transfusion": ("transfusion", "transfusions", "blood transfusion", "输血"),
}


def parse_organ_function(text: str) -> dict[str, bool] | str | None:
    """{"dialysis", "kidney_failure", "liver_disease", "heart_failure", "oxygen", "transfusion",
    "none": bool} | UNSURE | None. A bare "yes" is unreadable: it does not say which."""
    prepared = _prepare(text)
    result = {problem: _mentioned(prepared, names) for problem, names in _ORGAN_PROBLEMS.items()}
    if any(result.values()):
        return {**result, "none": False}
    if is_unsure(prepared):
        return UNSURE
    named_and_denied = any(_negated_mention(prepared, n) for n in _ORGAN_PROBLEMS.values())
    if named_and_denied or _mentioned(prepared, _NONE_OF_THEM) or yes_no_signal(prepared) == "no":
        return {**result, "none": True}
    return None


# --- lab markers (I5) -----------------------------------------------------------------------------
_POSITIVE = (
    "positive",
    "low complement",
    "complement low",
    "complement was low",
    "complement is low",
    "low c3",
    "low c4",
    "c3 low",
    "c4 low",
    "high dsdna",
    "raised dsdna",
    "elevated",
    "high",
    "阳性",
    "补体低",
    "补体降低",
    "升高",
)
_ALL_NEGATIVE = (
    "negative",
    "all negative",
    "both negative",
    "all normal",
    "normal",
    "all were normal",
    "all were negative",
    "were negative",
    "were normal",
    "阴性",
    "正常",
)


def parse_lab_markers(text: str) -> str | None:
    """ "yes" (a doctor said one is positive or low) | "all_negative" | "no" (never told of any
    positive) | UNSURE | None."""
    prepared = _prepare(text)
    if _mentioned(prepared, _POSITIVE):
        return "yes"
    if is_unsure(prepared):
        return UNSURE  # "ANA negative, others I don't know": not all three known
    if _negated_mention(prepared, _POSITIVE):
        return "no"  # "never told anything was positive" says nothing about what was tested
    if _mentioned(prepared, _ALL_NEGATIVE):
        named = {marker for marker, names in _MARKERS.items() if find_phrases(prepared, names)}
        if named and len(named) < len(_MARKERS) and not _mentioned(prepared, _ALL_WORDS):
            return UNSURE  # only some markers named as negative
        return "all_negative"
    return yes_no_signal(prepared)


_MARKERS = {
    "ana": ("ana", "antinuclear", "抗核抗体"),
    "dsdna": ("dsdna", "ds dna", "anti dsdna", "双链"),
    "complement": ("complement", "c3", "c4", "补体"),
}
_ALL_WORDS = ("all", "both", "everything", "all of them", "都", "全部")
