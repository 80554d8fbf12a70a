"""Every setting the product reads from the environment: one field each, its variable, its default.

The chat's actions, the dashboard, the patient page, the notification worker and the purge read
their settings here and nowhere else: `load_settings()` parses the environment (or a mapping
given instead) into a frozen `Settings`. Modules call it when they need a value, not once at
import, so a test's `monkeypatch.setenv` is seen.

A malformed value never stops `load_settings`: the field keeps its default and
`Settings.problems` says why, by variable ("HN2301_SMTP_PORT must be a whole number from 1 to
65535"). Each reader decides what a problem means for it: the purge refuses to run
(`require`), the notification worker sends nothing and says so, and the chat is not stopped
by a typo in a mail setting.

The variables that programs other than the product read (`make run`, `make cluster`, HAProxy, and
Rasa itself where it expands `${...}` in endpoints.yml and credentials.yml) are listed in
`READ_ELSEWHERE`, with who reads each; their defaults live with those readers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'hn2301.db'}"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingError(ValueError):
    """A setting's value cannot be used; the message names its variable and says why."""


# --- how a variable's text becomes a value -----------------------------------------------------
# Each takes the variable's text (None when it is unset) and the default; a ValueError's message
# ("must be ...") follows the variable's name in `Settings.problems`.

Parse = Callable[[str | None, Any], Any]


def _text(given: str | None, default: Any) -> Any:
    """Surrounding spaces dropped; unset or blank: the default."""
    return (given or "").strip() or default


def _verbatim(given: str | None, default: Any) -> Any:
    """Exactly as given (a password may end in a space); unset: the default."""
    return default if given is None else given


def _path(given: str | None, default: Any) -> Any:
    """A file's path as given; unset or empty: the default."""
    return Path(given) if given else default


def _switch(given: str | None, default: Any) -> Any:
    """On only when exactly "1"; anything else is off (never an error)."""
    return given == "1"


def _unless_blank(read: Callable[[str], Any]) -> Parse:
    """A parser that reads the stripped value with `read`; blank (or unset) is the default."""

    def parse(given: str | None, default: Any) -> Any:
        text = (given or "").strip()
        return read(text) if text else default

    parse.__doc__ = read.__doc__
    return parse


@_unless_blank
def _flag(text: str) -> bool:
    """1/true/yes/on or 0/false/no/off, in any case; blank: the default."""
    if text.lower() not in _TRUE | _FALSE:
        raise ValueError(f"must be 1 or 0, not {text!r}")
    return text.lower() in _TRUE


def _number(allowed: range) -> Parse:
    """A whole number in `allowed`; blank: the default."""

    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value not in allowed:
            bounds = f"from {allowed.start} to {allowed.stop - 1}"
            raise ValueError(f"must be a whole number {bounds}, not {text!r}")
        return value

    return _unless_blank(read)


@_unless_blank
def _period(text: str) -> int:
    """A whole number of at least 1 (minutes or days); blank: the default."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"must be a whole number, not {text!r}") from None
    if value < 1:
        raise ValueError(f"must be at least 1, not {value}")
    return value


@_unless_blank
def _day(text: str) -> date:
    """A day, YYYY-MM-DD; blank: the default."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be a day like 2027-06-30, not {text!r}") from None


def _addresses(given: str | None, default: Any) -> Any:
    """Comma-separated, each stripped, empty ones dropped."""
    return tuple(part.strip() for part in (given or "").split(",") if part.strip()) or default


