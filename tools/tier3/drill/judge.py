"""A drill's figures as findings (the T3-OBS-DRL rules of the one catalogue) and as a report.

Every drill rule gives one finding per run: its failed findings, or one ``pass`` finding carrying
the figures it judged, so the report of a good drill still says what was measured. The report is
written by ``tier3.report``'s JSON writer (docs/report.md's schema) under ``reports/drills/`` by
default; the probe's transactions go beside it (``.probe.json``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tier3.model import Finding, Location, Status
from tier3.model.finding import utc_now
from tier3.report import Check, Report, build_report, writer
from tier3.rules import Context, rules_for
from tier3.rules.observed.drill import KIND, subject

REPORT_DIR = Path("reports") / "drills"


def _takeover(f: Mapping[str, Any]) -> str:
    return f"takeover {f['takeover_s']:.2f} s within the RTO of {f['rto_seconds']:g} s"


def _lost(f: Mapping[str, Any]) -> str:
    return f"{f['lost']} of {f['accepted']} accepted messages lost (RPO {f['rpo_messages']}); {f['delayed']} delayed"


def _holders(f: Mapping[str, Any]) -> str:
    vips = ", ".join(sorted(f.get("holders_by_vip") or {}))
    return f"exactly one member holds each VIP ({vips})"


# rule id -> the message of its pass finding, and the figures it carries
PASSED: dict[str, tuple[Callable[[Mapping[str, Any]], str], tuple[str, ...]]] = {
    "T3-OBS-DRL-001": (_takeover, ("takeover_s", "rto_seconds", "first_success_s", "keepalived_master_s",
                                   "failed_after_fault", "slow_after_fault")),
    "T3-OBS-DRL-002": (_lost, ("lost", "rpo_messages", "sent", "accepted", "readable_on_survivor",
                               "readable_after_rejoin", "delayed")),
    "T3-OBS-DRL-003": (_holders, ("holders_by_vip", "held_on")),
}


def findings(result: Mapping[str, Any], source: str) -> list[Finding]:
    """The drill rules over ``result``: each rule's failures, or its one pass finding."""
    stamp = utc_now()
    context = Context(source=source, read=f"tier3 drill {result['drill']}", host=result.get("target"))
    out: list[Finding] = []
    for rule in rules_for(KIND):
        failed = rule.findings(result, context, stamp)
        if failed:
            out += failed
            continue
        message, figures = PASSED[rule.id]
        out.append(Finding(
            rule_id=rule.id, severity=rule.severity, status=Status.PASS, subject=subject(result), title=rule.title,
            message=message(result), evidence={"source": source, "read": context.read, "host": context.host,
                                               **{k: result.get(k) for k in figures}},
            controls=rule.controls, location=Location(source, rule.id), timestamp=stamp,
        ))
    return out


def report(result: Mapping[str, Any], source: str) -> Report:
    checks = [Check(r.id, r.title, r.severity) for r in rules_for(KIND)]
    return build_report(findings(result, source), title=f"tier3 drill {result['drill']} {source}", source=source,
                        checks=checks)


def default_path(drill: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return REPORT_DIR / f"{drill}-{stamp}.json"


def write(rep: Report, path: Path, probe_log: list[dict[str, Any]] | None = None) -> Path:
    """Write the JSON report to ``path`` (directories made), the same report as HTML and the probe log
    beside it (``NAME.html``, ``NAME.probe.json``). Returns the log's path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        writer("json")(rep, out)
    with path.with_name(path.name.removesuffix(".json") + ".html").open("w", encoding="utf-8") as out:
        writer("html")(rep, out)  # for the reader of the report; the JSON is the record
    log = path.with_name(path.name.removesuffix(".json") + ".probe.json")
    if probe_log is not None:
        log.write_text(json.dumps(probe_log, indent=1) + "\n", encoding="utf-8")
    return log


def failed(rep: Report) -> bool:
    return any(f.status in (Status.FAIL, Status.ERROR) for f in rep.findings)
