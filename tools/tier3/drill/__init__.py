"""Failover drills: kill one node of the mail cluster hard while a client streams mail through a VIP,
measure the takeover and the messages lost, restore the node, judge (T3-OBS-DRL-*).

``execute(name, site, options, output, say)`` is the one entry point of ``tier3 drill NAME``, the
``tier3_drill`` action plugin and ``bench/failover``: it runs the drill (``conductor.run_drill``),
judges the figures and writes the report. ``load_site(sources)`` reads an inventory for the CLI;
the action plugin builds the site from its task variables with ``site_from_vars``.

Modules: ``analysis`` (pure: takeover and counts from the probe log), ``probe`` (SMTP sender, IMAP
poller and reader), ``faults`` (the fault drivers, by connection), ``cluster`` (VIP holders,
keepalived transitions, replication), ``drills`` (the table of drills), ``site`` and ``inventory``
(the site from the inventory), ``judge`` (findings and the report). See docs/drills.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tier3.drill.conductor import DrillOptions, DrillRun, Say, run_drill
from tier3.drill.drills import DRILLS
from tier3.drill.inventory import load_site
from tier3.drill.judge import default_path, failed, report, write
from tier3.drill.site import DrillError, DrillSite, site_from_vars
from tier3.report import Report

__all__ = [
    "DRILLS", "DrillError", "DrillOptions", "DrillOutcome", "DrillRun", "DrillSite", "execute", "load_site",
    "run_drill", "site_from_vars",
]


@dataclass(frozen=True)
class DrillOutcome:
    """A drill run, judged and written: the JSON to print (with the report's path), the report itself."""

    result: dict[str, Any]
    report: Report
    report_path: Path

    @property
    def failed(self) -> bool:
        return failed(self.report)


def _silent(_line: str) -> None:
    return None


def execute(name: str, site: DrillSite, options: DrillOptions | None = None, output: Path | None = None,
            say: Say = _silent) -> DrillOutcome:
    """Run, judge and write one drill; ``output`` defaults to reports/drills/NAME-STAMP.json."""
    run = run_drill(name, site, options, say)
    rep = report(run.result, site.source)
    path = output or default_path(name)
    try:
        log = write(rep, path, run.probe_log())
    except OSError as exc:
        raise DrillError(str(path), "", f"cannot write the report: {exc.strerror or exc}",
                         hint="choose a writable --output") from None
    passed = not failed(rep)
    result = {**run.result, "passed": passed, "report": str(path), "probe_log": str(log),
              "failed_rules": sorted({f.rule_id for f in rep.failed})}
    say(f"{name}: {'passed' if passed else 'FAILED ' + ', '.join(result['failed_rules'])}; report: {path}")
    return DrillOutcome(result, rep, path)
