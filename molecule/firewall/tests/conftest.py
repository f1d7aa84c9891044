"""What the firewall scenario's tests share: the lab inventory, variants of it with the policy changed, the pair
resolved as `tier3 fw` resolves it, and the members' rulesets read in their namespaces (tier3.lab.firewall_hooks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools"))

from tier3.drill.inventory import Templater, ansible_inventory, shown, unvault  # noqa: E402
from tier3.firewall.pair import Member  # noqa: E402
from tier3.firewall.run import Target, members, target  # noqa: E402
from tier3.lab import firewall_hooks as hooks  # noqa: E402
from tier3.schema.loader import load_inventory  # noqa: E402

LAB = ROOT / "inventory" / "lab"
PAIR = "lab-fw"
POLICY_FILE = Path("group_vars") / "all" / "firewall.yml"
ENV = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
       "ANSIBLE_VAULT_PASSWORD_FILE": str(ROOT / "tools" / "lab-vault-password"),
       "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def resolve(inventory: Path) -> tuple[Target, tuple[Member, ...]]:
    """The pair and its members' connections, as `tier3 fw` reads them."""
    chosen = target(load_inventory(inventory).topology, PAIR)
    hostvars = ansible_inventory([str(inventory)]).get("_meta", {}).get("hostvars", {})
    hostvars = {m: unvault(str(inventory), hostvars[m]) for m in chosen.pair.members if m in hostvars}
    templater = Templater(hostvars, shown([str(inventory)]))
    return chosen, members(str(inventory), chosen, {m: templater(m, m, dict(hostvars[m])) for m in chosen.pair.members})


def rulesets() -> dict[str, str]:
    return {m: hooks.ruleset(m) for m in ("fw1", "fw2")}


def tier3_fw(*args: str, inventory: Path = LAB, state: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`tier3 fw ...` as an operator runs it."""
    extra = ["--state-dir", str(state)] if state is not None else []
    return subprocess.run([str(Path(sys.executable).parent / "tier3"), "fw", *args, "--pair", PAIR, "-i",
                           str(inventory), *extra], capture_output=True, text=True, env=ENV, check=False, timeout=300)


@pytest.fixture
def variant(tmp_path: Path) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """A copy of inventory/lab whose group_vars/all/firewall.yml ``edit`` changed in place."""

    def make(edit: Callable[[dict[str, Any]], None]) -> Path:
        copy = tmp_path / "inventory"
        shutil.copytree(LAB, copy, symlinks=True, dirs_exist_ok=True)
        doc = yaml.safe_load((copy / POLICY_FILE).read_text(encoding="utf-8"))
        edit(doc)
        (copy / POLICY_FILE).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return copy

    return make


def policy_of(doc: dict[str, Any]) -> dict[str, Any]:
    return next(p for p in doc["tier3_firewall_policies"] if p["name"] == "lab-edge")


def drop_rule(doc: dict[str, Any], name: str) -> None:
    policy = policy_of(doc)
    policy["rules"] = [r for r in policy["rules"] if r["name"] != name]


@pytest.fixture
def pair_converged() -> dict[str, str]:
    """Both members on the lab policy (pushed back if a test left them elsewhere); their rulesets."""
    result = tier3_fw("push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert hooks.vrrp_master() == "fw1", "fw1 (priority 150) holds the VIPs"
    return rulesets()
