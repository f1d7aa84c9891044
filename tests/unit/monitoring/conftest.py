"""Fixtures of the monitoring tests: promtool and amtool, found on PATH or the test fails."""

from __future__ import annotations

import pytest
from monitoring_support import binary


@pytest.fixture(scope="session")
def promtool() -> str:
    return binary("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return binary("amtool")
