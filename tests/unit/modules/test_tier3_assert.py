"""The tier3.dc.tier3_assert action, run for real through ansible-playbook on localhost: every check evaluated in
order, each failure reported with its own message, a check's when, that and fail_msg templated only when it is
evaluated, bad checks refused. About 3 s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import localhost_play, run_playbook, task_results


def run(tmp: Path, checks_per_task: list[Any]) -> list[dict[str, Any]]:
    tasks = [{"name": f"task {n}", "tier3.dc.tier3_assert": {"checks": checks}, "ignore_errors": True}
             for n, checks in enumerate(checks_per_task)]
    playbook = tmp / "assert.yml"
    playbook.write_text(localhost_play("Assert", tasks, data={"x": 1}), encoding="utf-8")
    _, report = run_playbook(playbook)
    return task_results(report)


def test_every_failure_is_reported_and_only_evaluated_checks_are_templated(tmp_path: Path) -> None:
    (result, passing, refused, empty) = run(tmp_path, [
        [{"name": "T3-X-001 one", "that": "data.x == 1", "fail_msg": "x is {{ data.x }}"},
         {"name": "T3-X-002 two", "that": ["data.x == 1", "data.x == 2"], "fail_msg": "x is {{ data.x }}, want 2"},
         # its message reads what is not there: it must not be templated while the check is skipped
         {"name": "T3-X-003 skipped", "that": "nosuch.y == 1", "when": "data.x == 5", "fail_msg": "{{ nosuch.y }}"},
         {"name": "T3-X-004 undefined", "that": "nosuch.y == 1", "fail_msg": "never shown"},
         {"name": "T3-X-005 after the failures", "that": "data.x > 0"}],
        [{"that": "data.x == 1"}, {"name": "named", "that": "true", "when": ["data.x == 1", "true"]}],
        [{"name": "typo", "that": "true", "fail_mgs": "x"}],
        []])
    assert result["failed"] is True
    assert [(c["name"], c["status"]) for c in result["checks"]] == [
        ("T3-X-001 one", "passed"), ("T3-X-002 two", "failed"), ("T3-X-003 skipped", "skipped"),
        ("T3-X-004 undefined", "failed"), ("T3-X-005 after the failures", "passed")]
    assert result["failed_checks"] == ["T3-X-002 two", "T3-X-004 undefined"]
    assert result["msg"].startswith("T3-X-002 two: x is 1, want 2; T3-X-004 undefined: could not be evaluated: ")
    assert "'nosuch' is undefined" in result["msg"]
    assert passing.get("failed") is not True
    assert passing["msg"] == "2 check(s) passed"
    assert [c["name"] for c in passing["checks"]] == ["check 1", "named"]
    assert refused["failed"] is True
    assert refused["msg"] == "tier3_assert: typo: needs that (and may have name, fail_msg, when); unknown: fail_mgs"
    assert empty["failed"] is True
    assert empty["msg"].startswith("tier3_assert: checks must be a non-empty list")
