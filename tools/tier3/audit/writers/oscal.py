"""The audit as OSCAL assessment results (OSCAL 1.x, built and validated by compliance-trestle's models).

One ``result`` for the audit, whose ``reviewed-controls`` are the controls of the table, one selection per
framework. In it:

- an ``observation`` per result that rests on evidence items: method TEST for what tier3 exercised (TLS
  handshakes, failover drills) and EXAMINE for what it read; ``relevant-evidence`` names the bundle's file
  (``../evidence/items/...``, the bundle beside ``oscal/``) with its SHA-256 as a prop;
- a ``risk`` per failed result (status ``open``) and per waived one (``deviation-approved``, the ``deadline``
  the end of the waiver's expiry date, the approval in the risk log with the justification in its remarks);
- a ``finding`` per control, targeting its objective (``objective-id``, ``<control>_obj``): ``satisfied``
  only when every result that supports it passed; otherwise ``not-satisfied`` with the reason ``fail``
  (failed or waived: a deviation is approved, the objective is still not met) or ``other`` (errored, or not
  evaluated: OSCAL has no third state, so a control nothing judged is never shown as satisfied), and a
  ``reason`` prop saying why.

Control ids become OSCAL tokens: NIST SP 800-53 ids are the NIST catalogue's own (``SC-8(1)`` -> ``sc-8.1``),
the others ``<framework>_<number>`` (``iso27001_a.8.14``); the tier3 id is kept in a ``control-id`` prop.

``import-ap`` names ``assessment-plan.json`` beside it: a stub plan (``write_assessment_plan``) whose
``import-ssp`` points at a back-matter resource describing the inventory, the system as declared.

Every UUID is a UUID5 of stable keys (the inventory, the rule, the subject, the control), so two runs of the
same audit give the same identifiers and their files compare line by line. Multi-line text keeps its exact
value (JSON escapes it); titles and prop values, which OSCAL keeps to one line, are ``printable``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from trestle.oscal import OSCAL_VERSION
from trestle.oscal import common as oscal
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults, ImportAp, LocalDefinitions1
from trestle.oscal.assessment_results import Result as OscalResult

from tier3.audit.model import AuditReport, Control, ControlStatus, Outcome, Result, sorted_results
from tier3.printable import printable
from tier3.rules._registry import REGISTRY, Category

NS = "https://tier3.invalid/ns/oscal"  # the namespace of tier3's own props
PLAN_HREF = "assessment-plan.json"  # written beside assessment-results.json
EVIDENCE_HREF = "../evidence/"  # the evidence bundle, from oscal/ (the bundle's files are relative to it)
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, "https://tier3.invalid/oscal")

# category -> how the results of its rules were obtained (800-53A: TEST exercises, EXAMINE reads)
_METHODS: dict[Category, str] = {Category.TLS: "TEST", Category.DRILL: "TEST"}
_REASONS: dict[Outcome, str] = {Outcome.PASS: "pass", Outcome.FAIL: "fail", Outcome.WAIVED: "fail",
                                Outcome.ERROR: "other", Outcome.NOT_EVALUATED: "other"}
_WHY: dict[Outcome, str] = {
    Outcome.PASS: "every result that supports it passed",
    Outcome.FAIL: "a result that supports it failed",
    Outcome.WAIVED: "a result that supports it failed and is waived: deviation approved until the waiver expires",
    Outcome.ERROR: "a check it rests on could not be made",
    Outcome.NOT_EVALUATED: "nothing supporting it was judged: no evidence of what its rules read was collected",
}


def stable_uuid(report: AuditReport, *key: str) -> str:
    """A UUID5 of the inventory and ``key``: the same object of the same audit has the same identifier."""
    return str(uuid.uuid5(_ROOT, "\x1f".join([*report.provenance.inventory, *key])))


def catalog_id(control: Control) -> str:
    """The control as an OSCAL token: NIST's catalogue id for 800-53 (sc-8.1), ``framework_number`` else."""
    number = re.sub(r"\((\w+)\)", r".\1", control.number).lower()
    if control.framework == "NIST-800-53":
        return number
    return f"{control.framework.lower()}_{re.sub(r'[^a-z0-9._-]', '-', number)}"


