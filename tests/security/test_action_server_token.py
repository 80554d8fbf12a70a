"""Issue 11, finding 2: only Rasa can call the action server.

Against the stack's real action server (actions/server.py): a forged "describe my data" or
"delete my data" call for a finished referral's conversation, without the token or with a wrong
one, is refused with 401 and logged (without its body), and the referral is still there. The same
call with the stack's token is answered, so the token is what keeps it out. Rasa's own calls
carry the token (every screening in these tests goes through them).
"""

import json
import stat
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.support.stack import talk
from tests.test_rest_screenings import EVERYTHING_FINE, screen, stored

FORGED_MARKER = "forged-call-body-5d1e"


def action_call(sender: str, action: str) -> dict:
    """What Rasa posts to the action server, as a forger would build it."""
    tracker = {
        "sender_id": sender, "slots": {"forged_note": FORGED_MARKER}, "latest_message": {},
        "events": [], "paused": False, "followup_action": None, "active_loop": {},
        "latest_action_name": None, "latest_event_time": None,
    }  # fmt: skip
    return {
        "next_action": action, "sender_id": sender, "tracker": tracker, "domain": {},
        "version": "3.6.21",
    }  # fmt: skip


def call(stack, body: dict, query: str = "", headers: dict | None = None) -> tuple[int, str]:
    url = f"http://127.0.0.1:{stack.config.actions_port}/webhook{query}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})}, method="POST",
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def actions_log(stack) -> str:
    return (stack.config.log_dir / "actions.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def referred(rasa_stack) -> str:
    """A finished referral's conversation id, with contact details."""
    sender, _, reply = screen(rasa_stack, EVERYTHING_FINE)
    assert "may be a good fit" in " ".join(reply)
    for text in ["yes", "Li Na", "+86 138 0013 8000", "li.na@example.com", "mornings", "yes"]:
        talk(rasa_stack, sender, text)
    assert stored(rasa_stack, sender)["referral"]["phone"] == "+8613800138000"
    return sender


def wait_for_log(stack, text: str, since: int, timeout_s: float = 5.0) -> str:
    """The log written after offset `since`, once it holds `text` (or the timeout passes).

    Only the new part counts: an earlier case may have written the same line already.
    """
    deadline = time.monotonic() + timeout_s
    while text not in (new := actions_log(stack)[since:]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return new


@pytest.mark.parametrize("action", ["action_describe_my_data", "action_delete_my_data"])
@pytest.mark.parametrize(
    ("query", "headers", "why"),
    [
        ("", {}, "no token"),
        ("?token=not-the-token", {}, "a wrong token"),
        ("", {"Authorization": "Bearer not-the-token"}, "a wrong token"),
    ],
)
def test_a_forged_call_is_refused_logged_and_changes_nothing(
    rasa_stack, referred, action, query, headers, why
):
    before = actions_log(rasa_stack)
    status, answer = call(rasa_stack, action_call(referred, action), query, headers)
    assert status == 401, answer
    assert "8000" not in answer and "li.na" not in answer, "no contact details"
    new = wait_for_log(rasa_stack, f"/webhook from 127.0.0.1: {why}", since=len(before))
    assert f"Refused a POST call to /webhook from 127.0.0.1: {why}" in new
    log = actions_log(rasa_stack)
    assert FORGED_MARKER not in log and referred not in log, "the body is not logged"
    data = stored(rasa_stack, referred)
    assert data["referral"] is not None and data["referral"]["phone"] == "+8613800138000"


def test_the_same_call_with_the_stacks_token_is_answered(rasa_stack, referred):
    token = rasa_stack.secrets()["HN2301_ACTIONS_TOKEN"]
    status, answer = call(rasa_stack, action_call(referred, "action_describe_my_data"))
    assert status == 401
    status, answer = call(
        rasa_stack, action_call(referred, "action_describe_my_data"), f"?token={token}"
    )
    assert status == 200 and json.loads(answer)["responses"], "the token is what lets it in"


def test_the_health_check_stays_open_and_the_action_list_does_not(rasa_stack):
    base = f"http://127.0.0.1:{rasa_stack.config.actions_port}"
    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/actions", timeout=5)
    assert refused.value.code == 401


def test_rasa_is_given_the_token_in_a_file_only_its_owner_reads(rasa_stack):
    endpoints = rasa_stack.endpoints_path
    token = yaml.safe_load(endpoints.read_text())["action_endpoint"]["token"]
    assert token == rasa_stack.secrets()["HN2301_ACTIONS_TOKEN"] and len(token) >= 32
    for path in (endpoints, *rasa_stack.config.secrets_dir.iterdir()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    conf = (rasa_stack.config.work_dir / "supervisord.conf").read_text()
    assert token not in conf, "no secret in supervisord.conf"
