"""``tier3 check`` through ansible-runner: playbooks/check.yml, a progress line per host, the report back.

``run_check`` runs the playbook of this checkout (or of the installed collection) with the
inventory and options given, in a private data directory of its own, and turns each host's result
into one progress line as it arrives (``✓ mx1: postqueue, vip-holders; 2 item(s) read, 0
finding(s)``). The judgement is the action plugin's (``tier3.dc.tier3_check``, which calls this
package); what comes back is the report it wrote (``check.json``), rebuilt as a ``Report``. The same
playbook runs from AWX or Automation Platform unchanged.
"""

from __future__ import annotations

import configparser
import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tier3.errors import Tier3Error
from tier3.model import Finding, Severity
from tier3.report.model import Check, Report, build_report

ROOT = Path(__file__).resolve().parents[3]  # the checkout (or the collection) holding playbooks/
PLAYBOOK = ROOT / "playbooks" / "check.yml"
CHECK_ACTIONS = ("tier3.dc.tier3_check", "tier3_check")


@dataclass(frozen=True)
class CheckOptions:
    inventory: tuple[str, ...] = ()
    limit: str = ""
    kinds: tuple[str, ...] = ()
    report_dir: str = "reports/check"
    fail_on: str = "low"
    probe: bool = True
    scan: bool = True  # the listeners that answered scanned with sslyze too (T3-OBS-TLS-007..010)
    ca_file: str = ""
    bmc: bool = True  # read each declared BMC from the controller


@dataclass(frozen=True)
class CheckRun:
    report: Report | None  # None when the playbook stopped before the site step wrote it
    rc: int  # ansible-playbook's
    problems: tuple[str, ...]  # why the site step did not report (a failed task's message), if so
    report_files: tuple[str, ...] = ()


def default_inventory() -> tuple[str, ...]:
    """The inventory ansible.cfg of the checkout names (inventory/lab), as an absolute path."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "ansible.cfg")
    named = config.get("defaults", "inventory", fallback="")
    return tuple(str((ROOT / p.strip()).resolve()) for p in named.split(",") if p.strip())


def run_limit(limit: str) -> str | None:
    """The --limit handed to ansible-playbook: the operator's pattern and localhost, whose play judges the
    site and writes the reports (a limit without it skips that play: "no hosts matched")."""
    return f"{limit},localhost" if limit.strip() else None


def extravars(options: CheckOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"tier3_check_report_dir": str(Path(options.report_dir).resolve()),
                           "tier3_check_fail_on": options.fail_on, "tier3_check_probe": options.probe}
    if options.kinds:
        out["tier3_check_kinds"] = list(options.kinds)
    if options.ca_file:
        out["tier3_check_ca_file"] = str(Path(options.ca_file).resolve())
    if not options.bmc:
        out["tier3_check_bmc"] = False
    if not options.scan:
        out["tier3_check_scan"] = False
    return out


def progress_line(event: Mapping[str, Any]) -> str | None:
    """One line for an ansible-runner event of a host's check (None for every other event)."""
    data = event.get("event_data") or {}
    if data.get("task_action") not in CHECK_ACTIONS:
        return None
    host = data.get("host", "?")
    res = data.get("res") or {}
    name = event.get("event")
    if name == "runner_on_unreachable":
        return f"✗ {host}: unreachable: {str(res.get('msg', '')).strip()[:200]}"
    if name == "runner_on_failed":
        return f"✗ {host}: {str(res.get('msg', '')).strip().splitlines()[0] if res.get('msg') else 'failed'}"
    if name == "runner_on_ok":
        if (data.get("task_args") or {}).get("scope") == "site" or host == "localhost":
            return f"✓ {res.get('summary') or res.get('msg', '')}"
        mark = "✗" if res.get("failed_rules") or res.get("error") else "✓"
        return f"{mark} {res.get('msg', host)}"
    return None


