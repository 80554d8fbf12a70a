"""Regressions found by `make eval` (tests/eval): answers the parsers misread, now read right."""

from __future__ import annotations

import pytest

from bot.parsing import UNSURE, parse_answer
from bot.parsing.context import answered_for, as_the_patient


def read(kind, text, today, lexicon):
    return parse_answer(kind, text, today=today, lexicon=lexicon)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # a suspected lupus, or not knowing which kind, is unknown, never a no
        ("diagnosis", "I'm not sure if it's systemic or just skin, she has rashes", UNSURE),
        ("diagnosis", "my GP thinks it's lupus, nobody confirmed it yet", UNSURE),
        ("diagnosis", "医生怀疑是狼疮，还没确诊", UNSURE),
        ("diagnosis", "only skin lupus", "skin_only"),
        # a vague procedure the patient is unsure of is not a definite transplant
        ("transplant", "not sure, I had some procedure with stem cells? I'd have to check", UNSURE),
        ("transplant", "not sure of the year but I had a kidney transplant", "yes"),
        ("transplant", "我没有，我妈做过肾移植", "no"),
        ("yes_no", "我没有", "no"),
        ("yes_no", "她有", "yes"),
        # still active, in the words patients use
        ("disease_active", "in remission", "no"),
        ("disease_active", "还在活动，经常复发", "yes"),
        ("disease_active", "not well controlled", "yes"),
        ("disease_active", "no flares lately", "no"),
        ("disease_active", "控制得很好", "no"),
        ("disease_active", "yes but it is stable now", UNSURE),
        ("disease_active", "honestly I can't tell, some bad days", UNSURE),
        # a dose change said in other words
        (
            "treatment_stable",
            "yes, except the doctor put my prednisone up 5 days ago",
            "dose_changed",
        ),
        ("treatment_stable", "yes, went from 10 to 15 mg", "dose_changed"),
        ("treatment_stable", "yes, same meds, put on weight though", "yes"),
        # a day of the month after "born" is no two-digit year of birth (make eval regression)
        ("age", "born 14 march 1985", 41),
        ("age", "born 14th of march 1985", 41),
        # found by the held-out conversations (tests/eval/heldout.yml)
        ("pregnancy", "no of course not", "no"),
        ("when", "summer 2024", {"earliest": "2024-06-01", "latest": "2024-08-31"}),
        ("when", "2024年夏天", {"earliest": "2024-06-01", "latest": "2024-08-31"}),
        ("when", "spring 2025", {"earliest": "2025-03-01", "latest": "2025-05-31"}),
        ("when", "去年夏天", {"earliest": "2025-06-01", "latest": "2025-08-31"}),
        # found by reading more everyday answers
        ("cardiac_events", "my heart's ok", "no"),
        ("cardiac_events", "heart is fine", "no"),
        ("asthma_allergy", "allergic to penicillin, I get a rash", "mild_allergy"),
        ("asthma_allergy", "allergic to penicillin, my throat swelled up", "yes"),
        ("asthma_allergy", "allergic to shellfish, not sure how bad", UNSURE),
        ("contraception", "my husband had a vasectomy", "yes"),
    ],
)
def test_read_by_meaning(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


@pytest.mark.parametrize(
    ("text", "mg"),
    [
        ("泼尼松 一天两片 每片5mg", 10.0),
        ("5mg一片，一天两片", 10.0),
        ("每天两片，一片5毫克", 10.0),
        ("two tablets a day, each 5 mg", 10.0),
        ("一天两次，每次一片，每片5mg", 10.0),
    ],
)
def test_a_strength_per_tablet_apart_from_the_count(text, mg, today, lexicon):
    assert read("steroid_dose", text, today, lexicon)["mg_per_day"] == mg


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("yes Shingrix, the shingles vaccine, 2nd dose", ["shingrix"]),
        ("shingles vaccine", ["shingles_unspecified"]),
        ("the RSV vaccine, Arexvy", ["arexvy"]),
        ("flu vaccine, the nasal flumist", ["flumist"]),
    ],
)
def test_naming_the_product_says_which_one_it_was(text, products, today, lexicon):
    assert read("vaccines", text, today, lexicon)["products"] == products


@pytest.mark.parametrize(
    ("said", "relative"),
    [
        (["hi, I'm filling this in for my mum"], "mother"),
        (["hi", "my daughter is 45"], "daughter"),
        (["hello, asking for my dad"], "father"),
        (["帮我妈填的"], "mother"),
        (["我妈今年61岁"], "mother"),
        (["hi", "34"], None),
        (["no, but my mum had a kidney transplant"], None),  # a fact about her, not a carer
    ],
)
def test_a_carer_says_who_they_answer_for(said, relative):
    assert answered_for(said) == relative


