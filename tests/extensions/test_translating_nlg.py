"""domain.yml's responses as Rasa sends them: in the patient's language, the study's facts filled
in from the trial definition."""

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from extensions.translating_nlg import TranslatingNaturalLanguageGenerator

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
NLG = TranslatingNaturalLanguageGenerator(domain=DOMAIN)


def _said(response: str, patient_said: str) -> dict:
    tracker = DialogueStateTracker.from_events(
        "patient", [UserUttered(patient_said)], slots=DOMAIN.slots
    )
    return asyncio.run(NLG.generate(response, tracker, "rest"))


@pytest.mark.parametrize(
    ("response", "patient_said", "text"),
    [
        (
            "utter_location",
            "where is the study?",
            "The study takes place at The First Affiliated Hospital of University of Science and "
            "Technology of China, in Hefei, Anhui, China.",
        ),
        (
            "utter_location",
            "研究在哪里？",
            "研究在中国科学技术大学附属第一医院进行，位于中国安徽省合肥市。",
        ),
        (
            "utter_who_runs",
            "who runs it?",
            "The study is run by Shenzhen MagicRNA Biotechnology. The lead doctor is Dr Zhu Chen "
            "at The First Affiliated Hospital of University of Science and Technology of China.",
        ),
        (
            "utter_who_runs",
            "谁负责这个研究？",
            "这项研究由深圳瑞吉生物科技有限公司开展。负责医生是中国科学技术大学附属第一医院的陈竹医生。",
        ),
    ],
)
def test_the_study_facts_come_from_the_trial_file(response, patient_said, text):
    assert _said(response, patient_said)["text"] == text


def test_the_greeting_names_the_study_by_its_title():
    assert _said("utter_greet", "hi")["text"].startswith(
        "Hello! I'm the helper for the HN2301 lupus study. "
    )
    assert _said("utter_greet", "你好")["text"].startswith("您好！我是HN2301红斑狼疮研究的助手。")


def test_buttons_are_translated_and_custom_data_kept():
    said = _said("utter_confirm_stop", "我想停止")
    assert [button["title"] for button in said["buttons"]] != ["Yes, stop", "No, go on"]
    assert [button["payload"] for button in said["buttons"]] == ["/affirm", "/deny"]
    assert said["custom"] == {"data": {"question": "stop_confirm"}}


def test_an_unknown_response_is_none():
    assert _said("utter_no_such_response", "hi") is None
