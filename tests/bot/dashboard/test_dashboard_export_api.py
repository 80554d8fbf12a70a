"""CSV and FHIR exports, and the JSON API with its OpenAPI document."""

import csv
import io
import json

from dashboard_helpers import audit_actions
from fhir.resources.questionnaireresponse import QuestionnaireResponse

from bot.dashboard.export import spreadsheet_safe
from tests.support.referrals import make_referral


def test_csv_export_is_filtered_audited_and_safe_from_formulas(signed_in, store):
    make_referral(store, "a", name='=HYPERLINK("http://x")', preferred_time="@SUM(A1)")
    make_referral(store, "b", name="Plain Name", outcome="needs_review")
    response = signed_in.get("/export/referrals.csv?outcome=likely_eligible")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["name"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["preferred_time"] == "'@SUM(A1)"
    assert rows[0]["phone"] == "'+8613800138000"
    assert rows[0]["to_verify"].startswith("Screening labs")
    assert ("amy", "queue_exported_csv", None) in audit_actions(store)


def test_spreadsheet_safe_quotes_only_formula_starts():
    assert spreadsheet_safe("-2+3") == "'-2+3"
    assert spreadsheet_safe("\t=1") == "'\t=1"
    assert spreadsheet_safe("Li Wei") == "Li Wei"
    assert spreadsheet_safe(None) == ""


def test_fhir_export_is_a_valid_questionnaire_response(signed_in, store):
    referral_id = make_referral(store)
    response = signed_in.get(f"/referrals/{referral_id}/fhir.json")
    assert response.mimetype == "application/fhir+json"
    document = json.loads(response.get_data(as_text=True))
    parsed = QuestionnaireResponse.parse_obj(document)
    assert parsed.status == "completed"
    assert parsed.identifier.value.startswith("HN-")
    groups = {item.linkId: item for item in parsed.item}
    age = {child.linkId: child for child in groups["age"].item}
    assert age["age.words"].answer[0].valueString == "I'm 34"
    assert age["age.verdict"].answer[0].valueCoding.code == "met"
    assert age["age.item"].answer[0].valueString == "I1"
    assert groups["outcome"].answer[0].valueCoding.code == "likely_eligible"
    contact = {child.linkId: child for child in groups["contact"].item}
    assert contact["contact.phone"].answer[0].valueString == "+8613800138000"
    assert ("amy", "referral_exported_fhir", referral_id) in audit_actions(store, referral_id)


def test_api_lists_and_shows_referrals_and_audits_the_view(signed_in, store):
    referral_id = make_referral(store)
    listing = signed_in.get("/api/referrals?status=new").get_json()
    assert listing["counts"]["new"] == 1
    assert [r["id"] for r in listing["referrals"]] == [referral_id]
    assert "transcript" not in listing["referrals"][0]
    one = signed_in.get(f"/api/referrals/{referral_id}").get_json()
    assert one["transcript"][1] == {
        "sender": "patient",
        "text": "I'm 34",
        "at": "2026-03-02T09:01:09Z",
    }
    assert one["allowed_next_statuses"] == ["contacted", "unreachable", "withdrawn"]
    assert one["answers"][0]["words"] == "I'm 34"
    assert signed_in.get("/api/referrals/999").status_code == 404
    assert ("amy", "referral_viewed", referral_id) in audit_actions(store, referral_id)


def test_api_refuses_a_disallowed_status_change(signed_in, store):
    referral_id = make_referral(store)
    token = signed_in.get("/api/csrf-token").get_json()["csrf_token"]
    response = signed_in.post(
        f"/api/referrals/{referral_id}/status",
        json={"status": "enrolled"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 409
    note = signed_in.post(
        f"/api/referrals/{referral_id}/notes", json={"text": "hi"}, headers={"X-CSRFToken": token}
    )
    assert note.status_code == 201
    assert note.get_json()["author"] == "amy"


def test_openapi_document_describes_every_api_route(app, signed_in):
    document = signed_in.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    routes = {
        rule.rule.replace("<int:referral_id>", "{referral_id}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == documented
