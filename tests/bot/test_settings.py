"""bot/settings.py: every setting's default and parsing, the errors that name a bad variable, and
that no product code reads the environment, or names a setting, without it."""

import ast
import re
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest

from bot import settings as product
from bot.settings import (
    DEFAULT_DATABASE_URL,
    READ_ELSEWHERE,
    REPO_ROOT,
    VARIABLES,
    SettingError,
    Settings,
    load_settings,
    variable,
)

# The product's code: what reads the environment (through bot/settings.py only).
PRODUCT = ("bot", "actions", "extensions")
# Names that look like variables but are not: the page's JavaScript configuration object and
# HAProxy's sticky-session cookie.
NOT_VARIABLES = {"HN2301_CHAT", "HN2301_RASA"}
# A whole name; `HN2301_PG_*` and the like (several at once) are not one.
NAME = re.compile(r"\bHN2301_[A-Z0-9_]*[A-Z0-9]\b")


def test_the_defaults():
    settings = load_settings({})
    assert settings == Settings()
    assert settings.problems == {}
    assert (
        settings.database_url
        == DEFAULT_DATABASE_URL
        == f"sqlite:///{REPO_ROOT / 'var' / 'hn2301.db'}"
    )
    assert (settings.tracker_database_url, settings.endpoints) == ("", REPO_ROOT / "endpoints.yml")
    assert (
        settings.retain_unconsented_minutes,
        settings.retain_abandoned_days,
        settings.retain_screenings_days,
        settings.study_closes,
        settings.retain_referrals_after_close_days,
    ) == (60, 7, 30, None, 180)
    assert not (
        settings.dashboard_secure_cookies
        or settings.dashboard_trusted_proxy
        or settings.page_secure_cookie
    )
    assert (settings.dashboard_secret, settings.chat_jwt_key, settings.actions_token) == ("",) * 3
    assert (settings.actions_host, settings.rest_token) == ("127.0.0.1", "")
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == ("", 587, True)
    assert (settings.notify_to, settings.notify_digest, settings.notify_digest_hour) == (
        (),
        False,
        8,
    )


def test_the_repository_root_is_the_one_the_store_and_the_purge_use():
    from bot import retention
    from bot.store import db

    assert Path(__file__).resolve().parents[2] == REPO_ROOT
    assert db.REPO_ROOT is REPO_ROOT and retention.REPO_ROOT is REPO_ROOT


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("database_url", " postgresql+psycopg2://u@h/db ", "postgresql+psycopg2://u@h/db"),
        ("database_url", "   ", DEFAULT_DATABASE_URL),
        ("tracker_database_url", " sqlite:////x.db ", "sqlite:////x.db"),
        ("endpoints", "/etc/hn2301/endpoints.yml", Path("/etc/hn2301/endpoints.yml")),
        ("endpoints", "", REPO_ROOT / "endpoints.yml"),
        ("retain_unconsented_minutes", "15", 15),
        ("retain_abandoned_days", " 3 ", 3),
        ("retain_screenings_days", "14", 14),
        ("study_closes", "2027-06-30", date(2027, 6, 30)),
        ("study_closes", " ", None),
        ("retain_referrals_after_close_days", "365", 365),
        ("dashboard_secret", " a signing key ", "a signing key"),
        ("dashboard_secure_cookies", "1", True),
        ("dashboard_trusted_proxy", "1", True),
        ("dashboard_public_url", "https://hn2301.example.org/", "https://hn2301.example.org/"),
        ("chat_jwt_key", " " + "k" * 32 + "\n", "k" * 32),
        ("page_secure_cookie", "1", True),
        ("actions_token", "t" * 40, "t" * 40),
        ("actions_host", "0.0.0.0", "0.0.0.0"),
        ("actions_host", "", ""),  # as rasa_sdk's own server: set is set
        ("rest_token", "a token ", "a token "),
        ("smtp_host", " mail.example.org ", "mail.example.org"),
        ("smtp_port", "2525", 2525),
        ("smtp_username", " prescreen ", "prescreen"),
        ("smtp_password", " pass word ", " pass word "),  # exactly as given
        ("smtp_starttls", "0", False),
        ("smtp_starttls", "Off", False),
        ("smtp_starttls", "YES", True),
        ("smtp_ca_file", " /etc/ssl/ca.pem ", "/etc/ssl/ca.pem"),
        ("notify_from", "HN2301 <p@example.org>", "HN2301 <p@example.org>"),
        ("notify_to", " a@example.org, ,b@example.org ", ("a@example.org", "b@example.org")),
        ("notify_digest", "true", True),
        ("notify_digest_hour", "0", 0),
        ("notify_digest_hour", "23", 23),
    ],
)
def test_each_variable_is_parsed(name, given, expected):
    settings = load_settings({variable(name): given})
    assert getattr(settings, name) == expected
    assert settings.problems == {}


