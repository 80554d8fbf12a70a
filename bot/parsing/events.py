"""Answers about things that happen to the patient: an infection being treated now (E2), a recent
heart event (E6), changes to the lupus medicines (I2), and the form of a flu vaccine (E7).

They read "but / except / although" clauses by meaning: "No, but I'm on antibiotics for a UTI"
is a yes to "being treated for an infection"; "no, my dad had a heart attack" is a no; "yes,
except I raised my prednisone last week" is a dose change. What is unclear or contradictory is
never a "no": it comes back as UNSURE or None (the bot asks again).
"""

from __future__ import annotations

import datetime
import re

from bot.parsing import context
from bot.parsing.text import (
    UNSURE,
    find_phrases,
    has_phrase,
    is_negated,
    is_unsure,
    prepare,
)
from bot.parsing.when import parse_when
from bot.parsing.yes_no import NO_CHANGE_PHRASES, yes_no_signal


def _prepare(text: str) -> str:
    return prepare(text).replace("'", "")


def _statuses(prepared: str, phrases: tuple[str, ...]) -> list[tuple[int, int, str]]:
    return [(s, e, context.status(prepared, s, e)) for s, e in find_phrases(prepared, phrases)]


def _clause_text(prepared: str, start: int, end: int) -> str:
    clause_start, clause_end = context.clause_of(prepared, start, end)
    return prepared[clause_start:clause_end]


def _blank(prepared: str, phrases: tuple[str, ...]) -> str:
    """The text with each phrase found replaced by a clause break. Overlapping finds (two
    phrases over the same words) are blanked once, as the stretch they cover together."""
    stretches: list[list[int]] = []
    for start, end in find_phrases(prepared, phrases):
        if stretches and start < stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([start, end])
    for start, end in reversed(stretches):
        prepared = prepared[:start] + " , " + prepared[end:]
    return prepared


# --- an infection being treated now (E2) ------------------------------------------------------
_INFECTIONS = (
    "infection",
    "infections",
    "infected",
    "uti",
    "utis",
    "bladder infection",
    "urinary infection",
    "kidney infection",
    "chest infection",
    "pneumonia",
    "tb",
    "tuberculosis",
    "shingles",
    "herpes",
    "cold sore",
    "bronchitis",
    "sinusitis",
    "cellulitis",
    "abscess",
    "strep",
    "strep throat",
    "tonsillitis",
    "flu",
    "influenza",
    "covid",
    "cold",
    "a cold",
    "thrush",
    "yeast infection",
    "fungal infection",
    "感染",
    "肺炎",
    "结核",
    "肺结核",
    "带状疱疹",
    "疱疹",
    "尿路感染",
    "膀胱炎",
    "支气管炎",
    "感冒",
    "流感",
    "新冠",
)
_TREATMENTS = (
    "antibiotic",
    "antibiotics",
    "antiviral",
    "antivirals",
    "antifungal",
    "antifungals",
    "amoxicillin",
    "augmentin",
    "azithromycin",
    "ciprofloxacin",
    "cipro",
    "doxycycline",
    "nitrofurantoin",
    "macrobid",
    "cephalexin",
    "keflex",
    "levofloxacin",
    "penicillin",
    "acyclovir",
    "aciclovir",
    "valacyclovir",
    "valaciclovir",
    "valtrex",
    "famciclovir",
    "tamiflu",
    "oseltamivir",
    "paxlovid",
    "fluconazole",
    "isoniazid",
    "rifampicin",
    "being treated",
    "getting treated",
    "under treatment",
    "on treatment",
    "treated for",
    "treating",
    "抗生素",
    "消炎药",
    "抗病毒",
    "抗菌",
    "头孢",
    "阿莫西林",
    "左氧氟沙星",
    "阿昔洛韦",
    "伐昔洛韦",
    "正在治疗",
    "在治疗",
    "治疗中",
    "在吃药",
    "输液",
)
# What says an infection is over, or was before now ("last year but it's gone").
_RESOLVED = (
    "gone",
    "cleared",
    "cleared up",
    "recovered",
    "better now",
    "all better",
    "healed",
    "resolved",
    "over it",
    "its over",
    "finished",
    "completed",
    "done with",
    "last year",
    "years ago",
    "year ago",
    "months ago",
    "month ago",
    "好了",
    "已经好",
    "痊愈",
    "治愈",
    "去年",
    "以前",
    "之前",
)
_NOW = ("now", "still", "currently", "at the moment", "right now", "this week", "today")
_NOW += ("现在", "还在", "目前", "正在")
_HAD = re.compile(r"(?<![\w])(?:had|got over|caught)(?![\w])")
_HAVE_HAD = re.compile(r"\b(?:have|has|ive|weve|hes|shes)\s+had\b")
_UNTREATED = ("not treated", "not being treated", "untreated", "no treatment", "never treated")
_UNTREATED += ("not taking anything", "not on anything", "nothing for it", "not on antibiotics")
_UNTREATED += ("no antibiotics", "没治疗", "没有治疗", "没吃药", "没用药")


def _present_now(prepared: str, start: int, end: int, found: str) -> bool:
    """A mention that is the patient's own (PRESENT) and not described as over or past."""
    if found != context.PRESENT:
        return False
    clause = _clause_text(prepared, start, end)
    before = prepared[context.clause_of(prepared, start, end)[0] : start]
    if has_phrase(clause, _NOW):
        return True
    if _HAD.search(before) and not _HAVE_HAD.search(before):
        return False
    return not has_phrase(prepared, _RESOLVED)


def parse_active_infection(text: str) -> str | None:
    """ "yes" (an infection being treated now) | "no" | UNSURE | None.

    A present treatment (antibiotics, antivirals, "being treated for") is a yes whatever the
    first word ("No, but I'm on antibiotics for a UTI"); an infection that is gone, past,
    negated or someone else's is not; a present infection said to be untreated is UNSURE."""
    prepared = _prepare(text)
    treatments = _statuses(prepared, _TREATMENTS)
    infections = _statuses(prepared, _INFECTIONS)
    if any(_present_now(prepared, s, e, found) for s, e, found in treatments):
        return "yes"
    unsure = is_unsure(prepared)
    present_infections = [
        (s, e) for s, e, found in infections if _present_now(prepared, s, e, found)
    ]
    if present_infections:
        if unsure or has_phrase(prepared, _UNTREATED):
            return UNSURE
        return "yes"
    if unsure:
        return UNSURE
    signal = yes_no_signal(prepared)
    if signal is not None:
        return signal
    own = [found for _, _, found in (*infections, *treatments) if found == context.PRESENT]
    if own and not has_phrase(prepared, _RESOLVED):
        return UNSURE  # "I had a UTI": over, or still being treated? Ask again.
    if infections or treatments:
        return "no"  # only over, negated or someone else's ("my son has a cold")
    return None