def test_a_carers_relative_is_the_patient(today, lexicon):
    carer = as_the_patient("no, but my mum had a kidney transplant", "mother")
    assert read("transplant", carer, today, lexicon) == "yes"
    medicines = as_the_patient("my daughter takes cellcept and hydroxychloroquine", "daughter")
    assert read("medicines", medicines, today, lexicon)["medicines"] == [
        "mycophenolate_mofetil",
        "hydroxychloroquine",
    ]
    other = as_the_patient("my dad had a heart attack", "mother")
    assert read("cardiac_events", other, today, lexicon) == "no"
    assert as_the_patient("我妈做过肾移植，我爸没有", "mother") == "我做过肾移植，我爸没有"


def test_a_strength_then_how_many_are_taken(today, lexicon):
    text = "Medrol 4mg tablets, I take one and a half every morning"
    assert read("steroid_dose", text, today, lexicon)["mg_per_day"] == 6.0


def test_a_list_with_others_the_patient_cannot_name_is_incomplete(today, lexicon):
    text = "plaquenil, and some others over the years but I really can't remember the names"
    assert read("medicines", text, today, lexicon) == {
        "medicines": ["hydroxychloroquine"],
        "past": [],
        "planned": [],
        "none": False,
        "incomplete": True,
    }
    assert "incomplete" not in read("medicines", "plaquenil and cellcept", today, lexicon)


# --- held-out round 2 (tests/eval/*round2.yml), first run on the stack, 2026-12-03 -----------
def test_a_drug_denied_right_after_its_name_is_not_taken(today, lexicon):
    text = "骁悉吃过两年，后来换成米芙了，羟氯喹没吃过，眼睛不好医生不让吃"
    found = read("medicines", text, today, lexicon)
    assert "hydroxychloroquine" not in found["medicines"] + found["past"]
    assert read("medicines", "纷乐不吃了", today, lexicon)["past"] == ["hydroxychloroquine"]


@pytest.mark.parametrize(
    ("text", "medicines"),
    [
        ("轻氯喹，吗替麦考酚脂", ["hydroxychloroquine", "mycophenolate_mofetil"]),  # 羟 read qīng
        ("芬乐，骁悉", ["hydroxychloroquine", "mycophenolate_mofetil"]),
        ("氯喹", ["chloroquine"]),
    ],
)
def test_misspelt_chinese_drug_names(today, lexicon, text, medicines):
    assert read("medicines", text, today, lexicon)["medicines"] == medicines


@pytest.mark.parametrize(
    ("text", "expected"),
    [("她今年十六岁，上高一", 16), ("she is 16, in year 11", 16), ("我今年大二，20岁", 20)],
)
def test_a_school_year_is_no_age(today, lexicon, text, expected):
    assert read("age", text, today, lexicon) == expected


def test_a_planned_change_with_a_hedge_leaves_the_medicines_stable(today, lexicon):
    text = "是的，三个多月没变了，医生说下个月可能要加泰爱，还没开始"
    assert read("treatment_stable", text, today, lexicon) == "yes"


@pytest.mark.parametrize(
    ("text", "age", "years_ago"),
    [
        ("I've had it since my early thirties", 58, (25, 28)),
        ("in my 20s", 45, (16, 25)),
        ("三十出头查出来的", 40, (7, 10)),
    ],
)
def test_a_stretch_of_life_is_dated_from_the_age(today, text, age, years_ago):
    from bot.parsing.when import parse_when

    found = parse_when(text, today, age_years=age)
    assert int(found["earliest"][:4]) in range(today.year - years_ago[1] - 1, today.year)
    assert int(found["latest"][:4]) >= today.year - years_ago[0] - 1


def test_a_covid_shot_said_which_in_the_next_clause_is_that_one(today, lexicon):
    text = "Yes, I had a COVID booster last year, it was CoronaVac from Sinovac."
    assert read("vaccines", text, today, lexicon)["generic_covid"] is False
    assert read("vaccines", "Sinovac, then a covid booster", today, lexicon)["generic_covid"]


# --- held-out round 3, first run on the stack, 2026-12-03 --------------------------------------
@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # the two patients wrongly told "may be a good fit"
        ("pregnancy", "not pregnant but I still give breast to my baby, he have 5 months", "yes"),
        ("pregnancy", "I am man, is not apply", "not_applicable"),  # was "yes" ("I am")
        # a relative's heart attack, said by a carer
        ("cardiac_events", "no. her father had a heart attack in october but not her", "no"),
        ("cardiac_events", "有，房颤，医生开了倍他乐克在吃", "yes"),
        ("transplant", "做过，2019年换的肾", "yes"),
        ("asthma_allergy", "小时候好像有过哮喘，后来没犯过，不确定算不算", UNSURE),
        ("yes_no", "木有", "no"),  # 木有 = 没有
        ("age", "sixty nine. seventy next march, don't remind me", 69),
        ("age", "my son is seventeen, he'll be 18 next summer", 17),
    ],
)
def test_round_3_findings(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        # within two years is not "two years ago": the mRNA wait is not over
        ("记不清了，反正是这两年内", "2024-11-25", "2026-11-24"),
        ("within the last two years, not sure when", "2024-11-25", "2026-11-24"),
        ("上礼拜", "2026-11-16", "2026-11-22"),
        ("她生老二那年查出来的，老二今年五岁了", "2020-11-25", "2021-11-24"),
    ],
)
def test_round_3_dates(text, earliest, latest, today, lexicon):
    assert read("when", text, today, lexicon) == {"earliest": earliest, "latest": latest}


