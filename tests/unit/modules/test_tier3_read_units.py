"""tier3.dc.tier3_read run for real through ansible-playbook on localhost (a port this test listens on, real
commands, real files), and tier3.dc.tier3_units' reading and planning, on `systemctl show` output recorded from a
lab container (this machine runs no systemd; molecule/cluster runs the module against real systemd). About 3 s."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any

import pytest

from support import ROOT, load_by_path, localhost_play, run_playbook, task_results

# `systemctl show --property=Id,LoadState,ActiveState,UnitFileState,NeedDaemonReload -- ...` in tier3-lab-mx1
RECORDED_SHOW = """\
Id=ssh.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled
NeedDaemonReload=no

Id=nosuch.service
LoadState=not-found
ActiveState=inactive
UnitFileState=
NeedDaemonReload=no

Id=apt-daily.timer
LoadState=loaded
ActiveState=inactive
UnitFileState=disabled
NeedDaemonReload=no

Id=systemd-journald.service
LoadState=loaded
ActiveState=active
UnitFileState=static
NeedDaemonReload=no

Id=postfix@-.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled-runtime
NeedDaemonReload=yes
"""
RECORDED_UNITS = ["ssh.service", "nosuch.service", "apt-daily.timer", "systemd-journald.service", "postfix@-.service"]


UNITS = load_by_path("tier3_units", ROOT / "plugins" / "modules" / "tier3_units.py")


def read_on_localhost(tmp: Path, args: dict[str, Any]) -> dict[str, Any]:
    playbook = tmp / "read.yml"
    playbook.write_text(localhost_play("Read", [{"name": "read", "tier3.dc.tier3_read": args, "ignore_errors": True}]),
                        encoding="utf-8")
    _, report = run_playbook(playbook, "--check")
    return task_results(report)[0]


def test_read_waits_runs_and_stats_in_one_call_even_in_check_mode(tmp_path: Path) -> None:
    listening = socket.create_server(("127.0.0.1", 0))
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    secret = tmp_path / "key"
    secret.write_text("k\n", encoding="utf-8")
    secret.chmod(0o600)
    try:
        result = read_on_localhost(tmp_path, {
            "ports": [{"id": "open", "port": listening.getsockname()[1], "timeout": 5},
                      {"id": "closed", "port": closed_port, "timeout": 1}],
            "commands": [{"id": "echo", "argv": ["sh", "-c", "echo one; echo two; echo err >&2"]},
                         {"id": "false", "argv": ["false"]},
                         {"id": "stdin", "argv": ["cat"], "stdin": "given"},
                         {"id": "missing", "argv": ["/no/such/tool"]},
                         {"id": "slow", "argv": ["sleep", "5"], "timeout": 1}],
            "files": [{"id": "key", "path": str(secret), "read": True}, {"id": "none", "path": str(tmp_path / "no")},
                      {"id": "dir", "path": str(tmp_path)}]})
    finally:
        listening.close()
    assert result["changed"] is False
    assert result["ports"]["open"]["open"] is True
    assert result["ports"]["closed"]["open"] is False
    assert result["ports"]["closed"]["waited_s"] >= 1
    commands = result["commands"]
    assert (commands["echo"]["rc"], commands["echo"]["stdout_lines"], commands["echo"]["stderr"]) == (0, ["one", "two"],
                                                                                                      "err")
    assert commands["false"]["rc"] == 1
    assert commands["stdin"]["stdout"] == "given"
    assert (commands["missing"]["rc"], commands["missing"]["missing"]) == (None, True)
    assert (commands["slow"]["rc"], commands["slow"]["timed_out"]) == (None, True)
    key = result["files"]["key"]
    assert (key["exists"], key["type"], key["mode"], key["owner"], key["content"]) == (True, "file", "0600", "root",
                                                                                      "k\n")
    assert key["sha256"] == hashlib.sha256(b"k\n").hexdigest()
    assert result["files"]["none"] == {"path": str(tmp_path / "no"), "exists": False}
    assert result["files"]["dir"]["type"] == "directory"


def test_read_refuses_an_id_named_twice(tmp_path: Path) -> None:
    result = read_on_localhost(tmp_path, {"commands": [{"id": "a", "argv": ["true"]}, {"id": "a", "argv": ["true"]}]})
    assert result["failed"] is True
    assert result["msg"] == "commands: id a named twice (fix: one id per entry)"


def test_units_reads_one_block_per_unit_in_order() -> None:
    state = UNITS.parse_show(RECORDED_SHOW, RECORDED_UNITS)
    assert list(state) == RECORDED_UNITS
    assert state["nosuch.service"]["LoadState"] == "not-found"
    assert state["postfix@-.service"]["NeedDaemonReload"] == "yes"
    with pytest.raises(ValueError, match="gave 5 block"):
        UNITS.parse_show(RECORDED_SHOW, RECORDED_UNITS[:4])


def test_units_plans_only_what_differs() -> None:
    state = UNITS.parse_show(RECORDED_SHOW, RECORDED_UNITS)
    wanted = [{"name": "ssh.service", "enabled": True, "state": "started"},
              {"name": "nosuch.service", "enabled": False, "state": "stopped"},
              {"name": "apt-daily.timer", "enabled": True, "state": "started"},
              {"name": "systemd-journald.service", "enabled": True, "state": "started"},
              {"name": "postfix@-.service", "enabled": False, "state": "stopped"}]
    assert UNITS.plan(wanted, state) == [
        ("ssh.service", []),  # enabled and running: nothing
        ("nosuch.service", []),  # not there, and to be neither enabled nor running: nothing
        ("apt-daily.timer", ["enable", "start"]),
        ("systemd-journald.service", []),  # static: no [Install] state to enable
        ("postfix@-.service", ["disable", "stop"]),
    ]
    unset = [{"name": "apt-daily.timer", "enabled": None, "state": None}]
    assert UNITS.plan(unset, state) == [("apt-daily.timer", [])]
