"""The cerberus rules our schemas use, compiled into plain Python closures.

cerberus builds child validators for every nested list and mapping; on a 10,000-host inventory that
costs minutes. The subset of rules the schemas in this package use (``type``, ``required``,
``empty``, ``nullable``, ``allowed``, ``min``, ``max``, ``minlength``, ``maxlength``, ``regex``,
``schema`` for lists and mappings, ``valuesrules``) is compiled once into closures with cerberus's
semantics (rule priority and the rules it drops, its messages and error codes), so they report the
same ``CerberusError`` list as ``cerberus_ref.cerberus_issues``. Any other rule in a schema is refused at
compile time; tests/unit/schema/test_compiled.py proves agreement with cerberus on generated documents.
"""

from __future__ import annotations

import datetime as dt
import functools
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from typing import Any, Final

from tier3.schema.schemas import CerberusError, message, schema

Path_ = tuple[Any, ...]
Check = Callable[[Any, Path_, list[CerberusError]], None]

SUPPORTED: Final = frozenset(
    {
        "type",
        "required",
        "empty",
        "nullable",
        "allowed",
        "min",
        "max",
        "minlength",
        "maxlength",
        "regex",
        "schema",
        "valuesrules",
    }
)
# cerberus's types as used here; "integer" excludes bool as in schemas.Tier3Validator
TYPES: Final[Mapping[str, Callable[[Any], bool]]] = {
    # exact-type fast paths first: YAML gives plain str/int/dict/list, and ABC checks are slow
    "string": lambda v: type(v) is str or isinstance(v, str),
    "integer": lambda v: type(v) is int or (isinstance(v, int) and not isinstance(v, bool)),
    "number": lambda v: type(v) in (int, float) or (isinstance(v, numbers.Number) and not isinstance(v, bool)),
    "boolean": lambda v: type(v) is bool,
    "dict": lambda v: type(v) is dict or isinstance(v, Mapping),
    "list": lambda v: type(v) is list or (isinstance(v, Sequence) and not isinstance(v, str)),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
}
_SIZED_TYPES: Final = (str, list, dict)


def _is_empty(value: Any) -> bool:
    """cerberus: ``isinstance(value, Sized) and len(value) == 0`` (exact types first, for speed)."""
    if type(value) in _SIZED_TYPES:
        return not value
    return isinstance(value, Sized) and len(value) == 0


# error codes (cerberus.errors)
REQUIRED, UNKNOWN, EMPTY, NULL, BAD_TYPE = 0x02, 0x03, 0x22, 0x23, 0x24
MIN_LENGTH, MAX_LENGTH, REGEX, MIN_VALUE, MAX_VALUE, UNALLOWED, UNALLOWED_MANY = (
    0x27,
    0x28,
    0x41,
    0x42,
    0x43,
    0x44,
    0x45,
)


