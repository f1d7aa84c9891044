"""The schemas, as data: one cerberus YAML per object kind, read once; and cerberus's error wording.

cerberus itself is the reference validator (``tier3.schema.cerberus_ref``); the loader checks with
the compiled equivalent (``tier3.schema.compiled``) and so never imports cerberus on the fast path.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, NamedTuple

import yaml

HERE = Path(__file__).parent
KINDS: Final = ("site", "host", "vip", "firewall_pair", "load", "mail", "drill", "dns", "reliability", "targets",
                "monitoring", "archive", "firewall_policy", "waiver")

# cerberus.errors.BasicErrorHandler.messages for the codes our rules raise (a test holds them equal)
MESSAGES: Final[Mapping[int, str]] = {
    0x02: "required field",
    0x03: "unknown field",
    0x22: "empty values not allowed",
    0x23: "null value not allowed",
    0x24: "must be of {constraint} type",
    0x27: "min length is {constraint}",
    0x28: "max length is {constraint}",
    0x41: "value does not match regex '{constraint}'",
    0x42: "min value is {constraint}",
    0x43: "max value is {constraint}",
    0x44: "unallowed value {value}",
    0x45: "unallowed values {0}",
}


class CerberusError(NamedTuple):
    """One schema violation as cerberus reports it (document path, error code, message): the loader turns
    each into an ``InventoryError`` naming the file and key. Not a finding: rules report ``Violation``."""

    path: tuple[Any, ...]
    code: int
    message: str


@functools.cache
def schema(kind: str) -> Mapping[str, Any]:
    """The cerberus schema of one object kind (``site``, ``host``...), read once."""
    data = yaml.load((HERE / f"{kind}.yml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    if not isinstance(data, dict):  # pragma: no cover  (a packaging bug, not user input)
        raise TypeError(f"schema {kind}.yml is not a mapping")
    return data


def message(code: int, constraint: Any, value: Any, info: tuple[Any, ...] = ()) -> str:
    """cerberus's own wording for an error code."""
    return MESSAGES[code].format(*info, constraint=constraint, value=value, field=None)


def order(issue: CerberusError) -> tuple[str, int, str]:
    """A stable order of issues, to compare two validators' reports."""
    return (repr(issue.path), issue.code, issue.message)
