"""The dashboard in Chinese: every page, the language switch, local times, exports' language."""

import csv
import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from dashboard_helpers import (
    PASSWORD,
    START,
    audit_actions,
    csrf_token,
    english_words,
    judged,
    sign_in,
    visible_text,
)
from sqlalchemy import select

from bot import i18n
from bot.parsing import UNSURE
from bot.store import repository
from bot.store.models import Coordinator
from bot.trial import load_trial
from tests.support.referrals import make_referral

TRIAL = load_trial("hn2301")
CATALOG = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "dashboard.po"

# A Chinese patient's referral, with the engine's own to-verify lines (built as bot/eligibility.py
# builds them) and words typed with odd spacing, a line break and mixed scripts.
PATIENT_WORDS = "我今年 38岁，  2019年确诊\n在吃 Plaquenil 和美卓乐"
PATIENT = {
    "name": "王芳",
    "phone": "13912345678",
    "email": None,
    "preferred_time": "上午九点以后",
    "words": PATIENT_WORDS,
    "transcript_text": PATIENT_WORDS,
    "assistant_text": "您今年多大年纪？也可以告诉我出生日期。",
    "language": "zh",
    "main_reason": "",
}


AGE = judged(TRIAL, "age_between", "age", PATIENT_WORDS, 38, min_years=18, max_years=69)
LABS = judged(TRIAL, "lab_markers", "lab_markers", "不清楚", UNSURE)


def chinese_referral(store, conversation_id="zh-1", **overrides):
    lab = next(c for c in TRIAL.criteria if c.id == "lab_markers")
    to_verify = [f"{lab.items} {lab.summary}: {LABS['reason']}"] + [
        f"{check.item} {check.text}" for check in TRIAL.coordinator_checks
    ]
    fields = {**PATIENT, "to_verify": to_verify, **overrides}
    verdicts = [
        {
            "criterion": "age",
            "item": "I1",
            "kind": "self_reported",
            "verdict": "met",
            **AGE,
            "words": fields["words"],
            "parsed": {"years": 38},
            "until": None,
        },
        {
            "criterion": "lab_markers",
            "item": "I5",
            "kind": "verified",
            "verdict": "unknown",
            **LABS,
            "words": "不清楚",
            "parsed": None,
            "until": None,
        },
    ]
    return make_referral(store, conversation_id, verdicts=verdicts, **fields)


@pytest.fixture
def chinese(app, client, store):
    """A signed-in coordinator who chose Chinese."""
    with store() as session:
        repository.set_coordinator_language(session=session, username="amy", language="zh")
    assert sign_in(client).status_code == 302
    return client


def test_every_page_is_in_chinese_without_untranslated_text(chinese, store):
    referral_id = chinese_referral(store)
    chinese.post(
        f"/referrals/{referral_id}/status",
        data={"status": "contacted", "note": "已电话联系", "csrf_token": csrf_token(chinese, "/")},
    )
    chinese.get(f"/api/referrals/{referral_id}")  # an audit detail ("api")
    chinese.get("/export/referrals.csv")  # an audit detail ("1 referrals")
    with store() as session:
        code = repository.get_referral(session=session, referral_id=referral_id).reference_code
    # The patient's words are theirs; everything else, reasons included, is in Chinese
    patient_data = [code, "amy", PATIENT_WORDS]
    pages = [
        "/",
        "/?status=new&outcome=likely_eligible&from=2026-03-01&to=2026-03-31",
        f"/referrals/{referral_id}",
        "/funnel",
        "/audit",
        f"/audit?referral={referral_id}",
        "/no-such-page",
    ]
    for path in pages:
        response = chinese.get(path)
        page = response.get_data(as_text=True)
        assert '<html lang="zh-CN">' in page, path
        assert re.search(r"[\u4e00-\u9fff]", visible_text(page)), path
        assert english_words(page, patient_data) == set(), path


def test_the_referral_page_shows_verdicts_summaries_and_checks_in_chinese(chinese, store):
    referral_id = chinese_referral(store)
    page = chinese.get(f"/referrals/{referral_id}").get_data(as_text=True)
    for expected in (
        "实验室指标",  # the criterion's name
        "ANA 或抗 dsDNA 阳性，或补体偏低",  # its summary
        "不确定",  # its verdict
        "符合",
        "（筛选时核实）",
        "年龄 38 岁：在 18-69 岁之间。",  # a reason (stored in English)
        "不知道这些检查结果。",
        "I5 ANA 或抗 dsDNA 阳性，或补体偏低：不知道这些检查结果。",  # to verify
        "I1 确认 SLE 符合 2019 年 EULAR/ACR 分类标准",  # a coordinator check
        "患者语言：",
        "中文",
        "新转介",
    ):
        assert expected in page, expected


def test_transcripts_and_words_are_shown_exactly_as_the_patient_wrote_them(chinese, store):
    tricky = "我 <b>38</b> 岁 &amp;  “没有”\n  吃 MMF 500mg"
    referral_id = chinese_referral(store, words=tricky, transcript_text=tricky)
    page = chinese.get(f"/referrals/{referral_id}").get_data(as_text=True)
    escaped = (
        tricky.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )  # Jinja's escaping, nothing else: spaces, line breaks and scripts kept
    assert f'<p lang="zh-CN">{escaped}</p>' in page
    assert f'<q lang="zh-CN">{escaped}</q>' in page
    assert "<b>38</b>" not in page


