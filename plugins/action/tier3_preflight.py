# Copyright: tier3 contributors
# Apache-2.0 (see pyproject.toml)
"""Action plugin tier3_preflight: `tier3 validate` inside a play, on the controller, touching no host.

Calls the same conductor as the CLI (tier3.validate.validate), never the CLI module. Documentation:
plugins/modules/tier3_preflight.py (ansible-doc tier3_preflight).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase

try:
    import tier3  # noqa: F401  (installed in the venv that runs Ansible)
except ImportError:  # run from a checkout with another Python: use the package beside the plugins
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from tier3.errors import Tier3Error
from tier3.model import Finding, Severity, Status
from tier3.schema import InventorySchemaErrors
from tier3.validate import format_text, validate


def _blocking(findings: Sequence[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.status in (Status.FAIL, Status.ERROR) and f.severity.rank >= threshold.rank]


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("inventory", "fail_on"))
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self._task.args
        try:
            threshold = Severity(str(args.get("fail_on", "high")))
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
        findings: list[Finding] = []
        blocking: list[str] = []
        errors: list[str] = []
        summary: list[str] = []
        notes: list[str] = []
        for path in paths:
            try:
                checked = validate(path)
            except InventorySchemaErrors as exc:
                errors.extend(exc.lines())
                summary.append(f"{path}: {len(exc.errors)} inventory error(s); no rule was run")
                continue
            except Tier3Error as exc:
                errors.append(exc.one_line())
                summary.append(f"{path}: unreadable; no rule was run")
                continue
            notes.extend(checked.notes)
            findings.extend(checked.findings)
            stop = _blocking(checked.findings, threshold)
            blocking.extend(format_text(f) for f in stop)
            summary.append(checked.summary(f", {len(stop)} at {threshold.value} or worse"))
        warnings = [format_text(f) for f in findings if f.status is Status.FAIL and f.severity.rank < threshold.rank]
        result.update(
            changed=False,
            findings=[f.to_dict() for f in findings if f.status is not Status.PASS],
            blocking=blocking,
            summary=summary,
            notes=notes,
        )
        if warnings:
            result["warnings"] = warnings
        if errors:
            result.update(failed=True, errors=errors, msg="inventory errors (fix, then re-run):\n" + "\n".join(errors))
        elif blocking:
            result.update(
                failed=True,
                msg=f"{len(blocking)} redundancy rule violation(s) of severity {threshold.value} or worse:\n"
                + "\n".join(blocking),
            )
        else:
            result["msg"] = "\n".join(summary)
        return result
