"""Shared pieces of the parsers of the controller's own probe records (``tlsprobe``, ``dnsanswers``): the
records as JSON text or data, and one typed field of a record, each bad input a ``ParseError`` naming the
JSON pointer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from tier3.errors import ParseError


def records(raw: str | list[Any] | Mapping[str, Any], source: str, what: str, key: str) -> list[Any]:
    """Probe records as JSON text, a list of records, ``{KEY: [...]}`` or one record -> the non-empty list."""
    value: Any = raw
    if isinstance(raw, str):
        if not raw.strip():
            raise ParseError(source, "line 1", f"empty input: expected {what}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ParseError(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON ({exc.msg}): "
                             f"expected {what}") from None
        except RecursionError:
            raise ParseError(source, "", "JSON nested too deeply") from None
    if isinstance(value, Mapping):
        value = value.get(key, [value])
    if not isinstance(value, list) or not value:
        raise ParseError(source, "", f"expected a non-empty list: {what}")
    return value


def field(doc: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], source: str, where: str, *, what: str,
          optional: bool = False, default: Any = None) -> Any:
    """``doc[key]`` of one of ``kinds`` (a bool is no int unless bool is allowed); missing: ``default`` when
    optional, else an error naming ``where/key``."""
    value = doc.get(key)
    if value is None:
        if optional:
            return default
        raise ParseError(source, f"{where}/{key}", f"missing {key!r}: expected {what}")
    allowed = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        raise ParseError(source, f"{where}/{key}", f"{key} has the wrong type ({type(value).__name__})")
    return value


def iso_time(value: Any, source: str, where: str) -> float:
    """An ISO 8601 time of a record (``2027-12-01T11:00:00Z``; no zone is UTC) as seconds since the epoch."""
    if not isinstance(value, str):
        raise ParseError(source, where, "expected an ISO 8601 time (2027-12-01T11:00:00Z)")
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(source, where, f"not an ISO 8601 time: {value!r}") from None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).timestamp()
