"""Issue 9 "Simplified Chinese end to end": Chinese as patients write it, read by the parser of
the question it answers (through the trial definition, as the bot reads it). Expected values are
the spec's meaning ("Reading answers", "Facts a pre-screener needs"); today is Tue 2026-11-24."""

from __future__ import annotations

import pytest

from bot.eligibility import read_answer
from bot.parsing import UNSURE
from bot.trial import load_trial


@pytest.fixture(scope="module")
def trial():
    return load_trial()


def value(trial, question_id, text, today):
    answer = read_answer(trial, question_id, text, today)
    return None if answer is None else answer.value


BORN_1988 = {"min_years": 37, "max_years": 38}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三十八岁", 38),
        ("38岁", 38),
        ("1988年出生", BORN_1988),
        ("88年的", BORN_1988),  # a two-digit year of birth, not 88 years old
        ("88年生的", BORN_1988),
        ("快四十了", 39),
        ("今年五十", 50),
        ("六十九岁", 69),
        ("七十了", 70),
        ("十七岁", 17),
    ],
)
def test_age(trial, today, text, expected):
    assert value(trial, "age", text, today) == expected


def _range(earliest, latest=None):
    return {"earliest": earliest, "latest": latest or earliest}


@pytest.mark.parametrize(
    "question_id",
    [
        "sle_duration",
        "treatment_change",
        "cardiac_events_when",
        "mrna_lnp_when",
        "live_vaccine_when",
    ],
)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019年", _range("2019-01-01", "2019-12-31")),
        ("2019年确诊", _range("2019-01-01", "2019-12-31")),
        ("去年三月", _range("2025-03-01", "2025-03-31")),
        ("三个月前", _range("2026-08-24")),
        ("半年前", _range("2026-05-24")),
        ("上周", _range("2026-11-16", "2026-11-22")),
        ("前年", _range("2024-01-01", "2024-12-31")),
        ("两年前", _range("2024-11-24")),
        ("十年了", _range("2016-11-24")),
        ("上个月初", _range("2026-10-01", "2026-10-10")),  # early last month, not all of it
        ("上月底", _range("2026-10-21", "2026-10-31")),
        ("五天前", _range("2026-11-19")),
    ],
)
def test_when(trial, today, question_id, text, expected):
    read = value(trial, question_id, text, today)
    assert {key: read[key] for key in ("earliest", "latest")} == expected


def test_beginning_of_this_year_is_its_first_months(trial, today):
    read = value(trial, "sle_duration", "今年年初", today)
    assert read["earliest"] == "2026-01-01"
    assert "2026-01-31" <= read["latest"] <= "2026-06-30"


@pytest.mark.parametrize(
    ("text", "medicine", "mg_per_day"),
    [
        ("强的松每天10毫克", "prednisone", 10),
        ("泼尼松 5mg", "prednisone", 5),
        ("美卓乐4毫克一天两次", "methylprednisolone", 8),
        ("甲泼尼龙 每日一片 4mg", "methylprednisolone", 4),
        ("隔日一片5毫克", None, 2.5),  # every other day: half of it each day
        ("强的松一天三片每片5mg", "prednisone", 15),
        ("0.5克", None, 500),  # grams
        ("10毫克", None, 10),
        # A strength, then how many a day (regression: read as nothing, then "not sure").
        ("美卓乐4毫克，一天两片", "methylprednisolone", 8),
        ("泼尼松5毫克 每天三片", "prednisone", 15),
        ("美卓乐4毫克，每天吃两片", "methylprednisolone", 8),
        ("4mg的美卓乐，每天两片", None, 8),
    ],
)
def test_steroid_dose(trial, today, text, medicine, mg_per_day):
    read = value(trial, "steroid_dose", text, today)
    assert read["medicine"] == medicine
    assert read["mg_per_day"] == pytest.approx(mg_per_day)


def test_a_stated_total_is_not_multiplied_by_the_tablets(trial, today):
    read = value(trial, "steroid_dose", "一共10毫克，每天两片", today)
    assert read is None or read["mg_per_day"] == pytest.approx(10)


def test_half_a_tablet_without_its_strength_is_asked_again(trial, today):
    assert value(trial, "steroid_dose", "一天半片", today) is None


