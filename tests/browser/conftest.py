"""Real Chromium browsers for the browser tests; each is quit when its test ends."""

from collections.abc import Callable, Iterator

import pytest

from tests.support.browser import Browser, missing_browser


@pytest.fixture
def open_browser() -> Iterator[Callable[..., Browser]]:
    """Start a fresh browser (own profile: own cookies and storage) per call."""
    reason = missing_browser()
    if reason:
        pytest.fail(reason)
    browsers: list[Browser] = []

    def start(width: int = 360, height: int = 800) -> Browser:
        browsers.append(Browser(width, height))
        return browsers[-1]

    yield start
    for browser in browsers:
        browser.quit()
