"""The report's declared objects (``tier3.check.declared``): every declared bond, array, LUN and encrypted
volume of a checked host is matched, differs (naming the rules) or is not evaluated (saying why), on the
real captures of tests/declared_support.py judged by ``judge_host`` and put together by ``check_report``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema

from declared_support import HOST, changed, healthy, items, record, topology
from tier3.check import check_report, judge_host, unanswered
from tier3.check.declared import HARDWARE_OFF, names, summary
from tier3.evidence import kinds_owed
from tier3.model import Finding, Location, Severity, Status
from tier3.report import writer

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
OBJECTS = {("bond", "bond0"), ("md array", "md0"), ("md array", "md1"), ("multipath LUN", "lun0"),
           ("encrypted volume", "cryptmd"), ("encrypted volume", "cryptmpath")}


def declared_of(tmp_path: Path, records: dict[str, list[dict[str, Any]]], *, kinds: tuple[str, ...] | None = None,
                lost: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
    topo = topology(tmp_path)
    owed = kinds_owed(topo, HOST) if kinds is None else kinds
    checks = [] if lost else [judge_host(HOST, items(records), owed, topo)]
    extra = [unanswered(HOST, "unreachable: ssh: connect to host metal1 port 22: Connection refused")] if lost else []
    report = check_report(checks, [], source="inventory", probed=False, extra_findings=extra, topology=topo,
                          checked=[HOST])
    jsonschema.validate(report.to_dict(), SCHEMA)
    return {(d["kind"], d["name"]): d for d in report.to_dict()["declared"]}


def test_on_the_healthy_host_every_declared_object_is_matched(tmp_path: Path) -> None:
    found = declared_of(tmp_path, healthy())
    assert set(found) == OBJECTS
    assert {d["status"] for d in found.values()} == {"matched"}
    assert summary(list(found.values())) == "6 declared object(s): 6 matched"


def test_an_object_a_failed_finding_names_differs_with_its_rules_and_the_others_still_match(tmp_path: Path) -> None:
    one_switch = changed(lldp=[record("lldp", argv=("lldpctl", "-f", "json"),
                                      fixture="lldpctl_json_veth_two_interfaces.json")])
    found = declared_of(tmp_path, one_switch)
    assert found[("bond", "bond0")] == {"host": HOST, "kind": "bond", "name": "bond0", "status": "differs",
                                        "rule_ids": ["T3-OBS-NET-015"]}
    assert {k for k, d in found.items() if d["status"] == "matched"} == OBJECTS - {("bond", "bond0")}


def test_an_object_whose_evidence_could_not_be_judged_is_not_evaluated(tmp_path: Path) -> None:
    missing = {**record("lldp", argv=("lldpctl", "-f", "json"), status="missing", rc=None),
               "detail": "lldpctl: not installed"}
    found = declared_of(tmp_path, changed(lldp=[missing]))
    assert found[("bond", "bond0")]["status"] == "not evaluated"  # its switches were not compared
    assert found[("bond", "bond0")]["why"] == "its lldp evidence could not be judged (see the error finding)"
    assert found[("md array", "md0")]["status"] == "matched"


def test_kinds_not_asked_for_and_a_lost_host_leave_every_object_not_evaluated(tmp_path: Path) -> None:
    no_topology = declared_of(tmp_path / "a", healthy(), kinds=("bonding", "lldp", "mdstat", "mdadm-detail"))
    assert {d["status"] for d in no_topology.values()} == {"not evaluated"}
    assert no_topology[("bond", "bond0")]["why"] == "not asked for (topology)"
    assert no_topology[("multipath LUN", "lun0")]["why"] == "not asked for (multipath)"
    lost = declared_of(tmp_path / "b", healthy(), lost=True)
    assert set(lost) == OBJECTS
    assert {d["why"] for d in lost.values()} == {"the host gave no evidence"}
    assert summary(list(lost.values())) == "6 declared object(s): 6 not evaluated"


def test_another_hosts_finding_about_a_same_named_object_does_not_count(tmp_path: Path) -> None:
    topo = topology(tmp_path)
    mine = judge_host(HOST, items(healthy()), kinds_owed(topo, HOST), topo)
    theirs = Finding(rule_id="T3-OBS-STO-001", severity=Severity.HIGH, status=Status.FAIL, subject="/dev/md0",
                     title="md array degraded", message="md0 runs on one member", evidence={"host": "metal2"},
                     location=Location("metal2"), hint="")
    report = check_report([mine], [theirs], source="inventory", probed=False, topology=topo, checked=[HOST])
    assert {d["name"]: d["status"] for d in report.declared}["md0"] == "matched"


def test_a_subject_names_an_object_by_its_name_a_member_or_a_path_ending() -> None:
    assert names("bond0", "bond0")
    assert names("bond0:enp0s4", "bond0")
    assert names("/dev/md0", "md0")
    assert names("/dev/mapper/data", "data")
    assert names("1U/PSU2", "PSU2")
    assert names("metal2:PSU2", "PSU2")
    assert not names("bond01", "bond0")
    assert not names("/dev/md01", "md0")
    assert not names("pdu:lab-r02-pdu-a", "PSU2")


def test_the_html_report_shows_each_declared_object(tmp_path: Path) -> None:
    topo = topology(tmp_path)
    one_switch = changed(lldp=[record("lldp", argv=("lldpctl", "-f", "json"),
                                      fixture="lldpctl_json_veth_two_interfaces.json")])
    report = check_report([judge_host(HOST, items(one_switch), kinds_owed(topo, HOST), topo)], [], source="inventory",
                          probed=False, topology=topo, checked=[HOST])
    out = io.StringIO()
    writer("html")(report, out)
    page = out.getvalue()
    assert "<h2>Declared objects</h2>" in page
    assert '<code>bond0</code></td>\n<td><span class="status-fail">differs: T3-OBS-NET-015</span>' in page
    assert '<code>md1</code></td>\n<td><span class="status-pass">matched</span>' in page


def test_a_host_whose_hardware_is_not_checked_says_so(tmp_path: Path) -> None:
    topo = topology(tmp_path)
    report = check_report([judge_host(HOST, items({}), ("postqueue",), topo)], [], source="inventory", probed=False,
                          topology=topo, checked=[HOST], hardware_off={HOST})
    assert {d["why"] for d in report.declared} == {HARDWARE_OFF}
    assert {d["status"] for d in report.declared} == {"not evaluated"}
