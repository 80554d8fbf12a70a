"""`rasa test` on tests/test_stories.yml: every conversation predicted exactly, NLU included."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_end_to_end_stories_have_no_prediction_errors(tmp_path):
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "test",
            "core",
            "--model",
            "models/hn2301.tar.gz",
            "--stories",
            "tests/test_stories.yml",
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed
