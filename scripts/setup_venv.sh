#!/usr/bin/env bash
# Create .venv with a Python 3.10 interpreter (Rasa 3.6 needs it) and install the pinned
# dependencies. Re-running is cheap: it reinstalls only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  local candidate
  for candidate in python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python /usr/local/bin/python3.10 /usr/bin/python3.10; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
  if ! py=$(find_python310); then
    cat >&2 <<'MSG'
ERROR: Python 3.10 was not found.
Rasa Open Source 3.6 runs only on Python 3.10. Install it, then run this command again, e.g.:
  - Debian/Ubuntu: sudo apt-get install python3.10 python3.10-venv
  - pyenv:         pyenv install 3.10.13
We look for `python3.10` on PATH and for ~/.pyenv/versions/3.10*/bin/python.
MSG
    exit 1
  fi
  echo "Creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi

stamp=.venv/.requirements.sha256
wanted=$(cat requirements.txt requirements-test.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing pinned dependencies into .venv (first time: a few minutes)"
  .venv/bin/python -m pip install --quiet --upgrade "pip==24.3.1"
  .venv/bin/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
  .venv/bin/python -m pip check
  echo "$wanted" > "$stamp"
fi
