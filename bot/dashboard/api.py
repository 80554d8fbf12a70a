"""The JSON API, behind the same login session as the pages, with its OpenAPI document.

POST requests need the CSRF token in the `X-CSRFToken` header (get it from /api/csrf-token).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_wtf.csrf import generate_csrf

from bot.dashboard.funnel import funnel_data
from bot.dashboard.lookups import referral_or_404
from bot.dashboard.queue import filters_from, listed_referrals
from bot.dashboard.referral import viewed_referral
from bot.dashboard.security import current_username, now, store
from bot.eligibility import VERDICT_RECORD_FIELDS, VERDICT_STATUSES
from bot.store import repository
from bot.trial import CRITERION_KINDS

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.route("/openapi.json")
def openapi():
    """The OpenAPI 3.0 description of this API."""
    return jsonify(OPENAPI)


@blueprint.route("/csrf-token")
def csrf_token():
    """The token to send as `X-CSRFToken` with POST requests in this session."""
    return jsonify(csrf_token=generate_csrf())


@blueprint.route("/referrals")
def referrals():
    """The queue: referrals (without transcripts) and counts per status (an audited read)."""
    filters = filters_from(request.args)
    with store() as db_session:
        found, counts = listed_referrals(db_session, filters, "api_referrals_listed")
        listed = [repository.referral_as_dict(referral) for referral in found]
    return jsonify(counts=counts, referrals=listed)


@blueprint.route("/referrals/<int:referral_id>")
def referral(referral_id: int):
    """One referral with answers, notes and transcript (an audited view)."""
    with store() as db_session:
        found = viewed_referral(db_session, referral_id, detail="api, with transcript")
        result = repository.referral_as_dict(found, with_transcript=True)
        result["allowed_next_statuses"] = list(repository.allowed_next_statuses(found.status))
    return jsonify(result)


@blueprint.route("/referrals/<int:referral_id>/status", methods=["POST"])
def change_status(referral_id: int):
    """Move a referral along the workflow: {"status": ..., "note": ...}."""
    body = request.get_json(silent=True) or {}
    new_status, note = body.get("status"), body.get("note", "")
    if not isinstance(new_status, str) or not isinstance(note, str):
        return jsonify(error="send {'status': str, 'note': str}"), 400
    with store() as db_session:
        referral_or_404(db_session, referral_id)
        try:
            changed = repository.change_status(
                session=db_session,
                referral_id=referral_id,
                new_status=new_status,
                note=note.strip(),
                actor=current_username(),
                at=now(),
            )
        except repository.InvalidStatusChange as error:
            return jsonify(error=str(error)), 409
        result = {"id": changed.id, "status": changed.status}
    return jsonify(result)


@blueprint.route("/referrals/<int:referral_id>/notes", methods=["POST"])
def add_note(referral_id: int):
    """Add a note: {"text": ...}."""
    body = request.get_json(silent=True) or {}
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return jsonify(error="send {'text': non-empty str}"), 400
    with store() as db_session:
        referral_or_404(db_session, referral_id)
        note = repository.add_note(
            session=db_session,
            referral_id=referral_id,
            text=text.strip(),
            actor=current_username(),
            at=now(),
        )
        result = {"at": note.at.isoformat(), "author": note.author, "text": note.text}
    return jsonify(result), 201


@blueprint.route("/funnel")
def funnel():
    """The funnel counts and top not-eligible reasons."""
    counts, reasons = funnel_data(None, None, via="api")
    return jsonify(
        counts=counts,
        top_not_eligible_reasons=[
            {"criterion": f"{criterion} ({item})", "count": n} for criterion, item, n in reasons
        ],
    )


@blueprint.route("/audit")
def audit():
    """The newest audit events (optionally `?referral=ID`)."""
    referral_id = request.args.get("referral", type=int)
    with store() as db_session:
        events = [
            {
                "at": event.at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "referral_id": event.referral_id,
                "detail": event.detail,
                "source_address": event.source_address,
            }
            for event in repository.list_audit(session=db_session, referral_id=referral_id)
        ]
    return jsonify(events=events)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json_body(required: list[str], properties: dict) -> dict:
    """A POST's required JSON object body."""
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_ID_PARAMETER = {
    "name": "referral_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
_UNAUTHORISED = _json(_ref("Error"), "not signed in")
_NOT_FOUND = _json(_ref("Error"), "no such referral")
_STRING_OR_NULL = {"type": "string", "nullable": True}
# One property per field of the stored verdict record (bot.eligibility.VerdictRecord), in its
# order; a field without a schema here fails at import.
_VERDICT_FIELD_SCHEMAS = {
    "criterion": {"type": "string"},
    "item": {"type": "string", "description": "protocol item, e.g. I1 or E5"},
    "kind": {"type": "string", "enum": list(CRITERION_KINDS)},
    "verdict": {"type": "string", "enum": list(VERDICT_STATUSES)},
    "reason": {"type": "string"},
    "reason_i18n": {
        "nullable": True,
        "description": "how the English reason was composed: "
        '{"t": template, "p": params}, {"j": [...]} or {"l": [...]}',
    },
    "words": {"type": "string", "description": "the patient's own words"},
    "parsed": {"description": "the parsed value (any JSON)"},
    "until": {**_STRING_OR_NULL, "format": "date"},
}

OPENAPI: dict = {
    "openapi": "3.0.3",
    "info": {
        "title": "HN2301 coordinator dashboard API",
        "version": "1",
        "description": "Referrals from the HN2301 pre-screen. Sign in through /login first; "
        "the session cookie authorises the API. POSTs need the X-CSRFToken header.",
    },
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "hn2301_dashboard"},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
        },
        "schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            "CriterionVerdict": {
                "type": "object",
                "properties": {
                    field: _VERDICT_FIELD_SCHEMAS[field] for field in VERDICT_RECORD_FIELDS
                },
            },
            "Referral": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "reference_code": {"type": "string", "example": "HN-7K3Q9P"},
                    "name": {"type": "string"},
                    "phone": _STRING_OR_NULL,
                    "email": _STRING_OR_NULL,
                    "preferred_time": {"type": "string"},
                    "share_consent_at": {"type": "string", "format": "date-time"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "status": {"type": "string", "enum": list(repository.STATUS_TRANSITIONS)},
                    "status_changed_at": {"type": "string", "format": "date-time"},
                    "screening": {"type": "object"},
                    "answers": {"type": "array", "items": _ref("CriterionVerdict")},
                    "notes": {"type": "array", "items": {"type": "object"}},
                    "transcript": {
                        "type": "array",
                        "description": "only on GET /api/referrals/{referral_id}",
                        "items": {
                            "type": "object",
                            "properties": {
                                "sender": {"type": "string", "enum": ["patient", "assistant"]},
                                "text": {"type": "string"},
                                "at": {"type": "string", "format": "date-time"},
                            },
                        },
                    },
                    "allowed_next_statuses": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "security": [{"session": []}],
    "paths": {
        "/api/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI"}}}
        },
        "/api/csrf-token": {
            "get": {
                "summary": "The CSRF token for POST requests in this session",
                "responses": {
                    "200": _json(
                        {"type": "object", "properties": {"csrf_token": {"type": "string"}}},
                        "the token",
                    ),
                    "401": _UNAUTHORISED,
                },
            }
        },
        "/api/referrals": {
            "get": {
                "summary": "Referrals, newest first, with counts per status",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": list(repository.STATUS_TRANSITIONS)},
                    },
                    {
                        "name": "outcome",
                        "in": "query",
                        "schema": {"type": "string", "enum": list(repository.OUTCOMES)},
                    },
                    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "counts": {
                                    "type": "object",
                                    "additionalProperties": {"type": "integer"},
                                },
                                "referrals": {"type": "array", "items": _ref("Referral")},
                            },
                        },
                        "the queue",
                    ),
                    "401": _UNAUTHORISED,
                },
            }
        },
        "/api/referrals/{referral_id}": {
            "get": {
                "summary": "One referral with its transcript (audited as a view)",
                "parameters": [_ID_PARAMETER],
                "responses": {
                    "200": _json(_ref("Referral"), "the referral"),
                    "401": _UNAUTHORISED,
                    "404": _NOT_FOUND,
                },
            }
        },
        "/api/referrals/{referral_id}/status": {
            "post": {
                "summary": "Change the status (new -> contacted -> visit_scheduled -> enrolled / "
                "screen_failed / unreachable / withdrawn)",
                "security": [{"session": [], "csrf": []}],
                "parameters": [_ID_PARAMETER],
                "requestBody": _json_body(
                    ["status"], {"status": {"type": "string"}, "note": {"type": "string"}}
                ),
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
                        },
                        "changed",
                    ),
                    "400": _json(_ref("Error"), "bad body or missing CSRF token"),
                    "401": _UNAUTHORISED,
                    "404": _NOT_FOUND,
                    "409": _json(_ref("Error"), "transition not allowed from the current status"),
                },
            }
        },
        "/api/referrals/{referral_id}/notes": {
            "post": {
                "summary": "Add a timestamped note",
                "security": [{"session": [], "csrf": []}],
                "parameters": [_ID_PARAMETER],
                "requestBody": _json_body(["text"], {"text": {"type": "string"}}),
                "responses": {
                    "201": _json({"type": "object"}, "the note"),
                    "400": _json(_ref("Error"), "bad body or missing CSRF token"),
                    "401": _UNAUTHORISED,
                    "404": _NOT_FOUND,
                },
            }
        },
        "/api/funnel": {
            "get": {
                "summary": "Funnel counts and top not-eligible reasons",
                "responses": {"200": _json({"type": "object"}, "the funnel"), "401": _UNAUTHORISED},
            }
        },
        "/api/audit": {
            "get": {
                "summary": "The newest audit events",
                "parameters": [{"name": "referral", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": _json({"type": "object"}, "events"), "401": _UNAUTHORISED},
            }
        },
    },
}
