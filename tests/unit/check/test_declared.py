"""Declared versus observed in ``tier3 check`` and ``tier3 inspect topology``: what a host that declares bonds,
arrays, LUNs and encrypted volumes owes, the topology judged last on the items of the other kinds (stamped with
them), glob matches with nothing behind them (no LUKS header, LUKS1 under the JSON dump, a name not open) taken
as facts rather than errors, a kind that could not be read left out of the comparison, and the CLI on a saved
answer. Real captures assembled in tests/declared_support.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from declared_support import (
    HOST,
    VDL_UUID,
    changed,
    declared,
    dump,
    healthy,
    items,
    record,
    redeclared,
    topology,
    write_inventory,
)
from tier3.check import EVIDENCE_ERROR, checks_run, collected_kinds, judge_host
from tier3.cli import main
from tier3.evidence import kinds_owed
from tier3.rules import rules_for

TOPOLOGY_RULES = {r.id for r in rules_for("topology")}
ALL = ("bonding", "ip-link", "lldp", "mdstat", "mdadm-detail", "lsblk", "multipath", "cryptsetup", "luksdump",
       "topology")


def check(tmp_path: Path, records: dict[str, list[dict[str, Any]]], host: dict[str, Any] | None = None,
          ) -> tuple[list[Any], dict[str, Any]]:
    topo = topology(tmp_path, host)
    result = judge_host(HOST, items(records), kinds_owed(topo, HOST), topo)
    (facts,) = [f for f in result.facts if f["kind"] == "topology"]
    return list(result.findings), facts


def test_a_host_owes_the_kinds_that_show_what_it_declares_and_topology(tmp_path: Path) -> None:
    assert kinds_owed(topology(tmp_path), HOST) == ALL
    only_md = {k: v for k, v in declared().items() if k not in ("bonds", "multipath_luns", "encrypted_volumes")}
    assert kinds_owed(topology(tmp_path / "md", only_md), HOST) == ("mdstat", "mdadm-detail", "lsblk", "topology")
    # a container standing in for the server (tier3_check_hardware: false): its declared hardware is not looked for
    assert kinds_owed(topology(tmp_path / "ct"), HOST, hardware=False) == ()
    assert kinds_owed(topology(tmp_path / "ct2"), HOST, ["mdstat"], hardware=False) == ("mdstat",)
    nothing = {"site": "site1", "rack": "r1"}
    assert kinds_owed(topology(tmp_path / "none", nothing), HOST) == ()
    assert kinds_owed(topology(tmp_path / "none", nothing), HOST, ["mdstat"]) == ("mdstat",)
    assert collected_kinds(ALL) == ALL[:-1]  # what tier3_evidence is asked for: topology is not collected


def test_the_healthy_host_gives_no_topology_finding_and_no_evidence_error(tmp_path: Path) -> None:
    findings, facts = check(tmp_path, healthy())
    assert [f for f in findings if f.rule_id in TOPOLOGY_RULES | {EVIDENCE_ERROR}] == []
    assert facts["left_out"] == {}
    assert facts["bonds"]["bond0"]["mode_as_declared"] == "active-backup"
    assert sorted(facts["headers"]) == ["0f608e81-32bf-4b2e-a3cd-5058f546b2d4", "8da5e4bd-276c-4036-8c7c-92cc8ba68052"]


def test_a_topology_finding_is_stamped_with_the_items_it_rests_on(tmp_path: Path) -> None:
    records = changed(lldp=[record("lldp", argv=("lldpctl", "-f", "json"),
                                   fixture="lldpctl_json_veth_two_interfaces.json")])
    findings, _ = check(tmp_path, records)
    (finding,) = [f for f in findings if f.rule_id in TOPOLOGY_RULES]
    assert (finding.rule_id, finding.subject) == ("T3-OBS-NET-015", "bond0")
    assert finding.message.endswith("observed LLDP: both members reach t3-switch")
    stamped = {i["id"]: i["sha256"] for i in finding.evidence["evidence_items"]}
    assert stamped["lldpctl -f json"] == records["lldp"][0]["sha256"]
    assert {"/proc/net/bonding/bond0", "ip -d link show", "multipath -ll"} <= set(stamped)
    assert finding.evidence["source"] == f"topology of {HOST}"


def test_a_kind_that_could_not_be_read_is_left_out_and_its_rules_stay_silent(tmp_path: Path) -> None:
    swapped = redeclared(bonds=[{"name": "bond0", "mode": "active-backup",
                                 "members": [{"interface": "eth1", "switch": "t3-sw-b"},
                                             {"interface": "eth2", "switch": "t3-sw-a"}]}],
                         raid_arrays=[{**declared()["raid_arrays"][0], "level": "raid6"}, declared()["raid_arrays"][1]])
    missing = {**record("lldp", argv=("lldpctl", "-f", "json"), status="missing", rc=None),
               "detail": "lldpctl: not installed"}
    findings, facts = check(tmp_path, changed(lldp=[missing]), swapped)
    assert [(f.rule_id, f.subject) for f in findings if f.rule_id in TOPOLOGY_RULES | {EVIDENCE_ERROR}] == [
        (EVIDENCE_ERROR, f"{HOST}:lldp"), ("T3-OBS-STO-021", "/dev/md0")]
    assert facts["left_out"] == {"lldp": "its evidence could not be judged"}


def test_glob_matches_with_nothing_behind_them_are_facts_not_errors(tmp_path: Path) -> None:
    """No LUKS header (vda's ext4), a LUKS1 header the JSON dump refuses, a name that is not open: each is what
    the host has, as a glob matching nothing is; a record that failed otherwise is still an error."""
    luks1 = "/dev/disk/by-uuid/02a37d17-ab8d-482a-a449-c1adf7b441a3"
    records = changed(
        luksdump=[*healthy()["luksdump"], record(
            "luksdump", argv=("cryptsetup", "luksDump", "--dump-json-metadata", luks1), item=luks1, status="failed",
            rc=1, stderr="Dump operation is not supported for this device type.\n")],
        cryptsetup=[*healthy()["cryptsetup"], record(
            "cryptsetup", argv=("cryptsetup", "status", "/dev/mapper/cryptnotopen"), item="/dev/mapper/cryptnotopen",
            fixture="cryptsetup_status_inactive.txt", status="failed", rc=4)])
    findings, _ = check(tmp_path, records)
    assert [f for f in findings if f.rule_id == EVIDENCE_ERROR] == []
    broken = changed(luksdump=[record("luksdump", argv=("cryptsetup", "luksDump", "--dump-json-metadata", luks1),
                                      item=luks1, status="failed", rc=5, stderr="Cannot read device.\n")])
    findings, facts = check(tmp_path, broken)
    assert [(f.rule_id, f.subject) for f in findings if f.rule_id == EVIDENCE_ERROR] == [(EVIDENCE_ERROR,
                                                                                         f"{HOST}:luksdump")]
    assert "luksdump" in facts["left_out"]


def test_the_luksdump_kind_names_the_device_its_json_was_read_from(tmp_path: Path) -> None:
    records = changed(luksdump=[dump(VDL_UUID, "luksdump_json_luks2_pbkdf2.json")])
    findings, _ = check(tmp_path, records)
    device = f"/dev/disk/by-uuid/{VDL_UUID}"
    assert [(f.rule_id, f.subject) for f in findings if f.rule_id == "T3-OBS-ENC-002"] == [
        ("T3-OBS-ENC-002", f"{device}:keyslot0")]


def test_the_report_lists_the_topology_rules_as_checks_run(tmp_path: Path) -> None:
    topo = topology(tmp_path)
    result = judge_host(HOST, items(healthy()), kinds_owed(topo, HOST), topo)
    assert {c.rule_id for c in checks_run([result], probed=False)} >= TOPOLOGY_RULES


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Path]:
    """A saved answer of HOST with both members on one switch, and the inventory declaring it."""
    answer = {"evidence": [r for rs in changed(lldp=[record(
        "lldp", argv=("lldpctl", "-f", "json"), fixture="lldpctl_json_veth_two_interfaces.json")]).values()
        for r in rs]}
    path = tmp_path / "metal1-evidence.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    return path, write_inventory(tmp_path / "inventory", declared())


def test_tier3_inspect_topology_judges_a_saved_answer_against_the_inventory(
        saved: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    path, inventory = saved
    assert main(["inspect", "topology", str(path), "-i", str(inventory), "--host", HOST, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["kind"], report["source"]) == ("topology", str(path))
    assert [(f["rule_id"], f["subject"]) for f in report["findings"]] == [("T3-OBS-NET-015", "bond0")]
    assert report["findings"][0]["evidence"]["read"] == f"tier3_evidence answer {path}"
    assert main(["inspect", "topology", str(path), "--json"]) == 0  # nothing declared: facts, no judgement
    bare = json.loads(capsys.readouterr().out)
    assert bare["findings"] == []
    assert bare["neighbours"]["eth1"][0]["chassis_name"] == "t3-switch"


def test_tier3_inspect_topology_refuses_what_is_not_an_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             ) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"evidence": "none"}', encoding="utf-8")
    assert main(["inspect", "topology", str(bad)]) == 2
    assert "expected a list of records" in capsys.readouterr().err
    bad.write_text("[1, 2", encoding="utf-8")
    assert main(["inspect", "topology", str(bad)]) == 2
    assert "invalid JSON" in capsys.readouterr().err
