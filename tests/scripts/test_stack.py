"""The stack's building blocks: generated endpoints, readiness, and stopping whole groups."""

import os
import sys
import time
from pathlib import Path

import pytest
import yaml

from scripts.stack import Service, StackError, answers, free_port, write_endpoints


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


def test_a_service_is_ready_when_it_answers_and_stopping_ends_its_whole_group(tmp_path):
    port = free_port()
    grandchild_pid_file = tmp_path / "grandchild.pid"
    script = (
        "import http.server, subprocess, sys\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(grandchild_pid_file)!r}, 'w').write(str(child.pid))\n"
        f"http.server.test(HandlerClass=http.server.SimpleHTTPRequestHandler, port={port},"
        " bind='127.0.0.1')\n"
    )
    service = Service(
        name="probe",
        argv=[sys.executable, "-c", script],
        ready=answers(f"http://127.0.0.1:{port}/"),
        timeout_s=20,
    )
    service.start(dict(os.environ), tmp_path, echo=None)
    service.wait_ready()
    grandchild = int(grandchild_pid_file.read_text())
    assert process_exists(grandchild)

    service.stop(grace_s=5)

    assert service.exit_code() is not None
    deadline = time.monotonic() + 5
    while process_exists(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_exists(grandchild)


def test_a_service_that_dies_while_starting_is_reported_with_its_last_lines(tmp_path):
    service = Service(
        name="broken",
        argv=[sys.executable, "-c", "print('cannot load the model'); raise SystemExit(3)"],
        ready=lambda: False,
        timeout_s=20,
    )
    service.start(dict(os.environ), tmp_path, echo=None)

    with pytest.raises(StackError, match="broken exited with code 3") as failure:
        service.wait_ready()
    assert "cannot load the model" in str(failure.value)
    assert Path(service.log_path).exists()
