# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_drill: `tier3 drill NAME` inside a play, on the controller.

Calls the same conductor as the CLI (tier3.drill.execute), never the CLI module. The site comes
from the play's own variables (hostvars and groups, templated by Ansible, vault included) through
tier3.drill.site_from_vars, where the CLI reads `ansible-inventory --list`; from there both run
the same code. Documentation: plugins/modules/tier3_drill.py (ansible-doc tier3.dc.tier3_drill).

The tier3 package it imports is the one beside plugins/ (tools/tier3: this checkout's, or the copy
the collection ships), else the one installed in the Python that runs Ansible.
"""

from __future__ import annotations

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
    from tier3.drill import DRILLS, DrillOptions, execute, site_from_vars
    from tier3.drill.inventory import project_root
    from tier3.drill.site import HOST_KEYS, SITE_KEYS
    from tier3.errors import Tier3Error
except ImportError as exc:  # neither bundled nor installed (or a dependency of it is missing)
    MISSING: str | None = missing(exc)
else:
    MISSING = None

NUMBERS = {"duration": (4.0, 3600.0), "rate": (0.001, 50.0)}  # option -> (min, max), as the CLI's


def _vars_of(hostvars: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    """The variables a drill reads of each host, templated by Ansible on access (HostVarsVars)."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        own = hostvars[name]
        out[name] = {key: own[key] for key in (*SITE_KEYS, *HOST_KEYS) if key in own}
    return out


def _number(args: Mapping[str, Any], key: str, default: float) -> float:
    value = args.get(key)
    if value is None:
        return default
    low, high = NUMBERS[key]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{key} must be between {low:g} and {high:g}, got {value!r}")
    return number


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("name", "duration", "rate", "output", "keep_messages"))
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        if MISSING is not None:
            return {**result, "failed": True, "msg": MISSING}
        display.vvv(f"tier3_drill: tier3 {tier3.__version__} from {Path(tier3.__file__).parent}")
        task_vars = task_vars or {}
        args = self._task.args
        name = str(args.get("name") or "")
        if name not in DRILLS:
            return {**result, "failed": True, "msg": f"name must be one of {', '.join(DRILLS)}, got {name!r}"}
        try:
            options = DrillOptions(duration=_number(args, "duration", DrillOptions.duration),
                                   rate=_number(args, "rate", DrillOptions.rate),
                                   keep_messages=bool(args.get("keep_messages", False)))
        except ValueError as exc:
            return {**result, "failed": True, "msg": str(exc)}
        sources = task_vars.get("ansible_inventory_sources") or []
        sources = [str(s) for s in ([sources] if isinstance(sources, str) else sources)]
        groups = {g: list(hosts) for g, hosts in (task_vars.get("groups") or {}).items()}
        shown = " + ".join(sources) or "the inventory"
        try:
            site = site_from_vars(shown, _vars_of(task_vars["hostvars"], groups.get("all", [])), groups,
                                  lambda _host, _key, value: value, inventory=sources,
                                  root=project_root(sources))
            if self._task.check_mode:
                return {**result, "changed": False, "skipped": True,
                        "msg": f"check mode: drill {name} would kill a node of {shown}; nothing was run"}
            output = args.get("output")
            outcome = execute(name, site, options, Path(str(output)) if output else None, display.display)
        except Tier3Error as exc:
            return {**result, "failed": True, "msg": exc.one_line()}
        failed = [f"{f.rule_id} [{f.severity.value}] {f.subject}: {f.message}" for f in outcome.report.failed]
        result.update(changed=True, drill=outcome.result, report=str(outcome.report_path),
                      findings=[f.to_dict() for f in outcome.report.findings])
        if failed:
            result.update(failed=True, msg=f"drill {name} failed {len(failed)} rule(s):\n" + "\n".join(failed))
        else:
            result["msg"] = (f"drill {name} passed: takeover {outcome.result['takeover_s']} s, "
                             f"{outcome.result['lost']} lost, report {outcome.report_path}")
        return result
