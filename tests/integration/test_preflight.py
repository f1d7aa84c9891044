"""playbooks/preflight.yml with ansible-playbook: the example passes, broken inventories fail the play,
and an inventory split into several ``-i`` sources is checked as the one inventory Ansible makes of them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.cli import main
from tier3.schema import InventorySchemaErrors
from tier3.validate import validate

ROOT = Path(__file__).parents[2]
BROKEN = ROOT / "tests" / "fixtures" / "inventories" / "broken"
EXAMPLE = ROOT / "inventory" / "example"
PLAYBOOK = ROOT / "playbooks" / "preflight.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def _play(inventory: str | Path | tuple[str | Path, ...], *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    sources = [f"-i{path}" for path in (inventory if isinstance(inventory, tuple) else (inventory,))]
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), *sources, str(PLAYBOOK), *extra],
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


def test_low_severity_finding_fails_by_default_as_the_cli_does() -> None:
    run = _play(BROKEN / "rule_bmc_ipmi")
    assert run.returncode != 0, run.stdout + run.stderr
    assert "T3-SEC-002 [low] mx1" in _text(run)
    assert "1 redundancy rule violation(s) of severity low or worse" in _text(run)
    assert main(["validate", str(BROKEN / "rule_bmc_ipmi")]) == 1  # the same gate, the same verdict


def test_low_severity_finding_warns_but_passes_under_fail_on_high() -> None:
    run = _play(BROKEN / "rule_bmc_ipmi", "-e", "tier3_preflight_fail_on=high")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "T3-SEC-002 [low] mx1" in _text(run)
    assert "1 rule violation, 0 at high or worse" in _text(run)
    assert main(["validate", str(BROKEN / "rule_bmc_ipmi"), "--fail-on", "high"]) == 0


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


# ---- one inventory in several -i sources -------------------------------------------------------


def split_example(tmp_path: Path) -> tuple[Path, Path]:
    """inventory/example in two sources, as a site may keep it: a directory without the lb group and
    without the load balancers' host_vars, and lb.yml declaring lb, with those host_vars beside it."""
    hosts_dir, lb_dir = tmp_path / "site", tmp_path / "lb"
    shutil.copytree(EXAMPLE, hosts_dir)
    hosts = yaml.safe_load((hosts_dir / "hosts.yml").read_text(encoding="utf-8"))
    lb = hosts["all"]["children"].pop("lb")
    (hosts_dir / "hosts.yml").write_text(yaml.safe_dump(hosts, explicit_start=True), encoding="utf-8")
    (lb_dir / "host_vars").mkdir(parents=True)
    (lb_dir / "lb.yml").write_text(yaml.safe_dump({"all": {"children": {"lb": lb}}}), encoding="utf-8")
    for moved in sorted((hosts_dir / "host_vars").glob("*-lb?.yml")):
        shutil.move(moved, lb_dir / "host_vars" / moved.name)
    assert len(list((lb_dir / "host_vars").iterdir())) == 4
    return hosts_dir, lb_dir / "lb.yml"


def shown(path: Path) -> str:
    """A path as tier3 names a source: relative to the current directory (ROOT) when below it."""
    relative = os.path.relpath(path, ROOT)
    return str(path) if relative.startswith("..") else relative


def ansible_inventory(*sources: Path, host: str | None = None) -> Any:
    """What ansible-inventory makes of ``sources`` (the oracle): --list, or --host HOST."""
    what = ["--host", host] if host else ["--list"]
    run = subprocess.run(
        [str(ANSIBLE_PLAYBOOK.with_name("ansible-inventory")), *(f"-i{s}" for s in sources), *what],
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(run.stdout)


def test_each_source_alone_is_not_the_inventory(tmp_path: Path) -> None:
    """Checked alone, the first source names a group only the second declares: why preflight must merge."""
    hosts_dir, _ = split_example(tmp_path)
    with pytest.raises(InventorySchemaErrors) as raised:
        validate(hosts_dir)
    assert "group 'lb' is not an inventory group" in " ".join(raised.value.lines())


def test_split_inventory_is_the_example_for_ansible_and_for_tier3(tmp_path: Path) -> None:
    hosts_dir, lb_file = split_example(tmp_path)
    listed = ansible_inventory(hosts_dir, lb_file)
    assert sorted(listed["lb"]["hosts"]) == ["ams1-lb1", "ams1-lb2", "fra1-lb1", "fra1-lb2"]
    assert "tier3_host" in listed["_meta"]["hostvars"]["fra1-lb1"]  # host_vars beside lb.yml

    merged, whole = validate([hosts_dir, lb_file]), validate(EXAMPLE)
    assert merged.failed == whole.failed == []
    assert {h.name: h.groups for h in merged.topology.hosts} == {h.name: h.groups for h in whole.topology.hosts}
    assert merged.topology.source == f"{shown(hosts_dir)} + {shown(lb_file)}"
    assert validate([hosts_dir, lb_file, hosts_dir]).topology.hosts == merged.topology.hosts  # a source once


def test_a_later_source_wins_as_in_ansible(tmp_path: Path) -> None:
    """host_vars beside the later source override the earlier ones' (Ansible's order of -i)."""
    hosts_dir, lb_file = split_example(tmp_path)
    one_psu = yaml.safe_load((hosts_dir / "host_vars" / "fra1-mx1.yml").read_text(encoding="utf-8"))
    del one_psu["tier3_host"]["power_supplies"][1]
    (lb_file.parent / "host_vars" / "fra1-mx1.yml").write_text(yaml.safe_dump(one_psu), encoding="utf-8")

    psus = len(ansible_inventory(hosts_dir, lb_file, host="fra1-mx1")["tier3_host"]["power_supplies"])
    found = [f"{f.rule_id} {f.subject}" for f in validate([hosts_dir, lb_file]).failed]
    assert psus == 1
    assert "T3-PWR-001 fra1-mx1" in found

    psus = len(ansible_inventory(lb_file, hosts_dir, host="fra1-mx1")["tier3_host"]["power_supplies"])
    assert psus == 2
    assert validate([lb_file, hosts_dir]).failed == []


def test_split_inventory_passes_preflight(tmp_path: Path) -> None:
    """ansible-playbook -i DIR -i lb.yml: the action checks the inventory of the run, not each source."""
    hosts_dir, lb_file = split_example(tmp_path)
    run = _play((hosts_dir, lb_file))
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{shown(hosts_dir)} + {shown(lb_file)}: 24 hosts, 2 sites: clean" in _text(run)  # ansible-playbook in ROOT
    assert "ok=2" in run.stdout


def test_preflight_takes_the_inventory_from_a_variable_when_the_run_has_no_yaml_source() -> None:
    """As under AWX (its generated inventory is not a path): -e tier3_preflight_inventory=DIR."""
    run = _play("localhost,", "-e", f"tier3_preflight_inventory={EXAMPLE}")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "24 hosts, 2 sites: clean" in _text(run)
    run = _play("localhost,")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no inventory path to validate" in _text(run)