@pytest.mark.parametrize("given", ["0", "true", "yes", " 1", "1 ", ""])
@pytest.mark.parametrize(
    "name", ["dashboard_secure_cookies", "dashboard_trusted_proxy", "page_secure_cookie"]
)
def test_a_switch_is_on_only_when_exactly_1_and_never_an_error(name, given):
    settings = load_settings({variable(name): given})
    assert getattr(settings, name) is False
    assert settings.problems == {}


@pytest.mark.parametrize(
    ("name", "given", "message"),
    [
        ("retain_abandoned_days", "a week", "must be a whole number, not 'a week'"),
        ("retain_abandoned_days", "0", "must be at least 1, not 0"),
        ("retain_screenings_days", "-1", "must be at least 1, not -1"),
        ("retain_unconsented_minutes", "1.5", "must be a whole number, not '1.5'"),
        ("retain_referrals_after_close_days", "six months", "must be a whole number"),
        ("study_closes", "30/06/2027", "must be a day like 2027-06-30, not '30/06/2027'"),
        ("smtp_port", "smtp", "must be a whole number from 1 to 65535, not 'smtp'"),
        ("smtp_port", "0", "must be a whole number from 1 to 65535, not '0'"),
        ("smtp_port", "65536", "must be a whole number from 1 to 65535"),
        ("notify_digest_hour", "24", "must be a whole number from 0 to 23, not '24'"),
        ("notify_digest_hour", "8am", "must be a whole number from 0 to 23"),
        ("smtp_starttls", "maybe", "must be 1 or 0, not 'maybe'"),
        ("notify_digest", "daily", "must be 1 or 0, not 'daily'"),
    ],
)
def test_a_bad_value_is_named_with_what_was_given_and_the_default_kept(name, given, message):
    name_of_variable = variable(name)
    message = f"{name_of_variable} {message}"  # the variable is named first
    settings = load_settings({name_of_variable: given})
    assert settings.problems == {name_of_variable: settings.problems[name_of_variable]}
    assert settings.problems[name_of_variable].startswith(message)
    assert getattr(settings, name) == getattr(Settings(), name)
    with pytest.raises(SettingError, match=re.escape(message)):
        settings.require()
    with pytest.raises(SettingError, match=re.escape(message)):
        settings.require(variable("database_url"), name_of_variable)
    # A reader that does not need the bad one is not stopped by it.
    assert settings.require(variable("database_url")) is settings
    assert settings.problems_with(variable("database_url")) == []


def test_secrets_are_kept_out_of_the_repr():
    secrets = {
        "dashboard_secret": "dashboard-secret-value",
        "chat_jwt_key": "chat-key-value-" + "x" * 32,
        "actions_token": "actions-token-value-" + "y" * 32,
        "rest_token": "rest-token-value",
        "smtp_password": "smtp-password-value",
    }
    settings = load_settings({variable(name): value for name, value in secrets.items()})
    for name, value in secrets.items():
        assert getattr(settings, name) == value
        assert value not in repr(settings), name


def test_the_environment_is_read_when_asked_not_at_import(monkeypatch):
    from bot.store.db import database_url

    monkeypatch.setenv("HN2301_DATABASE_URL", "postgresql+psycopg2://u@h/first")
    assert load_settings().database_url == database_url() == "postgresql+psycopg2://u@h/first"
    monkeypatch.setenv("HN2301_DATABASE_URL", "postgresql+psycopg2://u@h/second")
    assert load_settings().database_url == database_url() == "postgresql+psycopg2://u@h/second"
    monkeypatch.delenv("HN2301_DATABASE_URL")
    assert database_url() == DEFAULT_DATABASE_URL


def test_every_field_has_its_own_variable_and_the_modules_use_those_names():
    from actions import server
    from bot import notifications, retention
    from bot.dashboard import SECURE_COOKIES_VARIABLE, TRUSTED_PROXY_VARIABLE, security
    from bot.store import db
    from bot.webpage import tokens

    named = [f.metadata["variable"] for f in fields(Settings) if "variable" in f.metadata]
    assert len(named) == len(set(named)) == len(VARIABLES)
    assert {f.name for f in fields(Settings)} == set(VARIABLES) | {"problems"}
    assert not set(named) & set(READ_ELSEWHERE)
    used = {
        db.DATABASE_URL_VARIABLE,
        SECURE_COOKIES_VARIABLE,
        TRUSTED_PROXY_VARIABLE,
        security.SIGNING_KEY_VARIABLE,
        tokens.KEY_ENV,
        server.TOKEN_ENV,
        retention.UNCONSENTED_MINUTES,
        retention.ABANDONED_DAYS,
        retention.SCREENINGS_DAYS,
        retention.STUDY_CLOSES,
        retention.REFERRALS_AFTER_CLOSE_DAYS,
        retention.TRACKER_URL,
        retention.ENDPOINTS,
        *notifications.ENVIRONMENT.values(),
    }
    assert used <= set(named)


