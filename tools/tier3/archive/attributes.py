"""The immutable and append-only file flags (chattr +i, +a) through ioctl(2): no process per file.

Setting either needs CAP_LINUX_IMMUTABLE (root) and a file system that keeps attributes (ext4, xfs,
btrfs); ``set_flag`` says whether it changed anything, so a converge reports what it did and a
second run reports nothing (``copy attributes: +i`` is not idempotent).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from tier3.errors import ArchiveError

FS_IOC_GETFLAGS, FS_IOC_SETFLAGS = 0x80086601, 0x40086602  # linux/fs.h, on 64-bit
FS_IMMUTABLE_FL, FS_APPEND_FL = 0x10, 0x20


def get_flags(path: Path) -> int:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        return int.from_bytes(fcntl.ioctl(fd, FS_IOC_GETFLAGS, bytes(8))[:4], "little")
    finally:
        os.close(fd)


def set_flag(path: Path, flag: int, on: bool = True) -> bool:
    """Set or clear ``flag``; True when it changed (idempotent, unlike ``copy attributes: +i``)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        flags = int.from_bytes(fcntl.ioctl(fd, FS_IOC_GETFLAGS, bytes(8))[:4], "little")
        wanted = flags | flag if on else flags & ~flag
        if wanted == flags:
            return False
        try:
            fcntl.ioctl(fd, FS_IOC_SETFLAGS, wanted.to_bytes(4, "little") + bytes(4))
        except OSError as exc:
            raise ArchiveError(str(path), "", f"cannot {'set' if on else 'clear'} the file flag {flag:#x}: {exc}",
                               hint="run as root (CAP_LINUX_IMMUTABLE) on a file system with attributes "
                               "(ext4, xfs, btrfs)") from None
        return True
    finally:
        os.close(fd)


def describe_flags(path: Path) -> dict[str, bool]:
    flags = get_flags(path)
    return {"immutable": bool(flags & FS_IMMUTABLE_FL), "append_only": bool(flags & FS_APPEND_FL)}
