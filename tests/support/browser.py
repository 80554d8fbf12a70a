"""Debian's headless Chromium driven by Selenium, and the patient page's chat as a test sees it.

Selenium is given the driver and browser paths, and SE_OFFLINE=true, so selenium-manager never
tries to download anything (this machine cannot reach a browser download site).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
REPLY_TIMEOUT_S = 60.0
QUIET_AFTER_REPLY_S = 1.0


def missing_browser() -> str | None:
    """Why no browser test can run here, or None."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        return f"{', '.join(missing)} missing: run `bash scripts/ensure_test_tools.sh`"
    return None


class Browser:
    """One Chromium with its own profile directory (cookies, storage): one patient's device."""

    def __init__(self, width: int = 360, height: int = 800) -> None:
        os.environ["SE_OFFLINE"] = "true"
        self.profile_dir = tempfile.mkdtemp(prefix="hn2301-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={self.profile_dir}",
        ):  # fmt: skip
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        """Emulate a viewport exactly (headless windows cannot be narrower than ~500 px)."""
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )

    def screenshot(self, name: str, show_css: str | None = None) -> Path:
        """Save what the viewport shows as test-artifacts/<name>.png, scrolled to `show_css`."""
        if show_css:
            self.driver.execute_script(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", show_css
            )
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        path = ARTIFACTS_DIR / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile_dir, ignore_errors=True)


class ChatPage:
    """The chat on the patient page: type, press buttons, and wait for the bot's replies."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        self.driver = browser.driver
        self.driver.get(url)
        self.wait_for_connection()

    def strings(self) -> dict[str, str]:
        """The chat's own words in the page's language (the page's JSON block)."""
        return json.loads(self.driver.find_element(By.ID, "chat-strings").get_attribute("text"))

    def wait_for_connection(self) -> None:
        connected = self.strings()["connected"]
        self.wait_for(lambda: self.status() == connected, "the chat to connect")

    def wait_for(self, condition, what: str, timeout_s: float = REPLY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except StaleElementReferenceException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"waited {timeout_s:.0f} s for {what}; status: {self.status()!r}")

    def status(self) -> str:
        return self.driver.find_element(By.ID, "chat-status").text

    def bot_texts(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".chat-bot .chat-body")]

    def user_texts(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".chat-user .chat-body")]

    def session_id(self) -> str | None:
        return self.driver.execute_script(
            "var s = JSON.parse(sessionStorage.getItem('hn2301-chat') || '{}');"
            "return s.sessionId || null;"
        )

    def _new_replies(self, before: int) -> list[str]:
        """Wait for at least one new bot message, then until none arrive for a moment."""
        self.wait_for(lambda: len(self.bot_texts()) > before, "the bot's reply")
        count, quiet_since = len(self.bot_texts()), time.monotonic()
        while time.monotonic() - quiet_since < QUIET_AFTER_REPLY_S:
            time.sleep(0.1)
            if len(self.bot_texts()) != count:
                count, quiet_since = len(self.bot_texts()), time.monotonic()
        return self.bot_texts()[before:]

    def say(self, text: str) -> list[str]:
        """Type `text` and press Enter, like a patient; returns the bot's new messages."""
        before = len(self.bot_texts())
        box = self.driver.find_element(By.ID, "chat-input")
        box.send_keys(text, Keys.ENTER)
        return self._new_replies(before)

    def enabled_buttons(self) -> list:
        buttons = self.driver.find_elements(By.CSS_SELECTOR, ".chat-reply")
        return [button for button in buttons if button.is_enabled()]

    def press(self, title: str) -> list[str]:
        """Press the enabled quick-reply button titled `title` (waiting a little for it)."""
        before = len(self.bot_texts())
        try:
            self.wait_for(
                lambda: any(b.text.strip() == title for b in self.enabled_buttons()),
                f"a button {title!r}",
                timeout_s=5,
            )
        except TimeoutError as error:
            offered = [b.text for b in self.enabled_buttons()]
            raise LookupError(f"no button {title!r}; the page offers {offered}") from error
        [b for b in self.enabled_buttons() if b.text.strip() == title][-1].click()
        return self._new_replies(before)


def sign_in_to_dashboard(
    browser: Browser, dashboard_url: str, username: str, password: str, totp_secret: str
) -> None:
    """Sign in on the dashboard's login page with the password and the account's TOTP code.

    The code is computed from the secret `create-coordinator` printed (as the coordinator's
    authenticator app would).
    """
    import contextlib
    from datetime import datetime, timezone

    import pyotp
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.wait import WebDriverWait

    driver = browser.driver
    driver.get(dashboard_url + "login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "totp").send_keys(
        pyotp.TOTP(totp_secret).at(datetime.now(timezone.utc))
    )
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # The click returns before the browser has followed the redirect after signing in; if it
    # stays on the login page, the caller's assertion says why.
    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)
