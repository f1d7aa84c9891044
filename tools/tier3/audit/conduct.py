"""One audit, from what the check's plays returned to the files an auditor reads.

``audit_site`` is what the ``tier3.dc.tier3_audit`` action calls once on the controller, after the hosts'
one round trip each (playbooks/audit.yml imports playbooks/check.yml): it validates the inventory (the
declared rules), takes the site step's findings and the rules that ran (``tier3 check``'s judgement of
the live hosts, the VIP listeners probed from here), the last report of each drill and any extra report
(``tier3 archive verify``'s), applies the waivers, keeps every raw item in the signed evidence bundle,
and writes every format. It returns the report and the files written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tier3.audit.assemble import Collected, build, drill_summaries, latest_drills
from tier3.audit.bundle import (
    MANIFEST,
    RawItem,
    default_key_path,
    items_from_records,
    json_item,
    key_fingerprint,
    public_pem,
    signing_key,
    write_bundle,
)
from tier3.audit.coverage import Coverage, asked_of
from tier3.audit.model import AuditReport, new_provenance
from tier3.errors import Tier3Error
from tier3.model import Finding, Topology
from tier3.validate import validate

CONTROLLER = "controller"


@dataclass(frozen=True)
class AuditInputs:
    inventory: tuple[str, ...]
    output_dir: Path
    host_results: Mapping[str, Mapping[str, Any]]  # host -> its tier3_check result (evidence with text)
    site_result: Mapping[str, Any]  # the site step's result: findings, checks, facts
    drills_dir: Path | None = None
    extra_reports: tuple[Path, ...] = ()  # Report JSON files to add (tier3 archive verify's)
    signing_key: Path | None = None
    today: dt.date | None = None
    command: str = "ansible-playbook playbooks/audit.yml"
    options: Mapping[str, Any] = field(default_factory=dict)
    hosts: tuple[str, ...] | None = None  # the hosts audited (the play's); None: those of host_results


@dataclass(frozen=True)
class AuditRun:
    report: AuditReport
    files: tuple[str, ...]
    key_sha256: str


def inventory_commit(sources: Sequence[str]) -> tuple[str, bool]:
    """The git commit of the first source's checkout and whether it had uncommitted changes under it;
    ("", False) when it is in no git checkout."""
    if not sources:
        return "", False
    where = Path(sources[0])
    where = where if where.is_dir() else where.parent
    try:
        commit = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=False)
        if commit.returncode != 0:
            return "", False
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "", False
    return commit.stdout.strip(), bool(dirty.stdout.strip())


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def _extra(paths: Sequence[Path]) -> tuple[list[Finding], set[str], list[RawItem]]:
    findings: list[Finding] = []
    ran: set[str] = set()
    items: list[RawItem] = []
    for path in paths:
        try:
            raw = path.read_bytes()
            data = json.loads(raw)
            findings += [Finding.from_dict(f) for f in data.get("findings", [])]
            ran |= {str(c["rule_id"]) for c in data.get("checks", [])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise Tier3Error(str(path), "", f"not a tier3 report: {exc}",
                             hint="give the JSON report of tier3 archive verify or tier3 check") from None
        items.append(RawItem(CONTROLLER, "report", str(path), raw, suffix=".json"))
    return findings, ran, items


def _steps(inputs: AuditInputs, topology: Topology, site: Mapping[str, Any], drills: Mapping[str, Any],
           ) -> dict[str, str]:
    """Each controller kind this run did not measure -> why (``tier3.audit.coverage.Coverage.steps``)."""
    said = site.get("unmeasured")
    steps = {str(k): str(v) for k, v in said.items()} if isinstance(said, Mapping) else {}
    if not site:
        steps.update(dict.fromkeys(("tls-listener", "tls-scan", "dns-answers"),
                                   "the check's site step did not run (playbooks/check.yml's last play)"))
    if not drills:
        steps["drill"] = (f"no drill report in {inputs.drills_dir}: run a drill (tier3 drill NAME) before the audit"
                          if inputs.drills_dir else "no drill reports were read (tier3_audit_drills_dir)")
    if not inputs.extra_reports:
        steps["archive"] = steps["archive-reconciliation"] = (
            "tier3 archive verify's report was not given (tier3 audit runs it unless --no-archive; "
            "playbooks/audit.yml reads it from tier3_audit_extra_reports)" if topology.group("archive") else
            "the inventory has no archive hosts (group archive)")
    return steps


def audit_site(inputs: AuditInputs) -> AuditRun:
    from tier3.audit.controls import load_controls  # noqa: PLC0415
    from tier3.audit.diagram import site_svg  # noqa: PLC0415
    from tier3.audit.impact import result_marks  # noqa: PLC0415
    from tier3.audit.writers import write_all  # noqa: PLC0415

    validation = validate(list(inputs.inventory))
    topology = validation.topology
    site = inputs.site_result
    observed = [Finding.from_dict(f) for f in site.get("findings", [])]
    ran = {c.rule_id for c in validation.checks} | {str(r) for r in site.get("checks", [])}
    items: list[RawItem] = []
    reached: set[str] = set()
    for host, said in sorted(inputs.host_results.items()):
        records = said.get("evidence") if isinstance(said, Mapping) else None
        if isinstance(records, list) and records:
            reached.add(host)
            items += items_from_records(host, records)
    for i, fact in enumerate(site.get("facts", []) or []):
        items.append(json_item(CONTROLLER, str(fact.get("kind", "site")) if isinstance(fact, Mapping) else "site",
                               f"site fact {i}", fact))
    drills = latest_drills(inputs.drills_dir) if inputs.drills_dir else {}
    drill_findings = [f for _, found, _ in drills.values() for f in found]
    ran |= {f.rule_id for f in drill_findings}
    items += [RawItem(CONTROLLER, "drill", source, Path(source).read_bytes(), suffix=".json")
              for _, _, source in drills.values()]
    extra_findings, extra_ran, extra_items = _extra(inputs.extra_reports)
    ran |= extra_ran
    items += extra_items
    key = signing_key(inputs.signing_key or default_key_path())
    bundle_dir = inputs.output_dir / "evidence"
    try:
        inputs.output_dir.mkdir(parents=True, exist_ok=True)
        manifest = write_bundle(bundle_dir, items, key)
    except OSError as exc:
        raise Tier3Error(str(inputs.output_dir), "", f"cannot write the evidence bundle: {exc.strerror or exc}",
                         hint="choose a writable output directory (-o DIR)") from None
    commit, dirty = inventory_commit(inputs.inventory)
    provenance = new_provenance(inputs.inventory, commit=commit, dirty=dirty, operator=_operator(),
                                command=inputs.command, options=inputs.options)
    frameworks, controls = load_controls()
    findings = [*validation.findings, *observed, *drill_findings, *extra_findings]
    notes = [] if site else ["the live hosts were not read: no result of the check's site step"]
    coverage = Coverage(topology, tuple(inputs.hosts if inputs.hosts is not None else sorted(inputs.host_results)),
                        asked_of(inputs.host_results), steps=_steps(inputs, topology, site, drills))
    report = build(topology=topology, collected=Collected(tuple(findings), frozenset(ran), frozenset(reached),
                                                          coverage),
                   provenance=provenance, frameworks=frameworks, controls=controls,
                   today=inputs.today or dt.date.today(), evidence=manifest,
                   drills=drill_summaries(drills), notes=notes)
    report = dataclasses.replace(report, diagram=site_svg(topology, result_marks(report.results)))
    written = write_all(report, inputs.output_dir)
    return AuditRun(report, tuple(str(p) for p in [*written, bundle_dir / MANIFEST]), key_fingerprint(public_pem(key)))

