"""The schemas, as data (one cerberus YAML per object kind), and cerberus as the reference validator.

``SCHEMAS`` is loaded once from the package's ``*.yml``. ``cerberus_issues(kind, document)`` runs
the cerberus ``Validator`` (built once per kind and reused) and returns its errors flattened to
``Issue`` (document path, cerberus error code, cerberus message). The loader uses the compiled
checker in ``tier3.schema.compiled`` instead, which gives the same issues about 50 times faster;
a property test holds the two together.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final, NamedTuple

import cerberus
import cerberus.errors
import yaml

HERE = Path(__file__).parent
KINDS: Final = ("site", "host", "vip", "firewall_pair", "load")


class Issue(NamedTuple):
    """One schema violation: where in the document, cerberus error code, cerberus message."""

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


class Tier3Validator(cerberus.Validator):  # type: ignore[misc]  # cerberus ships no type hints
    """cerberus with one change: a YAML boolean is not an integer (``capacity_watts: yes``)."""

    types_mapping: ClassVar[dict[str, Any]] = dict(cerberus.Validator.types_mapping)
    types_mapping["integer"] = cerberus.TypeDefinition("integer", (int,), (bool,))


@functools.cache
def validator(kind: str) -> Tier3Validator:
    """The cerberus validator of one kind, built once and reused."""
    return Tier3Validator(dict(schema(kind)))


_MESSAGES: Final[Mapping[int, str]] = cerberus.errors.BasicErrorHandler.messages


def message(code: int, constraint: Any, value: Any, info: tuple[Any, ...] = ()) -> str:
    """cerberus's own wording for an error code."""
    return _MESSAGES[code].format(*info, constraint=constraint, value=value, field=None)


def _leaves(errors: Any) -> Iterator[Issue]:
    for error in errors:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield Issue(
                tuple(error.document_path), error.code, message(error.code, error.constraint, error.value, error.info)
            )


def cerberus_issues(kind: str, document: Mapping[str, Any]) -> list[Issue]:
    """Validate with cerberus (the reference) and return every leaf error, sorted."""
    v = validator(kind)
    v.validate(document)
    return sorted(_leaves(v._errors), key=_order)  # private, but the only list of leaf errors with paths


def _order(issue: Issue) -> tuple[str, int, str]:
    return (repr(issue.path), issue.code, issue.message)
