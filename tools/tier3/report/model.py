"""The report as data: findings plus the summary every format prints."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tier3 import __version__
from tier3.errors import Tier3Error
from tier3.model import Finding, Location, Severity, Status, Topology
from tier3.model.finding import utc_now
from tier3.printable import printable, printable_value

SCHEMA_ID = "https://tier3.invalid/schemas/report/v1"


@dataclass(frozen=True)
class Check:
    """A rule that ran, whether or not it found anything."""

    rule_id: str
    title: str
    severity: Severity = Severity.INFO


@dataclass(frozen=True)
class InventorySize:
    """How big the checked inventory is: the text summary line names it (``24 hosts, 2 sites``)."""

    hosts: int
    sites: int

    @classmethod
    def of(cls, topology: Topology) -> InventorySize:
        return cls(len(topology.hosts), len(topology.sites))


@dataclass(frozen=True)
class Report:
    title: str
    source: str
    generated_at: str
    findings: tuple[Finding, ...]
    checks: tuple[Check, ...]
    # the inventory's size when the report is about one (tier3 validate); text only, not in the JSON
    inventory: InventorySize | None = None
    # every item a host gave (tier3 check): what was read, from which host, when, its SHA-256; no text
    evidence: tuple[dict[str, Any], ...] = ()
    # each declared object of the checked hosts and its status (tier3 check: tier3.check.declared)
    declared: tuple[dict[str, Any], ...] = ()

    @property
    def by_status(self) -> dict[str, int]:
        counts = Counter(f.status.value for f in self.findings)
        return {s.value: counts.get(s.value, 0) for s in Status}

    @property
    def by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity.value for f in self.findings if f.status is Status.FAIL)
        return {s.value: counts.get(s.value, 0) for s in Severity}

    @property
    def failed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status in (Status.FAIL, Status.ERROR))

    def printable(self) -> Report:
        """This report with every control character in its text escaped (``\\x01``): what the text,
        JUnit and HTML writers print, so no inventory value or device answer reaches a terminal raw
        or breaks the XML. JSON escapes control characters itself and keeps the values exact."""
        return dataclasses.replace(
            self, title=printable(self.title), source=printable(self.source),
            findings=tuple(_printable_finding(f) for f in self.findings),
            checks=tuple(dataclasses.replace(c, title=printable(c.title)) for c in self.checks),
            evidence=tuple(printable_value(e) for e in self.evidence),
            declared=tuple(printable_value(d) for d in self.declared),
        )

    def findings_of(self, rule_id: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.rule_id == rule_id)

    def all_checks(self) -> tuple[Check, ...]:
        """The checks that ran plus any rule that only appears in findings, by rule id."""
        known = {c.rule_id: c for c in self.checks}
        for f in self.findings:
            known.setdefault(f.rule_id, Check(f.rule_id, f.title, f.severity))
        return tuple(sorted(known.values(), key=lambda c: c.rule_id))

    def to_dict(self) -> dict[str, Any]:
        return {
            "$schema": SCHEMA_ID,
            "tool": {"name": "tier3", "version": __version__},
            "title": self.title,
            "source": self.source,
            "generated_at": self.generated_at,
            "summary": {
                "checks": len(self.all_checks()),
                "findings": len(self.findings),
                "by_status": self.by_status,
                "failed_by_severity": self.by_severity,
            },
            "checks": [
                {"rule_id": c.rule_id, "title": c.title, "severity": c.severity.value} for c in self.all_checks()
            ],
            "findings": [f.to_dict() for f in self.findings],
            **({"evidence": list(self.evidence)} if self.evidence else {}),
            **({"declared": list(self.declared)} if self.declared else {}),
        }


def _order(finding: Finding) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.rule_id, finding.subject)


def build_report(
    findings: Sequence[Finding],
    *,
    title: str,
    source: str,
    checks: Sequence[Check] = (),
    inventory: InventorySize | None = None,
) -> Report:
    """Findings worst first (severity, then rule id, then subject): the order JSON, JUnit and HTML use."""
    return Report(
        title=title,
        source=source,
        generated_at=utc_now(),
        findings=tuple(sorted(findings, key=_order)),
        checks=tuple(checks),
        inventory=inventory,
    )


def _printable_finding(f: Finding) -> Finding:
    location = None if f.location is None else Location(printable(f.location.file), printable(f.location.key))
    return dataclasses.replace(
        f, subject=printable(f.subject), title=printable(f.title), message=printable(f.message),
        hint=printable(f.hint), evidence=printable_value(f.evidence), location=location,
    )


INPUT_ERROR = "input"  # the rule_id of an ``error`` finding: the input could not be checked at all


def error_findings(errors: Sequence[Tier3Error]) -> list[Finding]:
    """Bad input as ``error`` findings, so a CI that publishes the JSON or JUnit report sees a failure
    naming each file, key and fix, not "no report"."""
    return [
        Finding(
            rule_id=INPUT_ERROR, severity=Severity.CRITICAL, status=Status.ERROR, subject=e.source,
            title="input could not be checked", message=e.message, location=Location(e.source, e.where),
            hint=e.hint,
        )
        for e in errors
    ]
