# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Action plugin tier3.dc.tier3_assert: several named assertions in one task, each with its own message.

``ansible.builtin.assert`` is one task per message; a role's preflight or verify step asserts ten
things, and each task costs the controller a worker process per host even though nothing runs on
the host. This action evaluates every check of ``checks`` in one task, in order, each only when its
own ``when`` holds, and fails with the message of every check that failed (not only the first).

A check's ``that``, ``when`` and ``fail_msg`` are templated only when the check is evaluated (as
``ansible.builtin.assert`` templates ``that``): a message may read data that exists only when its
check fails. Documentation: plugins/modules/tier3_assert.py (ansible-doc tier3.dc.tier3_assert).
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

CHECK_KEYS = frozenset(("name", "that", "fail_msg", "when"))


class ActionModule(ActionBase):  # type: ignore[misc]  # ansible ships no type hints
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("checks",))

    @classmethod
    def finalize_task_arg(cls, name: str, value: Any, templar: Any, context: Any) -> Any:
        if name == "checks":
            return value  # templated check by check in run(), as assert templates `that`
        return super().finalize_task_arg(name, value, templar, context)

    def _holds(self, conditions: Any) -> bool:
        listed = conditions if isinstance(conditions, list) else [conditions]
        return all(self._templar.evaluate_conditional(conditional=c) for c in listed)

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True
        result: dict[str, Any] = super().run(tmp, task_vars)
        checks = self._task.args.get("checks")
        if not isinstance(checks, list) or not checks or not all(isinstance(c, dict) for c in checks):
            return {**result, "failed": True, "msg": "tier3_assert: checks must be a non-empty list of "
                                                     "{name, that, fail_msg, when}"}
        outcome: list[dict[str, str]] = []
        failures: list[tuple[str, str]] = []
        for index, check in enumerate(checks):
            name = str(check.get("name") or f"check {index + 1}")
            unknown = sorted(set(check) - CHECK_KEYS)
            if unknown or "that" not in check:
                return {**result, "failed": True,
                        "msg": f"tier3_assert: {name}: needs that (and may have name, fail_msg, when); "
                               f"unknown: {', '.join(unknown) or 'none'}"}
            try:
                if "when" in check and not self._holds(check["when"]):
                    outcome.append({"name": name, "status": "skipped"})
                    continue
                passed = self._holds(check["that"])
                message = "" if passed else str(self._templar.template(check.get("fail_msg") or "assertion failed"))
            except AnsibleError as exc:
                passed, message = False, f"could not be evaluated: {str(exc).splitlines()[0]}"
            outcome.append({"name": name, "status": "passed" if passed else "failed"})
            if not passed:
                failures.append((name, message))
        result.update(changed=False, checks=outcome)
        if failures:
            result.update(failed=True, msg="; ".join(f"{name}: {message}" for name, message in failures),
                          failed_checks=[name for name, _ in failures])
        else:
            result["msg"] = f"{sum(o['status'] == 'passed' for o in outcome)} check(s) passed"
        return result
