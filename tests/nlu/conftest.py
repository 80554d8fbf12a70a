"""Load the NLU scripts (scripts/ is not a package) as modules for the tests."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def nlu_report() -> ModuleType:
    return _load_script("nlu_report")


@pytest.fixture(scope="session")
def generate_lookups() -> ModuleType:
    return _load_script("generate_lookups")


@pytest.fixture(scope="session")
def train_if_stale() -> ModuleType:
    return _load_script("train_if_stale")
