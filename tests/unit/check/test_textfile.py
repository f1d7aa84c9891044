"""tier3 check's findings as node exporter textfile metrics (tools/tier3/check/textfile.py)."""

from __future__ import annotations

import yaml

from support import ROOT
from tier3.check.textfile import findings_textfile
from tier3.rules import RULES


def finding(rule: str, subject: str, status: str = "fail", severity: str = "high") -> dict[str, str]:
    return {"rule_id": rule, "subject": subject, "status": status, "severity": severity}


def samples(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("tier3_finding{")]


def test_open_findings_are_samples_with_the_rules_redundancy_flag_and_passes_are_not() -> None:
    breaking = next(r for r in RULES.values() if r.breaks_redundancy)
    other = next(r for r in RULES.values() if not r.breaks_redundancy)
    text = findings_textfile([finding(breaking.id, "bond0"), finding(other.id, 'a "quoted" subject', "error", "low"),
                              finding(breaking.id, "md0", "pass")], 1_800_000_000.7)
    assert "tier3_check_timestamp_seconds 1800000000\n" in text
    assert samples(text) == sorted([
        f'tier3_finding{{breaks_redundancy="true",rule="{breaking.id}",severity="high",subject="bond0"}} 1',
        f'tier3_finding{{breaks_redundancy="false",rule="{other.id}",severity="low",'
        f'subject="a \\"quoted\\" subject"}} 1',
    ], key=lambda line: line.split('rule="')[1])


def test_no_finding_is_a_file_with_the_timestamp_only_and_a_repeat_is_one_sample() -> None:
    assert samples(findings_textfile([], 5)) == []
    assert "tier3_check_timestamp_seconds 5" in findings_textfile([], 5)
    twice = [finding("T3-OBS-BND-001", "bond0"), finding("T3-OBS-BND-001", "bond0")]
    assert len(samples(findings_textfile(twice, 5))) == 1


def test_check_yml_writes_the_textfile_on_the_hosts_prometheus_scrapes() -> None:
    """Only where a node exporter reads it: a host outside those groups (a metal host of the lab) has no
    textfile directory, and the write would fail there."""
    check = yaml.safe_load((ROOT / "playbooks" / "check.yml").read_text(encoding="utf-8"))
    monitoring = yaml.safe_load((ROOT / "playbooks" / "monitoring.yml").read_text(encoding="utf-8"))
    writer = next(play for play in check if "tier3_findings.prom" in play["name"])
    scraped = next(play for play in monitoring if "every host Prometheus scrapes" in play["name"])
    assert writer["vars"]["check_exporter_groups"] == scraped["hosts"].split(":")
