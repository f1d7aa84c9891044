# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_preflight: `tier3 validate` inside a play, on the controller, touching no host.

Calls the same conductor as the CLI (tier3.validate.validate), never the CLI module, once, on every
inventory source of the run together: Ansible merges its `-i` sources into one inventory, and a
group declared in one source and used in another is a group. Documentation:
plugins/modules/tier3_preflight.py (ansible-doc tier3.dc.tier3_preflight).

The tier3 package it imports is the one beside plugins/ when there is one (tools/tier3: this
checkout's, or the copy `ansible-galaxy collection build` puts in the collection), so the plugin
and the library are of one version wherever the collection is installed; else the tier3 installed
in the Python that runs Ansible (`pip install tier3`).
"""

from __future__ import annotations

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
    from tier3.model import Finding, Severity, Status, blocking
    from tier3.schema import InventorySchemaErrors
    from tier3.validate import format_text, validate
except ImportError as exc:  # neither bundled nor installed (or a dependency of it is missing)
    MISSING: str | None = missing(exc)
else:
    MISSING = None


DEFAULT_FAIL_ON = "low"  # the same default as `tier3 validate --fail-on`: the playbook gate and the CLI agree


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("inventory", "fail_on"))  # fail_on defaults as `tier3 validate --fail-on` does
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        if MISSING is not None:
            return {**result, "failed": True, "msg": MISSING}
        display.vvv(f"tier3_preflight: tier3 {tier3.__version__} from {Path(tier3.__file__).parent}")
        task_vars = task_vars or {}
        args = self._task.args
        try:
            threshold = Severity(str(args.get("fail_on", DEFAULT_FAIL_ON)))
        except ValueError:
            return {**result, "failed": True, "msg": f"fail_on must be one of: {', '.join(s.value for s in Severity)}"}
        sources = args.get("inventory") or task_vars.get("ansible_inventory_sources") or []
        paths = [str(s) for s in ([sources] if isinstance(sources, str) else sources) if Path(str(s)).exists()]
        if not paths:
            return {
                **result,
                "failed": True,
                "msg": "no inventory path to validate (set inventory:, or run with -i DIR)",
            }
        shown = " + ".join(paths)
        findings: list[Finding] = []
        blocked: list[str] = []
        errors: list[str] = []
        notes: list[str] = []
        try:
            checked = validate(paths)  # every source at once: the inventory Ansible merges them into
        except InventorySchemaErrors as exc:
            errors = exc.lines()
            summary = f"{shown}: {len(exc.errors)} inventory error(s); no rule was run"
        except Tier3Error as exc:
            errors = [exc.one_line()]
            summary = f"{shown}: unreadable; no rule was run"
        else:
            notes = list(checked.notes)
            findings = list(checked.findings)
            stop = blocking(checked.findings, threshold)
            blocked = [format_text(f) for f in stop]
            summary = checked.summary(f", {len(stop)} at {threshold.value} or worse")
        warnings = [format_text(f) for f in findings if f.status is Status.FAIL and f.severity.rank < threshold.rank]
        result.update(
            changed=False,
            findings=[f.to_dict() for f in findings if f.status is not Status.PASS],
            blocking=blocked,
            summary=[summary],
            notes=notes,
        )
        if warnings:
            result["warnings"] = warnings
        if errors:
            result.update(failed=True, errors=errors, msg="inventory errors (fix, then re-run):\n" + "\n".join(errors))
        elif blocked:
            result.update(
                failed=True,
                msg=f"{len(blocked)} redundancy rule violation(s) of severity {threshold.value} or worse:\n"
                + "\n".join(blocked),
            )
        else:
            result["msg"] = summary
        return result