@pytest.mark.parametrize(
    ("text", "mg_per_day"),
    [
        ("泼尼松早上两片，晚上半片，每片5毫克", 12.5),
        ("一天3片，早上2片晚上1片，每片5mg", 15.0),  # the day's total said with its parts
        ("prednison 5mg, I take two tablet in morning", 10.0),
    ],
)
def test_round_3_doses(text, mg_per_day, today, lexicon):
    assert read("steroid_dose", text, today, lexicon)["mg_per_day"] == mg_per_day


@pytest.mark.parametrize(
    ("text", "medicines", "incomplete"),
    [
        ("羟录喹，强地松", ["hydroxychloroquine", "prednisone"], False),  # 录 lu for 氯 lü
        ("plaq + pred", ["hydroxychloroquine", "prednisone"], False),
        ("羟氯喹吃过，还有个白色小药片名字忘了", ["hydroxychloroquine"], True),
    ],
)
def test_round_3_medicines(text, medicines, incomplete, today, lexicon):
    found = read("medicines", text, today, lexicon)
    assert found["medicines"] + found["past"] == medicines
    assert found.get("incomplete", False) is incomplete


# --- held-out round 4, first run on the stack, 2026-12-03 --------------------------------------
@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("一七年就查出来了", "2017-01-01", "2017-12-31"),  # a year said digit by digit
        ("零九年确诊的", "2009-01-01", "2009-12-31"),
        ("17年查出来的", "2017-01-01", "2017-12-31"),  # the year 2017, not 17 years
        ("病了17年", "2009-11-24", "2009-11-24"),  # a duration stays one
        ("13年还是14年得的", "2013-01-01", "2014-12-31"),  # one or the other
        ("她都病了十来年了", "2014-11-24", "2017-11-24"),
        ("二十多年了", "1997-11-24", "2005-11-24"),
    ],
)
def test_round_4_dates(text, earliest, latest, today, lexicon):
    assert read("when", text, today, lexicon) == {"earliest": earliest, "latest": latest}


def test_round_4_findings(today, lexicon):
    born = read("age", "一九八五年出生的 属牛", today, lexicon)
    assert born == {"min_years": 40, "max_years": 41}
    assert read("steroid_dose", "强的松10mg 每天 就是两片", today, lexicon)["mg_per_day"] == 10.0
    spaced = read("medicines", "甲氨蝶呤一个礼拜吃一次 还有羟氯喹 激素去年就停了", today, lexicon)
    assert spaced["medicines"] == ["methotrexate", "hydroxychloroquine"]  # a space ends a clause
    carer = "not sure, she had some procedure years ago, I don't know if it was a transplant"
    assert read("transplant", carer, today, lexicon) == UNSURE
    inlaw = read("viral_infections", "没有 乙肝是我婆婆有 我没有", today, lexicon)
    assert inlaw["hepatitis_b"] is None
    sinovac = read("vaccines", "打过新冠疫苗 不过是科兴的 就是那个灭活的", today, lexicon)
    assert sinovac["generic_covid"] is False


# --- the first held-out sets, again on the stack after the speed work, 2026-12-03 ---------------
@pytest.mark.parametrize(
    "text",
    [
        "这个要跟老公商量一下，现在说不好",  # was read as nothing, then taken for a greeting
        "还没想好",
        "还没决定",
        "I haven't decided yet",
        "undecided",
    ],
)
def test_not_decided_is_not_sure(text, today, lexicon):
    assert read("contraception", text, today, lexicon) == UNSURE


# --- held-out round 5, first run on the stack, 2026-12-03 --------------------------------------
@pytest.mark.parametrize(
    ("text", "mg", "medicine"),
    [
        ("half a tab of deltasone 20mg every morning", 10.0, "prednisone"),  # was unread
        ("1/2 tab prednisone 20mg", 10.0, "prednisone"),  # was 20: the half was lost
        ("1/2 tab of medrol 16mg", 8.0, "methylprednisolone"),
        ("half of a 20mg prednisone", 10.0, "prednisone"),
        ("prednisone 20mg, half a tab", 10.0, "prednisone"),
        ("2 tablets of prednisone 5 mg", 10.0, "prednisone"),
        ("半片强的松 5mg", 2.5, "prednisone"),
    ],
)
def test_round_5_half_tablets_and_the_name_between(text, mg, medicine, today, lexicon):
    assert read("steroid_dose", text, today, lexicon) == {"medicine": medicine, "mg_per_day": mg}


