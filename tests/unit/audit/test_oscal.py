"""oscal/assessment-results.json read back through compliance-trestle's own models: one result with the
control table reviewed, an observation per evidence-backed result, a risk per failed or waived result (the
waiver's expiry as the deadline), a finding per control with the status OSCAL allows; identifiers stable
from run to run; the stub plan import-ap names is a valid assessment plan. And ``write_all`` writes every
file an audit leaves, or says which directory it cannot write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import json
import subprocess
import sys
from pathlib import Path

import audit_sample
import pytest
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.assessment_results import Result as OscalResult

from tier3.audit.controls import load_controls
from tier3.audit.model import Area, AuditReport, EvidenceRef, Outcome, Result
from tier3.audit.writers import OUTPUTS, write_all
from tier3.audit.writers.oscal import (
    PLAN_HREF,
    assessment_results,
    catalog_id,
    write_assessment_plan,
    write_assessment_results,
)
from tier3.errors import Tier3Error
from tier3.model import Severity
from tier3.rules import RULES


def written(report: AuditReport, tmp_path: Path) -> Path:
    out = io.StringIO()
    write_assessment_results(report, out)
    path = tmp_path / "assessment-results.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def loaded(report: AuditReport, tmp_path: Path) -> OscalResult:
    document = AssessmentResults.oscal_read(written(report, tmp_path))
    assert isinstance(document, AssessmentResults)
    [result] = document.results
    return result


def props(obj: object) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in getattr(obj, "props", None) or []:
        out.setdefault(p.name, []).append(p.value)
    return out


def token(value: object) -> str:
    """An OSCAL token as trestle reads it back (a str, an Enum, or a RootModel of either) as its text."""
    if isinstance(value, enum.Enum):
        return str(value.value)
    root = getattr(value, "root", None)
    return token(root) if root is not None else str(value)


def test_one_result_reviewing_every_control_of_the_table(tmp_path: Path) -> None:
    result = loaded(audit_sample.sample_report(), tmp_path)
    reviewed = [c.control_id for s in result.reviewed_controls.control_selections for c in s.include_controls]
    assert reviewed == [catalog_id(c) for c in audit_sample.CONTROLS]
    assert "sc-8.1" in reviewed
    assert "pci-dss_4.2.1" in reviewed


def test_counts_of_observations_risks_and_findings(tmp_path: Path) -> None:
    result = loaded(audit_sample.sample_report(), tmp_path)
    assert [o.title for o in result.observations or []] == ["T3-OBS-TLS-001 vip:mx 10.0.0.25:25",
                                                           "T3-OBS-ENC-004 imap1:/var/vmail"]
    assert [props(r)["rule-id"] for r in result.risks or []] == [["T3-OBS-TLS-001"], ["T3-PWR-003"]]
    assert len(result.findings or []) == len(audit_sample.CONTROLS)


def test_an_observation_names_the_bundle_file_and_its_hash(tmp_path: Path) -> None:
    observations = {o.title: o for o in loaded(audit_sample.sample_report(), tmp_path).observations or []}
    examined = observations["T3-OBS-ENC-004 imap1:/var/vmail"]
    assert [token(m) for m in examined.methods] == ["EXAMINE"]
    [evidence] = examined.relevant_evidence or []
    assert evidence.href == "../evidence/items/mx1/0001-postqueue.txt"
    assert props(evidence)["sha256"] == ["9f" * 32]
    tested = observations["T3-OBS-TLS-001 vip:mx 10.0.0.25:25"]
    assert [token(m) for m in tested.methods] == ["TEST"]  # a TLS handshake, made
    [unbundled] = tested.relevant_evidence or []
    assert unbundled.href is None
    assert "not in the evidence bundle" in unbundled.description


def test_the_waiver_is_an_approved_deviation_until_its_expiry(tmp_path: Path) -> None:
    risks = {props(r)["rule-id"][0]: r for r in loaded(audit_sample.sample_report(), tmp_path).risks or []}
    waived = risks["T3-PWR-003"]
    assert token(waived.status) == "deviation-approved"
    assert waived.deadline == dt.datetime(2099, 1, 31, 23, 59, 59, tzinfo=dt.UTC)
    [entry] = waived.risk_log.entries if waived.risk_log else []
    assert entry.remarks == audit_sample.WAIVER.justification
    assert token(entry.status_change) == "deviation-approved"
    expired = risks["T3-OBS-TLS-001"]  # its waiver expired in 2020: an open risk, and says so
    assert token(expired.status) == "open"
    assert expired.deadline is None
    assert "waiver expired on 2020-09-30" in expired.description


def test_findings_per_control_state_and_reason(tmp_path: Path) -> None:
    findings = {props(f.target)["control-id"][0]: f.target for f in loaded(audit_sample.sample_report(),
                                                                            tmp_path).findings or []}
    states = {cid: (token(t.status.state), token(t.status.reason)) for cid, t in findings.items() if t.status}
    assert states == {
        "PCI-DSS:4.2.1": ("not-satisfied", "fail"),
        "NIST-800-53:SC-8(1)": ("not-satisfied", "fail"),
        "NIST-800-53:SC-28": ("satisfied", "pass"),
        "SEC-17A-4:f(2)(ii)": ("not-satisfied", "other"),  # not evaluated is never satisfied
        "ISO27001:A.8.14": ("not-satisfied", "fail"),  # waived: deviation approved, objective still not met
        "HIPAA:164.312(e)(1)": ("not-satisfied", "fail"),
        "GDPR:32(1)(b)": ("not-satisfied", "fail"),
    }
    assert {token(t.type) for t in findings.values()} == {"objective-id"}
    assert findings["NIST-800-53:SC-8(1)"].target_id == "sc-8.1_obj"
    assert props(findings["SEC-17A-4:f(2)(ii)"])["reason"] == ["no archive host was read"]
    assert "reason" not in props(findings["NIST-800-53:SC-28"])


def test_a_finding_links_its_observations_and_risks(tmp_path: Path) -> None:
    result = loaded(audit_sample.sample_report(), tmp_path)
    risk_of = {r.uuid: props(r)["rule-id"][0] for r in result.risks or []}
    by_control = {props(f.target)["control-id"][0]: f for f in result.findings or []}
    iso = by_control["ISO27001:A.8.14"]
    assert [risk_of[r.risk_uuid] for r in iso.related_risks or []] == ["T3-PWR-003"]
    assert iso.remarks is not None
    assert "CHG-1042" in iso.remarks
    pci = by_control["PCI-DSS:4.2.1"]
    observation_of = {o.uuid: o.title for o in result.observations or []}
    assert [observation_of[o.observation_uuid] for o in pci.related_observations or []] == [
        "T3-OBS-TLS-001 vip:mx 10.0.0.25:25"]


def test_the_notes_and_what_could_not_be_checked_are_the_results_remarks(tmp_path: Path) -> None:
    remarks = (loaded(audit_sample.sample_report(), tmp_path).remarks or "").splitlines()
    assert remarks == ["- the archive hosts were not read: --limit mx",
                       "- could not be checked: evidence mon2: unreachable: ssh: connect to host mon2 port 22: "
                       "timed out"]


def test_metadata_names_the_tool_version_the_commit_and_the_operator(tmp_path: Path) -> None:
    document = AssessmentResults.oscal_read(written(audit_sample.sample_report(), tmp_path))
    assert isinstance(document, AssessmentResults)
    meta = props(document.metadata)
    assert meta["tool-version"] == [audit_sample.sample_report().provenance.tool_version]
    assert meta["inventory-commit"] == ["0123456789abcdef0123456789abcdef01234567"]
    parties = {str(p.uuid): p.name for p in document.metadata.parties or []}
    assessors = [parties[u] for r in document.metadata.responsible_parties or [] if r.role_id == "assessor"
                 for u in r.party_uuids]
    assert assessors == ["ops@controller"]
    assert document.import_ap.href == PLAN_HREF


def test_two_runs_of_the_same_audit_give_the_same_identifiers(tmp_path: Path) -> None:
    first = written(audit_sample.sample_report(), tmp_path).read_text()
    report = audit_sample.sample_report()
    later = dataclasses.replace(report, provenance=dataclasses.replace(report.provenance,
                                                                       generated_at="2026-12-02T08:00:00Z"))
    second = written(later, tmp_path).read_text()
    assert first != second  # the time differs...
    differing = [a for a, b in zip(first.splitlines(), second.splitlines(), strict=True) if a != b]
    assert differing
    assert all("2026-12-0" in line for line in differing)


def test_another_inventory_gives_other_identifiers(tmp_path: Path) -> None:
    report = audit_sample.sample_report()
    other = dataclasses.replace(report, provenance=dataclasses.replace(report.provenance, inventory=("inventory/b",)))
    a = json.loads(written(report, tmp_path).read_text())["assessment-results"]["uuid"]
    b = json.loads(written(other, tmp_path).read_text())["assessment-results"]["uuid"]
    assert a != b


def test_a_newline_or_control_character_in_a_subject_still_gives_valid_oscal(tmp_path: Path) -> None:
    odd = Result("T3-PWR-001", "two supplies", Area.REDUNDANCY, "declared", Severity.HIGH, Outcome.FAIL,
                 subject="mx\n1\x01 ", message="one\nsupply", controls=("ISO27001:A.8.14",),
                 evidence_refs=(EvidenceRef("cat /proc/x\x01", "cd" * 32, "mx1"),))
    result = loaded(audit_sample.sample_report(extra=(odd,)), tmp_path)  # oscal_read validates every pattern
    titles = [o.title for o in result.observations or []]
    assert "T3-PWR-001 mx\\x0a1\\x01" in titles
    [risk] = [r for r in result.risks or [] if props(r)["rule-id"] == ["T3-PWR-001"]]
    assert risk.description.startswith("one\nsupply")  # multi-line text keeps its exact value


def test_the_whole_control_table_maps_to_distinct_oscal_tokens() -> None:
    _, controls = load_controls()
    tokens = [catalog_id(c) for c in controls]
    assert len(set(tokens)) == len(tokens)
    assert {catalog_id(c) for c in controls if c.framework == "NIST-800-53"} >= {"pe-9.1", "cp-2.3", "sc-7.5"}


def test_the_whole_catalogue_judging_nothing_gives_valid_oscal_with_no_control_satisfied(tmp_path: Path) -> None:
    frameworks, controls = load_controls()
    nothing = tuple(Result(r.id, r.title, Area.REDUNDANCY, r.scope.value, r.severity, Outcome.NOT_EVALUATED,
                           message=f"no evidence of {', '.join(r.kinds)} was collected", controls=r.controls)
                    for r in RULES.values())
    sample = audit_sample.sample_report()
    report = dataclasses.replace(sample, results=nothing, controls=controls, evidence=(), waivers=(),
                                 scope=dataclasses.replace(sample.scope, frameworks=frameworks))
    out = io.StringIO()
    write_assessment_results(report, out)
    path = tmp_path / "assessment-results.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    document = AssessmentResults.oscal_read(path)  # every token and pattern of 66 controls validated
    assert isinstance(document, AssessmentResults)
    [result] = document.results
    assert len(result.findings or []) == len(controls)
    assert {token(f.target.status.state) for f in result.findings or [] if f.target.status} == {"not-satisfied"}
    assert result.observations is None
    assert result.risks is None
    assert len(result.reviewed_controls.control_selections) == len(frameworks)
    assert assessment_results(report) == assessment_results(report)  # the same report, the same document


def test_the_stub_plan_is_a_valid_assessment_plan(tmp_path: Path) -> None:
    out = io.StringIO()
    write_assessment_plan(audit_sample.sample_report(), out)
    path = tmp_path / PLAN_HREF
    path.write_text(out.getvalue(), encoding="utf-8")
    plan = AssessmentPlan.oscal_read(path)
    assert isinstance(plan, AssessmentPlan)
    [resource] = plan.back_matter.resources if plan.back_matter and plan.back_matter.resources else []
    assert plan.import_ssp.href == f"#{resource.uuid}"  # the inventory, described in the plan itself
    reviewed = [c.control_id for s in plan.reviewed_controls.control_selections for c in s.include_controls]
    assert reviewed == [catalog_id(c) for c in audit_sample.CONTROLS]


def test_write_all_writes_every_file_an_audit_leaves(tmp_path: Path) -> None:
    paths = write_all(audit_sample.sample_report(), tmp_path / "audit")
    assert [p.relative_to(tmp_path / "audit").as_posix() for p in paths] == [name for name, _ in OUTPUTS]
    assert [name for name, _ in OUTPUTS][:5] == ["report.json", "report.junit.xml", "summary.md", "report.html",
                                                 "oscal/assessment-results.json"]
    results = AssessmentResults.oscal_read(tmp_path / "audit" / "oscal" / "assessment-results.json")
    assert isinstance(results, AssessmentResults)
    plan = (tmp_path / "audit" / "oscal" / results.import_ap.href)  # import-ap resolves beside it
    assert isinstance(AssessmentPlan.oscal_read(plan), AssessmentPlan)
    assert json.loads((tmp_path / "audit" / "report.json").read_text())["verdict"] == "fail"
    assert (tmp_path / "audit" / "summary.md").read_text().startswith("# tier3 audit: fail\n")
    html = (tmp_path / "audit" / "report.html").read_text()  # the HTML writer, through the table's lazy entry
    assert html.lower().startswith("<!doctype html")
    assert "T3-OBS-TLS-001" in html


def test_write_all_names_the_directory_it_cannot_write(tmp_path: Path) -> None:
    blocked = tmp_path / "audit"
    blocked.write_text("a file where the directory should be")
    with pytest.raises(Tier3Error) as caught:
        write_all(audit_sample.sample_report(), blocked)
    assert caught.value.source == str(blocked)
    assert caught.value.where == "report.json"
    assert "-o DIR" in caught.value.hint


def test_the_writers_load_without_trestle_or_the_html_writer() -> None:
    code = ("import sys, tier3.audit.writers as w; "
            "print(sorted(m for m in ('trestle', 'tier3.audit.writers.html', 'jinja2') if m in sys.modules)); "
            "print(sorted(w.AUDIT_WRITERS))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.splitlines() == ["[]", "['html', 'json', 'junit', 'markdown']"]
