"""parse_mdstat on real captures: arrays, members and flags, slots, progress, verdicts."""

from __future__ import annotations

from pathlib import Path

from judged import findings, ids, is_redundant

from tier3.parsers.mdstat import MdStat, Member, SyncProgress, parse_mdstat
from tier3.rules import RULES

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"


def stat(name: str) -> MdStat:
    return parse_mdstat((REAL / name).read_text(encoding="utf-8"), name)


def test_raid1_clean() -> None:
    s = stat("proc_mdstat.txt")
    assert s.personalities == ("linear", "multipath", "raid0", "raid1", "raid6", "raid5", "raid4", "raid10")
    (md0,) = s.arrays
    assert (md0.name, md0.active, md0.level, md0.blocks, md0.raid_disks, md0.working_disks, md0.slot_map) == (
        "md0", True, "raid1", 523264, 2, 2, "UU")
    assert [(m.device, m.role, m.flags) for m in md0.members] == [("vdb", 1, ()), ("vda", 0, ())]
    assert (s.unused_devices, is_redundant("mdstat", s)) == ((), True)


def test_degraded_names_faulty_member() -> None:
    s = stat("proc_mdstat_degraded.txt")
    assert [(m.device, m.flags) for m in s.arrays[0].members] == [("vdb", ("faulty",)), ("vda", ())]
    assert ids("mdstat", s) == [
        ("T3-OBS-STO-001", "/dev/md0"), ("T3-OBS-STO-005", "/dev/md0:vdb")]
    assert findings("mdstat", s)[0].evidence["missing_slots"] == [1]


def test_recovery_progress() -> None:
    s = stat("proc_mdstat_raid5_initial_recovery.txt")
    assert s.arrays[0].sync == SyncProgress("recovery", 2.2, "1536K/sec", "2.1min")
    assert is_redundant("mdstat", s) is False


def test_check_scrub_is_redundant() -> None:
    s = stat("proc_mdstat_raid5_check.txt")
    assert s.arrays[0].sync == SyncProgress("check", 2.2, "1664K/sec", "1.9min")
    assert is_redundant("mdstat", s) is True


def test_reshape_and_auto_read_only() -> None:
    s = stat("proc_mdstat_raid5_reshape.txt")
    md0, md125 = s.arrays
    assert md0.sync is not None
    assert md0.sync.action == "reshape"
    assert (md125.read_only, md125.level) == ("auto-read-only", "raid1")
    assert ids("mdstat", s) == [("T3-OBS-STO-002", "/dev/md0")]


def test_resync_pending_and_delayed() -> None:
    pending = stat("proc_mdstat_raid1_resync_pending.txt").arrays[0]
    assert (pending.name, pending.sync) == ("md5", SyncProgress("resync", None, waiting="PENDING"))
    delayed = stat("proc_mdstat_raid1_resync_delayed.txt").arrays[0]
    assert delayed.sync == SyncProgress("resync", None, waiting="DELAYED")


def test_inactive_array_has_no_level_and_a_spare() -> None:
    md1 = stat("proc_mdstat_inactive.txt").arrays[0]
    assert (md1.name, md1.active, md1.level, md1.raid_disks) == ("md1", False, None, None)
    assert [(m.device, m.role, m.flags) for m in md1.members] == [("vde", 0, ("spare",))]


def test_flags_write_mostly_replacement_spare() -> None:
    assert stat("proc_mdstat_raid1_write_mostly.txt").arrays[1].members[1].flags == ("write-mostly",)
    assert stat("proc_mdstat_raid5_replace.txt").arrays[0].members[0].flags == ("replacement",)
    assert stat("proc_mdstat_raid1_spare.txt").arrays[0].members[0] == Member("vdg", 2, ("spare",))


def test_after_replace_faulty_leftover_does_not_break_redundancy() -> None:
    s = stat("proc_mdstat_raid5_after_replace.txt")
    assert ids("mdstat", s) == [("T3-OBS-STO-005", "/dev/md0:vdm")]
    assert RULES["T3-OBS-STO-005"].breaks_redundancy is False
    assert is_redundant("mdstat", s) is True


def test_raid0_and_linear_never_redundant() -> None:
    assert ids("mdstat", stat("proc_mdstat_multi.txt")) == [
        ("T3-OBS-STO-003", "/dev/md2"), ("T3-OBS-STO-003", "/dev/md3")]


def test_raid10_layout_line() -> None:
    md7 = stat("proc_mdstat_raid10_clean.txt").arrays[0]
    assert (md7.level, md7.raid_disks, md7.slot_map) == ("raid10", 4, "UUUU")


def test_no_array_at_all_is_not_redundant() -> None:
    s = parse_mdstat("Personalities : [raid1]\nunused devices: <none>\n", "x")
    assert (s.arrays, is_redundant("mdstat", s), [r for r, _ in ids("mdstat", s)]) == ((), False, ["T3-OBS-STO-007"])


def test_bitmap_line_and_unused_devices_list() -> None:
    text = ("Personalities : [raid1]\nmd0 : active raid1 sdb1[1] sda1[0]\n      1046528 blocks super 1.2 [2/2] [UU]\n"
            "      bitmap: 0/1 pages [0KB], 65536KB chunk\n\nunused devices: sdc1 sdd1\n")
    s = parse_mdstat(text, "x")
    assert (is_redundant("mdstat", s), s.unused_devices) == (True, ("sdc1", "sdd1"))


def test_single_slot_raid1_is_not_redundant() -> None:
    text = ("Personalities : [raid1]\nmd0 : active raid1 sda1[0]\n      100 blocks super 1.2 [1/1] [U]\n\n"
            "unused devices: <none>\n")
    assert [r for r, _ in ids("mdstat", parse_mdstat(text, "x"))] == ["T3-OBS-STO-006"]