def report_from_json(path: Path) -> Report:
    """``check.json`` (docs/report.md) back into a Report, so every format prints the same."""
    data = json.loads(path.read_text(encoding="utf-8"))
    findings = [Finding.from_dict(f) for f in data.get("findings", [])]
    checks = [Check(c["rule_id"], c["title"], Severity(c.get("severity", "info"))) for c in data.get("checks", [])]
    report = build_report(findings, title=data.get("title", "tier3 check"), source=data.get("source", ""),
                          checks=checks)
    return dataclasses.replace(report, generated_at=data.get("generated_at", report.generated_at),
                   evidence=tuple(data.get("evidence", ())))


def _failure_message(event: Mapping[str, Any]) -> str | None:
    data = event.get("event_data") or {}
    if event.get("event") != "runner_on_failed":
        return None
    res = data.get("res") or {}
    if data.get("task_action") in CHECK_ACTIONS and (data.get("task_args") or {}).get("scope") == "site" \
            and res.get("report_files"):
        return None  # the site step reported findings: that is a verdict, not a problem
    errors = res.get("errors") or []
    return str(errors[0] if errors else res.get("msg", "a task failed")).strip()


def run_playbook(playbook: Path, inventory: Sequence[str], limit: str, extra: Mapping[str, Any],
                 on_event: Callable[[dict[str, Any]], None]) -> int:
    """Run ``playbook`` of this checkout through ansible-runner in a private data directory (removed after),
    every event handed to ``on_event``; ansible-playbook's exit code (3 when it gave none)."""
    try:
        import ansible_runner  # noqa: PLC0415  (heavy; only the commands that run playbooks need it)
    except ImportError:
        raise Tier3Error("ansible-runner", "", "ansible-runner is not installed",
                         hint="pip install ansible-runner (make setup installs it)") from None
    if not playbook.is_file():
        raise Tier3Error(str(playbook), "", "the playbook is not there",
                         hint=f"run tier3 from a checkout or the installed collection (playbooks/{playbook.name})")

    def handler(event: dict[str, Any]) -> bool:
        on_event(event)
        return False  # nothing kept on disk beyond what runner needs

    env = {"ANSIBLE_CONFIG": os.environ.get("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg")),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "ANSIBLE_NOCOLOR": "1"}
    with tempfile.TemporaryDirectory(prefix=f"tier3-{playbook.stem}-") as private:
        result = ansible_runner.run(
            private_data_dir=private, playbook=str(playbook), inventory=list(inventory) or None,
            limit=run_limit(limit), extravars=dict(extra), envvars=env, quiet=True,
            event_handler=handler, project_dir=str(ROOT))
    return int(result.rc if result.rc is not None else 3)


def run_check(options: CheckOptions, say: Callable[[str], None]) -> CheckRun:
    """Run playbooks/check.yml through ansible-runner; ``say`` gets one line per host as results arrive."""
    report_dir = Path(options.report_dir).resolve()
    json_report = report_dir / "check.json"
    json_report.unlink(missing_ok=True)  # a report left by an earlier run must never pass for this one's
    problems: list[str] = []

    def on_event(event: dict[str, Any]) -> None:
        line = progress_line(event)
        if line:
            say(line)
        problem = _failure_message(event)
        if problem:
            problems.append(problem)

    rc = run_playbook(PLAYBOOK, options.inventory, options.limit, extravars(options), on_event)
    if not json_report.is_file():
        said = tuple(dict.fromkeys(problems)) or (f"ansible-playbook exited {rc} before the site step ran",)
        return CheckRun(None, rc, said)
    return CheckRun(report_from_json(json_report), rc, (),
                    tuple(str(report_dir / n) for n in ("check.json", "check.junit.xml", "check.html")))


def inventory_paths(given: Sequence[str]) -> tuple[str, ...]:
    """-i values as absolute paths (ansible-runner runs elsewhere), the default when none."""
    if not given:
        return default_inventory()
    out = []
    for source in given:
        if not Path(source).exists():
            raise Tier3Error(source, "", "no such inventory file or directory", hint="give -i PATH of an inventory")
        out.append(str(Path(source).resolve()))
    return tuple(out)