YES_NO_UNSURE = [
    ("是", "yes"),
    ("是的", "yes"),
    ("对", "yes"),
    ("嗯", "yes"),
    ("有", "yes"),
    ("没有", "no"),
    ("无", "no"),
    ("不是", "no"),
    ("不用", "no"),
    ("不确定", UNSURE),
    ("不清楚", UNSURE),
    ("记不清了", UNSURE),
    ("可能吧", UNSURE),
    ("应该没有", UNSURE),  # a hedged no is never a no
    ("好像有", UNSURE),
    ("好像没有", UNSURE),
    ("可能没有", UNSURE),
    ("不可能", "no"),
]


@pytest.mark.parametrize("question_id", ["travel", "transplant", "active_infection"])
@pytest.mark.parametrize(("text", "expected"), YES_NO_UNSURE)
def test_yes_no_not_sure(trial, today, question_id, text, expected):
    assert value(trial, question_id, text, today) == expected


@pytest.mark.parametrize(
    "question_id",
    ["pregnancy", "cardiac_events", "asthma_allergy", "treatment_stable", "viral_infections"],
)
@pytest.mark.parametrize("text", ["应该没有", "好像有", "可能没有"])
def test_a_hedge_is_unsure_on_every_question(trial, today, question_id, text):
    assert value(trial, question_id, text, today) == UNSURE


@pytest.mark.parametrize("question_id", ["organ_function", "live_vaccine", "mrna_lnp"])
def test_a_hedged_none_is_not_none(trial, today, question_id):
    assert value(trial, question_id, "应该没有", today) == UNSURE


@pytest.mark.parametrize(
    ("text", "hedged_value_kept"),
    [("大概两年前", "2024-11-24"), ("可能是2019年", "2019-01-01")],
)
def test_an_approximate_date_still_reads(trial, today, text, hedged_value_kept):
    assert value(trial, "sle_duration", text, today)["earliest"] == hedged_value_kept


@pytest.mark.parametrize(
    ("text", "medicine"),
    [
        ("纷乐", "hydroxychloroquine"),
        ("骁悉", "mycophenolate_mofetil"),
        ("普乐可复", "tacrolimus"),
        ("美卓乐", "methylprednisolone"),
        ("倍力腾", "belimumab"),
        ("泰爱", "telitacicept"),
    ],
)
def test_medicine_brands(trial, today, text, medicine):
    assert value(trial, "current_medicines", text, today)["medicines"] == [medicine]


@pytest.mark.parametrize(
    ("text", "medicines"),
    [
        (
            "纷乐、骁悉和美卓乐",
            ["hydroxychloroquine", "mycophenolate_mofetil", "methylprednisolone"],
        ),
        ("HCQ + 泼尼松 + 他克莫司", ["hydroxychloroquine", "prednisone", "tacrolimus"]),
        ("在吃纷乐和倍力腾，还有强的松", ["hydroxychloroquine", "belimumab", "prednisone"]),
    ],
)
def test_several_medicines_in_one_sentence(trial, today, text, medicines):
    assert sorted(value(trial, "current_medicines", text, today)["medicines"]) == sorted(medicines)


@pytest.mark.parametrize(
    ("text", "product", "kind"),
    [
        ("科兴", "sinovac_coronavac", "other"),
        ("国药", "sinopharm_bbibp", "other"),
        ("复必泰", "pfizer_biontech_covid", "mrna_lnp"),
        ("度恩泰", "cspc_sys6006", "mrna_lnp"),  # CSPC's SYS6006 mRNA COVID-19 vaccine
    ],
)
def test_covid_vaccine_brands(trial, today, lexicon, text, product, kind):
    for question_id in ("mrna_lnp", "covid_vaccine_type"):
        assert value(trial, question_id, text, today)["products"] == [product]
    assert lexicon.vaccines[product].kind == kind


def test_two_vaccines_in_one_sentence(trial, today):
    read = value(trial, "mrna_lnp", "打过科兴和复必泰", today)
    assert sorted(read["products"]) == ["pfizer_biontech_covid", "sinovac_coronavac"]


NO_VIRUS = {"hiv": False, "syphilis": False, "hepatitis_b": None, "hepatitis_c": None}
NO_VIRUS |= {"cmv": None}


