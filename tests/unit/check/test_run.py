"""tier3.check.run's pure parts: the progress line of each ansible-runner event, the extra variables the
playbook gets, and check.json read back into the same report."""

from __future__ import annotations

import json
from pathlib import Path

from tier3.check import check_report, unanswered
from tier3.check.run import ROOT, CheckOptions, default_inventory, extravars, progress_line, report_from_json, run_limit
from tier3.report import writer


def event(name: str, host: str, res: dict[str, object], args: dict[str, object] | None = None) -> dict[str, object]:
    return {"event": name, "event_data": {"task_action": "tier3.dc.tier3_check", "host": host, "res": res,
                                          "task_args": args or {}}}


def test_one_line_per_host_result_and_none_for_other_events() -> None:
    ok = event("runner_on_ok", "mx1", {"msg": "mx1: postqueue; 1 item(s) read, 0 finding(s)", "failed_rules": []})
    assert progress_line(ok) == "✓ mx1: postqueue; 1 item(s) read, 0 finding(s)"
    bad = event("runner_on_ok", "lb1", {"msg": "lb1: vip-holders; 1 item(s) read, 1 finding(s)",
                                        "failed_rules": ["T3-OBS-VRP-001 vip:x"]})
    assert progress_line(bad) == "✗ lb1: vip-holders; 1 item(s) read, 1 finding(s)"
    lost = event("runner_on_unreachable", "ghost", {"msg": "Task failed: container tier3-lab-ghost: no such container"})
    assert progress_line(lost) == "✗ ghost: unreachable: Task failed: container tier3-lab-ghost: no such container"
    site = event("runner_on_ok", "localhost", {"summary": "tier3 check: 2 host(s)"}, {"scope": "site"})
    assert progress_line(site) == "✓ tier3 check: 2 host(s)"
    assert progress_line({"event": "runner_on_ok", "event_data": {"task_action": "ansible.builtin.debug"}}) is None
    assert progress_line({"event": "playbook_on_start"}) is None


def test_the_playbook_gets_absolute_paths_and_only_what_was_asked(tmp_path: Path) -> None:
    plain = extravars(CheckOptions(report_dir=str(tmp_path)))
    assert plain == {"tier3_check_report_dir": str(tmp_path.resolve()), "tier3_check_fail_on": "low",
                     "tier3_check_probe": True}
    asked = extravars(CheckOptions(report_dir="out", kinds=("mdstat",), ca_file="ca.crt", probe=False))
    assert Path(asked["tier3_check_report_dir"]).is_absolute()
    assert Path(asked["tier3_check_ca_file"]).is_absolute()
    assert (asked["tier3_check_kinds"], asked["tier3_check_probe"]) == (["mdstat"], False)


def test_the_default_inventory_is_the_one_ansible_cfg_names() -> None:
    assert default_inventory() == (str((ROOT / "inventory" / "lab").resolve()),)


def test_check_json_reads_back_into_the_same_report(tmp_path: Path) -> None:
    report = check_report([], [], source="inv", probed=True, extra_findings=[unanswered("mx2", "unreachable")])
    path = tmp_path / "check.json"
    with path.open("w", encoding="utf-8") as out:
        writer("json")(report, out)
    again = report_from_json(path)
    assert json.loads(path.read_text(encoding="utf-8")) == again.to_dict()


def test_a_limit_keeps_localhost_whose_play_writes_the_reports() -> None:
    assert run_limit("metal") == "metal,localhost"
    assert run_limit("mx1,mx2") == "mx1,mx2,localhost"
    assert run_limit("") is None
