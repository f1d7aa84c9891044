"""roles/monitoring_agent/files/tier3-metrics, the host side of the mail stack's metrics: its pure parts
(the exposition text, the durations of doveadm) on the outputs Debian 12's tools print. The whole script
runs on every lab host in the cluster scenario (molecule/cluster/tests/test_monitoring.py)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "monitoring_agent" / "files" / "tier3-metrics"


def load() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("tier3_metrics", str(SCRIPT))
    spec = importlib.util.spec_from_loader("tier3_metrics", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_samples_are_exact_numbers_grouped_under_one_help_and_type() -> None:
    script = load()
    m = script.Metrics()
    m.add("tier3_x", "gauge", "x", 1796170000, queue="a")
    m.add("tier3_x", "gauge", "x", 0.5, queue='b"c')
    text = m.text()
    assert text == ('# HELP tier3_x x\n# TYPE tier3_x gauge\ntier3_x{queue="a"} 1796170000\n'
                    'tier3_x{queue="b\\"c"} 0.5\n')


def test_doveadm_durations() -> None:
    script = load()
    assert script._seconds("00:00:25") == 25
    assert script._seconds("01:02:03") == 3723
    assert script._seconds("2 days 00:00:01") == 172801
    assert script._seconds("-") is None


def test_postqueue_counts_and_ages_per_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    script = load()
    lines = ['{"queue_name": "deferred", "queue_id": "A1", "arrival_time": 1000, "recipients": []}',
             '{"queue_name": "deferred", "queue_id": "A2", "arrival_time": 1090, "recipients": []}',
             '{"queue_name": "active", "queue_id": "A3", "arrival_time": 1099, "recipients": []}']
    monkeypatch.setattr(script, "run", lambda _argv: (0, "\n".join(lines) + "\n"))
    m = script.Metrics()
    script.postqueue(m, 1100.0)
    text = m.text()
    assert 'tier3_postfix_queue_messages{queue="deferred"} 2' in text
    assert 'tier3_postfix_queue_messages{queue="hold"} 0' in text
    assert 'tier3_postfix_queue_oldest_seconds{queue="deferred"} 100' in text
    assert 'tier3_postfix_queue_oldest_seconds{queue="active"} 1' in text
    assert "tier3_postfix_queue_up 1" in text