def _when(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp).astimezone(dt.UTC)


def _end_of(day: dt.date) -> dt.datetime:
    """A waiver holds through its expiry date: the risk's deadline is that day's last second, UTC."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


def _line(text: str, fallback: str = "-") -> str:
    """One line, no control character, no surrounding space: what OSCAL allows in a title or a prop value."""
    shown = printable(text).strip()
    return shown or fallback


def _props(*pairs: tuple[str, object]) -> list[oscal.Property] | None:
    """tier3 props, those with an empty value left out; None (no ``props`` key) when none is left."""
    out = [oscal.Property(name=name, ns=NS, value=_line(str(value))) for name, value in pairs
           if str(value).strip()]
    return out or None


def _subject_of(result: Result) -> str:
    return f"{result.rule_id} {result.subject}".strip()


Keyed = tuple[Result, tuple[str, ...]]


def keyed(results: Sequence[Result]) -> list[Keyed]:
    """Each result with its stable key (rule, subject, host; a second result on the same adds its rank)."""
    seen: Counter[tuple[str, ...]] = Counter()
    out: list[Keyed] = []
    for r in results:
        base: tuple[str, ...] = (r.rule_id, r.subject, r.host)
        out.append((r, base if not seen[base] else (*base, str(seen[base]))))
        seen[base] += 1
    return out


# ---- the parts --------------------------------------------------------------------------------------


def _tool(report: AuditReport) -> oscal.SystemComponent:
    return oscal.SystemComponent(
        uuid=stable_uuid(report, "component", "tier3"), type="software", title="tier3",
        description="tier3 audit: every rule of its catalogue judged on the inventory and on the evidence the "
                    "hosts gave, from the controller.",
        props=_props(("version", report.provenance.tool_version)), status=oscal.Status(state="operational"))


def _inventory_items(report: AuditReport) -> list[oscal.InventoryItem] | None:
    items = [oscal.InventoryItem(
        uuid=stable_uuid(report, "host", h.name), description=f"host {h.name}, site {h.site}, rack {h.rack}",
        props=_props(("host", h.name), ("site", h.site), ("rack", h.rack), *(("group", g) for g in h.groups),
                     ("reached", str(h.reached).lower()))) for h in report.scope.hosts]
    return items or None


def _origin(report: AuditReport) -> list[oscal.Origin]:
    actor = oscal.OriginActor(type="tool", actor_uuid=stable_uuid(report, "component", "tier3"))
    return [oscal.Origin(actors=[actor])]


def _manifest(report: AuditReport) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    """(host, id, sha256) -> the bundle entry, by the file's hash and by the hash the host computed."""
    index: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for entry in report.evidence:
        for sha in (entry.get("sha256"), entry.get("host_sha256")):
            if sha:
                index[(str(entry.get("host", "")), str(entry.get("id", "")), str(sha))] = entry
    return index


def _evidence(result: Result, manifest: Mapping[tuple[str, str, str], Mapping[str, Any]],
              ) -> list[oscal.RelevantEvidence]:
    out = []
    for ref in result.evidence_refs:
        entry = manifest.get((ref.host, ref.id, ref.sha256))
        where = f" on {ref.host}" if ref.host else ""
        if entry is None:
            out.append(oscal.RelevantEvidence(description=f"{ref.id}{where} (not in the evidence bundle)",
                                              props=_props(("evidence-id", ref.id), ("sha256", ref.sha256))))
            continue
        out.append(oscal.RelevantEvidence(
            href=EVIDENCE_HREF + str(entry["file"]), description=f"{ref.id}{where}",
            props=_props(("evidence-id", ref.id), ("sha256", entry["sha256"]), ("file", entry["file"]))))
    return out


def _method(result: Result) -> str:
    rule = REGISTRY.get(result.rule_id)
    return _METHODS.get(rule.category, "EXAMINE") if rule is not None else "EXAMINE"


