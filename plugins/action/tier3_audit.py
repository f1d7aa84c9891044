# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_audit: the whole site judged for auditors, on the controller, once.

Runs after playbooks/check.yml's plays (playbooks/audit.yml imports them): each host's ``tier3_check``
result (its one round trip: every evidence record with its text) and the site step's (the live
findings, the rules that ran, what the controller probed) are read from ``hostvars``; ``tier3.audit.
conduct.audit_site`` adds the declared rules, the drills' last reports and any extra report, applies the
inventory's waivers, keeps every raw item in the signed evidence bundle and writes report.html,
report.json, report.junit.xml, summary.md and oscal/assessment-results.json to ``output_dir``. Never
touches a host. Fails when the verdict is fail (``fail_on_findings``, default true) so a pipeline
stops; the reports are written first. Documentation: plugins/modules/tier3_audit.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.tier3.dc.plugins.plugin_utils.tier3_package import missing, use_bundled

use_bundled()

try:
    from tier3.audit.conduct import AuditInputs, audit_site
    from tier3.audit.model import Outcome
    from tier3.errors import Tier3Error
except ImportError as exc:  # neither bundled nor installed (or a dependency of it is missing)
    MISSING: str | None = missing(exc)
else:
    MISSING = None


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("hosts", "results_var", "site_var", "output_dir", "drills_dir", "extra_reports",
                             "signing_key", "today", "command", "fail_on_findings"))
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        if MISSING is not None:
            return {**result, "failed": True, "msg": MISSING}
        task_vars = task_vars or {}
        args = self._task.args
        sources = task_vars.get("ansible_inventory_sources") or []
        sources = [str(s) for s in ([sources] if isinstance(sources, str) else sources)]
        hosts = args.get("hosts") or []
        if not sources or not isinstance(hosts, list) or not args.get("output_dir"):
            return {**result, "failed": True,
                    "msg": "tier3_audit needs -i INVENTORY, hosts (a list) and output_dir (playbooks/audit.yml)"}
        hostvars = task_vars.get("hostvars", {})
        results_var = str(args.get("results_var") or "tier3_check_result")
        host_results = {}
        for host in hosts:
            said = hostvars[host].get(results_var) if host in hostvars else None
            if isinstance(said, Mapping):
                host_results[str(host)] = self._templar.template(said)
        site = task_vars.get(str(args.get("site_var") or "tier3_check_site"))
        site = self._templar.template(site) if isinstance(site, Mapping) else {}
        try:
            today = dt.date.fromisoformat(str(args["today"])) if args.get("today") else None
            run = audit_site(AuditInputs(
                inventory=tuple(sources), output_dir=Path(str(args["output_dir"])), host_results=host_results,
                site_result=site, drills_dir=Path(str(args["drills_dir"])) if args.get("drills_dir") else None,
                extra_reports=tuple(Path(str(p)) for p in args.get("extra_reports") or ()),
                signing_key=Path(str(args["signing_key"])).expanduser() if args.get("signing_key") else None,
                today=today, command=str(args.get("command") or "ansible-playbook playbooks/audit.yml"),
                hosts=tuple(str(h) for h in hosts)))
        except ValueError as exc:
            return {**result, "failed": True, "msg": f"today: {exc}"}
        except Tier3Error as exc:
            return {**result, "failed": True, "msg": exc.one_line()}
        report = run.report
        counts = report.counts
        summary = (f"tier3 audit: {report.verdict.value.upper()}: {len(report.results)} result(s): "
                   + ", ".join(f"{n} {o}" for o, n in counts.items()) + f"; {len(report.evidence)} evidence item(s), "
                   f"manifest signed by key {run.key_sha256[:16]}")
        result.update({"changed": False, "verdict": report.verdict.value, "counts": counts,
                       "report_files": list(run.files), "summary": summary, "key_sha256": run.key_sha256,
                       "failed_results": sorted(f"{r.rule_id} {r.subject}".strip() for r in report.failed()),
                       "msg": summary})
        if report.verdict is Outcome.FAIL and bool(args.get("fail_on_findings", True)):
            result["failed"] = True
        return result
