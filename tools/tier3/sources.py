"""The one reader of sources: every file, standard input and saved tree tier3 reads goes through
here, with the same limits, so no input can make it read without bound or hang.

- a regular file, or ``-`` for standard input; a FIFO, a device or a directory given as a file
  is refused (``/dev/zero`` would never end, a FIFO may never be written);
- at most ``MAX_BYTES`` (64 MiB) per source: tool outputs, BMC answers and inventories are far
  smaller, so anything larger is refused before it fills memory;
- text must be UTF-8 without NUL bytes.

Every refusal is a ``ParseError`` naming the source (exit 2 in the CLI).
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from tier3.errors import ParseError

MAX_BYTES = 64 * 1024 * 1024
MAX_MIB = MAX_BYTES // (1024 * 1024)
STDIN = "-"


def read_bytes(source: str, *, hint: str = "give a saved output file or '-' for standard input") -> bytes:
    """The bytes of SOURCE (a regular file or ``-``), at most ``MAX_BYTES``."""
    if source == STDIN:
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(MAX_BYTES + 1) if stream is not None else sys.stdin.read(MAX_BYTES + 1).encode()
    else:
        data = _read_file(Path(source), source, hint)
    if len(data) > MAX_BYTES:
        raise ParseError(source, "", f"larger than {MAX_MIB} MiB: not a tool output or device answer")
    return data


def _read_file(path: Path, source: str, hint: str) -> bytes:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ParseError(source, "", "no such file", hint=hint) from None
    except OSError as exc:
        raise ParseError(source, "", f"cannot read: {exc.strerror or exc}", hint=hint) from None
    if not stat.S_ISREG(mode):
        raise ParseError(source, "", f"{kind_of(mode)}, not a regular file", hint=hint)
    try:
        # O_NONBLOCK: a file swapped for a FIFO after the stat() above cannot block the open
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_BYTES:
                raise ParseError(source, "", f"larger than {MAX_MIB} MiB: not a tool output or device answer")
            data = fh.read(size + 1)  # sized to the file: no 64 MiB buffer per small file
            if len(data) > size:  # it grew while read: read on, up to the cap
                data += fh.read(MAX_BYTES + 1 - len(data))
            return data
    except OSError as exc:
        raise ParseError(source, "", f"cannot read: {exc.strerror or exc}", hint=hint) from None


def kind_of(mode: int) -> str:
    """What a non-regular file is, as messages name it."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def decode(data: bytes, source: str) -> str:
    """UTF-8 text without NUL bytes, or a ParseError naming the byte."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(source, f"byte {nul}", "binary data (NUL byte): expected text output")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(source, f"byte {exc.start}", "not UTF-8 text") from None


def read_text(source: str, *, hint: str = "give a saved output file or '-' for standard input") -> str:
    """The text of SOURCE (a regular file or ``-``), within the limits above."""
    return decode(read_bytes(source, hint=hint), source)
