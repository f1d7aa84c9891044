"""The text report: one line per failed finding, then one summary line (what ``tier3 validate`` prints).

Pure functions over findings, so the conductors (``tier3.validate``) and the Ansible action plugin
word a finding and a verdict exactly as the text writer does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from tier3.model import Finding
from tier3.printable import printable
from tier3.report.model import InventorySize, Report


def format_text(finding: Finding) -> str:
    """``FILE: KEY: RULE [severity] SUBJECT: message (fix: hint)``, one line."""
    where = str(finding.location) if finding.location else finding.subject
    text = (
        f"{where}: {finding.rule_id} [{finding.severity.value}] {finding.subject}: {finding.message or finding.title}"
    )
    return printable(f"{text} (fix: {finding.hint})" if finding.hint else text)


def count(n: int, noun: str) -> str:
    """``1 host``, ``2 hosts``."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def summary_line(source: str, size: InventorySize | None, failed: int, extra: str = "") -> str:
    """``inventory/example: 24 hosts, 2 sites: clean`` (or the number of rule violations, then ``extra``).

    Without ``size`` (a report not about an inventory) the counts are left out.
    """
    verdict = count(failed, "rule violation") + extra if failed else "clean"
    checked = f"{source}: {count(size.hosts, 'host')}, {count(size.sites, 'site')}" if size else source
    return f"{checked}: {verdict}"


def _text_order(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule_id, finding.subject, finding.message)


def text_lines(findings: Sequence[Finding]) -> list[str]:
    """One line per finding by rule id, then subject (the order ``tier3.rules.evaluate`` returns)."""
    return [format_text(f) for f in sorted(findings, key=_text_order)]


def write_text(report: Report, out: TextIO) -> None:
    """The failed findings, one line each by rule id (not worst first: grep-friendly), then the verdict.
    Control characters are escaped: a terminal never receives an inventory value raw."""
    report = report.printable()
    for line in text_lines(report.failed):
        out.write(line + "\n")
    out.write(summary_line(report.source, report.inventory, len(report.failed)) + "\n")