def compile_field(rules: Mapping[str, Any]) -> Check:  # noqa: PLR0915  (one closure per rule, in cerberus's order)
    """A check of one value against one field's rules."""
    unknown = set(rules) - SUPPORTED
    if unknown:
        raise ValueError(f"cerberus rules not supported by the compiled checker: {sorted(unknown)}")
    nullable = bool(rules.get("nullable", False))
    type_rule = rules.get("type")
    type_names = [type_rule] if isinstance(type_rule, str) else list(type_rule or ())
    type_checks = [TYPES[t] for t in type_names]
    type_check: Callable[[Any], bool] | None = (
        None
        if not type_checks
        else type_checks[0]
        if len(type_checks) == 1
        else lambda v: any(t(v) for t in type_checks)
    )
    type_message = message(BAD_TYPE, type_rule, None)
    has_empty = "empty" in rules
    empty_ok = bool(rules.get("empty", True))
    # rules that an empty value skips (cerberus _validate_empty drops them)
    skipped_when_empty = {"allowed", "minlength", "maxlength", "regex"}
    steps: list[tuple[str, Check]] = []

    if "allowed" in rules:
        allowed = rules["allowed"]

        def check_allowed(value: Any, path: Path_, out: list[CerberusError]) -> None:
            if isinstance(value, Iterable) and not isinstance(value, str):
                bad = tuple(x for x in value if x not in allowed)
                if bad:
                    out.append(CerberusError(path, UNALLOWED_MANY, message(UNALLOWED_MANY, allowed, value, (bad,))))
            elif value not in allowed:
                out.append(CerberusError(path, UNALLOWED, message(UNALLOWED, allowed, value)))

        steps.append(("allowed", check_allowed))
    for name, code, compare in (("min", MIN_VALUE, lambda v, c: v < c), ("max", MAX_VALUE, lambda v, c: v > c)):
        if name in rules:
            steps.append((name, _bound(rules[name], code, compare)))
    for name, code, compare in (
        ("minlength", MIN_LENGTH, lambda n, c: n < c),
        ("maxlength", MAX_LENGTH, lambda n, c: n > c),
    ):
        if name in rules:
            steps.append((name, _length(rules[name], code, compare)))
    if "regex" in rules:
        pattern = rules["regex"]
        compiled = re.compile(pattern if pattern.endswith("$") else pattern + "$")
        regex_message = message(REGEX, pattern, None)

        def check_regex(value: Any, path: Path_, out: list[CerberusError]) -> None:
            if isinstance(value, str) and not compiled.match(value):
                out.append(CerberusError(path, REGEX, regex_message))

        steps.append(("regex", check_regex))
    if "schema" in rules:
        if type_names == ["list"]:
            item = compile_field(rules["schema"])

            def check_items(value: Any, path: Path_, out: list[CerberusError]) -> None:
                for i, v in enumerate(value):
                    item(v, (*path, i), out)

            steps.append(("schema", check_items))
        elif type_names == ["dict"]:
            steps.append(("schema", compile_mapping(rules["schema"])))
        else:
            raise ValueError("a 'schema' rule needs type: list or type: dict in the compiled checker")
    if "valuesrules" in rules:
        each = compile_field(rules["valuesrules"])

        def check_values(value: Any, path: Path_, out: list[CerberusError]) -> None:
            if isinstance(value, Mapping):
                for k, v in value.items():
                    each(v, (*path, k), out)

        steps.append(("valuesrules", check_values))
    plain = [check for _, check in steps]
    when_empty = [check for name, check in steps if name not in skipped_when_empty]

    def check(value: Any, path: Path_, out: list[CerberusError]) -> None:
        if value is None:
            if not nullable:
                out.append(CerberusError(path, NULL, message(NULL, nullable, value)))
            return
        if type_check is not None and not type_check(value):
            out.append(CerberusError(path, BAD_TYPE, type_message))
            return
        todo = plain
        if has_empty and _is_empty(value):
            todo = when_empty
            if not empty_ok:
                out.append(CerberusError(path, EMPTY, message(EMPTY, False, value)))
        for step in todo:
            step(value, path, out)

    return check


def _bound(constraint: Any, code: int, compare: Callable[[Any, Any], bool]) -> Check:
    text = message(code, constraint, None)

    def check(value: Any, path: Path_, out: list[CerberusError]) -> None:
        try:
            if compare(value, constraint):
                out.append(CerberusError(path, code, text))
        except TypeError:
            pass

    return check


def _length(constraint: int, code: int, compare: Callable[[int, int], bool]) -> Check:
    text = message(code, constraint, None)

    def check(value: Any, path: Path_, out: list[CerberusError]) -> None:
        if isinstance(value, Iterable) and compare(len(value), constraint):  # type: ignore[arg-type]
            out.append(CerberusError(path, code, text))

    return check


def compile_mapping(fields: Mapping[str, Any]) -> Check:
    """A check of a mapping (a document or a sub-document) against its fields' rules."""
    checks = {name: compile_field(rules) for name, rules in fields.items()}
    required = [name for name, rules in fields.items() if rules.get("required", False)]
    unknown_message = message(UNKNOWN, None, None)
    required_message = message(REQUIRED, True, None)

    def check(doc: Any, path: Path_, out: list[CerberusError]) -> None:
        for name, value in doc.items():
            field_check = checks.get(name)
            if field_check is None:
                out.append(CerberusError((*path, name), UNKNOWN, unknown_message))
            else:
                field_check(value, (*path, name), out)
        for name in required:
            if name not in doc:
                out.append(CerberusError((*path, name), REQUIRED, required_message))

    return check


@functools.cache
def checker(kind: str) -> Check:
    """The compiled check of one object kind, built once."""
    return compile_mapping(schema(kind))


def issues(kind: str, document: Mapping[str, Any], path: Path_ = ()) -> list[CerberusError]:
    """Every schema issue of ``document`` as cerberus would report it (paths below ``path``)."""
    out: list[CerberusError] = []
    checker(kind)(document, path, out)
    return out
