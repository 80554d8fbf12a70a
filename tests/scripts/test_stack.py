"""The stack's building blocks: generated endpoints, readiness, supervision, stopping groups."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from scripts.stack import (
    Service,
    StackError,
    Supervisor,
    answers,
    free_port,
    write_endpoints,
)


def test_generated_endpoints_keep_the_tracker_store_class_and_move_its_database(tmp_path):
    source = tmp_path / "endpoints.yml"
    source.write_text(
        yaml.safe_dump(
            {
                "action_endpoint": {"url": "http://127.0.0.1:5055/webhook"},
                "tracker_store": {
                    "type": "my.TrackerStore",
                    "dialect": "postgresql",
                    "url": "db.example",
                    "password": "secret",
                    "db": "rasa",
                },
                "lock_store": {"type": "redis", "url": "127.0.0.1"},
            }
        )
    )

    target = tmp_path / "out" / "endpoints.yml"
    written = write_endpoints(source, target, "http://127.0.0.1:6001/webhook", tmp_path / "t.db")

    endpoints = yaml.safe_load(written.read_text())
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:6001/webhook"}
    assert endpoints["tracker_store"] == {
        "type": "my.TrackerStore",
        "dialect": "sqlite",
        "db": str(tmp_path / "t.db"),
    }
    assert endpoints["lock_store"] == {"type": "redis", "url": "127.0.0.1"}


def test_without_a_tracker_file_the_operators_tracker_store_is_untouched(tmp_path):
    source = tmp_path / "endpoints.yml"
    tracker = {"type": "SQL", "dialect": "postgresql", "url": "db.example", "db": "rasa"}
    source.write_text(yaml.safe_dump({"tracker_store": tracker}))

    written = write_endpoints(source, tmp_path / "e.yml", "http://127.0.0.1:1/webhook", None)

    assert yaml.safe_load(written.read_text())["tracker_store"] == tracker


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def http_server(port: int, grandchild_pid_file: Path) -> list[str]:
    """An HTTP server that starts a grandchild (a command in supervisord.conf is one line)."""
    script = grandchild_pid_file.parent / "server.py"
    script.write_text(
        "import http.server, subprocess, sys\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(grandchild_pid_file)!r}, 'w').write(str(child.pid))\n"
        f"http.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler, port={port},"
        " bind='127.0.0.1')\n"
    )
    return [sys.executable, str(script)]


def wait_for(condition, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_killed_service_is_restarted_and_stopping_ends_its_whole_group(tmp_path):
    port = free_port()
    grandchild_pid_file = tmp_path / "grandchild.pid"
    service = Service(
        name="probe",
        argv=http_server(port, grandchild_pid_file),
        ready=answers(f"http://127.0.0.1:{port}/"),
        timeout_s=20,
        startsecs=1,
    )
    supervisor = Supervisor([service], tmp_path, tmp_path / "logs", dict(os.environ))
    supervisor.start()
    try:
        supervisor.wait_ready(service)
        first = supervisor.pid("probe")
        os.kill(first, signal.SIGKILL)

        assert wait_for(lambda: supervisor.pid("probe") not in (0, first))
        supervisor.wait_ready(service)
        assert "exited: probe (terminated by SIGKILL" in supervisor.log_path.read_text()
        assert supervisor.given_up() == []
        grandchild = int(grandchild_pid_file.read_text())
        assert process_exists(grandchild)
    finally:
        supervisor.stop()

    assert not supervisor.alive()
    assert wait_for(lambda: not process_exists(grandchild), 5)


def test_a_service_that_keeps_failing_at_start_is_given_up_with_its_last_lines(tmp_path):
    service = Service(
        name="broken",
        argv=[sys.executable, "-c", "print('cannot load the model'); raise SystemExit(3)"],
        ready=lambda: False,
        timeout_s=30,
        startsecs=1,
        startretries=1,
    )
    supervisor = Supervisor([service], tmp_path, tmp_path / "logs", dict(os.environ))
    supervisor.start()
    try:
        with pytest.raises(StackError, match="broken failed 2 starts in a row") as failure:
            supervisor.wait_ready(service)
        assert "cannot load the model" in str(failure.value)
        assert supervisor.given_up() == ["broken"]
    finally:
        supervisor.stop()


def test_the_stack_builds_every_service_when_only_scripts_is_on_the_path(tmp_path):
    """`make run` runs scripts/run.py: `bot` was not importable there, and the notification
    worker's readiness check (bot.notifications.STARTED) stopped `make run` on a fresh clone."""
    root = Path(__file__).resolve().parents[2]
    program = (
        "import sys, pathlib; import stack; "
        "s = stack.Stack(stack.StackConfig.throwaway(pathlib.Path(sys.argv[1]))); "
        "print([f().name for f in (s.action_server, s.notifier, s.purger, s.dashboard)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root / "scripts")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "'notify'" in result.stdout and "'purge'" in result.stdout