def _observation(report: AuditReport, item: Keyed,
                 manifest: Mapping[tuple[str, str, str], Mapping[str, Any]]) -> oscal.Observation:
    result, key = item
    hosts = {h.name for h in report.scope.hosts}
    subjects = [oscal.SubjectReference(subject_uuid=stable_uuid(report, "host", result.host), type="inventory-item",
                                       title=_line(result.host))] if result.host in hosts else None
    failed = result.outcome in (Outcome.FAIL, Outcome.WAIVED, Outcome.ERROR)
    return oscal.Observation(
        uuid=stable_uuid(report, "observation", *key), title=_line(_subject_of(result)),
        description=f"Checked: {result.title}. Outcome: {result.outcome.value}."
                    + (f" {result.message}" if result.message else ""),
        props=_props(("rule-id", result.rule_id), ("outcome", result.outcome.value),
                     ("severity", result.severity.value)),
        methods=[_method(result)], types=["finding" if failed else "control-objective"], origins=_origin(report),
        subjects=subjects, relevant_evidence=_evidence(result, manifest) or None,
        collected=_when(report.provenance.generated_at))


def _risk_log(report: AuditReport, result: Result) -> oscal.RiskLog | None:
    w = result.waiver
    if result.outcome is not Outcome.WAIVED or w is None:
        return None
    logged = [oscal.LoggedBy(party_uuid=stable_uuid(report, "party", w.owner))] if w.owner.strip() else None
    where = f" ({w.location.file}: {w.location.key})" if w.location else ""
    entry = oscal.Entry(
        uuid=stable_uuid(report, "waiver", w.rule_id, w.subject), title=_line(f"waiver of {_subject_of(result)}"),
        description=f"Accepted by {w.owner} until {w.expires.isoformat()}{where}"
                    + (f", ticket {w.ticket}" if w.ticket else "") + ".",
        start=_when(report.provenance.generated_at), logged_by=logged, status_change="deviation-approved",
        remarks=w.justification)
    return oscal.RiskLog(entries=[entry])


def _risk(report: AuditReport, item: Keyed, observed: set[str]) -> oscal.Risk:
    result, key = item
    waived = result.outcome is Outcome.WAIVED
    observation = stable_uuid(report, "observation", *key)
    fix = f" Fix: {result.hint}" if result.hint else ""
    note = f" ({result.waiver_note})" if result.waiver_note else ""
    return oscal.Risk(
        uuid=stable_uuid(report, "risk", *key),
        title=_line(f"{_subject_of(result)}: {result.title}"),
        description=f"{result.message or result.title}{note}.{fix}",
        statement=result.rationale or result.title,
        props=_props(("rule-id", result.rule_id), ("severity", result.severity.value),
                     *(("control-id", c) for c in result.controls)),
        status="deviation-approved" if waived else "open", origins=_origin(report),
        deadline=_end_of(result.waiver.expires) if waived and result.waiver is not None else None,
        risk_log=_risk_log(report, result),
        related_observations=[oscal.RelatedObservation(observation_uuid=observation)]
        if observation in observed else None)


def _why(status: ControlStatus, supporting: Sequence[Result]) -> tuple[str, str]:
    """(the ``reason`` prop, the status remarks): why a control is not satisfied (no prop when it is).
    A control nothing judged says what its rules lacked: the one message, or the general why and them all."""
    why = _WHY[status.outcome]
    if status.outcome is Outcome.PASS:
        return "", why
    if status.outcome is not Outcome.NOT_EVALUATED:
        return why, why
    messages = sorted({r.message for r in supporting if r.message})
    if len(messages) == 1:
        return messages[0], messages[0]
    return why, "; ".join([why, *messages])


