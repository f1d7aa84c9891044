"""parse_mdstat on real captures: arrays, members and flags, slots, progress, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from judged import findings, ids, is_redundant

from tier3.errors import ParseError
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


# ---- shapes other machines print (tests/fixtures/field/) ----------------------------------------
FIELD = REAL.parent / "field"


def field(name: str) -> MdStat:
    return parse_mdstat((FIELD / name).read_text(encoding="utf-8"), name)


def test_imsm_container_is_a_fact_never_an_inactive_array() -> None:
    s = field("proc_mdstat_imsm_raid1.txt")
    md126, md127 = s.arrays
    assert (md127.active, md127.metadata, md127.container, md127.in_container) == (
        False, "external:imsm", True, "")
    assert (md126.metadata, md126.container, md126.in_container) == ("external:/md127/0", False, "/dev/md127")
    assert (ids("mdstat", s), is_redundant("mdstat", s)) == ([], True)


def test_imsm_volume_is_judged_and_the_container_never_gets_mdadm_run() -> None:
    s = field("proc_mdstat_imsm_raid1_degraded.txt")
    assert ids("mdstat", s) == [("T3-OBS-STO-001", "/dev/md126")]
    assert all("--run" not in f.hint for f in findings("mdstat", s))


def test_container_alone_is_no_array() -> None:
    s = field("proc_mdstat_imsm_container_only.txt")
    assert (s.personalities, ids("mdstat", s)) == ((), [("T3-OBS-STO-007", "/proc/mdstat")])
    assert "only the container(s) /dev/md127 (external:imsm)" in findings("mdstat", s)[0].message


def test_ddf_container_and_090_metadata() -> None:
    assert [(a.name, a.container) for a in field("proc_mdstat_ddf_raid5.txt").arrays] == [
        ("md126", False), ("md127", True)]
    text = "Personalities : [raid1]\nmd0 : active raid1 sdb1[1] sda1[0]\n      1048512 blocks [2/2] [UU]\n\n" \
           "unused devices: <none>\n"
    assert parse_mdstat(text, "x").arrays[0].metadata == ""


def test_prompt_lines_are_skipped_and_kept() -> None:
    s = field("proc_mdstat_prompt_root.txt")
    assert s.prompt_lines == ((1, "root@host:~# cat /proc/mdstat"), (8, "root@host:~#"))
    assert (s.complete, is_redundant("mdstat", s)) == (True, True)


def test_a_cut_file_is_judged_on_what_it_shows_and_never_redundant() -> None:
    s = field("proc_mdstat_prompt_dollar_cut_degraded.txt")
    assert (s.complete, s.unused_devices, s.last_line, s.unread) == (False, None, 8, None)
    assert ids("mdstat", s) == [("T3-OBS-STO-001", "/dev/md1"), ("T3-OBS-STO-005", "/dev/md1:sdb2"),
                                ("T3-OBS-STO-008", "/proc/mdstat")]
    healthy = field("proc_mdstat_cut_healthy.txt")
    assert (ids("mdstat", healthy), is_redundant("mdstat", healthy)) == ([("T3-OBS-STO-008", "/proc/mdstat")], False)


def test_a_last_block_cut_too_short_is_kept_unread() -> None:
    s = field("proc_mdstat_cut_mid_array.txt")
    assert ([a.name for a in s.arrays], s.unread) == (["md2"], (5, "md0 : active raid5 sdh[3] sdg[1] sdf[0]"))
    assert ids("mdstat", s) == [("T3-OBS-STO-004", "/dev/md2"), ("T3-OBS-STO-008", "/proc/mdstat")]


def test_a_cut_that_hides_every_array_is_not_called_no_array() -> None:
    s = parse_mdstat("Personalities : [raid1]\nmd0 : active raid1 sdb1[1] sd", "x")
    assert (s.arrays, ids("mdstat", s)) == ((), [("T3-OBS-STO-008", "/proc/mdstat")])


def test_only_the_last_block_of_a_cut_file_may_be_unread() -> None:
    with pytest.raises(ParseError, match="line 2: expected a member"):
        parse_mdstat("Personalities : [raid1]\nmd0 : active raid1 sdb1[1] sd\nmd1 : active raid1 a[0]\n", "x")
    with pytest.raises(ParseError, match="line 3: text after the 'unused devices:' line"):
        parse_mdstat("Personalities : [raid1]\nunused devices: <none>\nroot@host:~# ls\n", "x")
