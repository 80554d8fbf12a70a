"""A coordinator works a referral in a real browser: one made by a real screening (issue 4), and
one from a Chinese patient worked by a coordinator who chose Chinese (issue 9). The second serves
the dashboard alone (waitress on a free port, over a migrated temporary store, the referral
written through the repository as the chat's actions write it)."""

import json
import re
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait
from waitress.server import create_server

from bot.dashboard import create_app
from bot.parsing import UNSURE
from bot.store import repository
from bot.store.db import session_scope, upgrade_database
from bot.trial import load_trial
from scripts.stack import ROOT
from tests.bot.dashboard.dashboard_helpers import english_words, judged
from tests.support.browser import sign_in_to_dashboard
from tests.support.conversations import load_conversation, play_over_rest
from tests.support.referrals import assess, consent, refer
from tests.support.stack import new_sender

pytestmark = pytest.mark.browser

COORDINATOR = "nurse-amy"
PASSWORD = "a long test passphrase 4 the dashboard"


def bot_command(stack, *args: str, stdin: str = "") -> str:
    """Run `python -m bot ...` against the stack's referral database; its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**stack.env()},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def enrolled_secret(created: str) -> str:
    """The TOTP secret `create-coordinator` printed for the authenticator app."""
    return re.search(r"secret \(to type in by hand\): ([A-Z2-7]+)", created).group(1)


def test_a_coordinator_changes_the_status_of_a_real_referral_and_sees_it_audited(
    rasa_stack, open_browser
):
    created = bot_command(
        rasa_stack, "create-coordinator", COORDINATOR, "--password-stdin", stdin=PASSWORD
    )
    play_over_rest(rasa_stack, new_sender(), load_conversation("likely_eligible_with_contact"))
    referrals = json.loads(bot_command(rasa_stack, "referrals", "--json"))
    assert referrals, "the screening with contact details made no referral"
    referral = referrals[0]

    browser = open_browser(1280, 900)
    driver = browser.driver
    sign_in_to_dashboard(
        browser, rasa_stack.dashboard_url, COORDINATOR, PASSWORD, enrolled_secret(created)
    )
    assert "/login" not in driver.current_url, driver.find_element(By.TAG_NAME, "main").text
    wait = WebDriverWait(driver, 10)
    driver.find_element(By.LINK_TEXT, referral["reference_code"]).click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "new"))
    Select(driver.find_element(By.ID, "new-status")).select_by_value("contacted")
    driver.find_element(By.ID, "status-note").send_keys("Called, patient keen; visit next week")
    driver.find_element(By.XPATH, "//button[normalize-space()='Change status']").click()

    # the page reloads after the POST: wait for the new page rather than read the old one
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "contacted"))
    driver.find_element(By.LINK_TEXT, "Audit trail of this referral").click()
    wait.until(
        expected_conditions.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "table.audit"), "status changed"
        )
    )
    audit = driver.find_element(By.CSS_SELECTOR, "table.audit").text
    assert "status changed" in audit
    assert COORDINATOR in audit
    browser.screenshot("dashboard-referral-audit")


CHINESE_COORDINATOR = "护士小李"
CONSENTED = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)  # 09:30 in Hefei
WORDS = "我今年38岁，2019年确诊\n在吃 Plaquenil 和美卓乐 一天两片"


@pytest.fixture
def chinese_dashboard(tmp_path):
    """The dashboard on a free port with one Chinese coordinator and one Chinese referral."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY_FILE": tmp_path / "dashboard_secret"})
    trial = load_trial("hn2301")
    with session_scope(app.extensions["hn2301_engine"]) as session:
        coordinator = repository.create_coordinator(
            session=session,
            username=CHINESE_COORDINATOR,
            password=PASSWORD,
            at=CONSENTED,
            language="zh",
        )
        totp_secret = coordinator.totp_secret
        consent(session, "zh-browser", at=CONSENTED, language="zh")
        assess(
            session,
            "zh-browser",
            at=CONSENTED + timedelta(minutes=6),
            outcome="needs_review",
            to_verify=[f"{check.item} {check.text}" for check in trial.coordinator_checks],
            verdicts=[
                {
                    "criterion": "age",
                    "item": "I1",
                    "kind": "self_reported",
                    "verdict": "met",
                    **judged(trial, "age_between", "age", WORDS, 38, min_years=18, max_years=69),
                    "words": WORDS,
                    "parsed": {"age": 38},
                },
                {
                    "criterion": "lab_markers",
                    "item": "I5",
                    "kind": "verified",
                    "verdict": "unknown",
                    **judged(trial, "lab_markers", "lab_markers", "不清楚", UNSURE),
                    "words": "不清楚",
                },
            ],
        )
        referral = refer(
            session,
            "zh-browser",
            at=CONSENTED + timedelta(minutes=7),
            name="王芳",
            phone="13912345678",
            preferred_time="上午",
            transcript=[
                {"sender": "assistant", "text": "您今年多大？", "at": "2026-03-02T01:31:00Z"},
                {"sender": "patient", "text": WORDS, "at": "2026-03-02T01:31:20Z"},
            ],
        )
        code = referral.reference_code
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}/", code, totp_secret
    server.close()
    app.extensions["hn2301_engine"].dispose()


