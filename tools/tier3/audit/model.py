"""The audit as data: every rule of the catalogue judged (or not) on the site, with scope, provenance,
waivers and the controls each result supports. Every audit writer (JSON, JUnit, Markdown, HTML, OSCAL)
takes one ``AuditReport`` and prints what it holds, so the formats never disagree.

A **result** is one rule on one subject: a failed finding, a waived one, an error (the check could not
be made), or, for a rule that ran and found nothing, one ``pass`` over what it judged. A rule that had
nothing to judge (no evidence of its kinds was collected) is one ``not evaluated`` result, never a pass.

Pure: no I/O. ``tier3.audit.assemble`` builds a report from what the run collected.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tier3 import __version__
from tier3.model import Location, Severity
from tier3.model.waiver import Waiver
from tier3.printable import printable, printable_value

SCHEMA_VERSION = "1.0.0"
SCHEMA_ID = "https://tier3.invalid/schemas/audit-report/v1"


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    NOT_EVALUATED = "not evaluated"
    ERROR = "error"  # the check was attempted and could not be made (a host unreachable, a bad item)

    @property
    def rank(self) -> int:
        """Worse is higher: what a group of results (an area, a control) shows is its worst."""
        return _OUTCOME_RANK[self]


_OUTCOME_RANK = {Outcome.PASS: 0, Outcome.NOT_EVALUATED: 1, Outcome.WAIVED: 2, Outcome.ERROR: 3, Outcome.FAIL: 4}
OUTCOMES = tuple(Outcome)


class Area(enum.StrEnum):
    """What an auditor reads the report by: the issue's four subjects, then the rest of the catalogue."""

    TRANSIT = "encryption in transit"
    AT_REST = "encryption at rest"
    RETENTION = "retention"
    REDUNDANCY = "redundancy"
    MAIL = "mail service"
    SECURITY = "security"  # access to the hosts and BMCs, the firewall policy
    INPUT = "input"  # the inventory or the evidence itself could not be read


@dataclass(frozen=True)
class Control:
    """One control of a framework, as the control table (tier3/audit/controls.yml) describes it."""

    id: str  # FRAMEWORK:control, as the rules list it (ISO27001:A.8.24)
    framework: str  # the framework's key (ISO27001)
    title: str

    @property
    def number(self) -> str:
        """The control's own id inside its framework (A.8.24)."""
        return self.id.split(":", 1)[1]


@dataclass(frozen=True)
class Framework:
    key: str  # as control ids carry it (PCI-DSS)
    name: str  # PCI DSS v4.0


@dataclass(frozen=True)
class EvidenceRef:
    """One evidence item a result rests on: the bundle's file of it and its SHA-256."""

    id: str  # the command, file or probe it came from
    sha256: str
    host: str = ""


@dataclass(frozen=True)
class Result:
    """One rule on one subject (``subject`` "" for a rule-level pass or not-evaluated)."""

    rule_id: str
    title: str
    area: Area
    scope: str  # declared, observed, or audit (the audit's own checks: waivers)
    severity: Severity
    outcome: Outcome
    subject: str = ""
    host: str = ""  # the host it is about, when it is about one
    message: str = ""
    rationale: str = ""
    hint: str = ""
    controls: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    evidence_refs: tuple[EvidenceRef, ...] = ()
    location: Location | None = None
    waiver: Waiver | None = None
    waiver_note: str = ""  # why a waiver did not apply (expired on ...), when one was declared

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id, "title": self.title, "area": self.area.value, "scope": self.scope,
            "severity": self.severity.value, "outcome": self.outcome.value, "subject": self.subject,
            "host": self.host, "message": self.message, "rationale": self.rationale, "hint": self.hint,
            "controls": list(self.controls), "evidence": dict(self.evidence),
            "evidence_refs": [dataclasses.asdict(r) for r in self.evidence_refs],
            "location": None if self.location is None else {"file": self.location.file, "key": self.location.key},
            "waiver": None if self.waiver is None else self.waiver.to_dict(),
            "waiver_note": self.waiver_note,
        }


