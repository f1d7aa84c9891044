"""The metal hosts converged by playbooks/hardware.yml, read back by `tier3 check` on real kernels.

Healthy, `tier3 check --limit metal` exits 0: every declared bond, array, LUN, encrypted volume and
power supply compared with what the host and its BMC show, every evidence item hashed. Then each fault
of `tier3 lab fault` (tools/tier3/lab/faults.py) is injected into one host, and the check must fail
with exactly the (rule, host, object) triples of FAULTS below and nothing else; healed, the check is
clean again. The BMCs are the lab's emulators (sushy-static, ipmi_sim): real Redfish and IPMI servers
serving a mockup, the only stand-in here, since no real BMC runs on this machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
INVENTORY = ROOT / "inventory" / "lab"
TIER3 = Path(sys.executable).parent / "tier3"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
METAL = ("metal1", "metal2")

# fault -> (host, the failed findings it must make: (rule, object)); why each rule is there:
FAULTS: dict[str, tuple[str, frozenset[tuple[str, str]]]] = {
    # the member's carrier is gone (NET-001) and the bond is below the policy's two members (NET-002)
    "nic-down": ("metal1", frozenset({("T3-OBS-NET-001", "bond0:enp0s4"), ("T3-OBS-NET-002", "bond0")})),
    # LLDP shows both members on lab-sw-b: one switch carries the bond (NET-015 names the bond)
    "nic-moved": ("metal1", frozenset({("T3-OBS-NET-015", "bond0")})),
    # md0 runs on one member (/proc/mdstat and mdadm --detail both say so: one finding)
    "raid-member-failed": ("metal1", frozenset({("T3-OBS-STO-001", "/dev/md0")})),
    # the path on hba-b is offline (STO-010) and lun0 has fewer than two ready paths (STO-011)
    "path-offline": ("metal1", frozenset({("T3-OBS-STO-010", "lun0:sdb"), ("T3-OBS-STO-011", "lun0")})),
    # the BMC calls PSU2 Critical (PWR-001) and its redundancy group degraded (PWR-003), the group once
    # as each Redfish schema of the chassis names it (Power: "PSU Redundancy", PowerSubsystem: index 0)
    "psu-critical": ("metal1", frozenset({("T3-OBS-PWR-001", "1U/PSU2"), ("T3-OBS-PWR-003", "1U/PSU Redundancy"),
                                          ("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0")})),
    "psu-absent": ("metal1", frozenset({("T3-OBS-PWR-001", "1U/PSU2"), ("T3-OBS-PWR-003", "1U/PSU Redundancy"),
                                        ("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0")})),
    # PSU2 is on PSU1's PDU: both supplies share one PDU (PWR-002), and PSU2 is not where declared (PWR-012)
    "psu-other-pdu": ("metal2", frozenset({("T3-OBS-PWR-002", "pdu:lab-r02-pdu-a"),
                                           ("T3-OBS-PWR-012", "metal2:PSU2")})),
}

# the rules that compare each declared kind of object with the host (they must all have run)
DECLARED_RULES = {
    "bonds": ("T3-OBS-NET-010", "T3-OBS-NET-011", "T3-OBS-NET-014", "T3-OBS-NET-015"),
    "raid_arrays": ("T3-OBS-STO-020", "T3-OBS-STO-021", "T3-OBS-STO-022"),
    "multipath_luns": ("T3-OBS-STO-024", "T3-OBS-STO-025", "T3-OBS-STO-027"),
    "encrypted_volumes": ("T3-OBS-ENC-020", "T3-OBS-ENC-021", "T3-OBS-ENC-022", "T3-OBS-ENC-023"),
    "power_supplies": ("T3-OBS-PWR-010", "T3-OBS-PWR-012", "T3-OBS-PWR-013"),
}
# fault -> the declared objects of its host that then differ (every other object of both hosts matches)
FAULT_OBJECTS: dict[str, set[tuple[str, str]]] = {
    "nic-down": {("bond", "bond0")}, "nic-moved": {("bond", "bond0")}, "raid-member-failed": {("md array", "md0")},
    "path-offline": {("multipath LUN", "lun0")}, "psu-critical": {("power supply", "PSU2")},
    "psu-absent": {("power supply", "PSU2")}, "psu-other-pdu": {("power supply", "PSU2")},
}
OBJECT_KINDS = ("bond", "md array", "multipath LUN", "encrypted volume", "power supply")


def check(report_dir: Path) -> tuple[int, dict[str, Any], str]:
    # the BMC password in inventory/lab is a !vault value: the lab's vault password (tools/lab-vault-password)
    env = {**os.environ, "ANSIBLE_VAULT_PASSWORD_FILE": str(ROOT / "tools" / "lab-vault-password")}
    proc = subprocess.run([str(TIER3), "check", "-i", str(INVENTORY), "--limit", "metal", "-o", str(report_dir)],
                          capture_output=True, text=True, timeout=600, check=False, cwd=ROOT, env=env)
    said = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), f"tier3 check failed to run (exit {proc.returncode}):\n{said}"
    return proc.returncode, json.loads((report_dir / "check.json").read_text(encoding="utf-8")), said


def failed(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["rule_id"], f["evidence"].get("host", ""), f["subject"]) for f in report["findings"]
            if f["status"] != "pass"}


def lab(action: str, host: str, fault: str) -> str:
    proc = subprocess.run([str(TIER3), "lab", action, host, fault], capture_output=True, text=True, timeout=900,
                          check=False, cwd=ROOT)
    said = f"tier3 lab {action} {host} {fault}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert proc.returncode == 0, said
    return proc.stdout.strip()


def declared(host: str) -> dict[str, Any]:
    doc = yaml.safe_load((INVENTORY / "host_vars" / f"{host}.yml").read_text(encoding="utf-8"))
    return dict(doc["tier3_host"])


def test_the_healthy_metal_hosts_match_what_they_declare(tmp_path: Path) -> None:
    rc, report, said = check(tmp_path)
    assert (rc, failed(report)) == (0, set()), said
    ran = {c["rule_id"] for c in report["checks"]}
    for host in METAL:
        mine = declared(host)
        for key, rules in DECLARED_RULES.items():
            assert mine.get(key), f"{host} declares no {key}: the lab inventory lost it"
            assert set(rules) <= ran, f"{key} of {host}: rules {sorted(set(rules) - ran)} did not run"
        kinds = {e["kind"] for e in report["evidence"] if e["host"] == host}
        assert {"bonding", "lldp", "mdstat", "mdadm-detail", "multipath", "cryptsetup", "luksdump", "lsblk",
                "redfish"} <= kinds, (host, sorted(kinds))
    assert report["evidence"]
    assert all(SHA256.match(e["sha256"] or "") for e in report["evidence"] if e["status"] in ("ok", "failed"))
    # every declared object of both hosts compared and matched (tier3.check.declared)
    objects = {(d["host"], d["kind"], d["name"]): d["status"] for d in report["declared"]}
    assert {(h, k) for h, k, _ in objects} == {(h, k) for h in METAL for k in OBJECT_KINDS}, objects
    assert set(objects.values()) == {"matched"}, objects
    assert f"{len(objects)} declared object(s): {len(objects)} matched" in said


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_exactly_its_findings_and_gone_when_healed(fault: str, tmp_path: Path) -> None:
    host, expected = FAULTS[fault]
    try:
        print(lab("fault", host, fault))
        rc, report, said = check(tmp_path / "fault")
        assert (rc, failed(report)) == (1, {(rule, host, subject) for rule, subject in expected}), said
        differs = {(d["host"], d["kind"], d["name"]) for d in report["declared"] if d["status"] != "matched"}
        assert differs == {(host, kind, name) for kind, name in FAULT_OBJECTS[fault]}, report["declared"]
    finally:
        print(lab("heal", host, fault))
    rc, report, said = check(tmp_path / "healed")
    assert (rc, failed(report)) == (0, set()), said
