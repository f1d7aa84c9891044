"""``tier3 inspect redfish DIR --json`` (through ``tier3.cli.main``) on Redfish trees in the shapes
other machines print (variants of tests/fixtures/redfish, see its README): a ``Power`` resource
without ``PowerSupplies``, and one supply listed twice. Also ``ipmi-sdr`` and ``redfish`` reports
carry the observed rules of the catalogue (``tier3 rules --scope observed``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import load_redfish_mockups
from tier3.cli import main
from tier3.rules import RULES, rules_for

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CHASSIS = "/redfish/v1/Chassis/1U"
PSU1 = f"{CHASSIS}/PowerSubsystem/PowerSupplies/PSU1"
LISTING = f"{CHASSIS}/PowerSubsystem/PowerSupplies"


MOCKUPS = load_redfish_mockups()


def inspect(kind: str, source: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["inspect", kind, str(source), "--json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    report: dict[str, Any] = json.loads(out)
    assert report["kind"] == kind
    assert report["source"] == str(source)
    return report


def verdict(report: dict[str, Any]) -> tuple[bool, list[tuple[str, str]]]:
    return report["redundant"], [(f["rule_id"], f["subject"]) for f in report["findings"]]


def test_power_without_power_supplies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = MOCKUPS.build("power-without-supplies", tmp_path / "tree", only="Power", dmtf_layout=True)
    report = inspect("redfish", tree, capsys)
    assert verdict(report) == (False, [("T3-OBS-PWR-005", "1U")])
    assert report["supplies"] == []
    assert report["without_supply_list"] == [f"{CHASSIS}/Power"]
    finding = report["findings"][0]
    assert finding["message"] == ("Power reports 0 power supply(ies) (no PowerSupplies in it); redundancy needs "
                                  "at least 2")
    assert finding["evidence"]["at"] == f"{CHASSIS}/Power"
    assert finding["evidence"]["minimum"] == 2


def test_power_without_power_supplies_beside_a_power_subsystem(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Both schemas are judged: the old one lists no supply, the new one two."""
    report = inspect("redfish", MOCKUPS.build("power-without-supplies", tmp_path / "tree"), capsys)
    assert verdict(report) == (False, [("T3-OBS-PWR-005", "1U")])
    assert [(s["schema"], s["id"]) for s in report["supplies"]] == [("PowerSubsystem", "PSU1"),
                                                                    ("PowerSubsystem", "PSU2")]


def test_one_supply_listed_twice_is_counted_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = inspect("redfish", MOCKUPS.build("psu1-listed-twice", tmp_path / "tree"), capsys)
    assert verdict(report) == (False, [
        ("T3-OBS-PWR-003", "1U/PSU Redundancy"), ("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0"),
        ("T3-OBS-PWR-005", "1U"), ("T3-OBS-PWR-005", "1U"),
        ("T3-OBS-PWR-007", "1U/PSU1"), ("T3-OBS-PWR-007", "1U/PSU1"),
    ])
    assert [(s["schema"], s["id"]) for s in report["supplies"]] == [("Power", "PSU1"), ("PowerSubsystem", "PSU1")]
    assert report["listed_twice"] == [
        {"chassis": "1U", "schema": "Power", "supply": "1U/PSU1", "resource": f"{CHASSIS}/Power#/PowerSupplies/0",
         "first": f"{CHASSIS}/Power#/PowerSupplies/0", "again": f"{CHASSIS}/Power#/PowerSupplies/1"},
        {"chassis": "1U", "schema": "PowerSubsystem", "supply": "1U/PSU1", "resource": PSU1,
         "first": f"{LISTING}#/Members/0", "again": f"{LISTING}#/Members/1"},
    ]
    assert report["documents_read"] == 7  # PSU1 once; PSU2 is linked by no list
    twice = next(f for f in report["findings"]
                 if f["rule_id"] == "T3-OBS-PWR-007" and f["evidence"]["schema"] == "PowerSubsystem")
    assert (twice["severity"], twice["evidence"]["at"]) == ("medium", f"{LISTING}#/Members/1")
    assert twice["message"] == (f"PowerSubsystem lists {PSU1} twice ({LISTING}#/Members/0 and {LISTING}#/Members/1)"
                                ": counted once")


def test_the_repeat_alone_does_not_break_redundancy() -> None:
    """T3-OBS-PWR-007 only says what the BMC listed; the count rule judges what is there."""
    assert RULES["T3-OBS-PWR-007"].breaks_redundancy is False
    assert RULES["T3-OBS-PWR-005"].breaks_redundancy is True
    assert RULES["T3-OBS-PWR-005"].policy == ("psu_min_count",)


def test_the_power_rules_are_in_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert [r.id for r in rules_for("redfish")] == [f"T3-OBS-PWR-0{i:02}" for i in (1, 2, 3, 4, 5, 7, 10, 11, 12, 13)]
    assert [r.id for r in rules_for("ipmi-sdr")] == [f"T3-OBS-PWR-0{i:02}" for i in (1, 3, 4, 5, 6, 10, 11)]
    assert main(["rules", "--scope", "observed", "--json"]) == 0
    entries = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert {f"T3-OBS-PWR-00{i}" for i in range(1, 8)} <= set(entries)
    assert entries["T3-OBS-PWR-006"]["breaks_redundancy"] is False
    assert entries["T3-OBS-PWR-005"]["policy"] == {"psu_min_count": "2"}
    assert entries["T3-OBS-PWR-002"]["kinds"] == ["redfish"]
    for i in range(1, 8):
        entry = entries[f"T3-OBS-PWR-00{i}"]
        assert entry["controls"] == ["ISO27001:A.7.11", "ISO27001:A.8.14", "SOC2:A1.2", "NIST-800-53:PE-9(1)"]
        assert len(entry["rationale"]) > 200


def test_every_power_rule_is_documented() -> None:
    doc = (FIXTURES.parent.parent / "docs" / "inspect-bmc.md").read_text(encoding="utf-8")
    bmc = sorted({r.id for kind in ("redfish", "ipmi-sdr") for r in rules_for(kind)})
    assert [i for i in bmc if f"| {i} |" not in doc] == []


def test_ipmi_report_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "ipmi" / "sdr_ps2_failure_ac_lost.txt"
    report = inspect("ipmi-sdr", path, capsys)
    assert verdict(report) == (False, [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy"),
                                       ("T3-OBS-PWR-004", "PS2 Status")])
    assert [s["name"] for s in report["redundancy_sensors"]] == ["PS Redundancy"]
    assert all(f["evidence"]["source"] == str(path) and f["evidence"]["read"] == "saved ipmitool sdr output"
               for f in report["findings"])
