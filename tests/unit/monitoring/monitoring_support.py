"""What the monitoring tests share: the fixed tier3_monitoring the promtool and amtool proofs are written
against, and promtool and amtool themselves (tools/setup-machine unpacks them into .venv/bin)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
PROMTOOL_TESTS = HERE / "promtool"
REPO = HERE.parents[2]

# The thresholds tests/unit/monitoring/promtool/*.yml are written against: every one differs from its
# default, so a threshold that did not reach its rule would fail a proof.
FIXED: dict[str, Any] = {
    "scrape_interval": "15s",
    "runbook_url": "https://runbooks.example.net/tier3/",
    "thresholds": {
        "queue_depth": {"above": 100, "for": "5m"},
        "deferred": {"above": 50, "for": "10m"},
        "delivery_latency": {"above": "20m", "for": "5m"},
        "replication_lag": {"above": "2m", "for": "3m"},
        "replication_failed": {"for": "5m"},
        "disk_free": {"below": "10%", "for": "5m"},
        "certificate_expiry": {"within": "14d"},
        "restarts": {"above": 4, "within": "10m"},
        "unit_down": {"for": "1m"},
        "vrrp_changes": {"above": 3, "within": "10m"},
        "split_brain": {"for": "30s"},
        "vip_unheld": {"for": "30s"},
        "lb_backend_down": {"for": "30s"},
        "lb_server_down": {"for": "1m"},
        "target_down": {"for": "1m"},
        "metrics_stale": {"for": "1m"},
        "redundancy_lost": {"for": "1m"},
    },
}

# The example: what an inventory would write.
EXAMPLE: dict[str, Any] = {
    "scrape_interval": "15s",
    "retention": "30d",
    "runbook_url": "docs/runbooks",
    "thresholds": {
        "queue_depth": {"above": 500, "for": "10m"},
        "deferred": {"above": 200, "for": "15m"},
        "delivery_latency": {"above": "30m", "for": "5m"},
        "replication_lag": {"above": "5m", "for": "5m"},
        "disk_free": {"below": "15%", "for": "10m"},
        "certificate_expiry": {"within": "21d"},
        "restarts": {"above": 3, "within": "15m"},
        "vrrp_changes": {"above": 2, "within": "10m"},
    },
    "receivers": [
        {"name": "oncall", "email": "ops@example.com"},
        {"name": "lab-webhook", "webhook": "http://10.89.30.51:9099/alerts"},
    ],
    "routes": [{"severity": "critical", "receiver": "oncall"}],
    "smtp": {"smarthost": "mail.example.com:587", "from": "alertmanager@example.com"},
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": "4h",
}


def binary(name: str) -> str:
    """The path of ``name`` on PATH; a failure (never a skip) that says how to get it."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not on PATH: run tools/setup-machine (it unpacks promtool and amtool from the "
                    "Debian packages prometheus and prometheus-alertmanager into .venv/bin), then run the tests "
                    "with PATH=$PWD/.venv/bin:$PATH")
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False, timeout=120)


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000), encoding="utf-8")
    return path