def _setting(variable: str, default: Any, parse: Parse, *, secret: bool = False) -> Any:
    """A field read from `variable`; a secret is left out of the repr."""
    return field(default=default, repr=not secret, metadata={"variable": variable, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """The product's settings; each field's comment says what it does."""

    # --- the referral store and Rasa's tracker store ---
    # The referral store's SQLAlchemy URL (PostgreSQL in production).
    database_url: str = _setting("HN2301_DATABASE_URL", DEFAULT_DATABASE_URL, _text)
    # Rasa's tracker store, for the purge and erasure; blank: the one endpoints.yml names.
    tracker_database_url: str = _setting("HN2301_TRACKER_DATABASE_URL", "", _text)
    # The endpoints.yml whose tracker store the purge reaches (scripts/stack.py sets its own).
    endpoints: Path = _setting(  # noqa: RUF009 (a dataclasses.field, made by _setting)
        "HN2301_ENDPOINTS", REPO_ROOT / "endpoints.yml", _path
    )

    # --- retention (bot/retention.py; the patient page states the same periods) ---
    # Minutes of silence after which a conversation that never consented is deleted.
    retain_unconsented_minutes: int = _setting("HN2301_RETAIN_UNCONSENTED_MINUTES", 60, _period)
    # Days after which a consented conversation with no outcome is deleted.
    retain_abandoned_days: int = _setting("HN2301_RETAIN_ABANDONED_DAYS", 7, _period)
    # Days a screening without referral (and a finished chat) is kept.
    retain_screenings_days: int = _setting("HN2301_RETAIN_SCREENINGS_DAYS", 30, _period)
    # The study's last day; while unset, referrals are kept.
    study_closes: date | None = _setting("HN2301_STUDY_CLOSES", None, _day)  # noqa: RUF009
    # Days after the study closes that referrals and news contacts are deleted.
    retain_referrals_after_close_days: int = _setting(
        "HN2301_RETAIN_REFERRALS_AFTER_CLOSE_DAYS", 180, _period
    )

    # --- the coordinator dashboard ---
    # The session-signing key; blank: a random key kept in var/dashboard_secret.
    dashboard_secret: str = _setting("HN2301_DASHBOARD_SECRET", "", _text, secret=True)
    # "1": the dashboard's cookies are Secure (it is served over HTTPS).
    dashboard_secure_cookies: bool = _setting("HN2301_DASHBOARD_SECURE_COOKIES", False, _switch)
    # "1": believe X-Forwarded-For from a loopback peer (a TLS proxy on this machine).
    dashboard_trusted_proxy: bool = _setting("HN2301_DASHBOARD_TRUSTED_PROXY", False, _switch)
    # The dashboard's address as coordinators open it: the link in notification mails.
    dashboard_public_url: str = _setting("HN2301_DASHBOARD_PUBLIC_URL", "", _text)

    # --- the patient page, the chat channels and the action server ---
    # The secret the page server and Rasa share for chat ids and tokens (at least 32 characters).
    chat_jwt_key: str = _setting("HN2301_CHAT_JWT_KEY", "", _text, secret=True)
    # "1": the page is served over HTTPS, its cookie Secure and __Host- prefixed.
    page_secure_cookie: bool = _setting("HN2301_PAGE_SECURE_COOKIE", False, _switch)
    # The token Rasa sends the action server with every call (at least 32 characters).
    actions_token: str = _setting("HN2301_ACTIONS_TOKEN", "", _text, secret=True)
    # Where the action server listens (rasa_sdk's own variable).
    actions_host: str = _setting("SANIC_HOST", "127.0.0.1", _verbatim)
    # When set, the REST channel asks every request for it as a bearer token.
    rest_token: str = _setting("HN2301_REST_TOKEN", "", _verbatim, secret=True)

    # --- e-mail notifications (bot/notifications.py) ---
    # The mail server; blank: notifications are off.
    smtp_host: str = _setting("HN2301_SMTP_HOST", "", _text)
    # The mail server's submission port.
    smtp_port: int = _setting("HN2301_SMTP_PORT", 587, _number(range(1, 65536)))
    # The login after STARTTLS; blank: no login.
    smtp_username: str = _setting("HN2301_SMTP_USERNAME", "", _text)
    # Its password, exactly as given (never logged).
    smtp_password: str = _setting("HN2301_SMTP_PASSWORD", "", _verbatim, secret=True)
    # On: send only over STARTTLS; off: a plain local relay is allowed.
    smtp_starttls: bool = _setting("HN2301_SMTP_STARTTLS", True, _flag)
    # A CA bundle to verify the mail server's certificate with; blank: the system's CAs.
    smtp_ca_file: str = _setting("HN2301_SMTP_CA_FILE", "", _text)
    # The mails' From address.
    notify_from: str = _setting("HN2301_NOTIFY_FROM", "", _text)
    # The study team's addresses (comma-separated in the variable).
    notify_to: tuple[str, ...] = _setting("HN2301_NOTIFY_TO", (), _addresses)
    # On: one mail a day listing the new referrals instead of one a referral.
    notify_digest: bool = _setting("HN2301_NOTIFY_DIGEST", False, _flag)
    # The digest's hour (0-23) at the study site.
    notify_digest_hour: int = _setting("HN2301_NOTIFY_DIGEST_HOUR", 8, _number(range(24)))

    # Variable -> why its value was not used (the field kept its default); empty when all were.
    problems: Mapping[str, str] = field(default_factory=dict)

    def problems_with(self, *variables: str) -> list[str]:
        """The problems of these variables, in this order."""
        return [self.problems[name] for name in variables if name in self.problems]

    def require(self, *variables: str) -> Settings:
        """These settings, when none of `variables` (default: any) is malformed; else a
        `SettingError` naming the first that is."""
        found = self.problems_with(*variables) if variables else list(self.problems.values())
        if found:
            raise SettingError(found[0])
        return self


def _settings_fields() -> tuple:
    return tuple(f for f in fields(Settings) if "variable" in f.metadata)


# Field name -> its environment variable.
VARIABLES: Mapping[str, str] = {f.name: f.metadata["variable"] for f in _settings_fields()}


def variable(name: str) -> str:
    """The environment variable of the field `name` (a typo fails at import)."""
    return VARIABLES[name]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in `environ` (default: `os.environ`, as it is now)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for setting in _settings_fields():
        name = setting.metadata["variable"]
        try:
            values[setting.name] = setting.metadata["parse"](env.get(name), setting.default)
        except ValueError as error:
            problems[name] = f"{name} {error}"
    return Settings(**values, problems=problems)


# Variables the product does not read; who reads them (and keeps their defaults).
READ_ELSEWHERE: Mapping[str, str] = {
    "HN2301_MODEL": "scripts/stack.py: the trained model make run starts Rasa with",
    "HN2301_RASA_PORT": "scripts/run.py, scripts/cluster.py: Rasa's port (the balancer's)",
    "HN2301_ACTIONS_PORT": "scripts/run.py, scripts/cluster.py: the action server's port",
    "HN2301_DASHBOARD_PORT": "scripts/run.py, scripts/cluster.py: the dashboard's port",
    "HN2301_PAGE_PORT": "scripts/run.py, scripts/cluster.py: the patient page's port",
    "HN2301_PAGE_ORIGINS": "Rasa, in credentials.yml (scripts/stack.py sets it): the page's URLs",
    "HN2301_RASA_PORTS": "scripts/cluster.py: the Rasa servers' ports behind HAProxy",
    "HN2301_ACTIONS_PORTS": "scripts/cluster.py: the action servers' ports behind HAProxy",
    "HN2301_PG_HOST": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_PG_PORT": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_PG_USER": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_PG_PASSWORD": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_PG_DB": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_REDIS_HOST": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_REDIS_PORT": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_REDIS_DB": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_REDIS_PREFIX": "scripts/cluster.py; Rasa, in deploy/cluster/endpoints.yml",
    "HN2301_ACTIONS_BALANCER": "Rasa, in deploy/cluster/endpoints.yml: HAProxy's action frontend",
    "HN2301_RASA_BIND": "HAProxy, deploy/cluster/haproxy.cfg: where patients' messages come in",
    "HN2301_ACTIONS_BIND": "HAProxy, deploy/cluster/haproxy.cfg: where Rasa's action calls come in",
    "HN2301_RASA_1": "HAProxy, deploy/cluster/haproxy.cfg: the first Rasa server",
    "HN2301_RASA_2": "HAProxy, deploy/cluster/haproxy.cfg: the second Rasa server",
    "HN2301_ACTIONS_1": "HAProxy, deploy/cluster/haproxy.cfg: the first action server",
    "HN2301_ACTIONS_2": "HAProxy, deploy/cluster/haproxy.cfg: the second action server",
}
