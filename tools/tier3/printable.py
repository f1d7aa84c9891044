"""Text that is safe to print: no control character from an inventory value, a device answer or
a file name reaches a terminal, a log or an XML document raw.

``printable(text)`` escapes every C0 and C1 control character (and DEL) as ``\\xNN`` (``\\n`` and
``\\t`` too, unless ``keep_newlines``), so an escape sequence in a BMC's reason phrase or a
``\\x01`` in an inventory value shows as what it is instead of acting on the terminal or breaking
the JUnit XML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match[0]):02x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with its control characters escaped (newlines and tabs kept only when asked)."""
    pattern = _CONTROL if keep_newlines else _CONTROL_OR_NEWLINE
    return pattern.sub(_escape, text)


def printable_value(value: Any) -> Any:
    """A JSON-like value (evidence, options) with every string in it, keys too, made ``printable``."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {printable(str(k)): printable_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable_value(v) for v in value]
    return value
