# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_fw: `tier3 fw plan|push|rollback --pair NAME` inside a play, on the controller.

Calls the same functions as the CLI (tier3.firewall.run). The pair and its policy come from the inventory
files (tier3's loader, as `tier3 validate` reads them); the members' credentials from the play's hostvars,
templated by Ansible (vault included), never logged. Documentation: plugins/modules/tier3_fw.py.
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
    from tier3.errors import Tier3Error
    from tier3.firewall.members import HOST_KEYS
    from tier3.firewall.run import BLOCKING, execute, members, refusal, target
    from tier3.schema.loader import load_inventory
except ImportError as exc:  # neither bundled nor installed (or a dependency of it is missing)
    MISSING: str | None = missing(exc)
else:
    MISSING = None

STATES = {"pushed": "push", "rolled_back": "rollback"}


def _options(args: dict[str, Any], *, check_mode: bool) -> tuple[str, int, Path]:
    """(verb, revert seconds, state dir) of the task's arguments; ValueError names a bad one."""
    state = str(args.get("state") or "pushed")
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}, got {state!r}")
    try:
        revert = int(args.get("revert_seconds", 120))
    except (TypeError, ValueError):
        raise ValueError("revert_seconds must be a whole number of seconds") from None
    if not 10 <= revert <= 3600:
        raise ValueError(f"revert_seconds must be within 10-3600, got {revert}")
    state_dir = Path(str(args.get("state_dir") or "~/.local/state/tier3/fw")).expanduser()
    return ("plan" if check_mode and state == "pushed" else STATES[state]), revert, state_dir


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("pair", "state", "revert_seconds", "state_dir"))
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        if MISSING is not None:
            return {**result, "failed": True, "msg": MISSING}
        task_vars = task_vars or {}
        try:
            verb, revert, state_dir = _options(self._task.args, check_mode=bool(self._task.check_mode))
        except ValueError as exc:
            return {**result, "failed": True, "msg": str(exc)}
        sources = task_vars.get("ansible_inventory_sources") or []
        sources = [str(s) for s in ([sources] if isinstance(sources, str) else sources)]
        if not sources:
            return {**result, "failed": True, "msg": "no inventory source: run the play with -i INVENTORY"}
        try:
            topology = load_inventory(sources[0], *sources[1:]).topology
            chosen = target(topology, str(self._task.args.get("pair") or ""))
            refused = refusal(topology, chosen)
            if refused and verb != "rollback":
                lines = [f"{f.rule_id} [{f.severity.value}] {f.subject}: {f.message} (fix: {f.hint})" for f in refused]
                return {**result, "failed": True,
                        "msg": f"{len(refused)} finding(s) at {BLOCKING.value} or worse; nothing was contacted:\n"
                               + "\n".join(lines)}
            hostvars = task_vars["hostvars"]
            resolved = {name: {k: hostvars[name][k] for k in HOST_KEYS if k in hostvars[name]}
                        for name in chosen.pair.members if name in hostvars}
            reached = members(" + ".join(sources), chosen, resolved)
            report = execute(verb, chosen, reached, state_dir=state_dir, revert_seconds=revert,
                             on_step=lambda m, s: display.v(f"tier3_fw: {m}: {s}"))
        except Tier3Error as exc:
            return {**result, "failed": True, "msg": exc.one_line()}
        result["report"] = report.to_dict()
        result["changed"] = (report.changed if verb != "plan"
                             else any(m.differs for m in report.members.values()))
        if self._task.diff:
            result["diff"] = [{"before_header": f"{m.name} (running)", "after_header": f"{m.name} (intended)",
                               "prepared": m.diff} for m in report.members.values() if m.diff]
        result["msg"] = "\n".join(report.lines())
        if not report.ok:
            result["failed"] = True
        return result
