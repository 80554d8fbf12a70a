"""The dashboard in English and Chinese: Flask-Babel, the coordinator's language, local times.

The locale is the signed-in coordinator's saved choice (the switch in the page header posts to
`/language`); before sign-in (the login page) it follows the browser's Accept-Language. Catalog:
`bot/locale/<language>/LC_MESSAGES/dashboard.po` (domain "dashboard"); `bot.i18n.compile_all()`
writes the `.mo` files Flask-Babel reads, when the app is created.

Times are shown in the study site's time zone (the trial definition's `timezone`), in the
coordinator's locale format. Labels of stored codes (statuses, outcomes, verdicts, audit
actions) and the trial's own words (criterion names and summaries, coordinator checks, the
patient-facing `explain` stored as a screening's main reason) are looked up in the catalog when
a page is drawn; the stored values stay English codes and texts.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name
from flask import Blueprint, Flask, current_app, g, redirect, request
from flask_babel import Babel, get_locale, gettext, lazy_gettext

from bot import i18n
from bot.dashboard.security import current_username, record_coordinator_action, store
from bot.store import repository
from bot.trial import load_trial

blueprint = Blueprint("language", __name__)

# The names of the languages as their readers write them (the switch shows both).
LANGUAGE_NAMES = {i18n.ENGLISH: "English", i18n.CHINESE: "中文"}

STATUS_LABELS = {
    "new": lazy_gettext("new"),
    "contacted": lazy_gettext("contacted"),
    "visit_scheduled": lazy_gettext("visit scheduled"),
    "enrolled": lazy_gettext("enrolled"),
    "screen_failed": lazy_gettext("screen failed"),
    "unreachable": lazy_gettext("unreachable"),
    "withdrawn": lazy_gettext("withdrawn"),
}
OUTCOME_LABELS = {
    "likely_eligible": lazy_gettext("likely eligible"),
    "needs_review": lazy_gettext("needs review"),
    "not_eligible_now": lazy_gettext("not eligible now"),
    "not_eligible": lazy_gettext("not eligible"),
    None: lazy_gettext("unfinished"),
}
VERDICT_LABELS = {
    "met": lazy_gettext("met"),
    "not_met": lazy_gettext("not met"),
    "unknown": lazy_gettext("unknown"),
    "not_met_until": lazy_gettext("not met until"),
    "information": lazy_gettext("information"),
    "pending": lazy_gettext("pending"),
}
ACTION_LABELS = {
    "login": lazy_gettext("login"),
    "login_failed": lazy_gettext("login failed"),
    "logout": lazy_gettext("logout"),
    "referral_viewed": lazy_gettext("referral viewed"),
    "status_changed": lazy_gettext("status changed"),
    "note_added": lazy_gettext("note added"),
    "queue_exported_csv": lazy_gettext("queue exported csv"),
    "referral_exported_fhir": lazy_gettext("referral exported fhir"),
    "patient_data_deleted": lazy_gettext("patient data deleted"),
    "language_changed": lazy_gettext("language changed"),
    "queue_viewed": lazy_gettext("queue viewed"),
    "api_referrals_listed": lazy_gettext("referrals listed through the API"),
    "funnel_viewed": lazy_gettext("funnel viewed"),
    "coordinator_disabled": lazy_gettext("account disabled"),
    "coordinator_enabled": lazy_gettext("account enabled"),
    "coordinator_unlocked": lazy_gettext("account unlocked"),
    "coordinator_reset": lazy_gettext("account reset"),
    # access, erasure and retention (bot/dashboard/erasure.py, actions/privacy.py, bot/retention.py)
    "patient_data_shown": lazy_gettext("patient data shown"),
    "patient_code_refused": lazy_gettext("reference code refused"),
    "patient_data_deleted_by_code": lazy_gettext("patient data deleted by reference code"),
    "referral_erased": lazy_gettext("referral erased"),
    "referral_purged": lazy_gettext("referral deleted by the retention purge"),
    "retention_purge": lazy_gettext("retention purge"),
}
ACTOR_LABELS = {
    "patient": lazy_gettext("patient"),
    "(blank)": lazy_gettext("(blank)"),
    "(unknown)": lazy_gettext("(unknown account)"),
    "(command line)": lazy_gettext("(command line)"),
    "retention": lazy_gettext("retention purge"),
}
DETAIL_LABELS = {
    "api": lazy_gettext("through the API"),
    "page": lazy_gettext("page"),
    "page, with transcript": lazy_gettext("page, with transcript"),
    "api, with transcript": lazy_gettext("through the API, with transcript"),
    "no filter": lazy_gettext("no filter"),
    "password": lazy_gettext("password"),
    "totp": lazy_gettext("authenticator (TOTP)"),
    "erasure page": lazy_gettext("erasure page"),
    "retention period ended": lazy_gettext("retention period ended"),
    "reference code without its phone or e-mail": lazy_gettext(
        "reference code without its phone or e-mail"
    ),
}
FILTER_LABELS = {
    "status": lazy_gettext("status"),
    "outcome": lazy_gettext("outcome"),
    "from": lazy_gettext("from"),
    "to": lazy_gettext("to"),
}

_STATUS_CHANGE_DETAIL = re.compile(r"^(\w+) -> (\w+)$")
_EXPORT_DETAIL = re.compile(r"^(\d+) referrals$")
_LIST_DETAIL = re.compile(r"^(?:(page|api); )?([^;]*?)(?:; (\d+) referrals)?$")
_FILTER = re.compile(r"^(status|outcome|from|to)=([\w-]+)$")
_ACCOUNT_DETAIL = re.compile(r"^account (\d+)(?:: ((?:password|totp)(?: and totp)?))?$")
# A retention purge's counts (bot.retention.PurgeCounts.summary): "name=N name=N ...".
_PURGE_DETAIL = re.compile(r"^(?:[a-z_]+=\d+)(?: [a-z_]+=\d+)*$")
PURGE_LABELS = {
    "unconsented_conversations": lazy_gettext("chats without consent"),
    "abandoned_conversations": lazy_gettext("chats left unfinished"),
    "finished_conversations": lazy_gettext("finished chats"),
    "tracker_events": lazy_gettext("chat events"),
    "unfinished_screenings": lazy_gettext("unfinished screenings"),
    "unreferred_screenings": lazy_gettext("screenings without referral"),
    "referrals": lazy_gettext("referrals"),
    "news_contacts": lazy_gettext("contacts for news of other studies"),
}


def install(app: Flask) -> None:
    """Compile the catalogs, then set up Flask-Babel and the template helpers on `app`."""
    i18n.compile_all()  # .mo files are build output (gitignored): write them before Babel reads
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(i18n.LOCALE_DIR))
    app.config.setdefault("BABEL_DOMAIN", i18n.DASHBOARD)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", i18n.ENGLISH)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", load_trial(app.config["TRIAL_ID"]).timezone)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        when=format_when,
        day=format_day,
        status_label=lambda code: _label(STATUS_LABELS, code),
        outcome_label=lambda code: _label(OUTCOME_LABELS, code),
        verdict_label=lambda code: _label(VERDICT_LABELS, code),
        action_label=lambda code: _label(ACTION_LABELS, code),
        actor_label=lambda actor: _label(ACTOR_LABELS, actor),
        audit_detail=audit_detail,
        criterion_name=criterion_name,
        trial_text=trial_text,
        to_verify_entry=to_verify_entry,
        reason=verdict_reason,
    )
    app.jinja_env.globals.update(
        current_language=current_language,
        language_names=LANGUAGE_NAMES,
        html_lang=lambda: i18n.BCP47[current_language()],
        site_zone_name=site_zone_name,
    )
    app.register_blueprint(blueprint)


def select_locale() -> str:
    """The signed-in coordinator's language, else the browser's first supported one."""
    saved = g.get("coordinator_language")
    if saved in i18n.LANGUAGES:
        return saved
    for language, _quality in request.accept_languages:
        named = i18n.named_language(language)
        if named:
            return named
    return i18n.ENGLISH


def current_language() -> str:
    """ "en" or "zh": the language this page is drawn in."""
    locale = get_locale()
    return i18n.normalise(locale.language if locale else None)


def site_zone() -> ZoneInfo:
    return ZoneInfo(load_trial(current_app.config["TRIAL_ID"]).timezone)


def site_zone_name() -> str:
    """The site's time zone as the coordinator's locale names it ("China Time", "中国时间")."""
    return get_timezone_name(site_zone(), locale=_babel_locale())


def _babel_locale() -> Locale:
    return get_locale() or Locale.parse(i18n.ENGLISH)


def format_when(value: datetime | str | None) -> str:
    """A moment at the study site, in the coordinator's format: "Mar 2, 2026, 5:00 PM" or
    "2026年3月2日 17:00". ISO strings (transcript times) are read first; naive means UTC."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    locale = _babel_locale()
    local = value.astimezone(site_zone())
    day = format_date(local, "medium", locale=locale)
    time = format_time(local, "short", tzinfo=site_zone(), locale=locale)
    return locale.datetime_formats["medium"].replace("{1}", day).replace("{0}", time)