def _finding(report: AuditReport, status: ControlStatus, items: Sequence[Keyed], observed: set[str],
             risked: set[str]) -> oscal.Finding:
    control = status.control
    supporting = [r for r, _ in items]
    observations = [u for u in (stable_uuid(report, "observation", *k) for _, k in items) if u in observed]
    risks = [u for u in (stable_uuid(report, "risk", *k) for _, k in items) if u in risked]
    reason, why = _why(status, supporting)
    waivers = [f"{r.rule_id} on {r.subject}: {r.waiver.justification} ({r.waiver.owner}, until "
               f"{r.waiver.expires.isoformat()})" for r in supporting if r.outcome is Outcome.WAIVED and r.waiver]
    counted = ", ".join(f"{n} {o}" for o, n in status.counts.items() if n)
    target = oscal.FindingTarget(
        type="objective-id", target_id=f"{catalog_id(control)}_obj", title=_line(control.title),
        props=_props(("control-id", control.id), ("outcome", status.outcome.value),
                     ("reason", reason)),
        status=oscal.ObjectiveStatus(state="satisfied" if status.outcome is Outcome.PASS else "not-satisfied",
                                     reason=_REASONS[status.outcome], remarks=why))
    return oscal.Finding(
        uuid=stable_uuid(report, "finding", control.id), title=_line(f"{control.id} {control.title}"),
        description=f"{control.id} ({control.title}): {status.outcome.value}; results: {counted or 'none'}; "
                    f"rules: {', '.join(status.rule_ids) or 'none'}.",
        props=_props(*(("rule-id", r) for r in status.rule_ids)), origins=_origin(report), target=target,
        related_observations=[oscal.RelatedObservation(observation_uuid=u) for u in observations] or None,
        related_risks=[oscal.AssociatedRisk(risk_uuid=u) for u in risks] or None,
        remarks="Waived: " + "; ".join(waivers) if waivers else None)


def reviewed_controls(report: AuditReport) -> oscal.ReviewedControls:
    """The controls of the table, one selection per framework (in the table's order)."""
    names = {f.key: f.name for f in report.scope.frameworks}
    by_framework: dict[str, list[Control]] = {}
    for control in report.controls:
        by_framework.setdefault(control.framework, []).append(control)
    selections: list[oscal.ControlSelections | oscal.ControlSelectionsAll] = [
        oscal.ControlSelections(description=names.get(key, key), props=_props(("framework", key)),
                                include_controls=[oscal.SelectControlById(control_id=catalog_id(c)) for c in mine])
        for key, mine in by_framework.items()]
    if not selections:  # no control table: OSCAL needs one selection
        selections = [oscal.ControlSelectionsAll(description="no control table was given", include_all={})]
    return oscal.ReviewedControls(
        description="The controls the rules of the tier3 catalogue support (tier3/audit/controls.yml).",
        control_selections=selections)


def _parties(report: AuditReport) -> tuple[list[oscal.Parties], list[oscal.ResponsibleParty]]:
    p = report.provenance
    owners = sorted({w.owner for w in report.waivers if w.owner.strip()})
    parties = [oscal.Parties(uuid=stable_uuid(report, "party", name), type="person", name=_line(name))
               for name in ([p.operator] if p.operator.strip() else []) + owners]
    roles = [("assessor", [p.operator] if p.operator.strip() else []), ("risk-owner", owners)]
    responsible = [oscal.ResponsibleParty(role_id=role, party_uuids=[stable_uuid(report, "party", n) for n in names])
                   for role, names in roles if names]
    return parties, responsible


def _metadata(report: AuditReport, title: str, remarks: str) -> oscal.Metadata:
    p = report.provenance
    parties, responsible = _parties(report)
    roles = [oscal.Role(id="assessor", title="Assessor: the operator who ran tier3 audit"),
             oscal.Role(id="risk-owner", title="Owner of an accepted risk (a waiver)")]
    return oscal.Metadata(
        title=_line(title), last_modified=_when(p.generated_at), version=p.generated_at, oscal_version=OSCAL_VERSION,
        props=_props(("tool", "tier3"), ("tool-version", p.tool_version),
                     *(("inventory", i) for i in p.inventory), ("inventory-commit", p.inventory_commit),
                     ("inventory-dirty", str(p.inventory_dirty).lower()), ("command", p.command)),
        roles=roles, parties=parties or None, responsible_parties=responsible or None, remarks=remarks)