def test_round_5_findings(today, lexicon):
    nursing = "没怀孕 但是孩子才八个月 还在吃她的奶"  # a husband for his wife: breastfeeding
    assert read("pregnancy", nursing, today, lexicon) == "yes"
    assert read("pregnancy", "孩子早就不吃奶了", today, lexicon) == "no"
    arm = read("vaccines", "两个礼拜前在社区打了流感疫苗 是打在胳膊上的那种针", today, lexicon)
    assert arm["products"] == ["flu_injected"]
    spray = read("vaccines", "flu vaccine, the nasal spray one", today, lexicon)
    assert spray["products"] == ["flumist"]
    assert read("vaccines", "打了流感疫苗", today, lexicon)["products"] == ["flu_unspecified"]


# --- held-out round 5, what the first fixes left (offline replay), 2026-12-03 ------------------
@pytest.mark.parametrize(
    ("text", "total", "parts"),
    [
        # each steroid's strength in the piece after it, the second one joined by 再加
        ("强的松早上四片 一片5mg 晚上再加美卓乐三片 一片4mg", 35.0, [20.0, 12.0]),
        (
            "prednisone 4 tablets of 5mg in the morning and medrol 3 tablets of 4mg at night",
            35.0,
            [20.0, 12.0],
        ),
        ("强的松5mg 美卓乐一天两次 每次4mg", 15.0, [5.0, 8.0]),
    ],
)
def test_round_5_two_steroids_each_with_its_own_words(text, total, parts, today, lexicon):
    dose = read("steroid_dose", text, today, lexicon)
    assert dose["mg_per_day"] == total
    assert [part["mg_per_day"] for part in dose["parts"]] == parts


@pytest.mark.parametrize(
    "text", ["prednisone 5mg, medrol 4mg, twice a day", "强的松5mg，美卓乐4mg，一天两次"]
)
def test_a_times_a_day_after_two_steroids_is_asked_again(text, today, lexicon):
    """It may be meant for one or for both: never guessed (a low sum could pass I3)."""
    assert read("steroid_dose", text, today, lexicon) is None


@pytest.mark.parametrize(
    ("text", "medicines"),
    [
        ("qiang de song 还有 羟氯奎", ["prednisone", "hydroxychloroquine"]),  # no characters
        ("qiangdesong and plaquenil", ["prednisone", "hydroxychloroquine"]),
        ("I take pred and qianglvkui", ["prednisone", "hydroxychloroquine"]),
        ("mei zhuo le", ["methylprednisolone"]),
        ("qiangdisong", ["prednisone"]),  # a slip in long pinyin
    ],
)
def test_round_5_drug_names_in_pinyin(text, medicines, today, lexicon):
    assert read("medicines", text, today, lexicon)["medicines"] == medicines


def test_short_pinyin_is_not_matched_loosely(lexicon):
    assert lexicon.find_medicines("a fence") == []  # one slip from fenle (纷乐)


@pytest.mark.parametrize(
    ("text", "generic"),
    [
        ("新冠疫苗打过 前年打的国药 去年又打了一针科兴 都是灭活的", False),  # a heading
        ("the covid vaccine, two sinovac", False),
        ("Sinovac, then a covid booster", True),  # the booster is not named
        ("a covid shot and then a sinovac booster", True),
        ("打了新冠疫苗", True),
    ],
)
def test_round_5_covid_in_general_before_the_named_ones(text, generic, today, lexicon):
    assert read("vaccines", text, today, lexicon)["generic_covid"] is generic


# --- held-out round 6, first offline replay 53/60 (4 wrongly 'may be a good fit'), 2026-12-03 --
@pytest.mark.parametrize(
    ("text", "mg"),
    [
        ("prednisone 2.5 mg, I take two of them so 5mg a day", 5.0),  # was 7.5: 2.5 + 5
        ("prednisolone 5mg, I take 7 of them in the morning since the flare in september", 35.0),
        ("medrol 4mg, two of them twice a day", 16.0),
    ],
)
def test_round_6_a_count_of_them(text, mg, today, lexicon):
    assert read("steroid_dose", text, today, lexicon)["mg_per_day"] == mg


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("my mom turned 70 in august", 70),  # was 69: "in august" read as a coming birthday
        ("just turned 18 last week", 18),
        ("I'll be 70 in March", 69),
        ("turning 18 in January", 17),
    ],
)
def test_round_6_an_age_already_reached(text, age, today, lexicon):
    assert read("age", text, today, lexicon) == age


