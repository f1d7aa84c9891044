"""cerberus as the reference validator of the schemas (used by tests, not by the loader).

``cerberus_issues(kind, document)`` runs the cerberus ``Validator`` of the kind (built once and
reused) and returns its errors flattened to ``CerberusError`` (document path, error code, message), the
shape ``compiled.issues`` returns; tests/unit/schema/test_compiled.py holds the two equal.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import cerberus
import cerberus.errors

from tier3.schema.schemas import CerberusError, order, schema


class Tier3Validator(cerberus.Validator):  # type: ignore[misc]  # cerberus ships no type hints
    """cerberus with one change: a YAML boolean is not an integer (``capacity_watts: yes``)."""

    types_mapping: ClassVar[dict[str, Any]] = dict(cerberus.Validator.types_mapping)
    types_mapping["integer"] = cerberus.TypeDefinition("integer", (int,), (bool,))


@functools.cache
def validator(kind: str) -> Tier3Validator:
    """The cerberus validator of one kind, built once and reused."""
    return Tier3Validator(dict(schema(kind)))


def _message(error: Any) -> str:
    template = cerberus.errors.BasicErrorHandler.messages[error.code]
    return str(template.format(*error.info, constraint=error.constraint, value=error.value, field=error.field))


def _leaves(errors: Any) -> Iterator[CerberusError]:
    for error in errors:
        if error.is_group_error:
            yield from _leaves(error.child_errors)
        else:
            yield CerberusError(tuple(error.document_path), error.code, _message(error))


def cerberus_issues(kind: str, document: Mapping[str, Any]) -> list[CerberusError]:
    """Validate with cerberus and return every leaf error, sorted."""
    v = validator(kind)
    v.validate(document)
    return sorted(_leaves(v._errors), key=order)  # private, but the only list of leaf errors with paths
