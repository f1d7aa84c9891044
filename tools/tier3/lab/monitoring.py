"""``tier3 lab monitoring``: what the lab's Prometheus and Alertmanager say now (``make demo`` prints it).

Reads the first monitoring host of the lab table over HTTP (the machine may: it is the lab gateway,
``monitoring_web_sources`` in the generated inventory): each scrape job's targets up out of all, and the
alerts Alertmanager holds. Read-only; an unreachable server is a ``LabError`` naming the URL.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tier3.errors import LabError
from tier3.lab.hosts import HOSTS

PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
SOURCE = "tools/tier3/lab/monitoring.py"


@dataclass(frozen=True)
class Summary:
    prometheus: str
    alertmanager: str
    jobs: dict[str, tuple[int, int]]  # job -> (targets up, targets)
    alerts: list[tuple[str, str, str, str]]  # (alertname, severity, instance, state)


def _get(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # the lab's own address
            return json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise LabError(SOURCE, url, f"no answer: {exc}",
                       hint="converge the lab first (ansible-playbook playbooks/site.yml; make demo does)") from exc


def summarize(targets: dict[str, Any], alerts: list[dict[str, Any]]) -> tuple[dict[str, tuple[int, int]],
                                                                              list[tuple[str, str, str, str]]]:
    """Pure: Prometheus' /api/v1/targets and Alertmanager's /api/v2/alerts -> jobs and alert rows."""
    active = targets["data"]["activeTargets"]
    every, up = Counter(t["labels"]["job"] for t in active), Counter(
        t["labels"]["job"] for t in active if t["health"] == "up")
    jobs = {job: (up[job], every[job]) for job in sorted(every)}
    rows = sorted((a["labels"].get("alertname", ""), a["labels"].get("severity", ""), a["labels"].get("instance", ""),
                   a["status"]["state"]) for a in alerts)
    return jobs, rows


def read() -> Summary:
    server = next(h for h in HOSTS if "monitoring" in h.groups)
    prometheus = f"http://{server.address}:{PROMETHEUS_PORT}"
    alertmanager = f"http://{server.address}:{ALERTMANAGER_PORT}"
    jobs, rows = summarize(_get(f"{prometheus}/api/v1/targets"), _get(f"{alertmanager}/api/v2/alerts"))
    return Summary(prometheus, alertmanager, jobs, rows)
