"""Train the Rasa model only when its inputs changed since the last training.

`rasa train` itself re-reads and fingerprints everything (and loads TensorFlow) even when nothing
changed; this check takes milliseconds, so `make run` and `make test` can always call it.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "hn2301.tar.gz"
FINGERPRINT = ROOT / "models" / "hn2301.inputs.sha256"
INPUTS = ["config.yml", "domain.yml", "data", "bot/lexicons", "bot/trials", "nlu_components"]


def inputs_fingerprint() -> str:
    """Hash every training input (name and content) in a stable order."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    for name in INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def main() -> int:
    wanted = inputs_fingerprint()
    if MODEL.exists() and FINGERPRINT.exists() and FINGERPRINT.read_text() == wanted:
        print(f"Model is up to date: {MODEL.relative_to(ROOT)}")
        return 0
    print("Training the Rasa model (about 2 minutes on 2 cores)...", flush=True)
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [str(rasa), "train", "--fixed-model-name", "hn2301", "--out", "models"],
        cwd=ROOT,
    )
    if result.returncode != 0 or not MODEL.exists():
        print("Training failed; see the messages above.", file=sys.stderr)
        return 1
    FINGERPRINT.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