# --- a serious heart event in the last 6 months (E6) -----------------------------------------
_SERIOUS_HEART = (
    "heart attack",
    "heart attacks",
    "myocardial infarction",
    "mi",
    "stemi",
    "nstemi",
    "heart failure",
    "cardiac arrest",
    "unstable angina",
    "angina",
    "chest pain at rest",
    "stent",
    "stents",
    "bypass",
    "心梗",
    "心肌梗死",
    "心肌梗塞",
    "心衰",
    "心力衰竭",
    "心绞痛",
    "心脏骤停",
    "支架",
)
_RHYTHM = (
    "irregular heartbeat",
    "irregular heart beat",
    "irregular heart rhythm",
    "uneven heartbeat",
    "uneven heart beat",
    "abnormal heartbeat",
    "abnormal heart rhythm",
    "arrhythmia",
    "arrhythmias",
    "afib",
    "a fib",
    "atrial fibrillation",
    "atrial flutter",
    "svt",
    "tachycardia",
    "palpitations",
    "palpitation",
    "heart racing",
    "racing heart",
    "skipped beats",
    "ectopic beats",
    "心律不齐",
    "心律失常",
    "房颤",
    "早搏",
    "心动过速",
    "心慌",
    "心悸",
)
_CHEST_PAIN = ("chest pain", "chest pains", "胸痛", "胸闷")
_HEART_TREATMENT = (
    "treated",
    "treatment",
    "treating",
    "medication",
    "medicine",
    "meds",
    "pills",
    "tablets",
    "beta blocker",
    "beta blockers",
    "metoprolol",
    "bisoprolol",
    "amiodarone",
    "flecainide",
    "digoxin",
    "ablation",
    "cardioversion",
    "pacemaker",
    "hospital",
    "hospitalised",
    "hospitalized",
    "a and e",
    "治疗",
    "吃药",
    "开了药",
    "开药",
    "用药",
    "服药",
    "药物",
    "心内科",
    "住院",
    "消融",
    "起搏器",
    "cardiologist",
    "cardiology",
    # rhythm medicines as Chinese patients name them: metoprolol (倍他乐克), bisoprolol (康忻),
    # amiodarone (可达龙), propafenone (心律平), digoxin, and 开了 ... "prescribed"
    *("倍他乐克", "美托洛尔", "比索洛尔", "康忻", "胺碘酮", "可达龙", "心律平", "普罗帕酮"),
    *("地高辛", "开了", "propafenone", "sotalol", "diltiazem", "verapamil"),
)


# Treated, as Chinese says it with words in between: "住过一次院", "吃了一个月药", "开了点药".
_CJK_TREATED = re.compile(r"住[过了]?[\u4e00-\u9fff]{0,3}院|[吃开用][了过]?[\u4e00-\u9fff]{0,5}药")


# A heart event the patient had is theirs however long ago ("去年得过心梗", "I had a heart
# attack"): its date, asked next, decides; only someone else's or a denied one is a no.
_OWN_EVENT = frozenset({context.PRESENT, context.PAST})


# "heart is fine", "my heart's ok": nothing of the kind.
_HEART_FINE = re.compile(
    r"\bheart(?:s| is)?\s+(?:is\s+)?(?:fine|ok|okay|good|normal|healthy)\b"
    r"|心脏(?:很|挺|都)?(?:好|正常|没问题|没事)|^\s*(?:都挺好|都很好|都好|一切正常|都正常)"
    r"|^\s*(?:all good|all fine|im fine|i am fine|everything is fine|all is well)\b"
)


def parse_cardiac_events(text: str) -> str | None:
    """ "yes" | "no" | UNSURE | None. A heart attack, heart failure or unstable chest pain that
    is the patient's own is a yes (its date is asked next, so an old one is no barrier); an
    uneven heartbeat counts when it needed treatment ("never treated" palpitations are a no);
    chest pain or an uneven heartbeat without saying more is UNSURE."""
    prepared = _prepare(text)
    serious = _statuses(prepared, _SERIOUS_HEART)
    rhythm = _statuses(prepared, _RHYTHM)
    chest = [
        (s, e, found)
        for s, e, found in _statuses(prepared, _CHEST_PAIN)
        if not any(ss <= s < se for ss, se, _ in serious)
    ]
    if any(found in _OWN_EVENT for _, _, found in serious):
        return "yes"
    answer: str | None = None
    if any(found in _OWN_EVENT for _, _, found in rhythm):
        treatments = find_phrases(prepared, _HEART_TREATMENT) + [
            m.span() for m in _CJK_TREATED.finditer(prepared)
        ]
        if not treatments:
            # "有，房颤": a yes to the question that names one that needed treatment
            answer = "yes" if yes_no_signal(prepared) == "yes" else UNSURE
        elif all(is_negated(prepared, s) for s, _ in treatments):
            answer = "no"  # "palpitations sometimes, never treated"
        else:
            return "yes"
    if any(found == context.PRESENT for _, _, found in chest):
        return UNSURE
    if answer is not None:
        return UNSURE if answer == UNSURE or is_unsure(prepared) else answer
    if is_unsure(prepared):
        return UNSURE
    if _HEART_FINE.search(prepared) and not (serious or rhythm or chest):
        return "no"  # "my heart's ok" (the "ok" is no yes to the question)
    signal = yes_no_signal(prepared)
    if signal is not None:
        return signal
    if (serious or rhythm or chest) and not context.the_patient_too(prepared):
        return "no"  # only negated, past-tense of someone else, or someone else's
    return None


