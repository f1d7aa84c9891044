"""Transitional: the issue-code path of the kinds not yet moved onto the rule catalogue.

Each kind moves to ``tier3.rules.observed`` (its rules) and a ``Kind`` row; this module goes when
the last one has moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tier3.inspect import InspectOptions
from tier3.model.finding import Finding, Location, Severity, Status
from tier3.parsers._text import Issue
from tier3.sources import read_text as read_source


@dataclass(frozen=True)
class ObservedRule:
    id: str
    severity: Severity
    title: str
    hint: str
    controls: tuple[str, ...]
    breaks_redundancy: bool = True


@dataclass(frozen=True)
class LegacyKind:
    name: str
    summary: str
    verdict: str
    inspect: Callable[[str, InspectOptions], dict[str, Any]]


class ObservedIssue(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def where(self) -> str: ...
    @property
    def evidence(self) -> Mapping[str, Any]: ...


def observed_findings(
    issues: Iterable[ObservedIssue], rules: Mapping[str, ObservedRule], source: str, read: str
) -> list[dict[str, Any]]:
    out = []
    for issue in issues:
        rule = rules[issue.code]
        out.append(Finding(
            rule_id=rule.id, severity=rule.severity, status=Status.FAIL, subject=issue.subject, title=rule.title,
            message=issue.message, evidence={"source": source, "read": read, "at": issue.where, **dict(issue.evidence)},
            controls=rule.controls, location=Location(source, issue.where), hint=rule.hint,
        ).to_dict())
    return out


def _r(rule_id: str, severity: Severity, title: str, hint: str, controls: tuple[str, ...] = (),
       ) -> ObservedRule:
    return ObservedRule(rule_id, severity, title, hint, controls or REDUNDANCY_CONTROLS)


REDUNDANCY_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
MAX_BYTES = 64 * 1024 * 1024


H, C, M, L = Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM, Severity.LOW
# issue code (from tier3.parsers.*) -> the rule it fires; the catalogue is docs/inspect.md
OBS_RULES: dict[str, ObservedRule] = {
    "md-degraded": _r("T3-OBS-STO-001", H, "md array degraded", "replace the failed disk and --add it to the array"),
    "md-syncing": _r("T3-OBS-STO-002", M, "md array resyncing, recovering or reshaping",
                     "wait for the sync to finish; do not pull another disk meanwhile"),
    "md-no-redundancy": _r("T3-OBS-STO-003", H, "md level without redundancy (raid0 or linear)",
                           "rebuild as raid1, raid5, raid6 or raid10"),
    "md-inactive": _r("T3-OBS-STO-004", C, "md array inactive", "find the missing members, then mdadm --run or "
                      "reassemble"),
    "md-member-faulty": _r("T3-OBS-STO-005", L, "md member marked faulty (F)",
                           "mdadm --remove the faulty member and replace the disk"),
    "md-too-few": _r("T3-OBS-STO-006", H, "md array with a single member slot", "grow it to two or more devices"),
    "md-none": _r("T3-OBS-STO-007", M, "no md array assembled", "assemble the arrays (mdadm --assemble --scan)"),
}


def findings(issues: Iterable[Issue], source: str, read: str) -> list[dict[str, Any]]:
    return observed_findings(issues, OBS_RULES, source, read)


def _report(kind: str, source: str, verdict: dict[str, Any], facts: dict[str, Any], *, issues: list[Issue],
            read: str) -> dict[str, Any]:
    return {"kind": kind, "source": source, **verdict, **facts, "findings": findings(issues, source, read)}


def _redundant(issues: list[Issue]) -> dict[str, Any]:
    return {"redundant": not any(i.breaks_redundancy for i in issues)}


__all__ = ["Issue", "read_source"]
