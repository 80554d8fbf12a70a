"""One record for a verdict from the engine through the store to the JSON API (issue 12).

`bot.eligibility.VerdictRecord` names the fields once; the engine writes them, the store keeps
one column each and reads them back, and the OpenAPI schema describes exactly them.
"""

from datetime import datetime, timezone

import pytest

from bot.dashboard.api import OPENAPI
from bot.eligibility import (
    OUTCOMES,
    REFERABLE_OUTCOMES,
    VERDICT_RECORD_FIELDS,
    VERDICT_STATUSES,
    VerdictRecord,
)
from bot.store import repository as repo
from bot.store.db import session_scope
from bot.store.models import CriterionVerdict
from bot.trial import CRITERION_KINDS
from tests.bot.test_eligibility import CASES_FILE, play

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
# Columns that place a row, not part of the record.
ROW_ONLY = {"id", "screening_pk", "position"}


def _case(name):
    return next(case for case in CASES_FILE["cases"] if case["name"] == name)


def test_the_record_keeps_the_json_api_keys():
    # The keys of the JSON API and of `python -m bot referrals --json`: change them only
    # together with the OpenAPI document, the dashboard's readers and the API's users.
    assert tuple(VerdictRecord.__annotations__) == VERDICT_RECORD_FIELDS
    assert VERDICT_RECORD_FIELDS == (
        "criterion",
        "item",
        "kind",
        "verdict",
        "reason",
        "reason_i18n",
        "words",
        "parsed",
        "until",
    )


def test_the_engine_writes_exactly_the_record():
    _, result = play(_case("Pfizer vaccine in March 2025")["answers"])
    for verdict in result.verdicts:
        assert tuple(verdict.to_dict()) == VERDICT_RECORD_FIELDS


def test_the_stored_row_has_one_column_per_field_and_keeps_its_table():
    columns = {column.key for column in CriterionVerdict.__table__.columns}
    assert columns - ROW_ONLY == set(VERDICT_RECORD_FIELDS)
    assert CriterionVerdict.__tablename__ == "answer"  # renamed class, same table: no migration


def test_the_openapi_schema_describes_exactly_the_record():
    schemas = OPENAPI["components"]["schemas"]
    schema = schemas["CriterionVerdict"]
    assert tuple(schema["properties"]) == VERDICT_RECORD_FIELDS
    assert schema["properties"]["verdict"]["enum"] == list(VERDICT_STATUSES)
    assert schema["properties"]["kind"]["enum"] == list(CRITERION_KINDS)
    assert "Answer" not in schemas  # "Answer" is the patient's parsed answer, not a verdict
    answers = schemas["Referral"]["properties"]["answers"]
    assert answers["items"] == {"$ref": "#/components/schemas/CriterionVerdict"}


def test_referable_and_outcomes_have_one_home():
    assert repo.OUTCOMES is OUTCOMES
    assert repo.REFERABLE_OUTCOMES is REFERABLE_OUTCOMES
    assert set(REFERABLE_OUTCOMES) == {"likely_eligible", "needs_review"}


@pytest.mark.parametrize(
    "name", ["Pfizer vaccine in March 2025", "aged 17 stops after the first question"]
)
def test_the_engine_record_round_trips_through_the_store(engine, name):
    _, result = play(_case(name)["answers"])
    written = [verdict.to_dict() for verdict in result.verdicts]
    with session_scope(engine) as session:
        repo.record_consent(
            session=session, conversation_id="conv-1", trial_id="hn2301", consented_at=T0
        )
        repo.save_assessment(
            session=session,
            conversation_id="conv-1",
            outcome=result.outcome,
            main_reason=result.main_reason,
            recheck_date=result.recheck_date,
            to_verify=list(result.to_verify),
            verdicts=written,
            finished_at=T0,
        )
    with session_scope(engine) as session:
        stored = repo.describe_conversation_data(session=session, conversation_id="conv-1")
    assert stored["answers"] == written
