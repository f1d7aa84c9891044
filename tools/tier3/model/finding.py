"""The one finding model used by everything: rules on the inventory, rules on observed facts,
``tier3 inspect``, audits. Reports (JSON, JUnit, HTML) are written from lists of these.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 4 ... info 0."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    WAIVED = "waived"


@dataclass(frozen=True)
class Location:
    """Where in the input a finding points: a file and a key path (or line) inside it."""

    file: str
    key: str = ""

    def __str__(self) -> str:
        return f"{self.file}: {self.key}" if self.key else self.file


def utc_now() -> str:
    """ISO 8601 UTC timestamp, second precision, the format every report uses."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Finding:
    """One verdict of one rule on one host or object, with the evidence it rests on.

    ``subject`` names the host or object blamed (``mx1``, ``vip:mx-fra1``, ``/dev/md0``).
    ``evidence`` says what was read: for inventory rules the declared values, for observed
    facts the host, the command or file, and the parsed values.
    """

    rule_id: str
    severity: Severity
    status: Status
    subject: str
    title: str
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    controls: tuple[str, ...] = ()
    location: Location | None = None
    hint: str = ""
    timestamp: str = field(default_factory=utc_now)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape documented in docs/report.md."""
        return {
            "rule_id": self.rule_id,
            "severity": self.severity.value,
            "status": self.status.value,
            "subject": self.subject,
            "title": self.title,
            "message": self.message,
            "evidence": self.evidence,
            "controls": list(self.controls),
            "location": None if self.location is None else {"file": self.location.file, "key": self.location.key},
            "hint": self.hint,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        loc = data.get("location")
        return cls(
            rule_id=data["rule_id"],
            severity=Severity(data["severity"]),
            status=Status(data["status"]),
            subject=data["subject"],
            title=data["title"],
            message=data.get("message", ""),
            evidence=dict(data.get("evidence", {})),
            controls=tuple(data.get("controls", ())),
            location=None if not loc else Location(loc["file"], loc.get("key", "")),
            hint=data.get("hint", ""),
            timestamp=data.get("timestamp") or utc_now(),
        )


def blocking(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    """The failed (or errored) findings at ``threshold`` or worse: what fails a run at ``--fail-on`` or
    ``fail_on`` (tier3 validate, tier3_preflight, tier3_judge)."""
    return [f for f in findings if f.status in (Status.FAIL, Status.ERROR) and f.severity.rank >= threshold.rank]
