"""Helpers shared by tests in several directories (tests/ is on sys.path through tests/conftest.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_redfish_mockups() -> ModuleType:
    """tests/fixtures/redfish/mockups.py (the Redfish variant builder), loaded by path."""
    spec = importlib.util.spec_from_file_location("redfish_mockups", FIXTURES / "redfish" / "mockups.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