def format_day(value: date | None) -> str:
    """A calendar day in the coordinator's format ("March 2, 2026", "2026年3月2日")."""
    return "" if value is None else format_date(value, "long", locale=_babel_locale())


def _label(labels: dict, code):
    """The translated label of a stored code; an unknown code is shown as it is."""
    if code in labels:
        return str(labels[code])
    return "" if code is None else str(code).replace("_", " ")


def trial_text(text: str | None) -> str:
    """A trial definition text in the coordinator's language (as is, if untranslated)."""
    return gettext(text) if text else ""


def criterion_name(criterion_id: str) -> str:
    """A criterion's short name ("lab markers"), translated (names come from the trial file)."""
    return gettext(criterion_id.replace("_", " "))


def audit_detail(detail: str | None) -> str:
    """An audit event's detail with its known forms translated ("new -> contacted", "api")."""
    if not detail:
        return ""
    change = _STATUS_CHANGE_DETAIL.match(detail)
    if change and change.group(1) in STATUS_LABELS and change.group(2) in STATUS_LABELS:
        return f"{STATUS_LABELS[change.group(1)]} → {STATUS_LABELS[change.group(2)]}"
    exported = _EXPORT_DETAIL.match(detail)
    if exported:
        return gettext("%(count)s referrals", count=int(exported.group(1)))
    if detail in DETAIL_LABELS:
        return str(DETAIL_LABELS[detail])
    if detail in i18n.LANGUAGES:
        return LANGUAGE_NAMES[detail]
    account = _ACCOUNT_DETAIL.match(detail)
    if account:
        said = gettext("account %(id)s", id=int(account.group(1)))
        if account.group(2):
            parts = account.group(2).split(" and ")
            said += ": " + " + ".join(str(DETAIL_LABELS[part]) for part in parts)
        return said
    if _PURGE_DETAIL.match(detail):
        pairs = (part.split("=") for part in detail.split())
        return "; ".join(f"{PURGE_LABELS.get(name, name)}: {count}" for name, count in pairs)
    listed = _LIST_DETAIL.match(detail)
    if listed and (listed.group(1) or listed.group(3)):
        filters = _filters_said(listed.group(2))
        if filters is not None:
            parts = [str(DETAIL_LABELS[listed.group(1)])] if listed.group(1) else []
            parts.append(filters)
            if listed.group(3):
                parts.append(gettext("%(count)s referrals", count=int(listed.group(3))))
            return "; ".join(parts)
    return detail


