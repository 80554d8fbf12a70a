"""Issue 9 "Simplified Chinese end to end": Chinese as patients write it, read by the parser of
the question it answers (through the trial definition, as the bot reads it). Expected values are
the spec's meaning ("Reading answers", "Facts a pre-screener needs"); today is Tue 2026-11-24."""

from __future__ import annotations

import pytest

from bot.engine import read_answer
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
