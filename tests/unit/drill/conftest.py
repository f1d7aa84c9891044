"""Fixtures of the drill tests: a lab-shaped inventory written to tmp_path, read by the real ansible-inventory."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from drill_inventory import GROUP_VARS, HOSTS

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture
def lab_vars() -> dict[str, Any]:
    return copy.deepcopy(GROUP_VARS)


@pytest.fixture
def write_inventory(tmp_path: Path) -> Callable[..., Path]:
    """write_inventory(edit=None, hosts=None) -> the inventory directory (group_vars/all/main.yml edited)."""

    def write(edit: Edit | None = None, hosts: dict[str, Any] | None = None) -> Path:
        directory = tmp_path / "inventory"
        (directory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
        group_vars = copy.deepcopy(GROUP_VARS)
        if edit is not None:
            edit(group_vars)
        (directory / "hosts.yml").write_text(yaml.safe_dump(hosts or HOSTS), encoding="utf-8")
        (directory / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(group_vars), encoding="utf-8")
        return directory

    return write
