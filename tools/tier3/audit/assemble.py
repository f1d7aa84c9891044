"""From what an audit run collected to its report: every rule of the catalogue, judged or not, waivers applied.

``results`` walks the whole catalogue (``tier3.rules.RULES``) once. A rule with failed or errored
findings gives one result per finding; a rule that ran and found nothing gives one ``pass`` (its pass
findings, where it writes them, as a drill does, give one each); a rule that did not run, because no
evidence of its kinds was collected, gives one ``not evaluated`` that says why (``tier3.audit.coverage``:
which hosts owed the kinds and did not give them, or which controller step did not measure them). Findings
of no rule (``input``, ``evidence``: what could not be read) are ``error`` results of their own.

``apply_waivers`` then turns each failed result that a waiver names (rule id and subject, exactly) into
``waived`` while the waiver holds; an expired waiver leaves the result failed and says so, so an expired
waiver is one failed finding, not two. A waiver that names no failed result is reported in the notes.

Pure: no I/O; the caller (the ``tier3_audit`` action, tests) reads the inputs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tier3.audit.coverage import Coverage, reason
from tier3.audit.model import (
    Area,
    AuditReport,
    AuditScope,
    Control,
    DrillSummary,
    EvidenceRef,
    Framework,
    Outcome,
    Provenance,
    Result,
    ScopeHost,
    sorted_results,
)
from tier3.model import Finding, Status, Topology
from tier3.model.waiver import Waiver
from tier3.rules import RULES
from tier3.rules._registry import Category, Rule, Scope

AREAS: dict[Category, Area] = {
    Category.TLS: Area.TRANSIT,
    Category.ENCRYPTION: Area.AT_REST,
    Category.ARCHIVE: Area.RETENTION,
    Category.LOGS: Area.RETENTION,
    Category.POWER: Area.REDUNDANCY,
    Category.NETWORK: Area.REDUNDANCY,
    Category.STORAGE: Area.REDUNDANCY,
    Category.PLACEMENT: Area.REDUNDANCY,
    Category.VRRP: Area.REDUNDANCY,
    Category.CAPACITY: Area.REDUNDANCY,
    Category.AVAILABILITY: Area.REDUNDANCY,
    Category.DRILL: Area.REDUNDANCY,
    Category.MAIL: Area.MAIL,
    Category.DNS: Area.MAIL,
    Category.SECURITY: Area.SECURITY,
    Category.FIREWALL: Area.SECURITY,
}
_STATUS: dict[Status, Outcome] = {Status.PASS: Outcome.PASS, Status.FAIL: Outcome.FAIL, Status.ERROR: Outcome.ERROR,
                                  Status.WAIVED: Outcome.WAIVED}


@dataclasses.dataclass(frozen=True)
class Collected:
    """What one run gathered, before judgement of the whole: the rules that ran and their findings."""

    findings: tuple[Finding, ...]  # declared, observed, drills: every finding, pass ones included
    ran: frozenset[str]  # the ids of the rules that judged something (declared: all; observed: check's list)
    reached: frozenset[str] = frozenset()  # the hosts that gave evidence
    coverage: Coverage | None = None  # who owed what, for the reason of each rule not evaluated


def _host_of(finding: Finding, hosts: frozenset[str]) -> str:
    said = finding.evidence.get("host") if isinstance(finding.evidence, Mapping) else None
    if isinstance(said, str) and said in hosts:
        return said
    head = finding.subject.split(":", 1)[0]
    return head if head in hosts else ""


def _refs(finding: Finding) -> tuple[EvidenceRef, ...]:
    items = finding.evidence.get("evidence_items") if isinstance(finding.evidence, Mapping) else None
    host = str(finding.evidence.get("host") or "") if isinstance(finding.evidence, Mapping) else ""
    if not isinstance(items, list):
        return ()
    return tuple(EvidenceRef(str(i.get("id", "")), str(i.get("sha256") or ""), host)
                 for i in items if isinstance(i, Mapping))


def _from_finding(finding: Finding, rule: Rule | None, hosts: frozenset[str]) -> Result:
    area = AREAS[rule.category] if rule is not None else Area.INPUT
    return Result(
        rule_id=finding.rule_id, title=finding.title, area=area,
        scope=rule.scope.value if rule is not None else Scope.OBSERVED.value, severity=finding.severity,
        outcome=_STATUS[finding.status], subject=finding.subject, host=_host_of(finding, hosts),
        message=finding.message, rationale=rule.rationale if rule is not None else "",
        hint=finding.hint or (rule.hint if rule is not None else ""), controls=finding.controls,
        evidence=dict(finding.evidence), evidence_refs=_refs(finding), location=finding.location)


def _rule_result(rule: Rule, outcome: Outcome, message: str) -> Result:
    return Result(rule_id=rule.id, title=rule.title, area=AREAS[rule.category], scope=rule.scope.value,
                  severity=rule.severity, outcome=outcome, message=message, rationale=rule.rationale,
                  hint=rule.hint, controls=rule.controls)


def not_evaluated_message(rule: Rule, coverage: Coverage | None = None) -> str:
    """Why ``rule`` did not run: who owed its evidence and did not give it, or the controller step that was off
    (``tier3.audit.coverage``); without a ``coverage``, only which evidence it needed."""
    if coverage is not None:
        return reason(rule.kinds, coverage)
    return f"no evidence of {', '.join(rule.kinds)} was collected"


def results(collected: Collected, hosts: Iterable[str]) -> tuple[Result, ...]:
    """One result per finding that is not a plain pass, one per rule otherwise (see the module's doc)."""
    names = frozenset(hosts)
    by_rule: dict[str, list[Finding]] = {}
    for f in collected.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    out: list[Result] = []
    for rule in RULES.values():
        found = by_rule.pop(rule.id, [])
        if found:
            out.extend(_from_finding(f, rule, names) for f in found)
        elif rule.id in collected.ran:
            out.append(_rule_result(rule, Outcome.PASS, "judged; nothing found"))
        else:
            out.append(_rule_result(rule, Outcome.NOT_EVALUATED, not_evaluated_message(rule, collected.coverage)))
    for found in by_rule.values():  # no rule of the catalogue: input and evidence errors
        out.extend(_from_finding(f, None, names) for f in found)
    return sorted_results(out)


def apply_waivers(found: Sequence[Result], waivers: Sequence[Waiver], today: dt.date,
                  ) -> tuple[tuple[Result, ...], tuple[str, ...]]:
    """``found`` with each waiver applied, and a note per waiver that names no failed result."""
    by_key = {(w.rule_id, w.subject): w for w in waivers}
    used: set[tuple[str, str]] = set()
    out = []
    for r in found:
        w = by_key.get((r.rule_id, r.subject))
        if w is None or r.outcome is not Outcome.FAIL:
            out.append(r)
            continue
        used.add((w.rule_id, w.subject))
        if w.expired(today):
            out.append(dataclasses.replace(r, waiver=w, waiver_note=(
                f"its waiver expired on {w.expires.isoformat()} (owner {w.owner}): renew it or fix the finding")))
        else:
            out.append(dataclasses.replace(r, outcome=Outcome.WAIVED, waiver=w))
    notes = tuple(f"waiver {w.location.key if w.location else ''} ({w.rule_id} on {w.subject}) names no failed "
                  f"finding: remove it" for w in waivers if (w.rule_id, w.subject) not in used)
    return sorted_results(out), notes


def scope_of(topology: Topology, reached: Iterable[str], frameworks: Sequence[Framework]) -> AuditScope:
    got = set(reached)
    return AuditScope(
        sites=tuple(s.name for s in topology.sites),
        hosts=tuple(ScopeHost(h.name, h.site, h.rack, tuple(sorted(h.groups)), h.name in got)
                    for h in topology.hosts),
        frameworks=tuple(frameworks))


def drill_summaries(findings_by_drill: Mapping[str, tuple[str, Sequence[Finding], str]]) -> tuple[DrillSummary, ...]:
    """drill name -> (when it ran, its findings, its report's path) -> one summary each: takeover and loss
    from the findings of T3-OBS-DRL-001 and -002 (pass or fail, both carry the figures)."""
    out = []
    for name, (ran_at, found, source) in sorted(findings_by_drill.items()):
        figures: dict[str, Any] = {}
        for f in found:
            if f.rule_id in ("T3-OBS-DRL-001", "T3-OBS-DRL-002") and isinstance(f.evidence, Mapping):
                figures.update(f.evidence)
        worst = max((_STATUS[f.status] for f in found), key=lambda o: o.rank, default=Outcome.NOT_EVALUATED)
        out.append(DrillSummary(name, ran_at, _number(figures.get("takeover_s")), _int(figures.get("lost")),
                                _number(figures.get("rto_seconds")), _int(figures.get("rpo_messages")), worst, source))
    return tuple(out)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def latest_drills(directory: Path) -> dict[str, tuple[str, list[Finding], str]]:
    """The last report of each drill under ``directory`` (reports/drills: NAME.json or NAME-STAMP.json, the
    probe logs beside them left out), by the time it was written. A report that does not parse is skipped
    by the caller's choice: here it raises ``ValueError`` naming the file."""
    latest: dict[str, tuple[str, list[Finding], str]] = {}
    if not directory.is_dir():
        return latest
    for path in sorted(directory.glob("*.json")):
        if path.name.endswith(".probe.json"):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found = [Finding.from_dict(f) for f in data.get("findings", [])]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a drill report ({exc})") from None
        title = str(data.get("title", ""))
        if not title.startswith("tier3 drill "):
            continue
        name = title.split()[2]
        ran_at = str(data.get("generated_at", ""))
        if name not in latest or ran_at > latest[name][0]:
            latest[name] = (ran_at, found, str(path))
    return latest


def build(*, topology: Topology, collected: Collected, provenance: Provenance, frameworks: Sequence[Framework],
          controls: Sequence[Control], today: dt.date, evidence: Sequence[Mapping[str, Any]] = (),
          drills: Sequence[DrillSummary] = (), notes: Sequence[str] = (), diagram: str = "") -> AuditReport:
    judged = results(collected, (h.name for h in topology.hosts))
    waived, waiver_notes = apply_waivers(judged, topology.waivers, today)
    return AuditReport(provenance=provenance, scope=scope_of(topology, collected.reached, frameworks),
                       results=waived, controls=tuple(controls), evidence=tuple(evidence), drills=tuple(drills),
                       waivers=topology.waivers, notes=(*notes, *waiver_notes), diagram=diagram)