@pytest.mark.parametrize(
    ("text", "current", "planned"),
    [
        (
            "only plaquenil. the doctor mentioned cellcept last time but I haven't started it",
            ["hydroxychloroquine"],
            ["mycophenolate_mofetil"],
        ),
        (
            "plaquenil, cellcept but I haven't started it",
            ["hydroxychloroquine"],
            ["mycophenolate_mofetil"],
        ),
        ("my doctor recommended benlysta", [], ["belimumab"]),
        # a Chinese space ends a clause: 还没开始打 is about 贝利尤单抗, not 强的松 before it
        (
            "现在就是羟氯喹和强的松 医生说下个月开始打贝利尤单抗 还没开始打",
            ["hydroxychloroquine", "prednisone"],
            ["belimumab"],
        ),
    ],
)
def test_round_6_raised_by_the_doctor_not_started(text, current, planned, today, lexicon):
    medicines = read("medicines", text, today, lexicon)
    assert medicines["medicines"] == current
    assert medicines["planned"] == planned


@pytest.mark.parametrize(
    ("text", "products"),
    [
        ("打过 是科兴的 去年春天打的第三针 没打过辉瑞莫德纳那种", ["sinovac_coronavac"]),
        ("没打过辉瑞，莫德纳打过", ["moderna_covid"]),  # a clause break ends the list
    ],
)
def test_round_6_a_denied_list_without_separators(text, products, today, lexicon):
    assert read("vaccines", text, today, lexicon)["products"] == products


def test_round_6_findings(today, lexicon):
    calm = "no, honestly it's been pretty calm since the rituximab. last real flare was 2 years ago"
    assert read("disease_active", calm, today, lexicon) == "no"
    assert read("disease_active", "last flare was two weeks ago", today, lexicon) == "yes"
    sister = "not me. my sister gave a kidney to our dad, I was the one who didn't match lol"
    assert read("transplant", sister, today, lexicon) == "no"
    assert read("medicines", "没吃过骁悉、环磷酰胺", today, lexicon)["past"] == []


# --- held-out round 7, first offline replay 65/80 (3 wrongly 'may be a good fit'), 2026-12-03 --
@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # the patient corrects themselves: what follows the last correction is the answer
        ("age", "70, no wait, sorry, 60! I turned sixty in March, fat fingers", 60),
        ("transplant", "no... wait, actually yes. I got a kidney from my sister in 2016", "yes"),
        (
            "disease_active",
            "还在活动… 不对 其实打了贝利尤单抗以后一年多都没犯过 指标也都正常了",
            "no",
        ),
        ("age", "I'll be seventy-two come April, but I feel about fifty", 71),
        ("age", "45 but I feel like 30", 45),
        # dialect: 莫得 / 没得 are 没有; 俺爹 is the patient's father
        ("transplant", "木有 俺从来木有做过啥移植 是俺爹前几年做过肝移植", "no"),
        ("transplant", "是我爹前几年做过肝移植", "no"),
        ("transplant", "yes my mum had a kidney transplant and so did I", "yes"),
        ("transplant", "我做过肾移植", "yes"),
        # birth control applies to men too: a man's refusal is a no
        ("contraception", "我是男的 我老婆想要孩子 这一年不想避孕", "no"),
        ("pregnancy", "怀了刚查出来的才六周本来没打算要的那这个是不是就不行了", "yes"),
        ("pregnancy", "没怀上", "no"),
    ],
)
def test_round_7_readings(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


@pytest.mark.parametrize(
    ("text", "mg"),
    [
        ("prednisone 10 mg tablets, two in the morning and two at night", 40.0),  # was 10
        ("早上两片 晚上两片 每片5mg", 20.0),  # was 10: two counts are not a total with a part
        ("一天3片，早2晚1 每片5mg", 15.0),
        ("潑尼松每天兩顆 一顆5毫克", 10.0),  # 顆 is a tablet
        ("pred 5mg qd, 1 tab", 5.0),
    ],
)
def test_round_7_doses(text, mg, today, lexicon):
    assert read("steroid_dose", text, today, lexicon)["mg_per_day"] == mg


def test_round_7_infections(today, lexicon):
    listed = read("viral_infections", "莫得 啥乙肝丙肝艾滋都莫得 去年查过都是阴性", today, lexicon)
    assert listed["none"] is True and listed["hiv"] is False  # was HIV, hepatitis B and C
    assert read("viral_infections", "乙肝没有吃药", today, lexicon)["hepatitis_b"] == "unclear"
    hedged = "I cannot say I don't have hepatitis B. I have it, I am take entecavir every day"
    assert read("viral_infections", hedged, today, lexicon)["hepatitis_b"] == "active"
    mom = "no dialysis for me, my mom's on dialysis though. none of those for me"
    assert read("organ_function", mom, today, lexicon)["none"] is True


def test_round_7_vaccines_and_medicines(today, lexicon):
    either = "the typhoid vaccine, honestly can't remember if it was capsules or an injection"
    assert read("vaccines", either, today, lexicon)["products"] == ["typhoid_unspecified"]
    shot = "上个月中旬打了流感疫苗 是胳膊上打针的那种 不是喷鼻子的"
    assert read("vaccines", shot, today, lexicon)["products"] == ["flu_injected"]
    assert read("vaccines", "no covid or rsv shots in years", today, lexicon)["none"] is True
    unnamed = "羟氯喹 以前在老家还吃过一种免疫抑制剂 白色小药片 名字记不住了"
    assert read("medicines", unnamed, today, lexicon)["incomplete"] is True


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("今年春节前确诊的 就过年前一个礼拜", "2026-02-07", "2026-02-13"),  # 春节 2026-02-17
        ("去年春节", "2025-01-22", "2025-02-05"),  # 春节 2025-01-29
        ("国庆节后打的", "2026-10-02", "2026-10-31"),
        ("last Christmas", "2025-12-18", "2026-01-01"),
        ("I was diagnosed this September, right after Labor Day", "2026-09-08", "2026-09-30"),
    ],
)
def test_round_7_dates_told_by_a_holiday(text, earliest, latest, today, lexicon):
    assert read("when", text, today, lexicon) == {"earliest": earliest, "latest": latest}