def test_a_chinese_coordinator_works_a_referral_from_the_queue_to_a_status_change(
    chinese_dashboard, open_browser
):
    """Issue 9: the Chinese dashboard, from the queue to a status change and its audit."""
    url, code, totp_secret = chinese_dashboard
    browser = open_browser(1280, 900)
    driver = browser.driver
    wait = WebDriverWait(driver, 10)
    sign_in_to_dashboard(browser, url, CHINESE_COORDINATOR, PASSWORD, totp_secret)
    assert "/login" not in driver.current_url, driver.find_element(By.TAG_NAME, "main").text

    # the queue, in Chinese
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "转介队列"))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    queue = driver.find_element(By.TAG_NAME, "main").text
    assert "需要复核" in queue and "新转介" in queue and "王芳" in queue
    assert "2026年3月2日 09:37" in queue  # referred, in Hefei time
    assert english_words(driver.page_source, [code, CHINESE_COORDINATOR]) == set()
    browser.screenshot("dashboard-zh-queue")

    # the referral: verdicts, the patient's own words, the to-verify list
    driver.find_element(By.LINK_TEXT, code).click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "新转介"))
    page = driver.find_element(By.TAG_NAME, "main").text
    for expected in (
        "符合",
        "不确定",
        "实验室指标",
        "筛选期化验",
        "患者语言：",
        "中文",
        "年龄 38 岁：在 18-69 岁之间。",  # a reason, stored in English, read in Chinese
        "不知道这些检查结果。",
    ):
        assert expected in page, expected
    transcript = driver.find_elements(By.CSS_SELECTOR, ".from-patient p")
    assert transcript[0].text == WORDS  # exactly as typed, line break included

    # a status change with a Chinese note
    Select(driver.find_element(By.ID, "new-status")).select_by_visible_text("已联系")
    driver.find_element(By.ID, "status-note").send_keys("已电话联系，患者下周来访视")
    driver.find_element(By.XPATH, "//button[normalize-space()='更改状态']").click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "已联系"))
    flashed = driver.find_element(By.CSS_SELECTOR, ".flash").text
    assert flashed == "状态已改为“已联系”。"
    notes = driver.find_element(By.CSS_SELECTOR, ".notes").text
    assert "新转介 → 已联系" in notes and "已电话联系，患者下周来访视" in notes
    browser.screenshot("dashboard-zh-referral-status-changed", show_css="#status-heading")

    # the audit trail records it, in Chinese
    driver.find_element(By.LINK_TEXT, "本转介的审计记录").click()
    wait.until(
        expected_conditions.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "table.audit"), "状态变更"
        )
    )
    audit = driver.find_element(By.CSS_SELECTOR, "table.audit").text
    assert "新转介 → 已联系" in audit and CHINESE_COORDINATOR in audit
    browser.screenshot("dashboard-zh-audit")

    # the same page on a phone-sized screen
    browser.resize(360, 800)
    driver.find_element(By.LINK_TEXT, "转介队列").click()
    wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "转介队列"))
    browser.screenshot("dashboard-zh-queue-360px")
