"""Install the page's browser packages (socket.io-client, axe-core) with `npm ci` when needed.

node_modules/ is not committed; package-lock.json is. The install is redone only when the lock
file changed since the last one, so `make run` and `make test` can always call this cheaply.
"""

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK_FILE = ROOT / "package-lock.json"
NODE_MODULES = ROOT / "node_modules"
STAMP = NODE_MODULES / ".hn2301-lock.sha256"
SOCKET_IO_BUNDLE = NODE_MODULES / "socket.io-client" / "dist" / "socket.io.min.js"
AXE_BUNDLE = NODE_MODULES / "axe-core" / "axe.min.js"


def lock_digest() -> str:
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


def is_current() -> bool:
    """node_modules holds exactly what package-lock.json asks for."""
    return (
        SOCKET_IO_BUNDLE.exists()
        and AXE_BUNDLE.exists()
        and STAMP.exists()
        and STAMP.read_text() == lock_digest()
    )


def ensure_node_modules(quiet: bool = False) -> None:
    """Run `npm ci` unless node_modules is already current; raise if npm is missing or fails."""
    if is_current():
        if not quiet:
            print("node_modules is up to date")
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed for the patient page; install Node.js 18+ (with npm)")
    print("Installing the patient page's npm packages (npm ci)...", flush=True)
    subprocess.run(  # noqa: S603 (fixed arguments, npm found on PATH)
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True
    )
    STAMP.write_text(lock_digest())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="say nothing when up to date")
    ensure_node_modules(quiet=parser.parse_args().quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
