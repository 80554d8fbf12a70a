"""The patient page in a real browser against the real stack (issue 5)."""

import json
import urllib.request

import pytest

from bot.webpage.build import AXE_BUNDLE
from tests.support.browser import ChatPage
from tests.support.conversations import load_conversation, play

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def run_axe(driver) -> list[dict]:
    """axe-core's violations on the current page (axe is injected from node_modules)."""
    driver.execute_script(AXE_BUNDLE.read_text())
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        "  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        "    help: v.help, nodes: v.nodes.map(n => n.html.slice(0, 160))}))))"
        "  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));",
        AXE_TAGS,
    )


def test_a_likely_eligible_patient_completes_the_screening_on_a_phone(rasa_stack, open_browser):
    browser = open_browser(360, 800)
    page = ChatPage(browser, rasa_stack.page_url)

    final = play(load_conversation("likely_eligible"), page.say, page.press)

    assert final
    assert page.user_texts()[0] == "hi"
    assert browser.driver.execute_script("return window.localStorage.length") == 0
    stored = json.loads(browser.driver.execute_script("return sessionStorage['hn2301-chat']"))
    assert len(stored["messages"]) == len(page.user_texts()) + len(page.bot_texts())
    assert browser.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    ), "the page scrolls sideways at 360 px"
    browser.screenshot("patient-page-360", show_css="#chat-log")
    browser.resize(1280, 900)
    browser.screenshot("patient-page-1280", show_css="#chat")


def test_the_page_has_no_serious_accessibility_violations_with_the_chat_open(
    rasa_stack, open_browser
):
    browser = open_browser(360, 800)
    page = ChatPage(browser, rasa_stack.page_url)
    for text in ("hi", "yes", "I'm 34", "yes", "in 2019"):  # enough turns for the log to scroll
        page.say(text)
    assert browser.driver.execute_script(
        "const log = document.getElementById('chat-log');return log.scrollHeight > log.clientHeight"
    ), "the chat log should scroll here, so axe checks it can be reached by keyboard"

    violations = run_axe(browser.driver)

    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=2)


def test_the_page_loads_nothing_from_other_sites_and_sends_security_headers(
    rasa_stack, open_browser
):
    browser = open_browser(1280, 900)
    ChatPage(browser, rasa_stack.page_url).say("hi")
    allowed = (
        rasa_stack.page_url.rstrip("/"),
        rasa_stack.socket_url,
        rasa_stack.socket_url.replace("http", "ws", 1),
    )
    resources = browser.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert [url for url in resources if not url.startswith(allowed)] == []
    with urllib.request.urlopen(rasa_stack.page_url, timeout=10) as response:
        headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert rasa_stack.socket_url in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_a_second_browser_neither_sees_nor_joins_the_first_conversation(rasa_stack, open_browser):
    first = ChatPage(open_browser(), rasa_stack.page_url)
    first_replies = first.say("hi")
    first_session = first.session_id()

    second = ChatPage(open_browser(), rasa_stack.page_url)
    assert second.bot_texts() == [] and second.user_texts() == []
    second_session = second.session_id()
    assert second_session and first_session and second_session != first_session
    assert len(second_session) >= 32  # random, from the page's server (bound to its cookie)

    second.say("hi")
    assert first.bot_texts() == first_replies
    assert first.user_texts() == ["hi"]


def test_typed_markup_is_shown_as_text_and_finishing_clears_the_chat(rasa_stack, open_browser):
    page = ChatPage(open_browser(), rasa_stack.page_url)
    markup = '<img src=x onerror="document.title=1"><b>hi</b>'
    page.say(markup)
    assert page.user_texts() == [markup]
    assert page.driver.find_elements("css selector", "#chat-log img, #chat-log b") == []
    old_session = page.session_id()

    page.driver.find_element("id", "finish-chat").click()
    page = ChatPage(page.browser, rasa_stack.page_url)

    assert page.bot_texts() == [] and page.user_texts() == []
    assert page.session_id() != old_session


def test_the_browser_forgets_the_chat_when_the_conversation_ends(rasa_stack, open_browser):
    browser = open_browser(360, 800)
    page = ChatPage(browser, rasa_stack.page_url)
    page.say("hi")
    assert browser.driver.execute_script("return sessionStorage.getItem('hn2301-chat')")

    replies = page.press("No")

    assert any("not kept anything" in text for text in replies)
    page.wait_for(
        lambda: (
            browser.driver.execute_script("return sessionStorage.getItem('hn2301-chat')") is None
        ),
        "the chat to be removed from sessionStorage",
    )
    assert "chat has ended" in page.status()


def test_a_browser_given_another_patients_chat_id_gets_a_chat_of_its_own(rasa_stack, open_browser):
    first = ChatPage(open_browser(), rasa_stack.page_url)
    first_replies = first.say("hi")
    stolen = first.session_id()

    browser = open_browser()
    ChatPage(browser, rasa_stack.page_url)
    browser.driver.execute_script(
        "sessionStorage.setItem('hn2301-chat', JSON.stringify({sessionId: arguments[0],"
        " messages: []}))",
        stolen,
    )
    second = ChatPage(browser, rasa_stack.page_url)  # reloaded with the first patient's id

    assert second.session_id() and second.session_id() != stolen
    second.say("hi")
    assert first.bot_texts() == first_replies and first.user_texts() == ["hi"]
