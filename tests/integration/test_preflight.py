"""playbooks/preflight.yml with ansible-playbook: the example passes, broken inventories fail the play."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BROKEN = ROOT / "tests" / "fixtures" / "inventories" / "broken"
PLAYBOOK = ROOT / "playbooks" / "preflight.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def _play(inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(PLAYBOOK), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _text(run: subprocess.CompletedProcess[str]) -> str:
    """stdout and stderr with whitespace collapsed (the YAML callback folds long lines)."""
    return " ".join((run.stdout + run.stderr).split())


def test_example_inventory_passes_preflight() -> None:
    run = _play(ROOT / "inventory" / "example")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "inventory/example: 24 hosts, 2 sites: clean" in _text(run)
    assert "ok=2" in run.stdout
    assert "changed=0" in run.stdout


def test_example_inventory_passes_in_check_mode() -> None:
    run = _play(ROOT / "inventory" / "example", "--check")
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("rule_one_psu", "T3-PWR-001 [high] mx1"),
        ("rule_mx_one_rack", "T3-PLC-001 [high] group:mx"),
        ("schema_bmc_protocol_unknown", "tier3_host.bmc.protocol: unallowed value telnet"),
        ("ref_psu_unknown_pdu", "tier3_host.power_supplies[1].pdu: PDU 'r9-pdu-b' is not defined"),
    ],
)
def test_broken_inventory_fails_the_play(case: str, expected: str) -> None:
    run = _play(BROKEN / case)
    assert run.returncode == 2, run.stdout + run.stderr
    assert expected in _text(run)
    assert "failed=1" in run.stdout


def test_low_severity_finding_warns_but_passes() -> None:
    run = _play(BROKEN / "rule_bmc_ipmi")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "T3-SEC-002 [low] mx1" in _text(run)
    assert "1 rule violation, 0 at high or worse" in _text(run)


def test_example_is_an_ansible_inventory_and_the_loader_agrees() -> None:
    """ansible-inventory reads inventory/example; tier3's own reader finds the same hosts and groups."""
    from tier3.schema import load_topology  # noqa: PLC0415  (the subject under test, next to its oracle)

    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    run = subprocess.run(
        [str(ANSIBLE_PLAYBOOK.with_name("ansible-inventory")), "-i", "inventory/example", "--list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    listed = json.loads(run.stdout)
    ansible_groups = {
        name: set(body.get("hosts", [])) for name, body in listed.items() if name not in ("_meta", "all", "ungrouped")
    }
    topology = load_topology(ROOT / "inventory" / "example")
    assert len(listed["_meta"]["hostvars"]) == len(topology.hosts) == 24
    tier3_groups: dict[str, set[str]] = {}
    for host in topology.hosts:
        for group in host.groups:
            tier3_groups.setdefault(group, set()).add(host.name)
    assert tier3_groups == ansible_groups