def _filters_said(text: str) -> str | None:
    """ "status=new from=2026-03-01" in the coordinator's language; None if it is not that form."""
    if text == "no filter":
        return str(DETAIL_LABELS["no filter"])
    said = []
    for pair in text.split(" "):
        found = _FILTER.match(pair)
        if not found:
            return None
        key, value = found.groups()
        if key == "status" and value in STATUS_LABELS:
            value = str(STATUS_LABELS[value])
        elif key == "outcome" and value in OUTCOME_LABELS:
            value = str(OUTCOME_LABELS[value])
        said.append(f"{FILTER_LABELS[key]} {value}")
    return ", ".join(said)


def to_verify_entry(entry: str, verdicts=()) -> str:
    """A stored "to verify" line in the coordinator's language.

    The engine writes "<items> <summary>: <reason>" for a criterion to check and
    "<item> <text>" for a coordinator check; both are rebuilt from the trial's translated texts.
    A line that matches neither (an older trial version) is shown as stored.
    """
    trial = load_trial(current_app.config["TRIAL_ID"])
    for check in trial.coordinator_checks:
        if entry == f"{check.item} {check.text}":
            return f"{check.item} {gettext(check.text)}"
    for criterion in trial.criteria:
        prefix = f"{criterion.items} {criterion.summary}: "
        if entry.startswith(prefix):
            reason = entry[len(prefix) :]
            said = next(
                (
                    verdict_reason(verdict)
                    for verdict in verdicts
                    if verdict.criterion == criterion.id and verdict.reason == reason
                ),
                None,
            )
            separator = gettext(": ")
            summary = gettext(criterion.summary)
            return f"{criterion.items} {summary}{separator}{said or reason_text(reason)}"
    return entry


