"""The Linux kinds of tier3.inspect: the kind table, evidence, reading SOURCE, the bond's name, the finding
shape, the catalogue."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tier3.cli import main
from tier3.inspect import Evidence, InspectOptions, Kind, all_kinds, linux_kinds
from tier3.inspect.network import bond_name
from tier3.rules import RULES, Scope, rules_for
from tier3.rules.observed.archive import KIND as ARCHIVE_KIND
from tier3.rules.observed.archive import RECONCILIATION
from tier3.rules.observed.drill import KIND as DRILL_KIND

ROOT = Path(__file__).resolve().parents[3]
REAL = ROOT / "tests" / "fixtures" / "real"
KINDS = linux_kinds()
OBSERVED = [r for r in RULES.values() if r.scope is Scope.OBSERVED]


def test_kind_table() -> None:
    assert {k: v.verdict for k, v in KINDS.items()} == {
        "bonding": "redundant", "mdstat": "redundant", "mdadm-detail": "redundant", "multipath": "redundant",
        "cryptsetup": "encrypted", "luksdump": "encrypted", "lsblk": "facts", "lldp": "facts", "ip-link": "redundant"}
    assert all(name == kind.name for name, kind in KINDS.items())
    assert set(KINDS) <= set(all_kinds())


# the network and encryption kinds: what a host gives for each, and the catalogue rules judging it
EVIDENCE = {
    "bonding": (Evidence(path="/proc/net/bonding/*"),),
    "ip-link": (Evidence(argv=("ip", "-d", "link", "show")),),
    "lldp": (Evidence(argv=("lldpctl", "-f", "json")),),
    "cryptsetup": (Evidence(argv=("cryptsetup", "status", "{item}"), each="/dev/mapper/*"),),
    "luksdump": (Evidence(argv=("cryptsetup", "luksDump", "--dump-json-metadata", "{item}"),
                          each="/dev/disk/by-uuid/*"),),
    "lsblk": (Evidence(argv=("lsblk", "-J", "-O")),),
}
NET = [f"T3-OBS-NET-00{i}" for i in range(1, 7)]
ENC = [f"T3-OBS-ENC-00{i}" for i in range(1, 8)]


def test_network_and_encryption_kinds_are_catalogue_rows_with_evidence() -> None:
    assert {k: (isinstance(KINDS[k], Kind), KINDS[k].evidence) for k in EVIDENCE} == {
        k: (True, e) for k, e in EVIDENCE.items()}
    assert {k: list(KINDS[k].rule_ids) for k in EVIDENCE} == {
        "bonding": NET, "ip-link": [NET[1], NET[2], NET[4]], "lldp": [],
        "cryptsetup": [ENC[0], ENC[2], ENC[3], ENC[4], ENC[5]], "luksdump": [ENC[0], ENC[1], ENC[2], ENC[3], ENC[6]],
        "lsblk": ["T3-OBS-ENC-010"]}
    assert [r for r in NET + ENC if not RULES[r].rationale or len(RULES[r].rationale) < 200] == []
    assert {r: RULES[r].breaks_redundancy for r in [*ENC, "T3-OBS-ENC-010"]} == dict.fromkeys([*ENC, "T3-OBS-ENC-010"],
                                                                                               False)


def test_bonding_read_without_root_is_not_known(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "tests" / "fixtures" / "field" / "proc_net_bonding_bond0_8023ad_non_root.txt"
    assert main(["inspect", "bonding", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["redundant"], report["lacp_details_hidden"]) == (None, True)
    assert [(f["rule_id"], f["severity"], f["message"]) for f in report["findings"]] == [
        ("T3-OBS-NET-006", "medium", "LACP details hidden: /proc/net/bonding read without root; read it as root")]
    assert report["findings"][0]["evidence"]["read"] == "cat /proc/net/bonding/bond0"


def test_observed_rule_ids_follow_the_one_grammar() -> None:
    grammar = r"T3-OBS-(NET|STO|ENC|PWR|MAL|TLS|VRP|DRL|DNS|ARC|LOG)-\d{3}"
    assert [r.id for r in OBSERVED if not re.fullmatch(grammar, r.id)] == []
    assert [r.id for r in RULES.values() if r.scope is Scope.DECLARED and r.id.startswith("T3-OBS-")] == []


def test_every_observed_rule_judges_a_known_kind() -> None:
    # the drill rules judge a drill's figures (tier3.drill), the archive rules a store's snapshot and the MX log
    # against the replicas (tier3 archive verify): no inspect kind
    kinds = set(all_kinds()) | {DRILL_KIND, ARCHIVE_KIND, RECONCILIATION}
    assert [(r.id, k) for r in OBSERVED for k in r.kinds if k not in kinds] == []


def test_every_rule_is_documented() -> None:
    doc = (ROOT / "docs" / "inspect.md").read_text(encoding="utf-8")
    linux = [r.id for k in KINDS for r in rules_for(k)]
    assert [i for i in linux if f"| {i} |" not in doc] == []
    assert [k for k in KINDS if f"## `{k}`" not in doc] == []


def test_the_docs_table_is_the_catalogue() -> None:
    """docs/inspect.md's rule table says what the catalogue says: severity, title, kinds, redundancy."""
    doc = (ROOT / "docs" / "inspect.md").read_text(encoding="utf-8")
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if len(cells) == 5 and cells[0].startswith("T3-OBS-"):
            rows[cells[0]] = cells
    linux = {r.id: r for k in KINDS for r in rules_for(k)}
    assert set(rows) == set(linux)
    for rule_id, (_, severity, title, kinds, breaks) in rows.items():
        r = linux[rule_id]
        assert (severity, title.replace("\\|", "|"), kinds) == (r.severity.value, r.title, ", ".join(r.kinds))
        assert breaks.startswith("yes") is r.breaks_redundancy, rule_id


