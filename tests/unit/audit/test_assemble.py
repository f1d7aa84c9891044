"""The audit's results: every rule of the catalogue once at least, a rule without evidence never a pass,
waivers applied to exactly the finding they name, an expired waiver one failed finding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tier3.audit.assemble import Collected, apply_waivers, build, drill_summaries, results
from tier3.audit.model import Area, Outcome, new_provenance
from tier3.model import Finding, Location, Severity, Status
from tier3.model.waiver import Waiver
from tier3.rules import RULES
from tier3.validate import validate

DAY = dt.date(2026, 12, 1)
EXAMPLE = str(Path(__file__).resolve().parents[3] / "inventory" / "example")


def _fail(rule_id: str, subject: str, status: Status = Status.FAIL) -> Finding:
    rule = RULES[rule_id]
    return Finding(rule_id, rule.severity, status, subject, rule.title, message=f"{subject} is wrong",
                   controls=rule.controls,
                   evidence={"host": subject, "evidence_items": [{"id": "cat x", "sha256": "ab"}]})


def _waiver(rule_id: str, subject: str, expires: dt.date) -> Waiver:
    return Waiver(rule_id, subject, "accepted until the PDU is replaced", "ops@example.test", expires,
                  Location("all.yml", "tier3_waivers[0]"))


def test_a_rule_without_evidence_is_not_evaluated_and_one_that_ran_passes() -> None:
    found = results(Collected((), frozenset({"T3-PWR-001"})), ["mx1"])
    by_rule = {r.rule_id: r for r in found}
    assert set(by_rule) == set(RULES)
    assert by_rule["T3-PWR-001"].outcome is Outcome.PASS
    assert by_rule["T3-OBS-STO-001"].outcome is Outcome.NOT_EVALUATED
    assert "mdstat" in by_rule["T3-OBS-STO-001"].message
    assert sum(r.outcome is Outcome.PASS for r in found) == 1


def test_each_failed_finding_is_a_result_with_its_area_host_controls_and_evidence() -> None:
    found = results(Collected((_fail("T3-OBS-TLS-001", "mx1"), _fail("T3-OBS-TLS-001", "mx2")),
                              frozenset({"T3-OBS-TLS-001"})), ["mx1", "mx2"])
    failed = [r for r in found if r.outcome is Outcome.FAIL]
    assert [(r.rule_id, r.subject, r.host) for r in failed] == [("T3-OBS-TLS-001", "mx1", "mx1"),
                                                                ("T3-OBS-TLS-001", "mx2", "mx2")]
    assert failed[0].area is Area.TRANSIT
    assert failed[0].controls == RULES["T3-OBS-TLS-001"].controls
    assert failed[0].rationale == RULES["T3-OBS-TLS-001"].rationale
    assert [(e.id, e.sha256) for e in failed[0].evidence_refs] == [("cat x", "ab")]
    assert not any(r.rule_id == "T3-OBS-TLS-001" and r.outcome is Outcome.PASS for r in found)
    assert found[0].outcome is Outcome.FAIL  # worst first


def test_findings_of_no_rule_are_errors_in_the_input_area() -> None:
    lost = Finding("evidence", Severity.CRITICAL, Status.ERROR, "mon2", "host could not be read", message="unreachable")
    found = results(Collected((lost,), frozenset()), ["mon2"])
    assert found[0].outcome is Outcome.ERROR
    assert found[0].area is Area.INPUT
    assert found[0].host == "mon2"


def test_a_waiver_waives_exactly_its_rule_and_subject() -> None:
    found = results(Collected((_fail("T3-PWR-003", "mx1"), _fail("T3-PWR-003", "mx2")), frozenset()), ["mx1", "mx2"])
    applied, notes = apply_waivers(found, [_waiver("T3-PWR-003", "mx1", DAY)], DAY)
    outcome = {(r.rule_id, r.subject): r.outcome for r in applied if r.rule_id == "T3-PWR-003"}
    assert outcome == {("T3-PWR-003", "mx1"): Outcome.WAIVED, ("T3-PWR-003", "mx2"): Outcome.FAIL}
    waived = next(r for r in applied if r.outcome is Outcome.WAIVED)
    assert waived.waiver is not None
    assert waived.waiver.justification.startswith("accepted")
    assert notes == ()


def test_an_expired_waiver_is_one_failed_finding_that_says_so() -> None:
    found = results(Collected((_fail("T3-PWR-003", "mx1"),), frozenset()), ["mx1"])
    applied, _ = apply_waivers(found, [_waiver("T3-PWR-003", "mx1", DAY - dt.timedelta(days=1))], DAY)
    mine = [r for r in applied if r.rule_id == "T3-PWR-003"]
    assert len(mine) == 1
    assert mine[0].outcome is Outcome.FAIL
    assert "expired on 2026-11-30" in mine[0].waiver_note


def test_a_waiver_holds_through_its_expiry_day() -> None:
    found = results(Collected((_fail("T3-PWR-003", "mx1"),), frozenset()), ["mx1"])
    applied, _ = apply_waivers(found, [_waiver("T3-PWR-003", "mx1", DAY)], DAY)
    assert next(r for r in applied if r.rule_id == "T3-PWR-003").outcome is Outcome.WAIVED


def test_a_waiver_naming_no_failed_finding_is_noted() -> None:
    found = results(Collected((), frozenset({"T3-PWR-003"})), ["mx1"])
    applied, notes = apply_waivers(found, [_waiver("T3-PWR-003", "mx9", DAY)], DAY)
    assert notes
    assert "names no failed finding" in notes[0]
    assert "mx9" in notes[0]
    assert not any(r.outcome is Outcome.WAIVED for r in applied)


def test_drill_summaries_carry_takeover_and_loss() -> None:
    takeover = Finding("T3-OBS-DRL-001", Severity.HIGH, Status.PASS, "vip:mx", "takeover",
                       evidence={"takeover_s": 0.45, "rto_seconds": 30})
    lost = Finding("T3-OBS-DRL-002", Severity.CRITICAL, Status.FAIL, "vip:mx", "lost",
                   evidence={"lost": 2, "rpo_messages": 0})
    (summary,) = drill_summaries({"mx-failover": ("2026-12-01T10:00:00Z", [takeover, lost], "d.json")})
    assert (summary.takeover_s, summary.rto_s, summary.lost, summary.rpo_messages) == (0.45, 30.0, 2, 0)
    assert summary.outcome is Outcome.FAIL


def test_build_on_the_example_inventory_passes_its_declared_rules() -> None:
    checked = validate(EXAMPLE)
    report = build(topology=checked.topology,
                   collected=Collected(checked.findings, frozenset(c.rule_id for c in checked.checks)),
                   provenance=new_provenance([EXAMPLE]), frameworks=(), controls=(), today=DAY)
    declared = [r for r in report.results if r.scope == "declared"]
    assert declared
    assert all(r.outcome is Outcome.PASS for r in declared)
    assert report.verdict is Outcome.PASS
    assert report.counts["not evaluated"] == sum(1 for r in RULES.values() if r.scope.value == "observed")
    assert {h.name for h in report.scope.hosts} == {h.name for h in checked.topology.hosts}