# --- changes to the lupus medicines (I2) ------------------------------------------------------
DOSE_CHANGED = "dose_changed"
NEW_MEDICINE = "new_medicine"
_DOSE_CHANGE = (
    # the base forms too: "when doctor reduce the pred" (second-language English)
    *("reduce", "lower", "raise", "decrease", "taper", "change the dose"),
    "raising",
    "lowering",
    "reducing",
    "increasing",
    "decreasing",
    "raised",
    "upped",
    "increased",
    "increase",
    "lowered",
    "reduced",
    "decreased",
    "tapered",
    "tapering",
    "cut down",
    "cut back",
    "halved",
    "doubled",
    "bumped up",
    "dropped",
    "weaned",
    "weaning",
    "went up",
    "went down",
    "higher dose",
    "lower dose",
    "dose change",
    "dose changed",
    "changed the dose",
    "changed my dose",
    "changed dose",
    "new dose",
    "adjusted",
    "加量",
    "减量",
    "加了剂量",
    "减了剂量",
    "调整剂量",
    "调了剂量",
    "剂量变",
    "加药",
    "减药",
)
_NEW_MEDICINE = (
    "started",
    "starting",
    "began",
    "begun",
    "new medicine",
    "new medication",
    "new med",
    "new meds",
    "new drug",
    "added",
    "switched",
    "switch",
    "changed to",
    "changed from",
    "stopped",
    "came off",
    "开始吃",
    "开始用",
    "新药",
    "换药",
    "换了",
    "停了",
    "加了",
)
_ANY_CHANGE = ("changed", "change", "changes", "different", "改", "变了", "调整")


# "put my prednisone up", "took her dose down", "from 10 to 15 mg": a dose change in other words.
_MOVED_DOSE = re.compile(
    r"\b(?:put|moved|pushed|took|brought|bumped|turned)\s+(?:(?:my|her|his|the|it|them)\s+)?"
    r"(?:\w+\s+)?(?:dose\s+)?(?:up|down)\b"
    r"|\bfrom\s+\d+(?:\.\d+)?\s*(?:mg)?\s+(?:to|down to|up to)\s+\d"
    # "把强的松从两片加到三片", "减到一片半", "激素降到10mg"
    r"|(?:从|由)[^，。,;；\s]{1,8}(?:加|减|增|降|调|改)(?:到|成|为|至)"
    r"|(?:加|减|增加|减少|降|调)(?:到|成|至)\s*[\d零一二两三四五六七八九十半]"
)


def _change_kinds(prepared: str) -> set[str]:
    """The kinds of change the patient says happened: negated and only planned ones do not
    count ("no dose change", "my doctor wants me to start Benlysta")."""
    prepared = _MOVED_DOSE.sub(" raised ", prepared)
    without_no_change = _blank(prepared, NO_CHANGE_PHRASES)
    kinds = set()
    for phrases, kind in (
        (_DOSE_CHANGE, DOSE_CHANGED),
        (_NEW_MEDICINE, NEW_MEDICINE),
        (_ANY_CHANGE, "no"),
    ):
        for start, end in find_phrases(without_no_change, phrases):
            clause = _clause_text(without_no_change, start, end)
            if is_negated(without_no_change, start) or has_phrase(
                clause, context.TRIGGERS[context.PLANNED][0]
            ):
                continue
            kinds.add(kind)
    if NEW_MEDICINE in kinds and DOSE_CHANGED in kinds:
        kinds.discard(DOSE_CHANGED)  # a new medicine sets the longer wait
    if len(kinds) > 1:
        kinds.discard("no")
    return kinds


