"""A coordinator works a referral made by a real screening, in a real browser (issue 4)."""

import contextlib
import json
import subprocess
import sys

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from scripts.stack import ROOT
from tests.support.browser import Browser
from tests.support.conversations import load_conversation, play_over_rest
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


def sign_in(browser: Browser, dashboard_url: str) -> None:
    driver = browser.driver
    driver.get(dashboard_url + "login")
    driver.find_element(By.ID, "username").send_keys(COORDINATOR)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # The click returns before the browser has followed the redirect after signing in; if it
    # stays on the login page, the caller's assertion says why.
    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def test_a_coordinator_changes_the_status_of_a_real_referral_and_sees_it_audited(
    rasa_stack, open_browser
):
    bot_command(rasa_stack, "create-coordinator", COORDINATOR, "--password-stdin", stdin=PASSWORD)
    play_over_rest(rasa_stack, new_sender(), load_conversation("likely_eligible_with_contact"))
    referrals = json.loads(bot_command(rasa_stack, "referrals", "--json"))
    assert referrals, "the screening with contact details made no referral"
    referral = referrals[0]

    browser = open_browser(1280, 900)
    driver = browser.driver
    sign_in(browser, rasa_stack.dashboard_url)
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
