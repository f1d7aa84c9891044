"""roles/raid's plan on this machine (localhost) against loop devices: blank devices are created over, devices that
carry the array's own superblock are assembled, and a device with a filesystem or another array's superblock is
refused with its offset before anything is touched (the filesystem mounts read-only and its file reads back).
This machine's kernel has no md driver, so the plan is read in check mode (the arrays step says what it would
do) and the refusal for real; the whole role converges on the lab's metal hosts (QEMU), not here. About 20 s."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from blockdevs import Loops, ext4_with_file, loops, md_superblock_1_2, need_loop_devices, read_file_read_only

from support import localhost_play, run_playbook

UP_TO_ARRAYS = "raid_preflight,raid_probe,raid_arrays"
PLAN_NOTE = "Raid | Note what check mode cannot show"
PREFLIGHT = "Raid | Refuse an unsupported platform, malformed arrays, a device in two arrays, too few devices"
REFUSAL = "Raid | Refuse an array whose devices hold a filesystem, a partition table, another array, LUKS, LVM or data"


def raid_play(tmp: Path, arrays: list[dict[str, Any]], *extra: str) -> tuple[subprocess.CompletedProcess[str],
                                                                             dict[str, Any]]:
    """The role's steps up to the arrays on localhost (mdadm counted as installed: its apt step is skipped)."""
    playbook = tmp / "raid.yml"
    playbook.write_text(localhost_play(
        "Raid", [{"name": "raid", "ansible.builtin.include_role": {"name": "tier3.dc.raid"}, "tags": ["always"]}],
        tier3_installed_packages=["mdadm"], raid_arrays=arrays), encoding="utf-8")
    return run_playbook(playbook, "--tags", UP_TO_ARRAYS, *extra)


def results(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["task"]["name"].removeprefix("tier3.dc.raid : "): t["hosts"].get("localhost", {})
            for t in report["plays"][0]["tasks"]}


@pytest.fixture
def made(tmp_path: Path) -> Any:
    need_loop_devices()
    with loops(tmp_path) as attached:
        yield attached


def test_blank_devices_are_created_over_and_own_superblocks_assembled(made: Loops, tmp_path: Path) -> None:
    a, b, c, d = (made.blank(n) for n in "abcd")
    for device in (c, d):
        md_superblock_1_2(device, "metal1:md1", bytes(range(16)))
    done, report = raid_play(tmp_path, [{"name": "md0", "level": "raid1", "devices": [a, b]},
                                        {"name": "md1", "level": "raid1", "devices": [c, d]}], "--check")
    assert done.returncode == 0, done.stdout[-3000:]
    assert " ".join(results(report)[PLAN_NOTE]["msg"].split()) == (
        "check mode: would create md0, assemble md1, start nothing; mdadm.conf gets their ARRAY lines then")


def test_a_filesystem_or_another_arrays_superblock_is_refused(made: Loops, tmp_path: Path) -> None:
    blank, fs, other = made.blank("blank"), made.blank("fs"), made.blank("other")
    ext4_with_file(fs, tmp_path, "still here\n")
    md_superblock_1_2(other, "metal1:md5", bytes(range(16)))
    done, report = raid_play(tmp_path, [{"name": "md0", "level": "raid1", "devices": [blank, fs]},
                                        {"name": "md1", "level": "raid1", "devices": [other, made.blank("spare")]}])
    assert done.returncode != 0
    message = results(report)[REFUSAL]["msg"]
    assert f"refusing to create md0 on {fs}: it holds a filesystem (ext4, UUID " in message
    assert "ext4 at offset 0x438); wipe it yourself if it is meant for md0" in message
    assert f"refusing to create md1 on {other}: it holds an md RAID superblock (linux_raid_member, UUID " in message
    assert "LABEL metal1:md5, linux_raid_member at offset 0x1000)" in message
    assert blank not in message
    assert read_file_read_only(fs, tmp_path) == "still here\n"


def test_two_arrays_of_one_name_are_refused(made: Loops, tmp_path: Path) -> None:
    first, second = made.blank("first"), made.blank("second")
    md_superblock_1_2(first, "metal1:md0", bytes(range(16)))
    md_superblock_1_2(second, "metal1:md0", bytes(range(16, 32)))
    done, report = raid_play(tmp_path, [{"name": "md0", "level": "raid1", "devices": [first, second]}])
    assert done.returncode != 0
    assert "md0: its devices carry superblocks of 2 arrays named md0" in results(report)[REFUSAL]["msg"]


def test_too_few_devices_and_a_device_in_two_arrays_are_refused_before_any_probe(tmp_path: Path) -> None:
    done, report = raid_play(tmp_path, [{"name": "md0", "level": "raid5", "devices": ["/dev/tier3-x", "/dev/tier3-y"]},
                                        {"name": "md1", "level": "raid1", "devices": ["/dev/tier3-y", "/dev/tier3-z"]}])
    assert done.returncode != 0
    said = results(report)
    message = said[PREFLIGHT]["msg"]
    assert "too few: md0 raid5: 2 of 3" in message
    assert "Raid | What each member and spare holds (tier3_blockdev - blkid, wipefs --no-act, sysfs, the first MiB)" \
        not in said
