"""The rule table: metadata of every rule, keyed by id, filled by the ``@rule`` decorator.

A rule is a pure function ``check(topology) -> Iterable[Violation]``. It says only what is wrong;
``Rule.findings`` turns each violation into a ``Finding`` carrying the rule's severity, title,
controls and fix. A rule stays silent when its precondition is another rule's finding on the same
subject (a host with one supply is blamed by T3-PWR-001, not again by the feed and N+1 rules).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tier3.model import Finding, Location, Severity, Status, Topology
from tier3.model.finding import utc_now


class Category(enum.StrEnum):
    POWER = "power"
    NETWORK = "network"
    STORAGE = "storage"
    PLACEMENT = "placement"
    VRRP = "vrrp"
    CAPACITY = "capacity"
    SECURITY = "security"


# category -> the id prefix its rules carry (T3-PWR-001 is a power rule)
PREFIXES: dict[Category, str] = {
    Category.POWER: "PWR",
    Category.NETWORK: "NET",
    Category.STORAGE: "STO",
    Category.PLACEMENT: "PLC",
    Category.VRRP: "VRP",
    Category.CAPACITY: "CAP",
    Category.SECURITY: "SEC",
}
RULE_ID = re.compile(r"^T3-(?P<prefix>[A-Z]{3})-(?P<number>\d{3})$")
# "FRAMEWORK:control", e.g. ISO27001:A.8.14, NIST-800-53:PE-9(1), HIPAA:164.308(a)(7)(ii)(C)
CONTROL_ID = re.compile(r"^[A-Z][A-Z0-9-]*:\S+$")


@dataclass(frozen=True)
class Violation:
    """One thing a rule found wrong: whom it blames, what exactly, the declared values it read."""

    subject: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    location: Location | None = None
    hint: str = ""  # a fix naming this subject's objects; the rule's generic hint otherwise


Check = Callable[[Topology], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    category: Category
    title: str
    rationale: str
    controls: tuple[str, ...]
    hint: str
    check: Check = field(repr=False, compare=False)

    def findings(self, topology: Topology, timestamp: str | None = None) -> list[Finding]:
        """One FAIL finding per violation, in the order the check found them."""
        stamp = timestamp or utc_now()
        return [
            Finding(
                rule_id=self.id,
                severity=self.severity,
                status=Status.FAIL,
                subject=v.subject,
                title=self.title,
                message=v.message,
                evidence=dict(v.evidence),
                controls=self.controls,
                location=v.location,
                hint=v.hint or self.hint,
                timestamp=stamp,
            )
            for v in self.check(topology)
        ]

    def to_dict(self) -> dict[str, Any]:
        """The catalogue entry as JSON (``tier3 rules --json``)."""
        return {
            "id": self.id,
            "severity": self.severity.value,
            "category": self.category.value,
            "title": self.title,
            "rationale": self.rationale,
            "controls": list(self.controls),
            "hint": self.hint,
        }


REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    *,
    severity: Severity,
    category: Category,
    title: str,
    rationale: str,
    controls: tuple[str, ...],
    hint: str,
) -> Callable[[Check], Check]:
    """Register ``check`` under ``rule_id`` with its metadata; a malformed entry is a bug (ValueError)."""

    def register(check: Check) -> Check:
        match = RULE_ID.match(rule_id)
        if match is None or match["prefix"] != PREFIXES[category]:
            raise ValueError(f"rule id {rule_id!r} must read T3-{PREFIXES[category]}-NNN for category {category}")
        if rule_id in REGISTRY:
            raise ValueError(f"rule id {rule_id} registered twice")
        bad = [c for c in controls if not CONTROL_ID.match(c)]
        if not (title and rationale and hint and controls) or "\n" in title or bad:
            raise ValueError(f"rule {rule_id}: needs a one-line title, a rationale, a hint and control ids ({bad})")
        REGISTRY[rule_id] = Rule(rule_id, severity, category, title, " ".join(rationale.split()), controls, hint, check)
        return check

    return register
