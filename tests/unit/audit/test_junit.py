"""report.junit.xml as a CI tool reads it (junitparser): one suite per area with its counts, one case per
result, waived and not evaluated results skipped with their reason, failures and errors with the fix,
controls and evidence, and a control character in a subject escaped instead of breaking the XML."""

from __future__ import annotations

import io
from pathlib import Path

import audit_sample
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

from tier3.audit.model import Area, AuditReport, Outcome, Result
from tier3.audit.writers import AUDIT_WRITERS
from tier3.audit.writers.junit import write_junit
from tier3.model import Severity


def parsed(report: AuditReport, tmp_path: Path) -> JUnitXml:
    out = io.StringIO()
    write_junit(report, out)
    path = tmp_path / "report.junit.xml"
    path.write_text(out.getvalue(), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    assert isinstance(xml, JUnitXml)
    return xml


def suites(xml: JUnitXml) -> dict[str, TestSuite]:
    return {str(s.name): s for s in xml}


def cases(suite: TestSuite) -> dict[str, TestCase]:
    return {str(c.name): c for c in suite}


def test_the_junit_writer_is_in_the_table() -> None:
    assert AUDIT_WRITERS["junit"] is write_junit


def test_one_suite_per_area_with_results_in_the_areas_order(tmp_path: Path) -> None:
    xml = parsed(audit_sample.sample_report(), tmp_path)
    assert list(suites(xml)) == ["encryption in transit", "encryption at rest", "retention", "redundancy", "input"]


@pytest.mark.parametrize(("area", "counts"), [
    ("encryption in transit", (1, 1, 0, 0)),
    ("encryption at rest", (1, 0, 0, 0)),
    ("retention", (1, 0, 0, 1)),
    ("redundancy", (2, 0, 0, 1)),
    ("input", (1, 0, 1, 0)),
])
def test_counts_per_suite(tmp_path: Path, area: str, counts: tuple[int, int, int, int]) -> None:
    """(tests, failures, errors, skipped) of each area's suite."""
    suite = suites(parsed(audit_sample.sample_report(), tmp_path))[area]
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == counts
    assert len(list(suite)) == counts[0]


def test_the_totals_the_file_states_are_those_of_its_cases(tmp_path: Path) -> None:
    xml = parsed(audit_sample.sample_report(), tmp_path)
    stated = (xml.tests, xml.failures, xml.errors, xml.skipped)
    for suite in xml:
        suite.update_statistics()  # recount each suite from its cases
    xml.update_statistics()
    assert stated == (xml.tests, xml.failures, xml.errors, xml.skipped) == (6, 1, 1, 2)


def test_case_names_are_rule_and_subject(tmp_path: Path) -> None:
    redundancy = cases(suites(parsed(audit_sample.sample_report(), tmp_path))["redundancy"])
    assert set(redundancy) == {"T3-PWR-003 mx2", "T3-VRP-001"}
    assert redundancy["T3-PWR-003 mx2"].classname == "T3-PWR-003"
    assert redundancy["T3-VRP-001"].is_passed


def test_waived_is_skipped_with_justification_owner_and_expiry(tmp_path: Path) -> None:
    case = cases(suites(parsed(audit_sample.sample_report(), tmp_path))["redundancy"])["T3-PWR-003 mx2"]
    [skip] = case.result
    assert isinstance(skip, Skipped)
    assert skip.message == ("waived: PDU b of rack r2 is replaced in the January window; change CHG-1042 "
                            "(ops-dc@example.test, until 2099-01-31)")
    assert "controls: ISO27001:A.8.14, GDPR:32(1)(b)" in (skip.text or "")


def test_not_evaluated_is_skipped_with_why(tmp_path: Path) -> None:
    case = cases(suites(parsed(audit_sample.sample_report(), tmp_path))["retention"])["T3-OBS-ARC-009"]
    [skip] = case.result
    assert isinstance(skip, Skipped)
    assert skip.message == "not evaluated: no archive host was read"


def test_a_failure_carries_the_fix_the_controls_the_evidence_and_the_expired_waiver(tmp_path: Path) -> None:
    case = cases(suites(parsed(audit_sample.sample_report(), tmp_path))["encryption in transit"])[
        "T3-OBS-TLS-001 vip:mx 10.0.0.25:25"]
    [failure] = case.result
    assert isinstance(failure, Failure)
    assert failure.message == "[high] mail listener accepts a TLS version the policy refuses"
    text = (failure.text or "").splitlines()
    assert text[0] == "accepts TLSv1 (policy: TLSv1.2, TLSv1.3)"
    assert "fix: set smtpd_tls_mandatory_protocols = >=TLSv1.2" in text
    assert "controls: PCI-DSS:4.2.1, NIST-800-53:SC-8(1), HIPAA:164.312(e)(1)" in text
    assert f"evidence item: tls-scan 10.0.0.25:25 sha256 {'ab' * 32}" in text
    assert "waiver: waiver expired on 2020-09-30" in text


def test_an_error_is_an_error_element(tmp_path: Path) -> None:
    case = cases(suites(parsed(audit_sample.sample_report(), tmp_path))["input"])["evidence mon2"]
    [error] = case.result
    assert isinstance(error, Error)
    assert "fix: bring mon2 back, or --limit it out" in (error.text or "")


def test_a_control_character_in_a_subject_is_escaped_not_breaking_the_xml(tmp_path: Path) -> None:
    odd = Result("T3-PWR-001", "two supplies", Area.REDUNDANCY, "declared", Severity.HIGH, Outcome.FAIL,
                 subject="mx\x011", message="one supply\x1b[31m", hint="add\x00 one")
    xml = parsed(audit_sample.sample_report(extra=(odd,)), tmp_path)
    case = cases(suites(xml)["redundancy"])["T3-PWR-001 mx\\x011"]
    [failure] = case.result
    assert isinstance(failure, Failure)
    assert "one supply\\x1b[31m" in (failure.text or "")
    assert "fix: add\\x00 one" in (failure.text or "")
    assert suites(xml)["redundancy"].failures == 1
