"""The metal lab's fault table, and the BMC mockup each host's emulator serves: built from the project's
Redfish fixture, renamed to the host's rack, and edited by the power faults (read back with the project's
own Redfish reader and observed rules, as `tier3 inspect redfish DIR` reads a saved tree)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tier3.errors import LabError
from tier3.inspect import InspectOptions
from tier3.inspect.bmc import KINDS
from tier3.lab import bmc, faults
from tier3.lab.backends.vm import rack_pdus
from tier3.lab.metal import metal

HOST = metal("metal1")
PDUS = rack_pdus(HOST.rack)
VARIANTS = json.loads((bmc.FIXTURES / "redfish" / "variants.json").read_text())


def test_the_table_names_every_fault_of_the_issue_once() -> None:
    assert list(faults.FAULTS) == ["nic-down", "nic-moved", "raid-member-failed", "path-offline",
                                   "psu-critical", "psu-absent", "psu-other-pdu"]
    assert all(f.name == name and f.inject is not f.heal for name, f in faults.FAULTS.items())
    assert {variant for _, variant, _ in faults.PSU_FAULTS.values()} <= set(VARIANTS)
    with pytest.raises(LabError, match="unknown fault 'disk-on-fire'"):
        faults.fault("disk-on-fire")


def test_the_raid_fault_fails_then_removes_and_its_heal_adds_and_waits() -> None:
    member = HOST.disk("raid-b").by_id
    fail, add = faults.fail_member_script(member), faults.add_member_script(member)
    assert fail.index("--fail /dev/disk/by-id/virtio-metal1-raid-b") < fail.index("--remove /dev/disk/by-id/")
    assert "a=/dev/md/md0; [ -e $a ] || a=/dev/md0" in fail
    assert "--add /dev/disk/by-id/virtio-metal1-raid-b" in add
    assert "mdadm --wait $a" in add
    # both are no-ops when there is nothing to do: only a member of the array is failed, only a missing one added
    assert "if mdadm --detail $a | grep -q" in fail
    assert fail.endswith("&& echo removed; else echo 'not a member (already removed)'; fi")
    assert "|| mdadm --manage $a --add" in add


def test_the_path_fault_writes_the_second_hbas_path_state() -> None:
    script = faults.path_state_script(HOST.hbas[-1].by_path, "offline")
    assert "readlink -f /dev/disk/by-path/pci-0000:00:0b.0-scsi-0:0:0:0" in script
    assert "echo offline > /sys/block/$d/device/state" in script


def read_tree(tree: Path) -> dict[str, Any]:
    report = KINDS["redfish"].inspect(str(tree), InspectOptions())
    assert isinstance(report, dict)
    return report


def supplies(report: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(s["id"], s["pdu"]) for s in report["supplies"] if s["schema"] == "PowerSubsystem"}


def test_each_host_serves_the_fixture_renamed_to_its_rack(tmp_path: Path) -> None:
    tree = bmc.render_mockup(HOST, PDUS, "healthy", tmp_path / "redfish")
    assert PDUS == ("lab-r01-pdu-a", "lab-r01-pdu-b")
    assert sorted(p.name for p in (tree / "PowerEquipment" / "RackPDUs").iterdir() if p.is_dir()) == list(PDUS)
    assert "RackPDUs/A" not in "".join(p.read_text() for p in tree.rglob("index.json"))
    report = read_tree(tree)
    assert report["redundant"] is True
    assert [f["rule_id"] for f in report["findings"]] == []
    assert supplies(report) == {("PSU1", "lab-r01-pdu-a"), ("PSU2", "lab-r01-pdu-b")}
    chassis = json.loads((tree / "Chassis" / "1U" / "index.json").read_text())
    assert chassis["Name"].startswith("Metal host metal1")


@pytest.mark.parametrize(("fault", "rule", "pdus"), [
    ("psu-critical", "T3-OBS-PWR-001", {("PSU1", "lab-r01-pdu-a"), ("PSU2", "lab-r01-pdu-b")}),
    ("psu-absent", "T3-OBS-PWR-001", {("PSU1", "lab-r01-pdu-a"), ("PSU2", "lab-r01-pdu-b")}),
    ("psu-other-pdu", "T3-OBS-PWR-002", {("PSU1", "lab-r01-pdu-a"), ("PSU2", "lab-r01-pdu-a")}),
])
def test_a_power_fault_edits_the_live_copy_and_its_heal_restores_it(
    tmp_path: Path, fault: str, rule: str, pdus: set[tuple[str, str | None]]
) -> None:
    live = bmc.bmc_paths(HOST, tmp_path).mockup
    bmc.render_mockup(HOST, PDUS, "healthy", live)
    healthy = {p: p.read_bytes() for p in live.rglob("index.json")}
    target = faults.target(replace(HOST, ipmi_port=0), PDUS, tmp_path)  # the Redfish copy only: no ipmi_sim here
    said = faults.fault(fault).inject(target)
    assert said.startswith(f"Redfish mockup of metal1: {faults.PSU_FAULTS[fault][1]} (")
    report = read_tree(live)
    assert report["redundant"] is False
    assert rule in {f["rule_id"] for f in report["findings"]}
    assert supplies(report) == pdus
    assert faults.fault(fault).heal(target).startswith("Redfish mockup of metal1: healthy (")
    assert {p: p.read_bytes() for p in live.rglob("index.json")} == healthy
    assert not list(live.rglob(".index.json.new"))  # every document replaced whole
    assert read_tree(live)["redundant"] is True


def test_healing_a_healthy_bmc_changes_nothing(tmp_path: Path) -> None:
    bmc.render_mockup(HOST, PDUS, "healthy", bmc.bmc_paths(HOST, tmp_path).mockup)
    assert bmc.apply_variant(HOST, PDUS, "healthy", tmp_path) == []


def test_the_ipmi_lan_config_carries_the_hosts_ports_and_the_lab_user() -> None:
    conf = bmc.ipmi_lan_conf(HOST, "pa55-not-real")
    assert "addr 127.0.0.1 6231" in conf
    assert "console 127.0.0.1 9231" in conf
    assert 'user 2 true "tier3-lab" "pa55-not-real" admin' in conf
    assert "@" not in conf.split("\n", 3)[-1]  # every token filled in
