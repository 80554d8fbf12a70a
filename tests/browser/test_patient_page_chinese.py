"""The patient page in Chinese, in a real browser against the real stack, on a 360 px phone."""

import json
import re

import pytest
from selenium.webdriver.common.by import By

from bot.store import repository
from bot.store.db import make_engine, session_scope
from tests.browser.test_patient_page import run_axe
from tests.support.browser import ChatPage
from tests.support.conversations import load_conversation, play
from tests.test_rest_screenings_zh import english_left

pytestmark = pytest.mark.browser


def test_a_whole_screening_in_chinese_on_a_phone_to_the_referral(rasa_stack, open_browser):
    browser = open_browser(360, 800)
    page = ChatPage(browser, rasa_stack.page_url + "/?lang=zh")
    assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"

    final = play(load_conversation("likely_eligible_zh"), page.say, page.press)

    assert final
    assert not english_left(page.bot_texts()), english_left(page.bot_texts())
    assert browser.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    ), "the page scrolls sideways at 360 px"
    browser.screenshot("patient-page-zh-360", show_css="#chat-log")
    browser.driver.execute_script("window.scrollTo(0, 0)")
    browser.screenshot("patient-page-zh-360-top")
    with session_scope(make_engine(rasa_stack.database_url)) as session:
        referral = repository.list_referrals(session=session, limit=1)[0]
        said = [
            entry
            for entry in repository.referral_as_dict(referral, with_transcript=True)["transcript"]
            if entry["sender"] == "patient"
        ]
    pressed = [entry["text"] for entry in said if entry.get("button")]
    assert "同意" in pressed and "是，仍然活动" in pressed, pressed  # the words pressed, not "yes"


@pytest.mark.parametrize("name", ["not_eligible_zh", "not_eligible_now_zh", "needs_review_zh"])
def test_the_other_outcomes_in_chinese_on_a_phone(rasa_stack, open_browser, name):
    """The three outcomes besides "may be a good fit", typed and pressed on the page."""
    browser = open_browser(360, 800)
    page = ChatPage(browser, rasa_stack.page_url + "/?lang=zh")

    final = play(load_conversation(name), page.say, page.press)

    assert final
    assert not english_left(page.bot_texts()), english_left(page.bot_texts())
    browser.screenshot(f"patient-page-{name.replace('_', '-')}-360", show_css="#chat-log")


def test_switching_language_on_the_page_keeps_the_chat_and_every_answer(rasa_stack, open_browser):
    browser = open_browser(360, 800)
    page = ChatPage(browser, rasa_stack.page_url + "/?lang=zh")
    for text in ("你好", "同意", "34岁"):
        page.say(text)
    before = len(page.bot_texts())

    browser.driver.find_element(By.CSS_SELECTOR, '.language-switch a[lang="en"]').click()
    page.wait_for_connection()  # the page reloads in English; the chat stays in this tab
    page.wait_for(lambda: len(page.bot_texts()) > before, "the question again, in English")

    assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert page.user_texts()[:3] == ["你好", "同意", "34岁"]
    page.wait_for(
        lambda: any("go on in English" in text for text in page.bot_texts()[before:]),
        "the switch to be acknowledged",
    )
    assert any("lupus" in text for text in page.bot_texts()[before:])
    page.press("Yes")
    stored = json.loads(browser.driver.execute_script("return sessionStorage['hn2301-chat']"))
    assert stored["language"] == "en"
    browser.screenshot("patient-page-switched-to-english-360", show_css="#chat-log")


def test_the_chinese_page_has_no_serious_accessibility_violations_after_several_turns(
    rasa_stack, open_browser
):
    browser = open_browser(360, 800)
    page = ChatPage(browser, rasa_stack.page_url + "/?lang=zh")
    for text in ("你好", "同意", "三十四岁", "是", "2019年"):
        page.say(text)
    assert browser.driver.execute_script(
        "const log = document.getElementById('chat-log');return log.scrollHeight > log.clientHeight"
    ), "the chat log should scroll here, so axe checks it can be reached by keyboard"

    violations = run_axe(browser.driver)

    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=2, ensure_ascii=False)
    assert re.search(r"[\u4e00-\u9fff]", page.bot_texts()[-1])