def verdict_reason(verdict) -> str:
    """A stored verdict's reason in the coordinator's language.

    The rules compose reasons in English (bot.rules.say); the verdict row keeps how
    (`reason_i18n`), and the same templates are looked up in this catalog. Anything that
    cannot be rebuilt (an older row, a template missing from the catalog with different
    params) is shown as stored, in English, never half-translated."""
    tree = getattr(verdict, "reason_i18n", None)
    if not tree or current_language() == i18n.ENGLISH:
        return verdict.reason if tree else reason_text(verdict.reason)
    try:
        return _render(tree)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return verdict.reason


def _render(tree) -> str:
    """A reason tree (bot.rules.reason_tree) in the page's language."""
    if not isinstance(tree, dict):
        return str(tree)  # a plain value: a number, a date, a medicine's name
    if "t" in tree:
        params = {name: _param(value) for name, value in tree.get("p", {}).items()}
        template = tree["t"]
        return gettext(template).format(**params)
    sentence_gap, list_separator = _SEPARATORS[current_language()]
    if "j" in tree:
        return sentence_gap.join(_render(piece) for piece in tree["j"])
    if "l" in tree:
        return list_separator.join(_render(item) for item in tree["l"])
    raise ValueError("not a reason tree")


# Between sentences and between listed names: Chinese needs no space, lists take 、
_SEPARATORS = {i18n.ENGLISH: (" ", ", "), i18n.CHINESE: ("", "、")}


def _param(value):
    """A template's param: a nested reason rendered, a number kept for its format spec."""
    return _render(value) if isinstance(value, dict) else value


def reason_text(reason: str) -> str:
    """A plain reason for the coordinator: its translation if the catalog has one."""
    return gettext(reason) if reason else ""


def N_(message: str) -> str:
    return message


# Reasons the engine writes as plain strings (bot/eligibility.py), marked here for the catalog.
ENGINE_REASONS = (N_("Not asked yet."), N_("Not asked: the screening ended early."))


@blueprint.route("/language", methods=["POST"])
def choose():
    """Save the coordinator's dashboard language and go back to the page they were on."""
    from bot.dashboard.auth import safe_next

    language = i18n.named_language(request.form.get("language"))
    if language is not None:
        with store() as db_session:
            repository.set_coordinator_language(
                session=db_session, username=current_username(), language=language
            )
            record_coordinator_action(db_session, "language_changed", detail=language)
    return redirect(safe_next(request.form.get("next")))