def _findings(report: AuditReport, items: Sequence[Keyed], observed: set[str], risked: set[str],
              ) -> list[oscal.Finding]:
    return [_finding(report, s, [i for i in items if s.control.id in i[0].controls], observed, risked)
            for s in report.control_statuses()]


def _remarks(report: AuditReport) -> list[str]:
    """The run's notes and the checks that could not be made (an unreachable host supports no control, so no
    finding shows it)."""
    errors = [f"- could not be checked: {_subject_of(r)}: {r.message or r.title}"
              for r in sorted_results(report.results) if r.outcome is Outcome.ERROR]
    return [*(f"- {n}" for n in report.notes), *errors]


def assessment_results(report: AuditReport) -> AssessmentResults:
    """The OSCAL assessment results of ``report`` (see the module's doc for the mapping)."""
    items = keyed(sorted_results(report.results))
    manifest = _manifest(report)
    observations = [_observation(report, i, manifest) for i in items if i[0].evidence_refs]
    observed = {o.uuid for o in observations}
    risks = [_risk(report, i, observed) for i in items if i[0].outcome in (Outcome.FAIL, Outcome.WAIVED)]
    counts = report.counts
    inventory = ", ".join(report.provenance.inventory) or "(no inventory)"
    result = OscalResult(
        uuid=stable_uuid(report, "result", report.provenance.inventory_commit),
        title=_line(f"tier3 audit of {inventory}"),
        description=f"Verdict {report.verdict.value}: " + ", ".join(f"{n} {o}" for o, n in counts.items()) + ".",
        start=_when(report.provenance.generated_at),
        props=_props(("verdict", report.verdict.value), *((f"results-{o.replace(' ', '-')}", str(n))
                                                           for o, n in counts.items())),
        local_definitions=LocalDefinitions1(components=[_tool(report)], inventory_items=_inventory_items(report)),
        reviewed_controls=reviewed_controls(report), observations=observations or None, risks=risks or None,
        findings=_findings(report, items, observed, {r.uuid for r in risks}) or None,
        remarks="\n".join(_remarks(report)) or None)
    return AssessmentResults(
        uuid=stable_uuid(report, "assessment-results"),
        metadata=_metadata(report, f"tier3 audit of {inventory}", "Written by tier3 audit; the same audit of the "
                           "same inventory gives the same identifiers."),
        import_ap=ImportAp(href=PLAN_HREF, remarks="The stub plan tier3 audit writes beside this file."),
        results=[result])


def assessment_plan(report: AuditReport) -> AssessmentPlan:
    """The stub plan ``import-ap`` names: the controls to review, and the inventory as the system's description."""
    inventory = ", ".join(report.provenance.inventory) or "(no inventory)"
    commit = report.provenance.inventory_commit
    resource = stable_uuid(report, "resource", "inventory")
    system = oscal.Resource(
        uuid=resource, title=_line(f"tier3 inventory {inventory}"),
        description="The system as declared: the tier3 inventory the audit judged (no OSCAL SSP is kept).",
        props=_props(*(("inventory", i) for i in report.provenance.inventory), ("inventory-commit", commit)),
        citation=oscal.Citation(text=_line(f"{inventory}{f' at commit {commit}' if commit else ''}")))
    return AssessmentPlan(
        uuid=stable_uuid(report, "assessment-plan"),
        metadata=_metadata(report, f"tier3 audit plan for {inventory}",
                           "A stub written by tier3 audit so that the assessment results' import-ap resolves: "
                           "the plan is the rule catalogue (tier3 rules) run over the inventory."),
        import_ssp=oscal.ImportSsp(href=f"#{resource}", remarks="The inventory, in back-matter: tier3 keeps no SSP."),
        reviewed_controls=reviewed_controls(report), back_matter=oscal.BackMatter(resources=[system]))


def _write(model: AssessmentResults | AssessmentPlan, out: TextIO) -> None:
    out.write(model.oscal_serialize_json(pretty=True))
    out.write("\n")


def write_assessment_results(report: AuditReport, out: TextIO) -> None:
    _write(assessment_results(report), out)


def write_assessment_plan(report: AuditReport, out: TextIO) -> None:
    _write(assessment_plan(report), out)

