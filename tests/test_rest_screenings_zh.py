"""Whole screenings in Chinese over HTTP: a real `rasa run` and action server, REST channel.

The language is detected from the patient's first words (no metadata), or given in the
message metadata as the page does; every reply of a Chinese conversation is in Chinese (proper
names and codes aside), nothing answered is lost when the patient switches language, and the
store keeps the patient's words and language.
"""

import re

import pytest

from bot import messages
from bot.i18n import gettext_for
from bot.trial import load_trial
from tests.support.conversations import load_conversation, play_over_rest
from tests.support.stack import new_sender, talk
from tests.test_rest_screenings import stored

TRIAL = load_trial()
_ = gettext_for("zh")
# What a Chinese reply may hold in Latin letters: codes, units, the examples of what to type,
# products with no Chinese name, the web address of other studies.
ALLOWED_LATIN = re.compile(
    r"HN2301|mRNA|LNP|SLE|COVID-19|HIV|CMV|ANA|dsDNA|RSV|HN-[A-Z0-9]+|mg|\+86[\d ]+"
    r"|https?://\S+|[\w.]+@example\.com|Patisiran|Onpattro|Arexvy|Abrysvo|mRESVIA|Moderna"
)

EVERYTHING_FINE = {
    "age": "41岁",
    "sle_diagnosis": "是的",
    "sle_duration": "大概5年前",
    "disease_active": "还在活动",
    "transplant": "没有",
    "pregnancy": "没有",
    "current_medicines": "羟氯喹和泼尼松",
    "steroid_dose": "泼尼松一天15毫克",
    "immunosuppressant_history": "以前吃过骁悉和甲氨蝶呤",
    "treatment_stable": "对",
    "viral_infections": "都没有",
    "asthma_allergy": "没有",
    "active_infection": "没有",
    "cardiac_events": "没有",
    "mrna_lnp": "2021年打过科兴",
    "live_vaccine": "没有",
    "organ_function": "都没有",
    "lab_markers": "是",
    "contraception": "愿意",
    "disease_activity_score": "跳过",
    "travel": "可以",
}


def english_left(texts: list[str]) -> list[str]:
    """Latin-letter words in the replies that are not allowed names or codes."""
    return [w for t in texts for w in re.findall(r"[A-Za-z]{2,}", ALLOWED_LATIN.sub(" ", t))]


def asked(texts: list[str]) -> str | None:
    for text in texts:
        for question in TRIAL.questions:
            if _(question.ask) in text:
                return question.id
    return None


def screen(stack, answers, metadata=None, greeting="你好"):
    """Greet, consent, answer each question asked (read-backs confirmed with 对)."""
    sender = new_sender()
    said = [*talk(stack, sender, greeting, metadata)]
    reply = talk(stack, sender, "同意", metadata)
    said += reply
    questions = []
    while True:
        if any(text.startswith(_("Let me check I have this right.")) for text in reply):
            reply = talk(stack, sender, "对", metadata)
            said += reply
            continue
        if (question := asked(reply)) is None:
            return sender, questions, reply, said
        assert question not in questions, f"{question} asked twice: {reply}"
        questions.append(question)
        reply = talk(stack, sender, answers[question], metadata)
        said += reply


def test_a_likely_eligible_patient_is_screened_in_chinese_and_referred(rasa_stack):
    sender, questions, reply, said = screen(rasa_stack, EVERYTHING_FINE)
    assert "steroid_dose" in questions
    assert "可能适合" in " ".join(reply)
    talk(rasa_stack, sender, "是")
    said += talk(rasa_stack, sender, "王芳")
    said += talk(rasa_stack, sender, "+86 139 1234 5678")
    said += talk(rasa_stack, sender, "没有")
    said += talk(rasa_stack, sender, "晚上6点以后")
    done = talk(rasa_stack, sender, "对")
    said += done
    assert not english_left(said), english_left(said)
    data = stored(rasa_stack, sender)
    assert data["referral"]["reference_code"] in " ".join(done)
    assert data["screening"]["outcome"] == "likely_eligible"
    assert data["screening"]["language"] == "zh"
    words = {answer["criterion"]: answer["words"] for answer in data["answers"]}
    assert words["age"] == "41岁"  # the patient's words, as written
    assert any(line["text"] == "王芳" for line in data["transcript"])