def test_a_holiday_still_to_come_is_unread(today, lexicon):
    assert read("when", "this christmas", today, lexicon) is None


@pytest.mark.parametrize(
    "text", ["probably not, Hefei is like a 20 hour trip for me lol", "unlikely"]
)
def test_round_7_stack_a_no_said_with_a_doubt_is_not_sure(text, today, lexicon):
    """It was unread: asked again and again at the travel question (round 7 on the stack)."""
    assert read("yes_no", text, today, lexicon) == UNSURE


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("确诊七八年了吧", "2018-11-24", "2019-11-24"),  # seven or eight years
        ("两三年前", "2023-11-24", "2024-11-24"),
        ("三四个月前", "2026-07-24", "2026-08-24"),
        ("两到三年", "2023-11-24", "2024-11-24"),
        ("7 or 8 years ago", "2018-11-24", "2019-11-24"),
        ("3-4 weeks ago", "2026-10-27", "2026-11-03"),
    ],
)
def test_round_8_two_amounts_span_both(text, earliest, latest, today, lexicon):
    """ "七八年" was unread (the diagnosis date unknown); "7 or 8 years" read as 8 only."""
    assert read("when", text, today, lexicon) == {"earliest": earliest, "latest": latest}


@pytest.mark.parametrize(
    ("text", "mg_per_day"),
    [
        ("现在一天三片 五毫克一片 上周刚从四片减下来的", 15),  # was 35: 3 + 4 tablets
        ("从四片减到三片 一片5mg", 15),
        ("prednisone 15mg, down from 20mg last week", 15),
        ("from 4 tablets to 3, 5mg each", 15),
        ("从20mg减到15", 15),
        ("地塞米松一天两片 一片零点七五毫克", 1.5),  # 零点七五 = 0.75
        ("yi tian liang pian 一片5mg", 10),  # pinyin: 一天两片
    ],
)
def test_round_8_doses(text, mg_per_day, today, lexicon):
    assert read("steroid_dose", text, today, lexicon)["mg_per_day"] == mg_per_day


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("asthma_allergy", "没有哮喘 但是以前打青霉素过敏休克了 抢救过来的", "yes"),  # was "no"
        ("asthma_allergy", "no asthma but allergic to bees, ended up in the ER", "yes"),
        ("asthma_allergy", "allergic to penicillin, never went to the er", "no"),
        ("asthma_allergy", "我姐有哮喘 我木有", "no"),
        ("asthma_allergy", "my sister has asthma, me too", None),
        ("cardiac_events", "我老汉今年九月心梗了 我自己心脏没问题", "no"),  # 老汉: father
        ("cardiac_events", "my dad had a heart attack, me too", None),
        ("cardiac_events", "我表姐心梗过", "no"),
        ("transplant", "my dad had a kidney transplant and so did i", None),
    ],
)
def test_round_8_someone_elses_condition_and_severe_allergy(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


def test_round_8_a_carers_own_age_is_not_the_patients(today, lexicon):
    text = "my daughter is 16, im her mom typing for her (im 44)"
    relative = answered_for([text])
    assert read("age", as_the_patient(text, relative), today, lexicon) == 16
    chinese = as_the_patient("我女儿16岁 我40岁 帮她问的", "daughter")
    assert read("age", chinese, today, lexicon) == 16


def test_round_8_a_chinese_brand_of_mycophenolate(today, lexicon):
    assert read("medicines", "赛可平 羟氯喹", today, lexicon)["medicines"] == [
        "mycophenolate_mofetil",
        "hydroxychloroquine",
    ]


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("本人今年六十八周岁，已退休多年。", 68),  # 周岁 was read as weeks
        ("68足岁", 68),
        ("俺今年四十三咧", 43),  # a spoken particle after the number
        ("我三十八嘞", 38),
    ],
)
def test_round_9_chinese_ages(text, age, today, lexicon):
    assert read("age", text, today, lexicon) == age