@pytest.mark.parametrize(
    ("text", "virus", "status"),
    [
        ("乙肝大三阳", "hepatitis_b", "active"),  # HBsAg and HBeAg positive: replicating
        ("小三阳", "hepatitis_b", "unclear"),  # often an inactive carrier: the coordinator checks
        ("乙肝携带者", "hepatitis_b", "unclear"),  # "carrier, not sure" is unknown
        ("乙肝在抗病毒治疗中", "hepatitis_b", "active"),
        ("在吃恩替卡韦", "hepatitis_b", "active"),  # an antiviral only for hepatitis B
        ("丙肝", "hepatitis_c", "unclear"),
        ("艾滋", "hiv", True),
        ("梅毒", "syphilis", True),
        ("巨细胞病毒", "cmv", "active"),  # the question asks about CMV now
        ("以前得过乙肝已经好了", "hepatitis_b", "past"),
    ],
)
def test_viral_infections(trial, today, text, virus, status):
    assert value(trial, "viral_infections", text, today) == {
        **NO_VIRUS,
        virus: status,
        "none": False,
    }


@pytest.mark.parametrize("text", ["没有", "都没有", "查过是阴性", "都是阴性", "HIV阴性"])
def test_no_viral_infection(trial, today, text):
    assert value(trial, "viral_infections", text, today) == {**NO_VIRUS, "none": True}


def test_no_hepatitis_but_hiv(trial, today):
    read = value(trial, "viral_infections", "没有乙肝，有HIV", today)
    assert read["hiv"] is True
    assert read["hepatitis_b"] is None


@pytest.mark.parametrize("text", ["结核在吃药", "带状疱疹在治疗", "没有，但是在吃抗生素治尿路感染"])
def test_an_infection_being_treated(trial, today, text):
    assert value(trial, "active_infection", text, today) == "yes"


@pytest.mark.parametrize(
    ("text", "current", "past", "planned"),
    [
        ("以前吃过骁悉", [], ["mycophenolate_mofetil"], []),
        ("骁悉停了", [], ["mycophenolate_mofetil"], []),
        ("泰爱还没开始", [], [], ["telitacicept"]),
        ("医生说要加泰爱", [], [], ["telitacicept"]),
        ("纷乐，医生说要加泰爱", ["hydroxychloroquine"], [], ["telitacicept"]),
        ("我妈吃纷乐，我吃骁悉", ["mycophenolate_mofetil"], [], []),
    ],
)
def test_medicines_in_context(trial, today, text, current, past, planned):
    read = value(trial, "current_medicines", text, today)
    assert (read["medicines"], read["past"], read["planned"]) == (current, past, planned)


def test_someone_elses_medicine_is_not_the_patients(trial, today):
    read = value(trial, "current_medicines", "我妈吃纷乐", today)
    assert read is None or "hydroxychloroquine" not in read["medicines"]


@pytest.mark.parametrize("text", ["医生说要做骨髓移植", "我妈做过肾移植"])
def test_a_planned_or_someone_elses_transplant_is_not_a_yes(trial, today, text):
    assert value(trial, "transplant", text, today) != "yes"


def test_a_planned_vaccine_is_not_one_had(trial, today):
    read = value(trial, "live_vaccine", "医生说要打水痘疫苗", today)
    assert read is None or "varicella" not in read["products"]


@pytest.mark.parametrize(
    ("question_id", "text", "expected"),
    [
        ("pregnancy", "没有怀孕", "no"),
        ("pregnancy", "在哺乳期", "yes"),
        ("pregnancy", "不适用，我是男的", "not_applicable"),
        ("contraception", "愿意", "yes"),
        ("contraception", "不愿意", "no"),
        ("contraception", "已经绝经了", "not_applicable"),
        ("transplant", "做过肾移植", "yes"),
        ("transplant", "没有做过移植", "no"),
        ("asthma_allergy", "有哮喘", "yes"),
        ("asthma_allergy", "对青霉素严重过敏", "yes"),
        ("asthma_allergy", "只是轻微鼻炎", "hay_fever_only"),
        ("asthma_allergy", "有鼻炎，没有哮喘", "hay_fever_only"),
        ("lab_markers", "抗核抗体阳性", "yes"),
        ("lab_markers", "补体低", "yes"),
        ("lab_markers", "都是阴性", "all_negative"),
        ("lab_markers", "不知道", UNSURE),
        ("disease_active", "还在活动", "yes"),
        ("disease_active", "经常复发", "yes"),
        ("disease_active", "控制得很好", "no"),
        ("disease_active", "缓解了", "no"),
    ],
)
def test_conditions(trial, today, question_id, text, expected):
    assert value(trial, question_id, text, today) == expected


def test_on_dialysis(trial, today):
    read = value(trial, "organ_function", "在透析", today)
    assert read["dialysis"] is True
    assert read["none"] is False