def _text_files(*folders: str):
    for folder in folders:
        for path in sorted((REPO_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".mo":
                yield path


def _product_files():
    """The product's files but bot/settings.py (which lists READ_ELSEWHERE too)."""
    return (p for p in _text_files(*PRODUCT) if p != Path(product.__file__))


def _names_in(paths) -> dict[str, set[str]]:
    """Each HN2301_ name, by the files naming it."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            if name not in NOT_VARIABLES:
                found.setdefault(name, set()).add(str(path.relative_to(REPO_ROOT)))
    return found


def test_every_variable_the_product_names_is_a_setting():
    """A new variable in the product's code or documents is a field of Settings, so it is read
    (and parsed, and documented) in bot/settings.py and not on its own somewhere else."""
    named = _names_in(_product_files())
    missing = {name: where for name, where in named.items() if name not in VARIABLES.values()}
    assert not missing, f"add these to bot/settings.py's Settings: {missing}"


def test_every_variable_the_deployment_documents_is_a_setting_or_known_to_be_read_elsewhere():
    paths = [*_text_files("deploy"), REPO_ROOT / "README.md"]
    known = set(VARIABLES.values()) | set(READ_ELSEWHERE)
    missing = {name: where for name, where in _names_in(paths).items() if name not in known}
    assert not missing, (
        f"add these to bot/settings.py (Settings, or READ_ELSEWHERE with who reads them): {missing}"
    )


def test_what_is_read_elsewhere_is_really_read_there_and_not_by_the_product():
    elsewhere = _names_in([*_text_files("scripts", "deploy")])
    # HAProxy's servers are set by scripts/cluster.py as HN2301_RASA_{n}: named in deploy/.
    assert set(READ_ELSEWHERE) <= set(elsewhere), set(READ_ELSEWHERE) - set(elsewhere)
    in_product = set(_names_in(_product_files()))
    assert not set(READ_ELSEWHERE) & in_product


def _environment_reads(path: Path) -> list[str]:
    """Where a module reads the environment: os.environ, os.getenv, os.environb, `from os import
    environ` and the like (a docstring that mentions them is not a read)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "environb", "getenv"}:
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                reads.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            imported = {alias.name for alias in node.names}
            if imported & {"environ", "environb", "getenv"}:
                reads.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    return reads


def test_only_bot_settings_reads_the_environment_in_the_product():
    modules = [p for p in _text_files(*PRODUCT) if p.suffix == ".py"]
    reads = [read for path in modules for read in _environment_reads(path)]
    settings_module = Path(product.__file__).relative_to(REPO_ROOT)
    assert reads and all(read.startswith(f"{settings_module}:") for read in reads), reads


def test_the_readers_see_the_environment_through_settings(monkeypatch, tmp_path):
    """Each reader takes its value from load_settings() at call time (monkeypatch is seen)."""
    from actions.server import load_token
    from bot import notifications, retention
    from bot.dashboard.security import load_or_create_secret
    from bot.webpage.tokens import load_key

    monkeypatch.setenv("HN2301_DASHBOARD_SECRET", " from-the-environment ")
    assert load_or_create_secret(tmp_path / "unused") == "from-the-environment"
    monkeypatch.setenv("HN2301_CHAT_JWT_KEY", "c" * 32)
    assert load_key() == "c" * 32
    monkeypatch.setenv("HN2301_ACTIONS_TOKEN", "a" * 32)
    assert load_token() == "a" * 32
    monkeypatch.setenv("HN2301_RETAIN_SCREENINGS_DAYS", "21")
    assert retention.RetentionSettings.from_environment().screenings_days == 21
    monkeypatch.setenv("HN2301_SMTP_PORT", "2525")
    assert notifications.Settings.from_environ().port == 2525
    monkeypatch.setenv("HN2301_TRACKER_DATABASE_URL", "sqlite:////tmp/tracker.db")
    assert retention.tracker_url() == "sqlite:////tmp/tracker.db"