def test_round_9_a_vaccine_had_before_is_named(today, lexicon):
    """ "都是2022年以前的" made them past, and a past vaccine was dropped: the answer unread."""
    text = "打過三劑 AZ 跟一劑 Novavax 都是2022年以前的 之後沒再打"
    assert read("vaccines", text, today, lexicon)["products"] == ["astrazeneca", "novavax"]
    assert read("vaccines", "previously had moderna", today, lexicon)["products"] == [
        "moderna_covid"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the wrong "may be a good fit": HIV after a denial of the others
        ("乙肝丙肝都没有 梅毒也没有 就是HIV查出来是阳性 一直在吃抗病毒药", {"hiv": True}),
        ("梅毒也没有 HIV阳性", {"hiv": True, "syphilis": False}),  # was syphilis, not HIV
        ("乙肝没有 丙肝有", {"hepatitis_b": None, "hepatitis_c": "unclear"}),
        ("没有 乙肝 丙肝 艾滋", {"none": True}),
        ("我没有 HIV", {"none": True}),
        ("no hep b or hiv", {"none": True}),
        (
            "2013年体检查出来丙肝 后来2016年吃了进口的药治好了 医生说已经清除了 乙肝没有 "
            "艾滋梅毒都没有 CMV是什么我不知道 没人说过",
            {"hiv": False, "syphilis": False, "hepatitis_c": "past", "cmv": "unclear"},
        ),
    ],
)
def test_round_10_viral_infections_in_spoken_chinese(text, expected, today, lexicon):
    found = read("viral_infections", text, today, lexicon)
    assert {key: found[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "medicines"),
    [
        # hydroxychloroquine never taken, MMF then mycophenolic acid: one drug (was two)
        ("只吃过骁悉 后来换成米芙 羟氯喹因为眼睛不好从来没吃过", ["mycophenolic_acid"]),
        ("羟氯喹也没吃过 骁悉在吃", ["mycophenolate_mofetil"]),
        ("骁悉 环磷酰胺都没吃过 在吃羟氯喹", ["hydroxychloroquine"]),
        ("羟氯喹在吃别的没吃过", ["hydroxychloroquine"]),
    ],
)
def test_round_10_a_chinese_denial_after_the_name(text, medicines, today, lexicon):
    assert read("medicines", text, today, lexicon)["medicines"] == medicines


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("今年3月刚满18岁", 18),  # "3月" was read as a second age
        ("六十九 再过两个礼拜就满70了", 69),
        ("17岁 明年2月才满18", 17),
        ("快满70了", 69),
    ],
)
def test_round_10_chinese_birthdays(text, age, today, lexicon):
    assert read("age", text, today, lexicon) == age


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2025年中秋 10月初", "2025-10-01", "2025-10-10"),  # the month in the holiday's year
        ("since June - June of last year, 2025", "2025-06-01", "2025-06-30"),
        ("今年6月初确诊的 才五个月", "2026-06-01", "2026-06-24"),  # a date, a rounded duration
    ],
)
def test_round_10_one_date_said_twice(text, earliest, latest, today, lexicon):
    assert read("when", text, today, lexicon) == {"earliest": earliest, "latest": latest}