@pytest.mark.parametrize(("source", "extra", "name"), [
    ("/proc/net/bonding/uplink", {}, "uplink"),
    ("tests/fixtures/real/proc_net_bonding_bond0_8023ad.txt", {}, "bond0"),
    ("saved/bond12.txt", {}, "bond12"),
    ("saved/output.txt", {}, "bond"),
    ("-", {"name": "bond3"}, "bond3"),
    ("bonding of metal1", {"path": "/proc/net/bonding/bond0"}, "bond0"),  # tier3 check: the file it read
])
def test_bond_name(source: str, extra: dict[str, str], name: str) -> None:
    assert bond_name(source, InspectOptions(extra=extra)) == name


def test_stdin_source(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = (REAL / "proc_mdstat_degraded.txt").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["inspect", "mdstat", "-", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["source"], report["redundant"]) == ("-", False)


def test_finding_shape(capsys: pytest.CaptureFixture[str]) -> None:
    path = REAL / "multipath_ll_one_path_failed.txt"
    assert main(["inspect", "multipath", str(path), "--json"]) == 0
    failed = json.loads(capsys.readouterr().out)["findings"][0]
    assert {k: failed[k] for k in ("rule_id", "severity", "status", "subject", "title", "location")} == {
        "rule_id": "T3-OBS-STO-010", "severity": "high", "status": "fail", "subject": "mpatha:sda",
        "title": "multipath path failed", "location": {"file": str(path), "key": "line 4"}}
    assert failed["evidence"] == {"source": str(path), "read": "multipath -ll", "at": "line 4", "hctl": "6:0:0:0",
                                  "dm_state": "failed", "checker": "faulty", "online": "offline"}
    assert failed["controls"] == ["ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)"]


def test_encryption_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "luksdump", str(REAL / "luksdump_luks2_pbkdf2.txt"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["encrypted"], report["type"], report["cipher"], report["key_bits"], report["pbkdf"]) == (
        True, "LUKS2", "aes-xts-plain64", 512, "pbkdf2")
    assert [(f["rule_id"], f["evidence"]["Iterations"]) for f in report["findings"]] == [("T3-OBS-ENC-002", "165078")]
    assert "PCI-DSS:3.5.1" in report["findings"][0]["controls"]


def test_default_output_is_indented_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "lldp", str(REAL / "lldpctl_json_veth_one_interface.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith('{\n  "kind": "lldp"')
    assert json.loads(out)["interfaces"] == ["eth1"]


# a fault injected on the real guest, and the same device after the fault was removed:
# (kind, fault file, healed file, [rule id, subject] found in the first and gone from the second)
FAULT_AND_HEAL = [
    ("bonding", "proc_net_bonding_bond0_active_backup_one_slave_down.txt",
     "proc_net_bonding_bond0_active_backup_restored.txt", ["T3-OBS-NET-001", "bond0:eth1"]),
    ("bonding", "proc_net_bonding_bond0_8023ad_with_partner_one_link_down.txt",
     "proc_net_bonding_bond0_8023ad_with_partner_link_back.txt", ["T3-OBS-NET-002", "bond0"]),
    ("multipath", "multipath_ll_one_path_failed.txt", "multipath_ll_paths_restored.txt",
     ["T3-OBS-STO-010", "mpatha:sda"]),
    ("multipath", "multipath_ll_all_paths_failed.txt", "multipath_ll_paths_restored.txt", ["T3-OBS-STO-012", "mpatha"]),
    ("mdstat", "proc_mdstat_raid5_degraded.txt", "proc_mdstat_raid5_4disks_after_reshape.txt",
     ["T3-OBS-STO-001", "/dev/md0"]),
    ("mdadm-detail", "mdadm_detail_md1_degraded.txt", "mdadm_detail_md1_spare.txt", ["T3-OBS-STO-001", "/dev/md1"]),
]


@pytest.mark.parametrize("row", FAULT_AND_HEAL, ids=[row[1] for row in FAULT_AND_HEAL])
def test_fault_found_then_gone(row: tuple[str, str, str, list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    kind, fault, healed, finding = row
    seen = []
    for name in (fault, healed):
        assert main(["inspect", kind, str(REAL / name), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        seen.append((finding in [[f["rule_id"], f["subject"]] for f in report["findings"]], report["redundant"]))
    assert seen == [(True, False), (False, True)]
