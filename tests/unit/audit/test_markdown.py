"""summary.md says what a pull request or a ticket needs, in that order, and a value from a host can break
neither a table (``|``) nor a terminal (control characters)."""

from __future__ import annotations

import dataclasses
import io

import audit_sample

from tier3.audit.model import Area, AuditReport, Outcome, Result
from tier3.audit.writers import AUDIT_WRITERS
from tier3.audit.writers.markdown import cell, write_markdown
from tier3.model import Severity


def summary(report: AuditReport) -> list[str]:
    out = io.StringIO()
    write_markdown(report, out)
    return out.getvalue().splitlines()


def section(lines: list[str], title: str) -> list[str]:
    """The lines under ``## title`` up to the next heading, blank lines dropped."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"## {title}"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start + 1:end] if line]


def test_the_markdown_writer_is_in_the_table() -> None:
    assert AUDIT_WRITERS["markdown"] is write_markdown


def test_the_verdict_comes_first_with_the_counts() -> None:
    lines = summary(audit_sample.sample_report())
    assert lines[0] == "# tier3 audit: fail"
    assert lines[2] == ("**Verdict: FAIL**: 2 of 6 results failed or errored "
                        "(2 pass, 1 fail, 1 waived, 1 not evaluated, 1 error).")


def test_a_clean_report_says_pass() -> None:
    report = audit_sample.sample_report()
    clean = dataclasses.replace(report, results=tuple(r for r in report.results
                                                      if r.outcome not in (Outcome.FAIL, Outcome.ERROR)))
    lines = summary(clean)
    assert lines[0] == "# tier3 audit: pass"
    assert section(lines, "Failed and errored") == ["None."]


def test_counts_per_area_and_per_framework() -> None:
    lines = summary(audit_sample.sample_report())
    assert section(lines, "Results by area")[0] == "| area | pass | fail | waived | not evaluated | error |"
    assert "| redundancy | 1 | 0 | 1 | 0 | 0 |" in section(lines, "Results by area")
    assert "| ISO27001 (ISO/IEC 27001:2022 Annex A) | 1 | 0 | 1 | 0 | 0 |" in section(lines, "Results by framework")
    assert len(section(lines, "Results by framework")) == 2 + 6  # header, rule, one row per framework in scope


def test_failed_and_errored_with_message_fix_and_controls() -> None:
    rows = section(summary(audit_sample.sample_report()), "Failed and errored (2)")
    assert rows[2] == ("| fail | high | T3-OBS-TLS-001 | vip:mx 10.0.0.25:25 "
                       "| accepts TLSv1 (policy: TLSv1.2, TLSv1.3) "
                       "| set smtpd_tls_mandatory_protocols = >=TLSv1.2 (waiver expired on 2020-09-30) "
                       "| PCI-DSS:4.2.1, NIST-800-53:SC-8(1), HIPAA:164.312(e)(1) |")
    assert rows[3].startswith("| error | critical | evidence | mon2 | unreachable: ssh:")


def test_waived_with_justification_owner_and_expiry() -> None:
    rows = section(summary(audit_sample.sample_report()), "Waived (1)")
    assert rows[2] == ("| T3-PWR-003 | mx2 | PDU b of rack r2 is replaced in the January window; change CHG-1042 "
                       "| ops-dc@example.test | 2099-01-31 | - |")


def test_not_evaluated_count_and_rule_ids() -> None:
    assert section(summary(audit_sample.sample_report()), "Not evaluated (1)") == [
        "1 result (1 rule) judged nothing: T3-OBS-ARC-009."]


def test_drills_notes_and_provenance() -> None:
    lines = summary(audit_sample.sample_report())
    assert section(lines, "Drills")[2] == ("| mx-failover | 2026-12-01T10:00:00Z | 0.45 s | 30.0 s | 0 | 0 | pass "
                                           "| reports/drills/mx-failover.json |")
    assert section(lines, "Notes") == ["- the archive hosts were not read: --limit mx"]
    provenance = section(lines, "Provenance")
    assert "| inventory commit | 0123456789abcdef0123456789abcdef01234567 |" in provenance
    assert "| operator | ops@controller |" in provenance
    assert "| hosts | 4 (3 gave evidence) |" in provenance


def test_a_pipe_and_control_characters_are_escaped() -> None:
    odd = Result("T3-PWR-001", "two supplies", Area.REDUNDANCY, "declared", Severity.HIGH, Outcome.FAIL,
                 subject="mx|1\x01", message="one\nsupply \x1b[31m| red")
    rows = section(summary(audit_sample.sample_report(extra=(odd,))), "Failed and errored (3)")
    [row] = [r for r in rows if "T3-PWR-001" in r]
    assert "| mx\\|1\\x01 | one\\x0asupply \\x1b[31m\\| red |" in row
    assert row.count(" | ") == 6  # seven cells: the escaped pipes split nothing
    assert "\x1b" not in row
    assert "\x01" not in row


def test_an_empty_cell_is_a_dash() -> None:
    assert cell("") == "-"
    assert cell(" ") == "-"
    assert cell("a|b") == "a\\|b"