def test_round_10_short_answers_and_treated_rhythm(today, lexicon):
    assert read("vaccines", "n", today, lexicon)["none"] is True
    afib = "去年中秋节前后房颤住过一次院 吃了一个月药就好了 之后没再犯"
    assert read("cardiac_events", afib, today, lexicon) == "yes"  # its date is asked next


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # three wrong "may be a good fit"
        (
            "pregnancy",
            "I might be? My period is a week late and I haven't done a test yet.",
            UNSURE,
        ),
        ("pregnancy", "例假推迟了一周 还没测", UNSURE),
        (
            "treatment_stable",
            "I think so? My doctor changes things a lot, I'd have to check",
            UNSURE,
        ),
        # and answers read too harshly
        ("pregnancy", "没怀孕，也没喂奶，在备孕中，不过医生说要先把狼疮控制好", "no"),
        ("pregnancy", "备孕中", None),
        (
            "transplant",
            "No. They sent me for a kidney transplant evaluation, but it never happened.",
            "no",
        ),
        (
            "transplant",
            "No transplant. I had a bone marrow biopsy, nothing was transplanted.",
            "no",
        ),
        ("transplant", "做过骨穿 没移植过", "no"),
        ("transplant", "bone marrow transplant 2015", "yes"),
        (
            "asthma_allergy",
            "Just hay fever every spring. No asthma, and I've never had a bad reaction or needed "
            "an EpiPen.",
            "hay_fever_only",
        ),
        (
            "asthma_allergy",
            "It's not that I don't have asthma, it's just mild, I only use my Ventolin maybe once "
            "a month.",
            "yes",
        ),
        ("asthma_allergy", "好像有过哮喘，不确定算不算", UNSURE),
        (
            "treatment_stable",
            "药一直是这几样，就是11月28号复查完医生把强的松从两片加到三片了",
            "dose_changed",
        ),
    ],
)
def test_round_11(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


def test_round_11_a_past_hepatitis_b_told_by_its_tests(today, lexicon):
    """HBsAg negative, anti-HBc positive: a past infection, for the coordinator (was "none")."""
    text = "乙肝表面抗原阴性，核心抗体阳性，医生说是以前感染过、自己好了。丙肝艾滋梅毒都没有"
    assert read("viral_infections", text, today, lexicon)["hepatitis_b"] == "past"


def test_round_11_a_day_of_last_month(today, lexicon):
    expected = {"earliest": "2026-10-25", "latest": "2026-10-25"}  # today is 2026-11-24
    assert read("when", "上个月25号单位体检顺便打了甲肝疫苗", today, lexicon) == expected
    assert read("when", "on the 25th of last month", today, lexicon) == expected


def test_a_carers_first_person_age_alone_is_the_patients(today, lexicon):
    """A carer for their mum typing "I'm 41" gives mum's age (regression of round 8's fix)."""
    assert read("age", as_the_patient("I'm 41", "mother"), today, lexicon) == 41


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # two phrases over the same words were blanked twice, eating the next clause's 没
        ("disease_active", "没有，这两年控制得很好，没复发过", "no"),
        ("treatment_stable", "I don't know if the doctor changed the dose, she went alone", UNSURE),
        ("treatment_stable", "不知道医生有没有调药", UNSURE),
        (
            "treatment_stable",
            "yes, last change was 12/08/2026 when doctor reduce the pred",
            "dose_changed",
        ),
    ],
)
def test_round_12(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("15.8.26", "2026-08-15", "2026-08-15"),  # was 1926-2026
        ("5.3.24", "2024-03-05", "2024-05-03"),  # day and month may be either way round
        ("when I was a baby", "1906-11-24", "2020-11-24"),  # a childhood: years ago
        ("小时候", "1906-11-24", "2020-11-24"),
    ],
)
def test_round_12_dates(text, earliest, latest, today, lexicon):
    assert read("when", text, today, lexicon) == {"earliest": earliest, "latest": latest}


def test_round_12_names_from_india(today, lexicon):
    medicines = read(
        "medicines", "HCQS 200 bd, mycophenolate 500 bd, wysolone 10 od", today, lexicon
    )
    assert medicines["medicines"] == ["hydroxychloroquine", "mycophenolate_mofetil", "prednisolone"]
    vaccines = read("vaccines", "Covishield in 2021 and a Covaxin booster in 2022", today, lexicon)
    assert vaccines["products"] == ["astrazeneca", "covaxin"]
    booster = read("vaccines", "yes, hepatitis B booster dose on 2026-11-20", today, lexicon)
    assert booster["products"] == ["hepatitis_b_vaccine"]


@pytest.mark.parametrize("text", ["现在没怀", "没有怀上"])
def test_round_8_stack_not_expecting_said_with_怀_alone(text, today, lexicon):
    """Unread on the stack (round 8): the NLU took it for a question, then it looped."""
    assert read("pregnancy", text, today, lexicon) == "no"


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # plain everyday answers that were unread or "not sure" (round 13)
        ("transplant", "肯定没有", "no"),
        ("yes_no", "当然有", "yes"),
        ("cardiac_events", "都挺好，心脏没事", "no"),
        ("cardiac_events", "all good", "no"),
        ("treatment_stable", "same as always", "yes"),
        ("treatment_stable", "一直都是这样", "yes"),
    ],
)
def test_round_13_plain_answers(kind, text, expected, today, lexicon):
    assert read(kind, text, today, lexicon) == expected


@pytest.mark.parametrize(
    ("text", "latest"),
    [
        ("好多年了", "2023-11-24"),
        ("for many years", "2023-11-24"),
        ("a long time ago", "2025-11-24"),
    ],
)
def test_round_13_long_ago(text, latest, today, lexicon):
    assert read("when", text, today, lexicon)["latest"] == latest


def test_round_13_a_days_total_with_its_tablets(today, lexicon):
    dose = read("steroid_dose", "7.5 mg a day, one and a half tablets", today, lexicon)
    assert dose["mg_per_day"] == 7.5
    assert read("steroid_dose", "20 mg a day, four tablets", today, lexicon)["mg_per_day"] == 20
