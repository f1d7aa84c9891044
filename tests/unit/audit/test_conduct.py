"""audit_site end to end on the example inventory, with a host's evidence and the site step's result as the check's
plays hand them over: every file written, the bundle verifies, waivers applied from the inventory, a finding of the
site step failing exactly once, drills read from their reports."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from tier3.audit.bundle import verify_bundle
from tier3.audit.conduct import AuditInputs, audit_site
from tier3.audit.model import Outcome
from tier3.rules import RULES

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"
RULE = "T3-OBS-TLS-001"
SUBJECT = "192.0.2.25:587"


def _finding() -> dict[str, object]:
    rule = RULES[RULE]
    return {"rule_id": RULE, "severity": rule.severity.value, "status": "fail", "subject": SUBJECT,
            "title": rule.title, "message": "accepts TLSv1", "evidence": {}, "controls": list(rule.controls),
            "location": None, "hint": rule.hint, "timestamp": "2026-12-01T10:00:00Z"}


def _drill(directory: Path) -> None:
    directory.mkdir()
    passed = {"rule_id": "T3-OBS-DRL-001", "severity": "high", "status": "pass", "subject": "vip:mx", "title": "t",
              "message": "takeover 0.45 s", "evidence": {"takeover_s": 0.45, "rto_seconds": 30}, "controls": [],
              "location": None, "hint": "", "timestamp": "2026-12-01T10:00:00Z"}
    (directory / "mx-failover.json").write_text(json.dumps({
        "title": "tier3 drill mx-failover inventory", "generated_at": "2026-12-01T10:00:00Z",
        "findings": [passed], "checks": [{"rule_id": "T3-OBS-DRL-001"}]}))


def _inputs(tmp_path: Path, inventory: Path, today: str) -> AuditInputs:
    records = [{"kind": "postqueue", "id": "postqueue -j", "source": "command", "status": "ok", "text": "",
                "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "read_at": 1.0}]
    site = {"findings": [_finding()], "checks": [RULE, "T3-OBS-MAL-001"], "facts": [{"kind": "tls-listener"}]}
    return AuditInputs(inventory=(str(inventory),), output_dir=tmp_path / "out",
                       host_results={"mx1": {"evidence": records}}, site_result=site,
                       drills_dir=tmp_path / "drills", signing_key=tmp_path / "key.pem",
                       today=dt.date.fromisoformat(today), command="tier3 audit -i example")


def test_every_file_is_written_and_the_bundle_verifies(tmp_path: Path) -> None:
    _drill(tmp_path / "drills")
    run = audit_site(_inputs(tmp_path, EXAMPLE, "2026-12-01"))
    out = tmp_path / "out"
    for name in ("report.html", "report.json", "report.junit.xml", "summary.md", "oscal/assessment-results.json",
                 "evidence/manifest.json", "evidence/manifest.json.sig", "evidence/signing-key.pub"):
        assert (out / name).is_file(), name
    assert verify_bundle(out / "evidence").ok
    report = run.report
    failed = [(r.rule_id, r.subject) for r in report.failed()]
    assert failed == [(RULE, SUBJECT)]
    assert {e["host"] for e in report.evidence} == {"mx1", "controller"}
    (drill,) = report.drills
    assert (drill.name, drill.takeover_s, drill.outcome) == ("mx-failover", 0.45, Outcome.PASS)
    assert "<svg" in report.diagram
    assert report.provenance.command == "tier3 audit -i example"
    assert next(r for r in report.results if r.rule_id == "T3-OBS-MAL-001").outcome is Outcome.PASS
    assert next(r for r in report.results if r.rule_id == "T3-OBS-STO-001").outcome is Outcome.NOT_EVALUATED


def test_an_inventory_waiver_waives_the_finding_until_it_expires(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    (inventory / "group_vars" / "all" / "waivers.yml").write_text(
        f"tier3_waivers:\n  - rule: {RULE}\n    subject: \"{SUBJECT}\"\n"
        "    justification: \"a legacy scanner until January\"\n    owner: mail@example.test\n"
        "    expires: 2027-01-31\n")
    held = audit_site(_inputs(tmp_path, inventory, "2027-01-31")).report
    assert [(r.rule_id, r.outcome) for r in held.results if r.subject == SUBJECT] == [(RULE, Outcome.WAIVED)]
    assert held.verdict is Outcome.PASS
    expired = audit_site(_inputs(tmp_path, inventory, "2027-02-01")).report
    (result,) = [r for r in expired.results if r.subject == SUBJECT]
    assert result.outcome is Outcome.FAIL
    assert "expired on 2027-01-31" in result.waiver_note
    assert expired.verdict is Outcome.FAIL
