"""The filters tier3.dc.tier3_prometheus_rules and tier3_alertmanager_config, run for real through
ansible-playbook on localhost: the same dicts as the library, {} for the defaults, and bad input failing
the task with the key and the fix. About 5 s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitoring_support import EXAMPLE

from support import localhost_play, run_playbook, task_results
from tier3.monitoring.alerts import rule_file
from tier3.monitoring.routes import alertmanager_config
from tier3.schema.monitoring import monitoring_config


def debug(expression: str) -> dict[str, Any]:
    return {"name": expression, "ansible.builtin.debug": {"msg": "{{ " + expression + " }}"}, "ignore_errors": True}


def play(tmp: Path, monitoring: Any) -> list[dict[str, Any]]:
    playbook = tmp / "monitoring.yml"
    playbook.write_text(localhost_play("Monitoring", [
        debug("tier3_monitoring | tier3.dc.tier3_prometheus_rules"),
        debug("tier3_monitoring | tier3.dc.tier3_alertmanager_config"),
    ], tier3_monitoring=monitoring), encoding="utf-8")
    _, report = run_playbook(playbook)
    return task_results(report)


def test_the_filters_return_what_the_library_builds(tmp_path: Path) -> None:
    rules, config = play(tmp_path, EXAMPLE)
    assert rules.get("failed") is not True, rules
    assert rules["msg"] == rule_file(monitoring_config(EXAMPLE))
    assert config["msg"] == alertmanager_config(monitoring_config(EXAMPLE))


def test_an_empty_mapping_gives_the_defaults(tmp_path: Path) -> None:
    rules, config = play(tmp_path, {})
    assert rules["msg"] == rule_file(monitoring_config({}))
    assert config["msg"]["receivers"] == [{"name": "default"}]


def test_bad_input_fails_with_the_key_and_the_fix(tmp_path: Path) -> None:
    bad = {**EXAMPLE, "thresholds": {"disk_free": {"below": 15}}, "routes": [{"receiver": "pager"}]}
    rules, config = play(tmp_path, bad)
    assert rules["failed"] is True
    assert "tier3_prometheus_rules: tier3_monitoring.thresholds.disk_free.below: 15 has no unit " \
           "(fix: write a share with its unit, e.g. 15%)" in rules["msg"]
    assert "tier3_monitoring.routes[0].receiver: no receiver 'pager'" in rules["msg"]
    assert config["failed"] is True
    assert "tier3_alertmanager_config: " in config["msg"]


def test_a_schema_fault_names_the_key(tmp_path: Path) -> None:
    rules, _ = play(tmp_path, {"thresholds": {"deferred": {"below": 3}}})
    assert rules["failed"] is True
    assert "tier3_monitoring.thresholds.deferred.below: unknown field (schema: monitoring) (fix: remove `below`" \
        in rules["msg"]
