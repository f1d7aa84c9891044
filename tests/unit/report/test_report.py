"""The report formats say the same thing, JSON follows the documented schema, text is what
``tier3 validate`` prints."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tier3.errors import Tier3Error
from tier3.model import Finding, Location, Severity, Status
from tier3.report import WRITERS, Check, InventorySize, write_report

SCHEMA = json.loads((Path(__file__).parents[3] / "docs" / "report.schema.json").read_text())

FINDINGS = [
    Finding(
        rule_id="T3-PWR-002", severity=Severity.HIGH, status=Status.FAIL, subject="mx1",
        title="power supplies on PDUs of two feeds", message="PSU1, PSU2 both draw from feed fra1-a",
        evidence={"supplies": {"PSU1": "pdu-a", "PSU2": "pdu-a2"}}, controls=("ISO27001:A.7.11",),
        location=Location("host_vars/mx1.yml", "tier3_host.power_supplies"), hint="plug PSU2 into a PDU on feed B",
    ),
    Finding(
        rule_id="T3-VRP-002", severity=Severity.MEDIUM, status=Status.WAIVED, subject="vip:mx",
        title="distinct priorities", message="<script>alert(1)</script>",
    ),
    Finding(rule_id="T3-OBS-STO-001", severity=Severity.CRITICAL, status=Status.ERROR, subject="mx2:/dev/md0",
            title="array degraded", evidence={"host": "mx2", "command": "cat /proc/mdstat"}),
]
CHECKS = [Check("T3-PWR-001", "two supplies", Severity.HIGH), Check("T3-PWR-002", "two feeds", Severity.HIGH)]


def render(fmt: str, findings: list[Finding] = FINDINGS, inventory: InventorySize | None = None) -> str:
    out = io.StringIO()
    write_report(findings, fmt, out, title="tier3 validate", source="inventory/example", checks=CHECKS,
                 inventory=inventory)
    return out.getvalue()


def test_one_writer_per_format() -> None:
    assert list(WRITERS) == ["text", "json", "junit", "html"]


def test_text_lists_failed_findings_by_rule_id_then_the_verdict() -> None:
    assert render("text").splitlines() == [
        "mx2:/dev/md0: T3-OBS-STO-001 [critical] mx2:/dev/md0: array degraded",
        "host_vars/mx1.yml: tier3_host.power_supplies: T3-PWR-002 [high] mx1: PSU1, PSU2 both draw from feed fra1-a"
        " (fix: plug PSU2 into a PDU on feed B)",
        "inventory/example: 2 rule violations",  # the waived finding is not a violation
    ]


def test_text_summary_counts_the_inventory_when_given() -> None:
    assert render("text", inventory=InventorySize(24, 2)).splitlines()[-1] == (
        "inventory/example: 24 hosts, 2 sites: 2 rule violations"
    )
    assert render("text", [], InventorySize(1, 1)) == "inventory/example: 1 host, 1 site: clean\n"
    last = render("text", [FINDINGS[0]], InventorySize(4, 1)).splitlines()[-1]
    assert last == "inventory/example: 4 hosts, 1 site: 1 rule violation"


def test_the_inventory_size_is_not_in_the_json() -> None:
    data = json.loads(render("json", inventory=InventorySize(24, 2)))
    jsonschema.validate(data, SCHEMA)
    assert data == json.loads(render("json")) | {"generated_at": data["generated_at"]}


def test_json_follows_the_documented_schema_and_orders_worst_first() -> None:
    data = json.loads(render("json"))
    jsonschema.validate(data, SCHEMA)
    assert [f["rule_id"] for f in data["findings"]] == ["T3-OBS-STO-001", "T3-PWR-002", "T3-VRP-002"]
    assert data["summary"]["by_status"] == {"pass": 0, "fail": 1, "error": 1, "waived": 1}
    assert data["summary"]["failed_by_severity"]["high"] == 1
    assert data["summary"]["checks"] == 4  # two declared checks plus two rules seen only in findings
    assert data["findings"][1]["location"] == {"file": "host_vars/mx1.yml", "key": "tier3_host.power_supplies"}


def test_json_of_a_clean_run_has_an_empty_findings_list() -> None:
    data = json.loads(render("json", []))
    jsonschema.validate(data, SCHEMA)
    assert data["findings"] == []
    assert data["summary"]["checks"] == 2


def test_junit_counts_failures_errors_and_skips_and_passes_clean_rules() -> None:
    root = ET.fromstring(render("junit"))
    suite = root.find("testsuite")
    assert suite is not None
    counts = [suite.get(key) for key in ("tests", "failures", "errors", "skipped")]
    assert counts == ["4", "1", "1", "1"]
    names = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(names["T3-PWR-001 two supplies"]) == []  # passed: no child element
    failure = names["T3-PWR-002 mx1"].find("failure")
    assert failure is not None
    assert "host_vars/mx1.yml: tier3_host.power_supplies" in (failure.text or "")
    assert "fix: plug PSU2 into a PDU on feed B" in (failure.text or "")


def test_html_escapes_device_text_and_lists_every_check() -> None:
    html = render("html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for rule_id in ("T3-PWR-001", "T3-PWR-002", "T3-VRP-002", "T3-OBS-STO-001"):
        assert rule_id in html
    assert "No findings" in render("html", [])


def test_finding_round_trips_through_its_dict() -> None:
    for finding in FINDINGS:
        assert Finding.from_dict(json.loads(json.dumps(finding.to_dict()))) == finding


def test_unknown_format_is_a_user_error() -> None:
    with pytest.raises(Tier3Error, match="unknown report format 'pdf'"):
        render("pdf")
