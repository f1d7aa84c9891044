"""parse_multipath_ll on real captures: map header, groups, paths, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.errors import ParseError
from tier3.parsers.multipath import Multipath, parse_multipath_ll
from tier3.parsers.multipath import Path as MPath

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"


def ll(name: str) -> Multipath:
    return parse_multipath_ll((REAL / name).read_text(encoding="utf-8"), name)


def test_two_groups_both_paths_ready() -> None:
    (m,) = ll("multipath_ll.txt").maps
    assert (m.name, m.wwid, m.dm, m.vendor, m.product, m.size, m.features, m.hwhandler, m.write_protect) == (
        "mpatha", "35000c50015ea71ac", "dm-0", "VLAB", "SANLUN", "512M", "0", "0", "rw")
    assert [(g.policy, g.prio, g.status) for g in m.groups] == [("service-time 0", 1, "active"),
                                                                 ("service-time 0", 1, "enabled")]
    assert m.paths == (MPath("2:0:0:0", "sda", "8:0", "active", "ready", "running", 4),
                       MPath("3:0:0:0", "sdb", "8:16", "active", "ready", "running", 6))
    assert m.issues() == []


def test_failed_path_named() -> None:
    mp = ll("multipath_ll_one_path_failed.txt")
    assert [(p.device, p.dm_state, p.checker, p.online) for p in mp.maps[0].paths] == [
        ("sda", "failed", "faulty", "offline"), ("sdb", "active", "ready", "running")]
    assert [(i.code, i.subject) for i in mp.issues()] == [
        ("mpath-path-failed", "mpatha:sda"), ("mpath-too-few", "mpatha")]


def test_all_paths_failed_with_queueing() -> None:
    mp = ll("multipath_ll_all_paths_failed_queueing.txt")
    assert mp.maps[0].features == "1 queue_if_no_path"
    no_path = [i for i in mp.issues() if i.code == "mpath-no-path"]
    assert [i.message for i in no_path] == ["no path is active and ready: I/O queues"]


def test_multibus_one_group_two_paths() -> None:
    (m,) = ll("multipath_ll_multibus_all_paths_active.txt").maps
    assert [len(g.paths) for g in m.groups] == [2]
    assert m.issues() == []


def test_map_without_alias_several_maps_and_ghost_paths() -> None:
    text = ("3600a0b80001 dm-1 NETAPP,LUN\nsize=10G features='0' hwhandler='1 alua' wp=rw\n"
            "|-+- policy='round-robin 0' prio=50 status=active\n| |- 1:0:0:1 sdc 8:32 active ready running\n"
            "| `- 2:0:0:1 sde 8:64 active ready running\n`-+- policy='round-robin 0' prio=10 status=enabled\n"
            "  `- 1:0:1:1 sdd 8:48 active ghost running\n"
            "mpathb (3600a0b80002) dm-2 NETAPP,LUN\nsize=5G features='0' hwhandler='1 alua' wp=rw\n"
            "`-+- policy='round-robin 0' prio=50 status=active\n  `- 1:0:0:2 sdf 8:80 active i/o pending running\n")
    mp = parse_multipath_ll(text, "x")
    assert [(m.name, m.wwid, m.hwhandler) for m in mp.maps] == [("3600a0b80001", "3600a0b80001", "1 alua"),
                                                                ("mpathb", "3600a0b80002", "1 alua")]
    assert mp.maps[0].issues() == []
    assert [(i.code, i.subject) for i in mp.maps[1].issues()] == [("mpath-path-failed", "mpathb:sdf"),
                                                                   ("mpath-no-path", "mpathb")]


def test_path_after_the_last_one_is_refused() -> None:
    text = (REAL / "multipath_ll_multibus_all_paths_active.txt").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="line 6: path after the group's last one"):
        parse_multipath_ll(text + "  `- 8:0:0:0 sdc 8:32 active ready running\n", "x")