def test_the_language_switch_is_saved_for_the_coordinator_and_csrf_protected(client, store):
    assert sign_in(client).status_code == 302
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Referral queue" in english
    refused = client.post("/language", data={"language": "zh", "next": "/funnel"})
    assert refused.status_code == 400
    switched = client.post(
        "/language",
        data={"language": "zh", "next": "/funnel", "csrf_token": csrf_token(client, "/")},
    )
    assert switched.status_code == 302
    assert switched.headers["Location"].endswith("/funnel")
    assert "招募漏斗" in client.get("/funnel").get_data(as_text=True)
    with store() as session:  # saved in the store, not in the cookie
        coordinator = session.scalar(select(Coordinator).where(Coordinator.username == "amy"))
        assert coordinator.language == "zh"
    assert ("amy", "language_changed", None) in audit_actions(store)
    # a new session (another browser) finds the choice
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert sign_in(client).status_code == 302
    assert "转介队列" in client.get("/").get_data(as_text=True)
    # and back; an unknown language or a foreign `next` changes nothing dangerous
    back = client.post(
        "/language",
        data={"language": "en", "next": "https://evil.example/", "csrf_token": csrf_token(client)},
    )
    assert back.headers["Location"] == "/"
    client.post("/language", data={"language": "fr", "csrf_token": csrf_token(client)})
    assert "Referral queue" in client.get("/").get_data(as_text=True)


def test_the_switch_needs_a_signed_in_coordinator(client):
    response = client.post("/language", data={"language": "zh"})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("accept_language", "lang", "heading"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "登录"),
        ("zh-TW", "zh-CN", "登录"),
        ("en-GB,en;q=0.9", "en", "Sign in"),
        ("fr-FR,de;q=0.8", "en", "Sign in"),
        ("fr-FR,zh;q=0.5", "zh-CN", "登录"),
    ],
)
def test_the_login_page_follows_the_browsers_language(client, accept_language, lang, heading):
    page = client.get("/login", headers={"Accept-Language": accept_language})
    text = page.get_data(as_text=True)
    assert f'<html lang="{lang}">' in text
    assert f"<h1>{heading}</h1>" in text
    if lang == "zh-CN":
        assert english_words(text) == set()
        failed = client.post(
            "/login",
            data={"username": "amy", "password": "wrong", "csrf_token": csrf_token(client)},
            headers={"Accept-Language": accept_language},
        )
        assert "登录失败" in failed.get_data(as_text=True)


def test_a_chinese_coordinators_saved_language_wins_over_the_browser(chinese):
    page = chinese.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "转介队列" in page


def test_login_is_still_required_everywhere_in_either_language(app, client):
    for language in ("zh-CN", "en"):
        for rule in app.url_map.iter_rules():
            if rule.endpoint in ("auth.login", "static") or "<" in rule.rule:
                continue
            method = "POST" if "POST" in rule.methods and "GET" not in rule.methods else "GET"
            response = client.open(rule.rule, method=method, headers={"Accept-Language": language})
            assert response.status_code in (302, 400, 401), (rule.rule, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]


def test_flash_messages_are_in_the_coordinators_language(chinese, store):
    referral_id = make_referral(store)

    def post(path, **data):
        data["csrf_token"] = csrf_token(chinese, "/")
        return chinese.post(path, data=data, follow_redirects=True).get_data(as_text=True)

    assert "转介不能从“新转介”改为“已入组”。" in post(
        f"/referrals/{referral_id}/status", status="enrolled"
    )
    assert "状态已改为“已联系”。" in post(f"/referrals/{referral_id}/status", status="contacted")
    assert "备注已添加。" in post(f"/referrals/{referral_id}/notes", text="明天再打")
    assert "备注不能为空。" in post(f"/referrals/{referral_id}/notes", text="  ")


def test_times_are_shown_in_the_sites_zone_in_the_coordinators_format(client, chinese, store):
    # START is 09:00 UTC: 17:00 in Hefei (Asia/Shanghai, UTC+8, no daylight saving)
    referral_id = make_referral(store)
    page = chinese.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "2026年3月2日 17:00" in page  # consented (START)
    assert "2026年3月2日 17:06" in page  # referred
    assert "2026年3月2日 17:01" in page  # a transcript message (ISO text in the store)
    assert "UTC" not in visible_text(page)
    assert "中国时间" in page
    with store() as session:
        repository.set_coordinator_language(session=session, username="amy", language="en")
    english = chinese.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Mar 2, 2026, 5:00\u202fPM" in english  # CLDR: a narrow no-break space
    assert "China Time" in english