@dataclass(frozen=True)
class Provenance:
    """Who ran what on which inventory, when: an auditor can run it again."""

    tool_version: str
    generated_at: str  # ISO 8601 UTC
    inventory: tuple[str, ...]  # the sources, as given
    inventory_commit: str  # the git commit of the inventory's checkout, "" when not in git
    inventory_dirty: bool  # uncommitted changes in the inventory when it ran
    operator: str  # user@host of the controller
    command: str  # the command line (or the playbook) that ran
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScopeHost:
    name: str
    site: str
    rack: str
    groups: tuple[str, ...]
    reached: bool  # evidence came back from it (False: unreachable, or not asked)


@dataclass(frozen=True)
class AuditScope:
    sites: tuple[str, ...]
    hosts: tuple[ScopeHost, ...]
    frameworks: tuple[Framework, ...]


@dataclass(frozen=True)
class DrillSummary:
    """The last run of a failover drill (reports/drills/NAME.json): what it measured against its targets."""

    name: str
    ran_at: str
    takeover_s: float | None
    lost: int | None
    rto_s: float | None
    rpo_messages: int | None
    outcome: Outcome
    source: str


@dataclass(frozen=True)
class ControlStatus:
    control: Control
    outcome: Outcome
    counts: Mapping[str, int]  # outcome -> results mapped to it
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class AuditReport:
    provenance: Provenance
    scope: AuditScope
    results: tuple[Result, ...]
    controls: tuple[Control, ...]  # the control table, for titles and per-control status
    evidence: tuple[Mapping[str, Any], ...] = ()  # the bundle's manifest entries (id, host, kind, sha256, file)
    drills: tuple[DrillSummary, ...] = ()
    waivers: tuple[Waiver, ...] = ()  # every waiver declared, used or not
    notes: tuple[str, ...] = ()  # what the run could not do and why (a step skipped), shown in every format
    diagram: str = ""  # the site picture, SVG (tier3.audit.diagram), embedded by the HTML writer

    # ---- the verdict ----------------------------------------------------------------------------

    @property
    def counts(self) -> dict[str, int]:
        """outcome -> results, every outcome present (0 when none)."""
        counted = Counter(r.outcome.value for r in self.results)
        return {o.value: counted.get(o.value, 0) for o in Outcome}

    @property
    def verdict(self) -> Outcome:
        """fail when any result failed or errored; else pass (waived and not-evaluated results are shown,
        with the numbers, beside the verdict; none of them is a failure)."""
        return Outcome.FAIL if any(r.outcome in (Outcome.FAIL, Outcome.ERROR) for r in self.results) else Outcome.PASS

    def by_area(self) -> dict[str, dict[str, int]]:
        """area -> outcome -> results, areas in the order of ``Area``, only those with results."""
        out: dict[str, dict[str, int]] = {}
        for area in Area:
            mine = Counter(r.outcome.value for r in self.results if r.area is area)
            if mine:
                out[area.value] = {o.value: mine.get(o.value, 0) for o in Outcome}
        return out

    def framework_of(self, control_id: str) -> str:
        return control_id.split(":", 1)[0]

    def by_framework(self) -> dict[str, dict[str, int]]:
        """framework key -> outcome -> results supporting one of its controls (a result counts once per
        framework however many of its controls it supports)."""
        out: dict[str, dict[str, int]] = {}
        for fw in self.scope.frameworks:
            mine = Counter(r.outcome.value for r in self.results
                           if any(self.framework_of(c) == fw.key for c in r.controls))
            out[fw.key] = {o.value: mine.get(o.value, 0) for o in Outcome}
        return out

    def control_statuses(self) -> tuple[ControlStatus, ...]:
        """Each control of the table with the worst outcome of the results that support it; a control no
        result supports is ``not evaluated``."""
        out = []
        for control in self.controls:
            mine = [r for r in self.results if control.id in r.controls]
            counted = Counter(r.outcome.value for r in mine)
            worst = max((r.outcome for r in mine), key=lambda o: o.rank, default=Outcome.NOT_EVALUATED)
            out.append(ControlStatus(control, worst, {o.value: counted.get(o.value, 0) for o in Outcome},
                                     tuple(sorted({r.rule_id for r in mine}))))
        return tuple(out)

    def results_of_host(self, host: str) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.host == host)

    def failed(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.outcome in (Outcome.FAIL, Outcome.ERROR))

    # ---- output ---------------------------------------------------------------------------------

    def printable(self) -> AuditReport:
        """Every text escaped of control characters (``\\x01`` -> ``\\x01`` as four characters): what the
        JUnit, Markdown, HTML and terminal writers print. JSON and OSCAL keep exact values (JSON escapes)."""
        return dataclasses.replace(
            self,
            results=tuple(_printable_result(r) for r in self.results),
            scope=dataclasses.replace(self.scope, hosts=tuple(
                dataclasses.replace(h, name=printable(h.name), site=printable(h.site), rack=printable(h.rack),
                                    groups=tuple(printable(g) for g in h.groups)) for h in self.scope.hosts),
                sites=tuple(printable(s) for s in self.scope.sites)),
            provenance=dataclasses.replace(
                self.provenance, inventory=tuple(printable(i) for i in self.provenance.inventory),
                operator=printable(self.provenance.operator), command=printable(self.provenance.command),
                options=printable_value(self.provenance.options)),
            evidence=tuple(printable_value(e) for e in self.evidence),
            waivers=tuple(_printable_waiver(w) for w in self.waivers),
            drills=tuple(dataclasses.replace(d, name=printable(d.name), ran_at=printable(d.ran_at),
                                             source=printable(d.source)) for d in self.drills),
            notes=tuple(printable(n) for n in self.notes),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (schema ``SCHEMA_ID``, tools/tier3/audit/schema/audit-report-v1.json)."""
        p = self.provenance
        return {
            "$schema": SCHEMA_ID,
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "tier3", "version": p.tool_version},
            "verdict": self.verdict.value,
            "summary": {"results": len(self.results), "by_outcome": self.counts, "by_area": self.by_area(),
                        "by_framework": self.by_framework()},
            "provenance": {"generated_at": p.generated_at, "inventory": list(p.inventory),
                           "inventory_commit": p.inventory_commit, "inventory_dirty": p.inventory_dirty,
                           "operator": p.operator, "command": p.command, "options": dict(p.options)},
            "scope": {"sites": list(self.scope.sites),
                      "hosts": [dataclasses.asdict(h) | {"groups": list(h.groups)} for h in self.scope.hosts],
                      "frameworks": [dataclasses.asdict(f) for f in self.scope.frameworks]},
            "results": [r.to_dict() for r in self.results],
            "controls": [{"id": s.control.id, "framework": s.control.framework, "title": s.control.title,
                          "outcome": s.outcome.value, "counts": dict(s.counts), "rule_ids": list(s.rule_ids)}
                         for s in self.control_statuses()],
            "drills": [dataclasses.asdict(d) | {"outcome": d.outcome.value} for d in self.drills],
            "waivers": [w.to_dict() for w in self.waivers],
            "evidence": [dict(e) for e in self.evidence],
            "notes": list(self.notes),
        }


def result_order(result: Result) -> tuple[int, int, str, str]:
    """Worst first: outcome, then severity, then rule id and subject (the order every writer uses)."""
    return (-result.outcome.rank, -result.severity.rank, result.rule_id, result.subject)


def sorted_results(results: Iterable[Result]) -> tuple[Result, ...]:
    return tuple(sorted(results, key=result_order))


def new_provenance(inventory: Sequence[str], *, commit: str = "", dirty: bool = False, operator: str = "",
                   command: str = "", options: Mapping[str, Any] | None = None, generated_at: str = "",
                   ) -> Provenance:
    from tier3.model.finding import utc_now  # noqa: PLC0415

    return Provenance(__version__, generated_at or utc_now(), tuple(inventory), commit, dirty, operator, command,
                      dict(options or {}))


def _printable_waiver(w: Waiver) -> Waiver:
    return dataclasses.replace(w, rule_id=printable(w.rule_id), subject=printable(w.subject),
                               justification=printable(w.justification), owner=printable(w.owner),
                               ticket=printable(w.ticket))


def _printable_result(r: Result) -> Result:
    location = None if r.location is None else Location(printable(r.location.file), printable(r.location.key))
    return dataclasses.replace(
        r, subject=printable(r.subject), host=printable(r.host), title=printable(r.title),
        message=printable(r.message), rationale=printable(r.rationale), hint=printable(r.hint),
        evidence=printable_value(r.evidence), location=location,
        waiver=None if r.waiver is None else _printable_waiver(r.waiver), waiver_note=printable(r.waiver_note),
        evidence_refs=tuple(dataclasses.replace(e, id=printable(e.id), host=printable(e.host))
                            for e in r.evidence_refs),
    )
