"""The page's privacy text states the retention periods the purge keeps to, in both languages
(issue 11, finding 3: "the page's privacy text says otherwise")."""

import re
from datetime import date, timedelta

import pytest

from bot import retention
from bot.i18n import CHINESE, ENGLISH
from bot.webpage.server import render_page

VARIABLES = (
    retention.UNCONSENTED_MINUTES,
    retention.ABANDONED_DAYS,
    retention.SCREENINGS_DAYS,
    retention.REFERRALS_AFTER_CLOSE_DAYS,
    retention.STUDY_CLOSES,
)
# How each language writes "N minutes" and "N days" (the page's own catalog words).
UNITS = {ENGLISH: ("{} minutes", "{} days"), CHINESE: ("{} 分钟", "{} 天")}


def retention_text(language: str) -> str:
    page = render_page(language).decode()
    item = re.search(r'<li id="retention">(.*?)</li>', page, re.DOTALL)
    assert item, "the privacy section has no retention item"
    return " ".join(re.sub(r"<[^>]+>", " ", item.group(1)).split())


@pytest.fixture
def environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_the_default_periods_are_stated(environment, language):
    settings = retention.RetentionSettings.from_environment()
    minutes, days = UNITS[language]
    text = retention_text(language)
    assert minutes.format(settings.unconsented_minutes) in text
    for period in (
        settings.abandoned_days,
        settings.screenings_days,
        settings.referrals_after_close_days,
    ):
        assert days.format(period) in text
    assert settings.study_closes is None
    assert ("no closing date" if language == ENGLISH else "还没有定结束日期") in text


@pytest.mark.parametrize("language", [ENGLISH, CHINESE])
def test_the_page_follows_a_sites_settings(environment, language):
    closes = date(2027, 6, 30)
    environment.setenv(retention.UNCONSENTED_MINUTES, "45")
    environment.setenv(retention.ABANDONED_DAYS, "5")
    environment.setenv(retention.SCREENINGS_DAYS, "21")
    environment.setenv(retention.REFERRALS_AFTER_CLOSE_DAYS, "90")
    environment.setenv(retention.STUDY_CLOSES, closes.isoformat())
    minutes, days = UNITS[language]
    text = retention_text(language)
    assert minutes.format(45) in text
    for period in (5, 21, 90):
        assert days.format(period) in text
    assert (closes + timedelta(days=90)).isoformat() in text
    assert days.format(7) not in text and days.format(30) not in text


def test_the_defaults_are_the_documented_ones(environment):
    settings = retention.RetentionSettings.from_environment()
    assert (
        settings.unconsented_minutes,
        settings.abandoned_days,
        settings.screenings_days,
        settings.referrals_after_close_days,
        settings.study_closes,
    ) == (60, 7, 30, 180, None)