def _without_plans(prepared: str) -> str:
    """The answer without its clauses about a change only planned ("医生说下个月可能要加泰爱"):
    their hedge is about the plan, not about the medicines so far."""
    pre, post = context.TRIGGERS[context.PLANNED]
    kept = [
        prepared[start:end]
        for start, end in context.clauses(prepared)
        if not (has_phrase(prepared[start:end], pre) or has_phrase(prepared[start:end], post))
    ]
    return " , ".join(kept) if kept else prepared


def parse_treatment_stable(text: str) -> str | None:
    """ "yes" | "no" (changed, kind not said) | "dose_changed" | "new_medicine" | UNSURE | None.

    "Yes, no changes since June" is a yes; "yes, except I raised my prednisone last week" is a
    dose change; a change of both kinds counts as a new medicine (the longer wait)."""
    prepared = _prepare(text)
    if _DOUBT_ABOUT_A_CHANGE.search(prepared):
        return UNSURE  # "I don't know if the doctor changed the dose"
    kinds = _change_kinds(prepared)
    if NEW_MEDICINE in kinds:
        return NEW_MEDICINE
    if DOSE_CHANGED in kinds:
        return DOSE_CHANGED
    prepared = _without_plans(prepared)
    if is_unsure(prepared):
        return UNSURE
    says_no_change = has_phrase(prepared, NO_CHANGE_PHRASES) or has_phrase(prepared, _SAME)
    signal = yes_no_signal(_blank(prepared, NO_CHANGE_PHRASES))
    if "no" in kinds:
        return None if signal == "yes" else "no"  # "yes, but it changed" is contradictory
    if signal == "no" and says_no_change:
        return None  # "no, nothing has changed": contradictory, ask again
    if signal is None and says_no_change:
        return "yes"
    return signal


# Not knowing whether something changed: "I don't know if the doctor changed the dose",
# "不知道医生有没有调药".
_DOUBT_ABOUT_A_CHANGE = re.compile(
    r"\b(?:dont know|do not know|not sure|unsure|no idea|cant say|cannot say|cant remember)"
    r"\s+(?:if|whether)\b|(?:不知道|不清楚|不确定|记不清)[^,，。]{0,6}(?:有没有|是不是|改没改|变没变|调没调)"
)
_SAME = ("the same", "same medicines", "same meds", "same as before", "stable", "一样", "没变")
_SAME += ("same as always", "as always", "same as usual", "no changes", "一直都是这样", "一直这样")
_SAME += ("都是这样", "老样子", "还是那些")


def change_kind(text: str) -> str | None:
    """ "dose_changed" | "new_medicine" | None: the kind of change the words name."""
    kinds = _change_kinds(_prepare(text))
    if NEW_MEDICINE in kinds:
        return NEW_MEDICINE
    if DOSE_CHANGED in kinds:
        return DOSE_CHANGED
    return None


def parse_treatment_change(
    text: str, today: datetime.date, *, age_years: int | None = None
) -> dict[str, object] | str | None:
    """When the medicines last changed, as parse_when reads it, with "change": "dose_changed" |
    "new_medicine" | None (not said) | UNSURE | None."""
    when = parse_when(text, today, age_years=age_years)
    if isinstance(when, dict):
        return {**when, "change": change_kind(text)}
    return when


# --- the form of a flu vaccine (E7) -------------------------------------------------------------
_INJECTED = ("shot", "injection", "injected", "jab", "needle", "in the arm", "in my arm", "arm")
_INJECTED += ("flu shot", "打针", "注射", "针", "胳膊")
_NASAL = ("nasal", "nose", "spray", "nasal spray", "flumist", "flu mist", "fluenz", "鼻喷", "喷鼻")
_NASAL += ("鼻子",)


