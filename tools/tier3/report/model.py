"""The report as data: findings plus the summary every format prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tier3 import __version__
from tier3.model import Finding, Severity, Status, Topology
from tier3.model.finding import utc_now

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
