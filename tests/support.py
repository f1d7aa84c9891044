"""Helpers shared by tests in several directories (tests/ is on sys.path through tests/conftest.py)."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_redfish_mockups() -> ModuleType:
    """tests/fixtures/redfish/mockups.py (the Redfish variant builder), loaded by path."""
    return load_by_path("redfish_mockups", FIXTURES / "redfish" / "mockups.py")


ROOT = Path(__file__).resolve().parents[1]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def load_by_path(name: str, path: Path) -> ModuleType:
    """A Python file (a module, a plugin) loaded by its path, under ``name``, without importing its package."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bmc_peers() -> ModuleType:
    """tests/integration/conftest.py (the real BMC emulators as fixtures: sushy-static, ipmi_sim, stand-ins) as a
    module of its own, loaded once; registered before it runs, as its dataclasses need."""
    name = "tier3_bmc_peers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "integration" / "conftest.py")
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def localhost_play(name: str, tasks: list[dict[str, Any]], **play_vars: Any) -> str:
    """One play on localhost (connection local, this interpreter, no facts) of ``tasks``, as YAML."""
    return yaml.safe_dump([{"name": name, "hosts": "localhost", "gather_facts": False, "connection": "local",
                            "vars": {"ansible_python_interpreter": sys.executable, **play_vars}, "tasks": tasks}],
                          sort_keys=False)


def run_playbook(playbook: Path, *extra: str, timeout: int = 300) -> tuple[subprocess.CompletedProcess[str],
                                                                           dict[str, Any]]:
    """ansible-playbook -i localhost, PLAYBOOK with this checkout's ansible.cfg and the JSON callback: the run and
    its report (a -v run prints the config file's name before the JSON)."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(playbook), *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False, timeout=timeout)
    start = done.stdout.find("{")
    assert start >= 0, f"no JSON report (rc {done.returncode}): {done.stdout}{done.stderr}"
    report: dict[str, Any] = json.loads(done.stdout[start:])
    return done, report


def task_results(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The localhost result of each task of the report's first play, in order."""
    return [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]]


def edit_all_vars(inventory: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """Apply ``change`` to the inventory's group_vars/all.yml (a copy in tmp_path), in place."""
    path = inventory / "group_vars" / "all.yml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


HEALTHY_TWO_SITE = Path(__file__).resolve().parent / "fixtures" / "inventories" / "healthy-two-site"


def two_site_inventory(tmp_path: Path, **all_vars: Any) -> Path:
    """A copy of the healthy two-site fixture inventory in ``tmp_path``, with ``all_vars`` set in group_vars/all."""
    target = tmp_path / "inv"
    shutil.copytree(HEALTHY_TWO_SITE, target)
    edit_all_vars(target, lambda d: d.update(copy.deepcopy(all_vars)))
    return target
