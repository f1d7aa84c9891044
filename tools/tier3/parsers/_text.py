"""Shared pieces of the Linux tool parsers: input checks and line walking.

Parsers return facts only; what is wrong with those facts is for the observed rules
(``tier3.rules.observed``) to say.
"""

from __future__ import annotations

import functools
import gc
import json
import re
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from tier3.errors import ParseError

P = ParamSpec("P")
R = TypeVar("R")

_HTML = re.compile(r"^\s*<(?:!doctype|html|head|body|\?xml)", re.IGNORECASE)


def check_text(text: str, source: str, what: str) -> list[str]:
    """The lines of ``text``, after refusing what is plainly not ``what`` (empty, binary, HTML)."""
    if not isinstance(text, str):
        raise ParseError(source, "", f"expected {what} as text, got {type(text).__name__}")
    if not text.strip():
        raise ParseError(source, "line 1", f"empty input: expected {what}")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError(source, f"line {line}", f"binary data (NUL byte): expected {what}")
    if _HTML.match(text):
        raise ParseError(source, "line 1", f"an HTML or XML page, not {what}",
                         hint="save the command's standard output, not a web page")
    return text.splitlines()


def load_json(text: str, source: str, what: str) -> Any:
    """Checked text as JSON; bad JSON is a ParseError naming the line and column and ``what``."""
    check_text(text, source, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON ({exc.msg}): expected "
                         f"{what}") from None
    except RecursionError:
        raise ParseError(source, "", "JSON nested too deeply") from None


def to_int(value: str, source: str, where: str, what: str) -> int:
    """``value`` as a decimal integer, or a ParseError saying which field wanted one."""
    value = value.strip()
    if not re.fullmatch(r"-?\d{1,18}", value):
        raise ParseError(source, where, f"expected an integer for {what}, got {value!r}")
    return int(value)


def key_value(line: str, source: str, where: str, what: str) -> tuple[str, str]:
    """``Key: value`` split at the first colon (both stripped), or a ParseError."""
    key, sep, value = line.partition(":")
    if not sep or not key.strip():
        raise ParseError(source, where, f"expected 'Key: value' in {what}, got {line.strip()[:60]!r}")
    return key.strip(), value.strip()


def acyclic(parse: Callable[P, R]) -> Callable[P, R]:
    """Pause the cyclic garbage collector while ``parse`` runs.

    A parser of a large output allocates many small objects that hold no cycles; each collection
    the allocations trigger scans the whole growing heap, so the parse time grows faster than the
    input (measured by bench/parsers: 12.3x for 10x the multipath maps with it, 11.1x without).
    """

    @functools.wraps(parse)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return parse(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run