def parse_flu_vaccine_form(text: str) -> dict[str, object] | str | None:
    """{"products": ["flu_injected"] | ["flumist"], "generic_covid": False, "none": False} |
    UNSURE | None (both or neither named: ask again)."""
    prepared = _prepare(text)
    injected = any(not is_negated(prepared, s) for s, _ in find_phrases(prepared, _INJECTED))
    nasal = any(not is_negated(prepared, s) for s, _ in find_phrases(prepared, _NASAL))
    if injected != nasal:
        product = "flu_injected" if injected else "flumist"
        return {"products": [product], "generic_covid": False, "none": False}
    if is_unsure(prepared):
        return UNSURE
    return None


# --- lupus still active despite treatment (I2) -------------------------------------------------
# 控制得挺好 / 控制得还可以 / 控制得比较稳: how well, said with a degree word.
_CHINESE_DEGREE = ("挺", "很", "还", "比较", "非常", "蛮", "算", "都", "一直", "还算")
_WELL = ("好", "不错", "可以", "稳")
# Not controlled: the longest phrases first, so "not well controlled" is not "well controlled".
_NOT_CONTROLLED = (
    "not well controlled",
    "not under control",
    "not controlled",
    "not stable",
    "uncontrolled",
    "out of control",
    "没控制住",
    "控制不好",
    "控制不住",
    "不稳定",
    "没有控制",
    "控制得不太好",
    "控制得不好",
    "控制得不是很好",
    "控制得不理想",
    "没控制好",
    "没有控制好",
)
_CONTROLLED = (
    "remission",
    "well controlled",
    "under control",
    "controlled",
    "stable",
    "quiet",
    "calm",
    "settled",
    "平稳",
    "inactive",
    "dormant",
    "缓解",
    "稳定",
    "控制得很好",
    "控制得好",
    "控制得不错",
    "控制住了",
    *(f"控制得{degree}{word}" for degree in _CHINESE_DEGREE for word in _WELL),
)
_ACTIVE = (
    "active",
    "flare",
    "flares",
    "flaring",
    "flared",
    "flare up",
    "flare ups",
    "flareups",
    "worse",
    "getting worse",
    "bad days",
    "活动",
    "复发",
    "发作",
    "反复",
    "加重",
    "犯病",
    "犯过",
    "犯了",
    "还在犯",
    "经常犯",
    "老犯",
)


# A flare years back is history, not activity now ("last real flare was 2 years ago").
_LONG_AGO = re.compile(r"\b(?:\d+|two|three|four|five|a few|several)\s+years?\s+ago\b|年前|前年")


def parse_disease_active(text: str) -> str | None:
    """ "yes" (still active or flaring) | "no" (well controlled, in remission) | UNSURE | None.
    Words of both kinds, or a hedge, are UNSURE: never a no that ends the screening unread."""
    prepared = _prepare(text).replace("控制的", "控制得")  # 的 for 得: the usual slip
    if is_unsure(prepared):
        return UNSURE
    rest = prepared
    not_controlled = bool(find_phrases(rest, _NOT_CONTROLLED))
    rest = _blank(rest, _NOT_CONTROLLED)
    controlled = any(found == context.PRESENT for _, _, found in _statuses(rest, _CONTROLLED))
    rest = _blank(rest, _CONTROLLED)
    active = [
        (
            s,
            context.PAST
            if _LONG_AGO.search(prepared[slice(*context.clause_of(prepared, s, e))])
            else found,
        )
        for s, e, found in _statuses(rest, _ACTIVE)
    ]
    flaring = not_controlled or any(found == context.PRESENT for _, found in active)
    quiet = controlled or (active and all(found == context.NEGATED for _, found in active))
    signal = yes_no_signal(prepared)
    if flaring and quiet:
        return UNSURE
    if flaring:
        return UNSURE if signal == "no" and not not_controlled else "yes"
    if quiet:
        return UNSURE if signal == "yes" else "no"  # "yes, but it is stable now": which?
    return signal