@pytest.mark.parametrize(
    ("changes", "outcome", "told"),
    [
        ({"transplant": "不清楚"}, "needs_review", "需要核对"),
        ({"active_infection": "在吃药治肺炎"}, "not_eligible_now", "目前不适合您"),
        ({"age": "1950年出生"}, "not_eligible", "不适合您"),
    ],
)
def test_each_outcome_in_chinese(rasa_stack, changes, outcome, told):
    sender, _questions, reply, said = screen(rasa_stack, {**EVERYTHING_FINE, **changes})
    assert told in " ".join(reply)
    assert not english_left(said), english_left(said)
    assert stored(rasa_stack, sender)["screening"]["outcome"] == outcome


@pytest.mark.parametrize(
    "name", ["likely_eligible_zh", "needs_review_zh", "not_eligible_now_zh", "not_eligible_zh"]
)
def test_the_chinese_conversations_play_over_rest(rasa_stack, name):
    play_over_rest(rasa_stack, new_sender(), load_conversation(name))


def test_digressions_in_chinese_keep_every_answer(rasa_stack):
    sender = new_sender()
    for text in ["你好", "同意", "34岁"]:
        talk(rasa_stack, sender, text)
    ask = _(TRIAL.question("sle_diagnosis").ask)
    why = " ".join(talk(rasa_stack, sender, "为什么问这个？"))
    assert _(TRIAL.question("sle_diagnosis").why) in why and ask in why
    human = " ".join(talk(rasa_stack, sender, "我要找人工"))
    assert "研究团队" in human and ask in human
    stop = " ".join(talk(rasa_stack, sender, "我想停止"))
    assert "停止" in stop
    back = " ".join(talk(rasa_stack, sender, "不，我要继续"))
    assert ask in back
    known = " ".join(talk(rasa_stack, sender, "你们有我的哪些信息"))
    assert "34岁" in known
    delete = " ".join(talk(rasa_stack, sender, "删除我的数据"))
    assert "删除" in delete


def test_a_correction_in_chinese(rasa_stack):
    sender = new_sender()
    for text in ["你好", "同意", "34岁", "是"]:
        talk(rasa_stack, sender, text)
    reply = " ".join(talk(rasa_stack, sender, "把年龄改成75"))
    assert _("your age") in reply and "不适合您" in reply


def test_switching_language_keeps_the_answers_and_asks_again_in_the_new_one(rasa_stack):
    sender = new_sender()
    page = {"language": "en"}
    for text in ["hi", "yes", "I'm 34"]:
        talk(rasa_stack, sender, text, page)
    switched = " ".join(talk(rasa_stack, sender, "/change_language", {"language": "zh"}))
    assert "好的，我们用中文继续" in switched
    assert _(TRIAL.question("sle_diagnosis").ask) in switched
    talk(rasa_stack, sender, "是", {"language": "zh"})
    back = " ".join(talk(rasa_stack, sender, "English please"))
    assert "go on in English" in back and TRIAL.question("sle_duration").ask in back
    known = " ".join(talk(rasa_stack, sender, "what do you know about me?"))
    assert "I'm 34" in known and "是" in known  # nothing answered was lost


def test_the_first_words_choose_the_language(rasa_stack):
    sender = new_sender()
    assert "Hello" in " ".join(talk(rasa_stack, sender, "hi"))
    chinese = new_sender()
    reply = talk(rasa_stack, chinese, "你好")
    assert not english_left(reply)
    assert messages.consent_question(reask=False, language="zh") in reply