def test_none_of_the_organ_problems(trial, today):
    read = value(trial, "organ_function", "都没有", today)
    assert read["none"] is True
    assert not any(v for k, v in read.items() if k != "none")


# --- Held-out Chinese conversations, first run (2026-12-02): what they found ------------------
@pytest.mark.parametrize(
    ("question_id", "text", "expected"),
    [
        ("age", "四十三歲", 43),  # traditional characters
        ("pregnancy", "沒有", "no"),
        ("sle_duration", "四個月前確診", {"earliest": "2026-07-24", "latest": "2026-07-24"}),
    ],
)
def test_traditional_characters_read_as_simplified(trial, today, question_id, text, expected):
    assert value(trial, question_id, text, today) == expected


@pytest.mark.parametrize(
    ("text", "medicines"),
    [
        ("羥氯喹，潑尼松，硫唑嘌呤", ["hydroxychloroquine", "prednisone", "azathioprine"]),
        # a pinyin keyboard's slips: one character typed as another of the same sound
        ("羟绿喹，强的送，他克莫斯", ["hydroxychloroquine", "prednisone", "tacrolimus"]),
    ],
)
def test_drug_names_in_traditional_characters_or_misspelt(trial, today, text, medicines):
    assert value(trial, "current_medicines", text, today)["medicines"] == medicines


def test_a_two_character_name_is_not_matched_by_sound():
    """纷乐 (fēn lè) also sounds like 分了: short names need every character."""
    from bot.lexicon import load_lexicon

    assert load_lexicon().find_medicines("钱分了两次给") == []


@pytest.mark.parametrize(
    ("text", "mg_per_day"),
    [
        ("强的松一天一片半，一片是5毫克的", 7.5),  # 一片半: one and a half tablets
        ("泼尼松5mg的，每天一片半", 7.5),
        ("美卓乐4毫克的，一天7片", 28.0),  # 的 with nothing after it
        ("40mg，每天早上8片", 40.0),  # 40 mg in eight tablets, not 320 mg
    ],
)
def test_tablet_counts_and_strengths(trial, today, text, mg_per_day):
    assert value(trial, "steroid_dose", text, today)["mg_per_day"] == mg_per_day


def test_a_result_after_a_list_is_said_of_every_item(trial, today):
    text = "都没有。去年住院查过乙肝两对半、丙肝、HIV、梅毒，全部negative"
    found = value(trial, "viral_infections", text, today)
    assert found["none"] is True
    assert not found["hiv"] and not found["syphilis"]


@pytest.mark.parametrize(
    ("text", "virus", "status"),
    [
        ("得过丙肝，吃药治好了，cured了，现在HCV RNA查不到", "hepatitis_c", "unclear"),
        ("hep c years ago, cured, viral load undetectable now", "hepatitis_c", "past"),
        ("乙肝，在吃恩替卡韦，现在病毒查不到", "hepatitis_b", "active"),  # still treated
    ],
)
def test_an_undetectable_virus_is_not_active_unless_still_treated(
    trial, today, text, virus, status
):
    assert value(trial, "viral_infections", text, today)[virus] == status


def test_an_unnamed_further_medicine_makes_the_list_incomplete(trial, today):
    found = value(trial, "immunosuppressant_history", "纷乐，还吃过一种别的，名字记不住了", today)
    assert found["medicines"] == ["hydroxychloroquine"]
    assert found.get("incomplete") is True


def test_a_treated_rhythm_problem_is_a_heart_event(trial, today):
    assert value(trial, "cardiac_events", "上个月查出房颤，心内科开了药在吃", today) == "yes"


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("10天前打了甲肝疫苗，是减毒活疫苗", "hepatitis_a_live"),
        ("上礼拜单位组织打了乙脑疫苗，减毒活的", "japanese_encephalitis_live"),
        ("流感疫苗，灭活的", "flu_injected"),
        ("甲肝疫苗", "hepatitis_a_unspecified"),  # not said: the coordinator checks
    ],
)
def test_live_or_inactivated_said_with_the_vaccine(trial, today, text, product):
    assert value(trial, "live_vaccine", text, today)["products"] == [product]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("控制得挺好的，两三年都没犯过了", "no"),
        ("控制的很好", "no"),  # 的 for 得
        ("控制得不太好", "yes"),
        ("还在犯", "yes"),
    ],
)
def test_how_well_the_lupus_is_controlled(trial, today, text, expected):
    assert value(trial, "disease_active", text, today) == expected
