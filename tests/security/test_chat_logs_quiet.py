"""Issue 11, finding 6: quiet by default.

Every process the stack and the cluster start runs with Rasa's telemetry and error reporting
off (RASA_TELEMETRY_ENABLED=false: rasa/telemetry.py sends usage data and sets up Sentry only
when it is "true"). A whole screening with marker words in its answers and contact details,
with a turn that fails and a forged action call, leaves none of them in any log the stack wrote,
at the levels the stack runs at.
"""

import json
import os
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import rasa.telemetry

from scripts.cluster import Cluster, ClusterConfig
from scripts.stack import Stack, StackConfig
from tests.support.stack import new_sender, talk
from tests.test_rest_screenings import EVERYTHING_FINE, asked, stored

QUIET = "RASA_TELEMETRY_ENABLED=false"
NAME, PHONE, EMAIL = "Quexlynd Vorbath", "+86 139 7777 4242", "quexlynd.vorbath@example.org"
BEFORE_CONSENT = "hi, I have HIV and I am pregnant, qxmarker-before-consent"
NONSENSE = "qxmarker-nonsense <script>alert(1)</script> 🙂"
FAILED = "qxmarker-failed-turn 38"
FORGED_ACTION = "action_qxmarker_forged"
MARKERS = [
    "Quexlynd", "Vorbath", "7777 4242", "77774242", "quexlynd.vorbath", "qxmarker",
    FORGED_ACTION,
]  # fmt: skip


def program_environments(stack) -> dict[str, str]:
    """Each running program's environment, as the kernel has it."""
    found = {}
    for name, info in stack.supervisor.states().items():
        if info["pid"]:
            found[name] = (
                Path(f"/proc/{info['pid']}/environ").read_bytes().decode("utf-8", "replace")
            )
    return found


def test_every_process_of_the_running_stack_has_telemetry_off(rasa_stack):
    environments = program_environments(rasa_stack)
    assert {"rasa", "actions", "page", "dashboard"} <= set(environments)
    for name, environ in environments.items():
        assert QUIET in environ.split("\0"), name


def test_the_stack_and_the_cluster_turn_telemetry_off_even_if_the_shell_has_it_on(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")
    stack = Stack(StackConfig.throwaway(tmp_path / "stack"))
    cluster = Cluster(ClusterConfig.throwaway(tmp_path / "cluster", pg_user="postgres"))
    for env in (stack.env(), cluster.env()):
        assert env["RASA_TELEMETRY_ENABLED"] == "false"
        monkeypatch.setattr(os, "environ", env)
        assert not rasa.telemetry.is_telemetry_enabled(), "Rasa reads it as off"


def forged_action_call(stack) -> int:
    body = {"next_action": FORGED_ACTION, "sender_id": "x", "tracker": {}, "version": "3.6.21"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.config.actions_port}/webhook",
        data=json.dumps(body).encode(), headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def stack_logs(stack) -> dict[Path, str]:
    """Every log file the stack wrote: its services', supervisord's and the stack's own."""
    work = Path(stack.config.work_dir)
    paths = {*Path(stack.config.log_dir).iterdir(), *work.glob("*.log")}
    return {path: path.read_text(errors="replace") for path in paths if path.is_file()}


def test_no_answer_contact_detail_or_failed_turn_text_reaches_any_log(rasa_stack):
    sender = new_sender()
    talk(rasa_stack, sender, BEFORE_CONSENT)
    talk(rasa_stack, sender, "hi")
    reply = talk(rasa_stack, sender, "yes")
    assert asked(reply) == "age", reply
    assert any("didn't quite get that" in text for text in talk(rasa_stack, sender, NONSENSE))
    blocker = sqlite3.connect(rasa_stack.config.tracker_db, isolation_level=None, timeout=30)
    try:  # Rasa cannot read or save the conversation: the turn fails
        blocker.execute("BEGIN EXCLUSIVE")
        failed = talk(rasa_stack, sender, FAILED)
        assert any("something went wrong" in text for text in failed), failed
    finally:
        blocker.rollback()
        blocker.close()
    assert forged_action_call(rasa_stack) == 401
    reply = talk(rasa_stack, sender, "I'm 41")
    while True:
        if any(text.startswith("Let me check I have this right.") for text in reply):
            reply = talk(rasa_stack, sender, "yes")
            continue
        if (question := asked(reply)) is None:
            break
        reply = talk(rasa_stack, sender, EVERYTHING_FINE[question])
    assert "may be a good fit" in " ".join(reply)
    for text in ["yes", NAME, PHONE, EMAIL, "evenings", "yes"]:
        talk(rasa_stack, sender, text)
    referral = stored(rasa_stack, sender)["referral"]
    assert referral["phone"] == "+8613977774242" and referral["email"] == EMAIL

    logs = stack_logs(rasa_stack)
    assert any("rasa" in path.name for path in logs) and any("actions" in p.name for p in logs)
    assert any("A turn failed: " in text for text in logs.values()), "the failure is logged"
    leaks = [(path.name, m) for path, text in logs.items() for m in MARKERS if m in text]
    assert leaks == []
