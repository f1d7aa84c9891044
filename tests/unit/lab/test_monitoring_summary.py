"""``tier3 lab monitoring``'s summary of the lab's Prometheus targets and Alertmanager alerts (pure part)."""

from __future__ import annotations

import pytest

from tier3.errors import LabError
from tier3.lab import monitoring


def test_jobs_count_targets_up_of_all_and_alerts_are_sorted_rows() -> None:
    targets = {"data": {"activeTargets": [
        {"labels": {"job": "node", "instance": "mx1"}, "health": "up"},
        {"labels": {"job": "node", "instance": "mx2"}, "health": "down"},
        {"labels": {"job": "haproxy", "instance": "lb1"}, "health": "up"}]}}
    alerts = [{"labels": {"alertname": "Tier3UnitDown", "severity": "critical", "instance": "mx2"},
               "status": {"state": "active"}},
              {"labels": {"alertname": "Tier3CrashLoop", "severity": "warning"}, "status": {"state": "suppressed"}}]
    jobs, rows = monitoring.summarize(targets, alerts)
    assert jobs == {"haproxy": (1, 1), "node": (1, 2)}
    assert rows == [("Tier3CrashLoop", "warning", "", "suppressed"), ("Tier3UnitDown", "critical", "mx2", "active")]


def test_a_server_that_does_not_answer_is_a_lab_error_naming_the_url() -> None:
    with pytest.raises(LabError) as raised:
        monitoring._get("http://127.0.0.1:9/api/v1/targets")  # the discard port: nothing listens
    assert "127.0.0.1:9" in raised.value.one_line()
