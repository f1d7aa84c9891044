"""parse_multipath_ll on real captures and on the shapes other machines print: map header, groups,
paths, and the catalogue's verdicts (T3-OBS-STO-010..014) on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from judged import findings, ids, is_redundant

from tier3.errors import ParseError
from tier3.parsers.multipath import Multipath, parse_multipath_ll
from tier3.parsers.multipath import Path as MPath
from tier3.rules import RULES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REAL, FIELD = FIXTURES / "real", FIXTURES / "field"


def ll(name: str, where: Path = REAL) -> Multipath:
    return parse_multipath_ll((where / name).read_text(encoding="utf-8"), name)


def test_two_groups_both_paths_ready() -> None:
    (m,) = ll("multipath_ll.txt").maps
    assert (m.name, m.wwid, m.dm, m.vendor, m.product, m.size, m.features, m.hwhandler, m.write_protect) == (
        "mpatha", "35000c50015ea71ac", "dm-0", "VLAB", "SANLUN", "512M", "0", "0", "rw")
    assert [(g.policy, g.prio, g.status) for g in m.groups] == [("service-time 0", 1, "active"),
                                                                 ("service-time 0", 1, "enabled")]
    assert m.paths == (MPath("2:0:0:0", "sda", "8:0", "active", "ready", "running", 4),
                       MPath("3:0:0:0", "sdb", "8:16", "active", "ready", "running", 6))
    assert (ids("multipath", ll("multipath_ll.txt")), is_redundant("multipath", ll("multipath_ll.txt"))) == ([], True)


def test_failed_path_named() -> None:
    mp = ll("multipath_ll_one_path_failed.txt")
    assert [(p.device, p.dm_state, p.checker, p.online) for p in mp.maps[0].paths] == [
        ("sda", "failed", "faulty", "offline"), ("sdb", "active", "ready", "running")]
    assert ids("multipath", mp) == [("T3-OBS-STO-010", "mpatha:sda"), ("T3-OBS-STO-011", "mpatha")]


def test_all_paths_failed_with_queueing() -> None:
    mp = ll("multipath_ll_all_paths_failed_queueing.txt")
    assert mp.maps[0].features == "1 queue_if_no_path"
    no_path = [f for f in findings("multipath", mp) if f.rule_id == "T3-OBS-STO-012"]
    assert [f.message for f in no_path] == ["no path is active and ready: I/O queues"]


def test_multibus_one_group_two_paths() -> None:
    mp = ll("multipath_ll_multibus_all_paths_active.txt")
    assert [len(g.paths) for g in mp.maps[0].groups] == [2]
    assert ids("multipath", mp) == []


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
    assert ids("multipath", mp) == [("T3-OBS-STO-010", "mpathb:sdf"), ("T3-OBS-STO-012", "mpathb")]


def test_policy_sets_the_paths_a_map_needs() -> None:
    mp = ll("multipath_ll_multibus_all_paths_active.txt")
    assert ids("multipath", mp, mpath_min_paths=3) == [("T3-OBS-STO-011", "mpatha")]
    assert ids("multipath", ll("multipath_ll_one_path_removed.txt"), mpath_min_paths=1) == []
    assert RULES["T3-OBS-STO-011"].policy == ("mpath_min_paths",)


def test_path_after_the_last_one_is_refused() -> None:
    text = (REAL / "multipath_ll_multibus_all_paths_active.txt").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="line 6: path after the group's last one"):
        parse_multipath_ll(text + "  `- 8:0:0:0 sdc 8:32 active ready running\n", "x")


# ---- shapes other machines print (tests/fixtures/field/) ----------------------------------------

def test_padded_hctl_column() -> None:
    (m,) = ll("multipath_ll_padded_hctl.txt", FIELD).maps
    assert [(p.hctl, p.device, p.major_minor) for p in m.paths] == [
        ("9:0:0:1", "sdc", "8:32"), ("10:0:0:1", "sdaa", "65:160"), ("9:0:1:1", "sde", "8:64"),
        ("10:0:1:1", "sdab", "65:176")]
    assert is_redundant("multipath", ll("multipath_ll_padded_hctl.txt", FIELD)) is True


def test_map_with_no_path_group_is_judged_not_refused() -> None:
    mp = ll("multipath_ll_every_path_gone.txt", FIELD)
    gone = mp.maps[1]
    assert (gone.name, gone.vendor, gone.product, gone.groups) == ("mpathb", "##", "##", ())
    assert ids("multipath", mp) == [("T3-OBS-STO-012", "mpathb")]
    assert "every path has gone" in findings("multipath", mp)[0].message


def test_map_line_alone_is_still_refused() -> None:
    with pytest.raises(ParseError, match=r"line 1: map mpatha has no 'size=\.\.\. features=\.\.\.' line"):
        parse_multipath_ll("mpatha (3600a0b80001) dm-0 NETAPP,LUN\n", "x")


def test_gone_device_is_a_failed_path() -> None:
    mp = ll("multipath_ll_scsi_device_gone.txt", FIELD)
    gone = mp.maps[0].paths[1]
    assert (gone.hctl, gone.device, gone.major_minor, gone.gone) == ("#:#:#:#", "-", "#:#", True)
    assert ids("multipath", mp) == [("T3-OBS-STO-010", "mpatha:(gone, line 5)"), ("T3-OBS-STO-011", "mpatha")]


def test_iet_wwid_with_spaces_with_and_without_alias() -> None:
    mp = ll("multipath_ll_iscsi_iet.txt", FIELD)
    assert [(m.name, m.wwid, m.vendor, m.product) for m in mp.maps] == [
        ("mpathb", "1IET     00080001", "IET", "VIRTUAL-DISK"),
        ("1IET     00080002", "1IET     00080002", "IET", "VIRTUAL-DISK")]
    assert ids("multipath", mp) == [("T3-OBS-STO-010", "1IET     00080002:sde"),
                                    ("T3-OBS-STO-011", "1IET     00080002")]


def test_nvme_namespaces() -> None:
    (m,) = ll("multipath_ll_nvme.txt", FIELD).maps
    assert [(p.hctl, p.device, p.major_minor) for p in m.paths] == [
        ("22:8209:1:1", "nvme22n1", "259:5"), ("23:8210:1:1", "nvme23n1", "259:7")]
    assert is_redundant("multipath", ll("multipath_ll_nvme.txt", FIELD)) is True


def test_multipath_l_undef_is_unknown_not_failed() -> None:
    mp = ll("multipath_l_checker_undef.txt", FIELD)
    assert {p.checker for m in mp.maps for p in m.paths} == {"undef"}
    assert ids("multipath", mp) == [("T3-OBS-STO-014", "mpatha"), ("T3-OBS-STO-014", "mpathb")]
    assert is_redundant("multipath", mp) is False
    assert RULES["T3-OBS-STO-014"].breaks_redundancy is True


def test_one_path_of_unknown_state_is_short_even_if_ready() -> None:
    text = ("mpatha (3600a0b80001) dm-0 NETAPP,LUN\nsize=10G features='0' hwhandler='0' wp=rw\n"
            "`-+- policy='round-robin 0' prio=0 status=active\n  `- 1:0:0:1 sdc 8:32 active undef running\n")
    mp = parse_multipath_ll(text, "x")
    assert ids("multipath", mp) == [("T3-OBS-STO-011", "mpatha"), ("T3-OBS-STO-014", "mpatha")]


def test_pre_0_4_9_bracket_format_is_refused_by_name() -> None:
    with pytest.raises(ParseError, match=r"line 2: the bracket format of multipath-tools before 0\.4\.9"):
        ll("multipath_ll_0_4_8_brackets.txt", FIELD)
