# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_judge: `tier3 inspect KIND` inside a play, on the controller.

A role's verify step gathers what a host says (``postqueue -j``, ``doveadm replicator status``,
``ip -j addr`` of each VIP member...) and hands it over as ``raw``; this action parses and judges
it with the one rule catalogue and fails, naming the rule ids and subjects, when a rule fails at
``fail_on`` or worse. For ``kind: tls-listener`` with ``listeners`` it probes the listeners itself,
from the controller (tier3.probe). It calls the library the CLI calls (the kinds of
tier3.inspect: ``Kind.inspect_raw``), never the CLI module. Documentation:
plugins/modules/tier3_judge.py (ansible-doc tier3.dc.tier3_judge).

The tier3 package it imports is the one beside plugins/ (tools/tier3: this checkout's, or the copy
the collection ships), else the one installed in the Python that runs Ansible.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.tier3.dc.plugins.plugin_utils.tier3_package import missing, use_bundled

display = Display()
use_bundled()

try:
    import tier3
    from tier3.errors import Tier3Error
    from tier3.inspect import InspectOptions, all_kinds
    from tier3.inspect.mail import listeners_from, vips_topology
    from tier3.model import Finding, Severity, Topology, blocking
    from tier3.model.policy import VALUES, Policy
    from tier3.probe import DEFAULT_TIMEOUT, probe_listeners
    from tier3.report import format_text
    from tier3.schema import load_inventory
except ImportError as exc:  # neither bundled nor installed (or a dependency of it is missing)
    MISSING: str | None = missing(exc)
else:
    MISSING = None

DEFAULT_FAIL_ON = "low"  # as tier3_preflight and `tier3 validate --fail-on`
PROBED = "tls-listener"


def _policy(given: Any) -> Policy:
    """``tier3_policy`` overrides, each checked as the inventory schema checks them."""
    if not isinstance(given, Mapping):
        raise Tier3Error("policy", "", f"must be a mapping of policy value -> setting, not {type(given).__name__}")
    for name, value in given.items():
        entry = VALUES.get(name)
        if entry is None:
            raise Tier3Error("policy", str(name), "unknown policy value", hint=f"use one of {', '.join(VALUES)}")
        problem = entry.problem(value)
        if problem:
            raise Tier3Error("policy", str(name), f"{name} {problem}")
    return Policy(dict(given))


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset((
        "kind", "raw", "host", "inventory", "policy", "vips", "fail_on", "source", "now",
        "listeners", "ca_file", "timeout",
    ))
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        if MISSING is not None:
            return {**result, "failed": True, "msg": MISSING}
        display.vvv(f"tier3_judge: tier3 {tier3.__version__} from {Path(tier3.__file__).parent}")
        try:
            return {**result, **self._judge(dict(self._task.args), task_vars or {})}
        except Tier3Error as exc:
            return {**result, "failed": True, "changed": False, "errors": [exc.one_line()], "findings": [],
                    "msg": f"tier3_judge: {exc.one_line()}"}

    def _var(self, task_vars: Mapping[str, Any], name: str) -> Any:
        value = task_vars.get(name)
        return None if value is None else self._templar.template(value)

    def _context(self, args: Mapping[str, Any], task_vars: Mapping[str, Any],
                 host: str | None) -> tuple[Policy, Topology | None]:
        """The policy and topology to judge with: an inventory read from files, or the play's own variables."""
        sources = args.get("inventory")
        if sources:
            paths = [str(s) for s in ([sources] if isinstance(sources, str) else sources)]
            topology = load_inventory(*paths).topology
            in_inventory = host is not None and topology.host(host) is not None
            policy = _policy(args["policy"]) if args.get("policy") is not None else topology.policy_for(
                host if in_inventory else None)
            return policy, topology
        given = args.get("policy")
        policy = _policy(given if given is not None else (self._var(task_vars, "tier3_policy") or {}))
        vips = args.get("vips")
        vips = vips if vips is not None else self._var(task_vars, "tier3_vips")
        return policy, None if vips is None else vips_topology(vips, "vips" if args.get("vips") else "tier3_vips")

    def _judge(self, args: dict[str, Any], task_vars: Mapping[str, Any]) -> dict[str, Any]:
        kinds = all_kinds()
        kind_name = args.get("kind")
        if kind_name not in kinds:
            raise Tier3Error("kind", "", f"unknown kind {kind_name!r}", hint=f"use one of {', '.join(kinds)}")
        kind = kinds[str(kind_name)]
        try:
            threshold = Severity(str(args.get("fail_on", DEFAULT_FAIL_ON)))
        except ValueError:
            raise Tier3Error("fail_on", "", f"must be one of: {', '.join(s.value for s in Severity)}") from None
        host = args.get("host") or task_vars.get("inventory_hostname")
        policy, topology = self._context(args, task_vars, host)
        now = args.get("now")
        options = InspectOptions(policy=policy, topology=topology, host=host,
                                 extra={"now": float(now) if now is not None else time.time()})
        raw, how = args.get("raw"), ""
        if kind.name == PROBED and args.get("listeners") is not None:
            listeners = listeners_from(args["listeners"])
            timeout = float(args.get("timeout") or DEFAULT_TIMEOUT)
            raw, how = probe_listeners(listeners, args.get("ca_file"), timeout), "tier3 probe from the controller"
        elif raw is None:
            raise Tier3Error("raw", "", f"no evidence given for {kind.name}",
                             hint="pass raw: (the command's stdout)" + (
                                 ", or listeners: to probe" if kind.name == PROBED else ""))
        source = str(args.get("source") or f"{kind.name}{f' of {host}' if host else ''}")
        report = kind.inspect_raw(raw, source, options, how)
        findings = [Finding.from_dict(f) for f in report["findings"]]
        stop = blocking(findings, threshold)
        blocked = [format_text(f) for f in stop]
        warnings = [format_text(f) for f in findings if f not in stop]
        verdict = next((report[k] for k in ("redundant", "encrypted") if k in report), None)
        summary = (f"{source}: {len(findings)} finding(s), {len(stop)} at {threshold.value} or worse"
                   + ("" if verdict is None else f"; {next(k for k in ('redundant', 'encrypted') if k in report)}: "
                      f"{str(verdict).lower()}"))
        out: dict[str, Any] = {
            "changed": False, "findings": report["findings"], "blocking": blocked, "summary": summary,
            "report": {k: v for k, v in report.items() if k != "findings"},
            "failed_rules": sorted({f"{f.rule_id} {f.subject}" for f in stop}),
        }
        if warnings:
            out["warnings"] = warnings
        if stop:
            out["failed"] = True
            out["msg"] = (f"{source}: {len(stop)} rule(s) failed at {threshold.value} or worse: "
                          + ", ".join(f"{f.rule_id} {f.subject}" for f in stop) + "\n" + "\n".join(blocked))
        else:
            out["msg"] = summary
        return out
