"""The alert rules proven offline by Prometheus's own tools: ``promtool check rules`` on the rules of the
defaults and of the issue's example, and ``promtool test rules`` on the hand-written cases of
promtool/*.yml against the rules of ``FIXED`` (each case says when an alert fires, with its labels and
annotations, and when it stays silent). A test fails when an alert of the rules lacks either kind of
case, so a new alert cannot land unproven."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from monitoring_support import EXAMPLE, FIXED, PROMTOOL_TESTS, run, write_yaml

from tier3.monitoring.alerts import alert_names, rule_file
from tier3.schema.monitoring import monitoring_config

CASE_FILES = sorted(PROMTOOL_TESTS.glob("*.yml"))


def rules_of(doc: dict[str, Any]) -> dict[str, Any]:
    return rule_file(monitoring_config(doc))


def test_there_are_case_files() -> None:
    assert len(CASE_FILES) >= 5, CASE_FILES


@pytest.mark.parametrize(("name", "doc"), [("defaults", {}), ("example", EXAMPLE), ("fixed", FIXED)])
def test_promtool_accepts_the_generated_rules(name: str, doc: dict[str, Any], promtool: str, tmp_path: Path) -> None:
    path = write_yaml(tmp_path / f"{name}.yml", rules_of(doc))
    done = run(promtool, "check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    count = sum(len(g["rules"]) for g in rules_of(doc)["groups"])
    assert f"SUCCESS: {count} rules found" in done.stdout


def test_promtool_refuses_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    """The check above can fail: one bad expression and promtool says so."""
    broken = rules_of({})
    broken["groups"][0]["rules"][0]["expr"] = "sum by (instance (tier3_postfix_queue_messages)"
    done = run(promtool, "check", "rules", str(write_yaml(tmp_path / "broken.yml", broken)))
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: p.name)
def test_promtool_cases_pass(case_file: Path, promtool: str, tmp_path: Path) -> None:
    write_yaml(tmp_path / "rules.yml", rules_of(FIXED))
    shutil.copy(case_file, tmp_path / case_file.name)
    done = run(promtool, "test", "rules", case_file.name, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout + done.stderr


def test_promtool_test_fails_on_a_wrong_expectation(promtool: str, tmp_path: Path) -> None:
    """The cases can fail: the same series with a threshold the cases do not expect."""
    shifted = {**FIXED, "thresholds": {**FIXED["thresholds"], "queue_depth": {"above": 1000, "for": "5m"}}}
    write_yaml(tmp_path / "rules.yml", rules_of(shifted))
    shutil.copy(PROMTOOL_TESTS / "mail.yml", tmp_path / "mail.yml")
    done = run(promtool, "test", "rules", "mail.yml", cwd=tmp_path)
    assert done.returncode != 0
    assert "Tier3MailQueueDepth" in done.stdout + done.stderr


def cases() -> dict[str, dict[str, int]]:
    """alert name -> {"fires": n, "silent": n}: the alert_rule_test entries of every case file."""
    found: dict[str, dict[str, int]] = {}
    for path in CASE_FILES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["rule_files"] == ["rules.yml"], f"{path.name}: test the generated rules.yml"
        for test in doc["tests"]:
            for check in test.get("alert_rule_test", []):
                counts = found.setdefault(check["alertname"], {"fires": 0, "silent": 0})
                counts["fires" if check.get("exp_alerts") else "silent"] += 1
    return found


def test_every_alert_has_a_firing_and_a_silent_case() -> None:
    found = cases()
    missing = {name: found.get(name, {"fires": 0, "silent": 0}) for name in alert_names()
               if not (found.get(name, {}).get("fires") and found.get(name, {}).get("silent"))}
    assert missing == {}, "alerts without a firing or a silent case in tests/unit/monitoring/promtool/"


def test_no_case_names_an_alert_that_does_not_exist() -> None:
    assert sorted(set(cases()) - set(alert_names())) == []


def test_every_variant_of_a_split_alert_fires_in_a_case() -> None:
    """Alerts with one rule per service (units, scrape jobs): a firing case per service label."""
    expected: dict[str, set[str]] = {}
    for group in rules_of(FIXED)["groups"]:
        for rule in group["rules"]:
            expected.setdefault(rule["alert"], set()).add(rule["labels"]["service"])
    seen: dict[str, set[str]] = {}
    for path in CASE_FILES:
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in test.get("alert_rule_test", []):
                for alert in check.get("exp_alerts") or []:
                    seen.setdefault(check["alertname"], set()).add(alert["exp_labels"]["service"])
    assert {name: services - seen.get(name, set()) for name, services in expected.items()
            if services - seen.get(name, set())} == {}
