"""What the platforms configured with ``set`` lines (Junos, PAN-OS) read alike: the managed part of a set-format
listing, and the first line a ``send_config_set`` batch had refused."""

from __future__ import annotations

import re
from collections.abc import Iterable


def managed_set_lines(text: str, managed: Iterable[str]) -> str:
    """The lines of a set-format listing under the ``managed`` hierarchies, in order, each once."""
    prefixes = tuple(f"set {m} " for m in managed)
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith(prefixes)]
    return "".join(f"{line}\n" for line in dict.fromkeys(lines))


def first_rejected(output: str, sent: list[str], error: re.Pattern[str]) -> str | None:
    """The first line of ``sent`` the device refused in ``output`` (the echo, then a line ``error``
    matches), with its error; None when none was."""
    current = ""
    for line in output.splitlines():
        stripped = line.rstrip()
        echoed = next((c for c in sent if stripped.endswith(c)), None)
        if echoed is not None:
            current = echoed
        elif error.match(stripped):
            return f"{current}: {stripped.strip()}"
    return None
