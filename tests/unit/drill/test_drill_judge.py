"""The drill's figures judged by the T3-OBS-DRL rules of the one catalogue, and the report written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tier3.drill.judge import default_path, failed, findings, report, write
from tier3.model import Severity, Status
from tier3.rules import RULES, Scope, judge, rules_for
from tier3.rules.observed.drill import KIND

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))


def figures(**changes: Any) -> dict[str, Any]:
    """A good lb-failover as the conductor returns it (the fields the rules read)."""
    base: dict[str, Any] = {
        "drill": "lb-failover", "target": "lb1", "takeover_s": 0.91, "first_success_s": 0.4,
        "keepalived_master_s": 0.7, "failed_after_fault": 4, "sent": 100, "accepted": 96,
        "readable_on_survivor": 96, "readable_after_rejoin": 96, "delayed": 0, "lost": 0, "lost_tokens": [],
        "holders_by_vip": {"lab-smtp": 1, "lab-imap": 1}, "held_on": {"lab-smtp": ["lb2"], "lab-imap": ["lb2"]},
        "rto_seconds": 3.0, "rpo_messages": 0,
    }
    return {**base, **changes}


def test_the_drill_rules_are_in_the_catalogue() -> None:
    drill_rules = [r for r in RULES.values() if r.category.value == "drill"]
    assert [r.id for r in drill_rules] == ["T3-OBS-DRL-001", "T3-OBS-DRL-002", "T3-OBS-DRL-003"]
    assert all(r.scope is Scope.OBSERVED and r.kinds == (KIND,) and r.breaks_redundancy for r in drill_rules)
    assert [r.id for r in rules_for(KIND)] == [r.id for r in drill_rules]
    assert RULES["T3-OBS-DRL-002"].severity is Severity.CRITICAL


def test_a_good_drill_passes_every_rule_with_its_figures() -> None:
    found = findings(figures(), "inventory/lab")
    assert [(f.rule_id, f.status) for f in found] == [
        ("T3-OBS-DRL-001", Status.PASS), ("T3-OBS-DRL-002", Status.PASS), ("T3-OBS-DRL-003", Status.PASS)]
    assert [f.message for f in found] == [
        "takeover 0.91 s within the RTO of 3 s", "0 of 96 accepted messages lost (RPO 0); 0 delayed",
        "exactly one member holds each VIP (lab-imap, lab-smtp)"]
    assert found[0].evidence["takeover_s"] == 0.91
    assert found[0].subject == "lb-failover:lb1"


CASES = {
    "slow takeover": (figures(takeover_s=3.5), [("T3-OBS-DRL-001", "lb-failover:lb1",
                                                  "takeover 3.50 s exceeds the RTO of 3 s")]),
    "never back": (figures(takeover_s=None), [("T3-OBS-DRL-001", "lb-failover:lb1",
                                               "no successful transaction through the VIP after the fault (RTO 3 s): "
                                               "the service did not come back during the drill")]),
    "lost one": (figures(lost=1, readable_after_rejoin=95, lost_tokens=["abc-00042"]),
                 [("T3-OBS-DRL-002", "lb-failover:lb1", "1 of 96 accepted messages lost (RPO 0)")]),
    "within a looser rpo": (figures(lost=1, rpo_messages=1), []),
    "split brain": (figures(holders_by_vip={"lab-smtp": 2, "lab-imap": 1}),
                    [("T3-OBS-DRL-003", "vip:lab-smtp", "after lb-failover:lb1: VIP lab-smtp held by 2 members; "
                                                        "exactly one must hold it")]),
    "nobody and unknown": (figures(holders_by_vip={"lab-smtp": 0, "lab-imap": None}), [
        ("T3-OBS-DRL-003", "vip:lab-imap", "after lb-failover:lb1: VIP lab-imap could not be read on every member; "
                                           "exactly one must hold it"),
        ("T3-OBS-DRL-003", "vip:lab-smtp", "after lb-failover:lb1: VIP lab-smtp held by 0 members; exactly one must "
                                           "hold it")]),
}


@pytest.mark.parametrize(("facts", "expected"), CASES.values(), ids=CASES.keys())
def test_failed_findings(facts: dict[str, Any], expected: list[tuple[str, str, str]]) -> None:
    assert [(f.rule_id, f.subject, f.message) for f in judge(KIND, facts)] == expected
    statuses = {f.rule_id: f.status for f in findings(facts, "inv")}
    assert {r for r, s in statuses.items() if s is Status.FAIL} == {e[0] for e in expected}


def test_no_takeover_is_a_failed_finding_carrying_the_figures() -> None:
    [finding] = judge(KIND, figures(takeover_s=None, first_success_s=None))
    assert finding.status is Status.FAIL
    assert finding.evidence["takeover_s"] is None
    assert finding.location is not None
    assert finding.location.key == "takeover_s"


def test_the_report_follows_the_schema_and_is_written_with_the_probe_log(tmp_path: Path) -> None:
    rep = report(figures(lost=2, accepted=96, readable_after_rejoin=94), "inventory/lab")
    assert failed(rep)
    path = tmp_path / "reports" / "drills" / "lb-failover-x.json"
    log = write(rep, path, [{"probe": "smtp", "t_start": 1.0, "t_end": 1.1, "ok": True}])
    data = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    assert data["title"] == "tier3 drill lb-failover inventory/lab"
    assert data["summary"]["by_status"] == {"pass": 2, "fail": 1, "error": 0, "waived": 0}
    worst_first = ["T3-OBS-DRL-002", "T3-OBS-DRL-003", "T3-OBS-DRL-001"]  # critical, critical, high
    assert [f["rule_id"] for f in data["findings"]] == worst_first
    assert [c["rule_id"] for c in data["checks"]] == ["T3-OBS-DRL-001", "T3-OBS-DRL-002", "T3-OBS-DRL-003"]
    assert log == tmp_path / "reports" / "drills" / "lb-failover-x.probe.json"
    assert json.loads(log.read_text(encoding="utf-8"))[0]["probe"] == "smtp"
    html = (tmp_path / "reports" / "drills" / "lb-failover-x.html").read_text(encoding="utf-8")
    assert "T3-OBS-DRL-002" in html  # the failed rule, for a reader of the HTML
    assert not failed(report(figures(), "inventory/lab"))


def test_the_default_report_path() -> None:
    now = dt.datetime(2026, 3, 1, 12, 0, 5, tzinfo=dt.UTC)
    assert default_path("mx-failover", now) == Path("reports/drills/mx-failover-20260301T120005Z.json")
