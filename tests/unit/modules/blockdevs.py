"""Loop devices for the tier3_blockdev tests: real block devices on this machine (root, losetup), each over a
file in the test's tmp_path, detached after the test; and the signatures written on them as the tools write
them (mkfs.ext4, cryptsetup luksFormat) or, where this machine's kernel cannot make one (md: no md driver
here), as the on-disk format defines them."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SIZE = 32 * 1024 * 1024
KEY = "correct horse battery staple 42"  # a test key (LUKS headers on throwaway loop files)
NEEDED = ("losetup", "mkfs.ext4", "blkid", "wipefs", "cryptsetup", "mount", "umount")


def need_loop_devices() -> None:
    """Skip (saying why) where loop devices cannot be made: not root, or a tool missing."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the tests attach loop devices (losetup)")
    missing = [tool for tool in NEEDED if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (cryptsetup: apt-get install cryptsetup-bin)")


def run(*argv: str, stdin: str | None = None) -> str:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, f"{' '.join(argv)}: exit {done.returncode}: {done.stderr}"
    return done.stdout


class Loops:
    """Attaches loop devices over files of one directory; ``detach_all`` undoes every one."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.attached: list[str] = []

    def blank(self, name: str) -> str:
        image = self.where / f"{name}.img"
        with image.open("wb") as handle:
            handle.truncate(SIZE)
        device = run("losetup", "--find", "--show", str(image)).strip()
        self.attached.append(device)
        return device

    def detach_all(self) -> None:
        for device in reversed(self.attached):
            subprocess.run(["losetup", "--detach", device], capture_output=True, check=False)
        self.attached.clear()


@contextmanager
def loops(where: Path) -> Iterator[Loops]:
    made = Loops(where)
    try:
        yield made
    finally:
        made.detach_all()


def ext4_with_file(device: str, where: Path, text: str) -> None:
    """mkfs.ext4 on ``device`` with one file, hello.txt, holding ``text`` (mkfs -d: no mount needed)."""
    source = where / f"content-{Path(device).name}"
    source.mkdir()
    (source / "hello.txt").write_text(text, encoding="utf-8")
    run("mkfs.ext4", "-q", "-F", "-d", str(source), device)


def read_file_read_only(device: str, where: Path) -> str:
    """hello.txt as the filesystem on ``device`` holds it, mounted read-only and unmounted again."""
    target = where / f"mnt-{Path(device).name}"
    target.mkdir()
    run("mount", "-o", "ro", device, str(target))
    try:
        return (target / "hello.txt").read_text(encoding="utf-8")
    finally:
        run("umount", str(target))


def luks_format(device: str, version: int) -> str:
    """A LUKS header of ``version`` with KEY (a fast key derivation: the test is not about its cost); its UUID."""
    run("cryptsetup", "luksFormat", "--batch-mode", f"--type=luks{version}", "--pbkdf=pbkdf2",
        "--pbkdf-force-iterations=1000", "--key-file=-", device, stdin=KEY)
    return run("cryptsetup", "luksUUID", device).strip()


def write_at(device: str, offset: int, data: bytes) -> None:
    with open(device, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def mbr(device: str) -> None:
    """A DOS partition table: one Linux partition from sector 2048 to the end, and the 0x55AA signature."""
    entry = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0x83, b"\xfe\xff\xff", 2048, SIZE // 512 - 2048)
    write_at(device, 446, entry)
    write_at(device, 510, b"\x55\xaa")


MD_MAGIC = 0xA92B4EFC


def md_superblock_1_2(device: str, name: str, uuid: bytes) -> None:
    """An md metadata 1.2 superblock (4 KiB from the start) of a two-disk raid1 called ``name``, with its
    checksum, as mdadm --create writes it (Linux's md_p.h, struct mdp_superblock_1): this machine's kernel
    has no md driver, so mdadm cannot make one here."""
    sb = bytearray(256 + 2 * 2)  # the superblock and two dev_roles
    struct.pack_into("<IIII", sb, 0, MD_MAGIC, 1, 0, 0)  # magic, major_version, feature_map, pad0
    sb[16:32] = uuid  # set_uuid
    sb[32:64] = name.encode().ljust(32, b"\0")  # set_name
    struct.pack_into("<I", sb, 72, 1)  # level: raid1
    struct.pack_into("<I", sb, 92, 2)  # raid_disks
    struct.pack_into("<Q", sb, 128, 2048)  # data_offset (sectors)
    struct.pack_into("<Q", sb, 144, 8)  # super_offset: sector 8, 4 KiB
    struct.pack_into("<I", sb, 220, 2)  # max_dev
    total = sum(struct.unpack_from(f"<{len(sb) // 4}I", sb))
    struct.pack_into("<I", sb, 216, ((total & 0xFFFFFFFF) + (total >> 32)) & 0xFFFFFFFF)  # sb_csum
    write_at(device, 4096, bytes(sb))
