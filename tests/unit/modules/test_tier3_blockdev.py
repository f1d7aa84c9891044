"""tier3.dc.tier3_blockdev run for real through ansible-playbook on localhost, against loop devices attached on
this machine: an ext4 filesystem, LUKS2 and LUKS1 headers (cryptsetup), a blank device, random data, a DOS
partition table, an md 1.2 superblock, a missing path; read-only and the same in check mode. About 10 s."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from blockdevs import (
    KEY,
    Loops,
    ext4_with_file,
    loops,
    luks_format,
    mbr,
    md_superblock_1_2,
    need_loop_devices,
    read_file_read_only,
    write_at,
)

from support import ROOT, load_by_path, localhost_play, run_playbook, task_results

MODULE = load_by_path("tier3_blockdev", ROOT / "plugins" / "modules" / "tier3_blockdev.py")
MD_UUID = bytes(range(1, 17))


def probe(tmp: Path, devices: list[str], *extra: str) -> dict[str, Any]:
    playbook = tmp / "probe.yml"
    playbook.write_text(localhost_play("Probe", [{"name": "probe", "tier3.dc.tier3_blockdev": {"devices": devices},
                                                  "ignore_errors": True}]), encoding="utf-8")
    _, report = run_playbook(playbook, *extra)
    (result,) = task_results(report)
    assert result.get("failed") is not True, result
    return result


@pytest.fixture
def made(tmp_path: Path) -> Any:
    need_loop_devices()
    with loops(tmp_path) as attached:
        yield attached


def by_device(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["device"]: r for r in result["devices"]}


def test_each_signature_is_named_with_its_offset(made: Loops, tmp_path: Path) -> None:
    fs, luks2, luks1, blank, data, table, md = (made.blank(n) for n in ("fs", "luks2", "luks1", "blank", "data",
                                                                        "table", "md"))
    ext4_with_file(fs, tmp_path, "kept\n")
    uuid2, uuid1 = luks_format(luks2, 2), luks_format(luks1, 1)
    write_at(data, 0, os.urandom(4096))  # what a plain dm-crypt volume looks like: no header, not zeros
    mbr(table)
    md_superblock_1_2(md, "metal1:md0", MD_UUID)
    result = probe(tmp_path, [fs, luks2, luks1, blank, data, table, md, "/dev/tier3-no-such-disk"])
    seen = by_device(result)
    assert result["changed"] is False
    assert [seen[d]["kind"] for d in (fs, luks2, luks1, blank, data, table, md)] == [
        "filesystem:ext4", "luks2", "luks1", "blank", "data", "partition-table:dos", "md"]
    assert seen["/dev/tier3-no-such-disk"]["kind"] == "missing"
    assert result["blank"] == [blank]

    assert seen[fs]["type"] == "ext4"
    assert [(s["type"], s["offset"]) for s in seen[fs]["signatures"]] == [("ext4", "0x438")]
    assert seen[fs]["what"].startswith("a filesystem (ext4, UUID ")
    assert seen[fs]["what"].endswith("ext4 at offset 0x438)")
    assert (seen[luks2]["uuid"], seen[luks2]["version"]) == (uuid2, "2")
    assert (seen[luks1]["uuid"], seen[luks1]["version"]) == (uuid1, "1")
    assert seen[luks2]["what"].startswith("a LUKS2 header (crypto_LUKS, UUID ")
    assert "crypto_LUKS at offset 0x0" in seen[luks2]["what"]
    assert seen[table]["what"] == "a partition table (dos, dos at offset 0x1fe)"
    assert (seen[md]["md_uuid"], seen[md]["md_array"], seen[md]["label"]) == (
        "01020304:05060708:090a0b0c:0d0e0f10", "md0", "metal1:md0")
    assert "linux_raid_member at offset 0x1000" in seen[md]["what"]
    assert seen[data]["zeroed"] is False
    assert "not zeros" in seen[data]["what"]
    assert seen[blank]["zeroed"] is True
    assert seen[blank]["signatures"] == []
    assert all(seen[d]["block"] for d in (fs, luks2, blank))
    assert "TYPE=ext4" in seen[fs]["output"]["blkid"]  # the tools' own words, as evidence
    assert '"ext4"' in seen[fs]["output"]["wipefs"]
    assert read_file_read_only(fs, tmp_path) == "kept\n"  # probing changed nothing


def test_check_mode_gives_the_same_answer(made: Loops, tmp_path: Path) -> None:
    fs, blank = made.blank("fs"), made.blank("blank")
    ext4_with_file(fs, tmp_path, "kept\n")
    real, checked = probe(tmp_path, [fs, blank]), probe(tmp_path, [fs, blank], "--check")
    kinds = [r["kind"] for r in checked["devices"]]
    assert kinds == [r["kind"] for r in real["devices"]] == ["filesystem:ext4", "blank"]
    assert checked["changed"] is False


def test_a_link_is_followed_and_a_regular_file_is_no_block_device(made: Loops, tmp_path: Path) -> None:
    luks2 = made.blank("luks2")
    luks_format(luks2, 2)
    link = tmp_path / "by-id-luks"
    link.symlink_to(luks2)
    image = tmp_path / "plain.img"
    image.write_bytes(b"\0" * 65536)
    seen = by_device(probe(tmp_path, [str(link), str(image)]))
    assert (seen[str(link)]["path"], seen[str(link)]["kind"]) == (luks2, "luks2")
    assert (seen[str(image)]["block"], seen[str(image)]["kind"]) == (False, "blank")


def test_the_kinds_blkid_gives_no_loop_device_here() -> None:
    """The table for what these tests cannot write for real on this machine: LVM (no lvm2), other
    encryption headers, ambivalent probes, a signature only wipefs knows."""
    assert MODULE.md_uuid("01020304-0506-0708-090a-0b0c0d0e0f10") == "01020304:05060708:090a0b0c:0d0e0f10"
    assert MODULE.md_uuid("") == ""
    assert MODULE.kind_of(MODULE.BLKID_AMBIVALENT, {}, [], None) == ("ambivalent", "")
    assert MODULE.kind_of(0, {"TYPE": "LVM2_member", "USAGE": "raid"}, [], None) == ("lvm", "LVM2_member")
    assert MODULE.kind_of(0, {"TYPE": "BitLocker", "USAGE": "crypto"}, [], None) == ("crypto:BitLocker", "BitLocker")
    assert MODULE.kind_of(2, {}, [{"type": "gpt", "offset": "0x7fffe00"}], None) == ("other:gpt", "gpt")
    assert MODULE.kind_of(2, {}, [], True) == ("blank", "")


def test_the_key_of_a_formatted_header_opens_it(made: Loops) -> None:
    """The helper's headers are real: cryptsetup accepts KEY on them (the luks role's tests rely on it)."""
    device = made.blank("luks2")
    luks_format(device, 2)
    done = subprocess.run(["cryptsetup", "open", "--test-passphrase", "--key-file=-", device], input=KEY,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