def test_the_queues_days_are_the_sites_days(signed_in, store):
    # 17:30 UTC on 2 March is 01:30 on 3 March in Hefei
    late = make_referral(store, "late", name="Late Evening")
    with store() as session:
        repository.get_referral(session=session, referral_id=late).created_at = START + timedelta(
            hours=8, minutes=30
        )
    march_2 = signed_in.get("/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    march_3 = signed_in.get("/?from=2026-03-03&to=2026-03-03").get_data(as_text=True)
    assert "Late Evening" not in march_2
    assert "Late Evening" in march_3


def test_csv_and_fhir_name_the_patients_language_and_keep_their_words(chinese, store):
    chinese_id = chinese_referral(store)
    english_id = make_referral(store, "en-1", name="Plain Name")
    rows = list(
        csv.DictReader(io.StringIO(chinese.get("/export/referrals.csv").get_data(as_text=True)))
    )
    by_name = {row["name"]: row for row in rows}
    assert by_name["王芳"]["language"] == "zh"
    assert by_name["Plain Name"]["language"] == "en"
    assert by_name["王芳"]["preferred_time"] == "上午九点以后"
    # the export is data: English codes and texts whatever the coordinator's language
    assert by_name["王芳"]["outcome"] == "likely_eligible"

    document = json.loads(chinese.get(f"/referrals/{chinese_id}/fhir.json").get_data(as_text=True))
    assert document["language"] == "zh-CN"
    words = [
        answer["valueString"]
        for group in document["item"]
        for child in group.get("item", [])
        if child["linkId"].endswith(".words")
        for answer in child["answer"]
    ]
    assert PATIENT_WORDS in words
    english = json.loads(chinese.get(f"/referrals/{english_id}/fhir.json").get_data(as_text=True))
    assert english["language"] == "en"
    api = chinese.get(f"/api/referrals/{chinese_id}").get_json()
    assert api["screening"]["language"] == "zh"


def test_every_trial_text_a_coordinator_reads_has_a_chinese_translation():
    with CATALOG.open("rb") as source:
        catalog = read_po(source, locale="zh", domain="dashboard")
    texts = [check.text for check in TRIAL.coordinator_checks]
    for criterion in TRIAL.criteria:
        texts += [criterion.summary, criterion.explain, criterion.id.replace("_", " ")]
    for text in texts:
        message = catalog.get(text)
        assert message is not None and message.string, f"no Chinese for {text!r}"
        assert not message.fuzzy, text
        assert re.search(r"[\u4e00-\u9fff]", message.string), text


def test_every_dashboard_message_is_translated_and_keeps_its_placeholders():
    with CATALOG.open("rb") as source:
        catalog = read_po(source, locale="zh", domain="dashboard")
    assert list(catalog.check()) == []
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"untranslated: {message.id!r}"
        placeholders = sorted(re.findall(r"%\(\w+\)s", message.id))
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == placeholders, message.id


def test_a_new_coordinator_starts_in_english_and_languages_are_checked(store):
    with store() as session:
        fresh = repository.create_coordinator(
            session=session, username="bo", password=PASSWORD, at=START
        )
        assert fresh.language == "en"
        with pytest.raises(ValueError):
            repository.set_coordinator_language(session=session, username="bo", language="fr")


def _plain_values(tree) -> list[str]:
    """The plain params of a reason tree (medicine and vaccine names, dates, numbers)."""
    if isinstance(tree, dict):
        children = list(tree.get("p", {}).values()) + tree.get("j", []) + tree.get("l", [])
        return [value for child in children for value in _plain_values(child)]
    return [str(tree)]


def test_every_reason_the_engine_writes_for_the_sample_patients_reads_in_chinese(app):
    """Phase 2 of issue 9: bot/rules.py composes reasons in English with their templates; the
    dashboard says each one in Chinese from the catalog, with nothing left in English but
    names and codes."""
    from bot.dashboard.language import verdict_reason
    from tests.bot.test_eligibility import CASES_FILE, play

    seen = set()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        for case in CASES_FILE["cases"]:
            _, result = play(case["answers"])
            for verdict in result.verdicts:
                stored = verdict.to_dict()
                if stored["reason"] in seen:
                    continue
                seen.add(stored["reason"])
                row = SimpleNamespace(reason=stored["reason"], reason_i18n=stored["reason_i18n"])
                chinese = verdict_reason(row)
                assert chinese != stored["reason"], stored["reason"]
                assert "{" not in chinese, chinese
                assert english_words(chinese, _plain_values(stored["reason_i18n"])) == set(), (
                    stored["reason"],
                    chinese,
                )
    assert len(seen) > 40


def test_a_reason_without_its_tree_or_with_a_broken_one_is_shown_in_english(app):
    from bot.dashboard.language import verdict_reason

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        older = SimpleNamespace(reason="Age 38: within 18-69.", reason_i18n=None)
        assert verdict_reason(older) == "Age 38: within 18-69."
        broken = SimpleNamespace(reason="Age 38.", reason_i18n={"t": "Age {age}", "p": {}})
        assert verdict_reason(broken) == "Age 38."
        plain = SimpleNamespace(reason="No transplant.", reason_i18n=None)
        assert verdict_reason(plain) == "未做过移植。"  # a plain reason the catalog knows
