"""T3-OBS-STO-020..028: a host's md arrays and multipath maps (real captures, tests/declared_support.py) against
its declared raid_arrays and multipath_luns. Each case changes one record or one declared key of the healthy host
and asserts the one topology finding it gives; the healthy host gives none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from declared_support import HOST, WWID, changed, declared, healthy, items, real, record, redeclared, topology
from tier3.inspect import InspectOptions, all_kinds
from tier3.inspect.topology import gathered
from tier3.model import RaidArray, Topology
from tier3.parsers.topology import disk_of, parse_host_observed, wwid_key
from tier3.rules.observed.topology_storage import member_difference

KIND = all_kinds()["topology"]
MD0, MD1, LUN0 = declared()["raid_arrays"][0], declared()["raid_arrays"][1], declared()["multipath_luns"][0]


def judge(topo: Topology, records: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    options = InspectOptions(policy=topo.policy_for(HOST), topology=topo, host=HOST)
    findings: list[dict[str, Any]] = KIND.inspect_raw(gathered(items(records)).raw, "answer", options)["findings"]
    return findings


def ids(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["rule_id"], f["subject"]) for f in findings]


def multipath(fixture: str) -> dict[str, Any]:
    return record("multipath", argv=("multipath", "-ll"), fixture=fixture)


def paths(*declared_paths: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{**LUN0, "paths": [{"device": d, "fabric": f, "hba": h} for d, f, h in declared_paths]}]


CASES: list[tuple[str, dict[str, Any], dict[str, list[dict[str, Any]]], list[tuple[str, str]]]] = [
    ("healthy: md0 raid5, md1 raid1 with its spare, lun0 over sda (san-a) and sdb (san-b)", {}, {}, []),
    ("md9 declared, not assembled", {"raid_arrays": [MD0, MD1, {"name": "md9", "level": "raid1",
                                                               "devices": ["/dev/vdh", "/dev/vdi"]}]},
     {}, [("T3-OBS-STO-020", "/dev/md9")]),
    ("md0 declared raid6, runs raid5", {"raid_arrays": [{**MD0, "level": "raid6"}, MD1]}, {},
     [("T3-OBS-STO-021", "/dev/md0")]),
    ("md1 declared over vde and vdh, runs over vde and vdf", {"raid_arrays": [MD0, {**MD1, "devices": ["/dev/vde",
                                                                                                      "/dev/vdh"]}]},
     {}, [("T3-OBS-STO-022", "/dev/md1")]),
    ("md0 not declared", {"raid_arrays": [MD1]}, {}, [("T3-OBS-STO-023", "/dev/md0")]),
    ("a second LUN declared, not presented", {"multipath_luns": [LUN0, {**LUN0, "name": "lun1",
                                                                        "wwid": "36001405000000000000000000000009"}]},
     {}, [("T3-OBS-STO-024", "lun1")]),
    ("one path device removed (real capture): sda left", {}, {"multipath": [multipath(
        "multipath_ll_one_path_removed.txt")]}, [("T3-OBS-STO-025", "lun0")]),
    ("three paths declared, two there, on both fabrics",
     {"multipath_luns": paths(("/dev/sda", "san-a", "host6"), ("/dev/sdb", "san-b", "host7"),
                              ("/dev/sdc", "san-b", "host8"))}, {}, [("T3-OBS-STO-025", "lun0")]),
    ("sdc declared (hba2), sdb there instead: its fabric unknown",
     {"multipath_luns": paths(("/dev/sda", "san-a", "host6"), ("/dev/sdc", "san-b", "hba2"))}, {},
     [("T3-OBS-STO-026", "lun0:sdc")]),
    ("four paths declared, two per fabric; the two of san-a there",
     {"multipath_luns": paths(("/dev/sda", "san-a", "host6"), ("/dev/sdb", "san-a", "host7"),
                              ("/dev/sdc", "san-b", "host8"), ("/dev/sdd", "san-b", "host9"))}, {},
     [("T3-OBS-STO-027", "lun0")]),
    ("no LUN declared, mpatha there", {"multipath_luns": []}, {}, [("T3-OBS-STO-028", "mpatha")]),
]


@pytest.mark.parametrize(("declared_keys", "records", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_defect_is_one_finding(tmp_path: Path, declared_keys: dict[str, Any],
                                    records: dict[str, list[dict[str, Any]]], expected: list[tuple[str, str]]) -> None:
    findings = judge(topology(tmp_path, redeclared(**declared_keys)), changed(**records))
    assert ids(findings) == expected
    assert all(f["evidence"]["declared"] and "observed" in f["evidence"] for f in findings)


def test_messages_say_declared_and_observed(tmp_path: Path) -> None:
    (level,) = judge(topology(tmp_path, redeclared(raid_arrays=[{**MD0, "level": "raid6"}, MD1])), healthy())
    assert level["message"] == "declared md0 raid6, observed raid5"
    (fabric,) = judge(topology(tmp_path, redeclared(multipath_luns=paths(
        ("/dev/sda", "san-a", "host6"), ("/dev/sdb", "san-a", "host7"), ("/dev/sdc", "san-b", "host8"),
        ("/dev/sdd", "san-b", "host9")))), healthy())
    assert fabric["message"] == ("declared lun0 paths on san-a, san-b, observed paths sda -> san-a, sdb -> san-a: "
                                 "all on san-a")
    assert fabric["evidence"]["observed"]["fabrics"] == {"sda": "san-a", "sdb": "san-a"}


def test_a_degraded_arrays_missing_member_is_the_md_rules_finding(tmp_path: Path) -> None:
    """md1 degraded (real capture: vdf removed): T3-OBS-STO-001 says so; no member finding here. The capture's
    other arrays (raid0 md2, linear md3) are not declared."""
    records = changed(mdstat=[record("mdstat", path="/proc/mdstat", fixture="proc_mdstat_raid1_degraded.txt")],
                      mdadm_detail=[record("mdadm-detail", argv=("mdadm", "--detail", "/dev/md1"), item="/dev/md1",
                                           fixture="mdadm_detail_md1_degraded.txt")])
    assert ids(judge(topology(tmp_path), records)) == [("T3-OBS-STO-023", "/dev/md2"), ("T3-OBS-STO-023", "/dev/md3")]


def test_partitions_count_as_their_declared_disks() -> None:
    """md4 is built on vdj1 and vdk1 (real capture); declared on the disks it compares equal."""
    observed = parse_host_observed({"mdstat": [("/proc/mdstat", real("proc_mdstat_raid1_resync_delayed.txt"))]}, "x")
    md4 = observed.arrays["md4"]
    assert md4.members == ("vdk1", "vdj1")
    assert member_difference(RaidArray("md4", "raid1", ("/dev/vdj", "/dev/vdk")), md4) == ([], [])
    assert member_difference(RaidArray("md4", "raid1", ("/dev/vdj1", "/dev/vdl")), md4) == (["vdl"], ["vdk1"])
    assert [disk_of(n) for n in ("sdb1", "nvme0n1p2", "mmcblk0p1", "vdb")] == ["sdb", "nvme0n1", "mmcblk0", "vdb"]


BY_ID = "/dev/disk/by-id/virtio-"  # lsblk_crypt_on_md_and_mpath.json: vdb..vdm carry serials T3DISK1..12


@pytest.mark.parametrize(("devices", "expected"), [
    ([f"{BY_ID}T3DISK1", f"{BY_ID}T3DISK2", f"{BY_ID}T3DISK3"], []),  # vdb, vdc, vdd: as observed
    ([f"{BY_ID}T3DISK1", f"{BY_ID}T3DISK2", f"{BY_ID}T3DISK7"], [("T3-OBS-STO-022", "/dev/md0")]),  # vdh, not vdd
    ([f"{BY_ID}T3DISK1", f"{BY_ID}T3DISK2", "/dev/disk/by-id/ata-QEMU_HARDDISK_X"], []),  # not resolved: not judged
])
def test_declared_udev_paths_are_resolved_with_lsblk(tmp_path: Path, devices: list[str],
                                                     expected: list[tuple[str, str]]) -> None:
    assert ids(judge(topology(tmp_path, redeclared(raid_arrays=[{**MD0, "devices": devices}, MD1])), healthy())) == \
        expected


def test_without_lsblk_a_declared_udev_path_is_not_judged(tmp_path: Path) -> None:
    records = healthy()
    del records["lsblk"]
    wrong = [f"{BY_ID}T3DISK7", f"{BY_ID}T3DISK8", f"{BY_ID}T3DISK9"]
    assert judge(topology(tmp_path, redeclared(raid_arrays=[{**MD0, "devices": wrong}, MD1])), records) == []


def test_wwids_compare_in_either_notation() -> None:
    assert wwid_key("naa.6001405ABCDEF") == wwid_key("36001405abcdef") == "36001405abcdef"
    assert wwid_key("eui.0025388b91b0e341") == "20025388b91b0e341"
    assert wwid_key(WWID.upper()) == WWID


def test_silent_without_md_or_multipath_evidence(tmp_path: Path) -> None:
    broken = topology(tmp_path, redeclared(raid_arrays=[{**MD0, "level": "raid6"}], multipath_luns=[]))
    records = healthy()
    for kind in ("mdstat", "mdadm-detail", "multipath"):
        del records[kind]
    assert judge(broken, records) == []
