"""Helpers for the dashboard tests: a steppable clock, sign-in, CSRF tokens, audit rows, page text.

The sample referral is tests/support/referrals.py's `make_referral`.
"""

import re
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from bot.dashboard import create_app
from bot.rules import RULES, Answer, RuleContext, reason_tree
from bot.store import repository
from bot.store.db import session_scope, upgrade_database
from tests.support.referrals import SAMPLE_AT

PASSWORD = "correct horse battery staple"
START = SAMPLE_AT  # the clock starts when the sample referral is made


@contextmanager
def dashboard_app(tmp_path, clock, **config):
    """A dashboard on a migrated temp SQLite store with coordinator "amy" (password PASSWORD)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY_FILE": tmp_path / "dashboard_secret",
            "CLOCK": clock,
            **config,
        }
    )
    with session_scope(app.extensions["hn2301_engine"]) as session:
        repository.create_coordinator(session=session, username="amy", password=PASSWORD, at=START)
    try:
        yield app
    finally:
        app.extensions["hn2301_engine"].dispose()


class Clock:
    """The app's clock, moved forward by tests (idle timeout, lockout)."""

    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)


def csrf_token(client, path="/login"):
    """The CSRF token of the client's current session, read from a page's hidden field."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def totp_now(app, username="amy"):
    """The account's current TOTP code at the app's clock ("000000" for an unknown account).

    A code is accepted once (ASVS 2.8.4): if this time step was already used, the test clock
    moves on to the next one first, as a coordinator would wait for the app's next code.
    """
    with session_scope(app.extensions["hn2301_engine"]) as session:
        coordinator = session.scalar(
            select(repository.Coordinator).where(repository.Coordinator.username == username)
        )
        if coordinator is None or not coordinator.totp_secret:
            return "000000"
        secret, last_step = coordinator.totp_secret, coordinator.totp_last_step
    clock = app.config["CLOCK"]
    while last_step is not None and int(clock().timestamp()) // 30 <= last_step:
        clock.advance(seconds=30)
    return repository.totp_code(secret, clock())


def sign_in(client, username="amy", password=PASSWORD, totp=None):
    """POST the login form; `totp` defaults to the account's right code now."""
    if totp is None:
        totp = totp_now(client.application, username)
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "totp": totp,
            "csrf_token": csrf_token(client),
        },
    )


def audit_actions(store, referral_id=None):
    with store() as session:
        return [
            (event.actor, event.action, event.referral_id)
            for event in repository.list_audit(session=session, referral_id=referral_id)
        ]


# Latin-letter words a Chinese page may show: codes, units, product and test names, the name of
# the other language in the switch. Anything else in Latin letters is untranslated text.
ALLOWED_LATIN = {
    "HN", "FHIR", "QuestionnaireResponse", "JSON", "CSV", "API", "English", "SLE", "ANA",
    "dsDNA", "SLEDAI", "EULAR", "ACR", "ANC", "ALC", "Hb", "INR", "APTT", "ULN", "LVEF", "SpO",
    "ALT", "AST", "CrCl", "mL", "min", "HBsAg", "HBcAb", "HBV", "DNA", "HCV", "RNA", "HIV",
    "CMV", "mRNA", "LNP", "mg", "HN2301", "C3", "C4", "SpO2", "K", "xULN", "L", "g",
}  # fmt: skip
PROTOCOL_ITEM = re.compile(r"^[IE]\d$")


class VisibleText(HTMLParser):
    """The text a reader meets: element text (not <code>, <style>, <script>) and the labels
    in aria-label / title / placeholder / alt attributes."""

    SKIPPED = frozenset({"code", "style", "script"})

    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return " ".join(parser.parts)


def english_words(page: str, patient_data=()) -> set[str]:
    """Latin-letter words on the page that are neither allowed nor the patient's own data."""
    text = visible_text(page)
    for data in patient_data:
        text = text.replace(data, " ")
    words = re.findall(r"[A-Za-z]+\d*", text)
    return {word for word in words if word not in ALLOWED_LATIN and not PROTOCOL_ITEM.match(word)}


def judged(trial, rule: str, question: str, words: str, value, **params):
    """A rule's real finding for one answer, as the engine hands it to the store."""
    context = RuleContext(
        answers={question: Answer(words, value)}, today=START.date(), lexicon=trial.lexicon,
        params=params,
    )  # fmt: skip
    found = RULES[rule].judge(context)
    return {"reason": str(found.reason), "reason_i18n": reason_tree(found.reason)}
