"""The control table (tier3/audit/controls.yml): the frameworks and, for every control id a rule lists, its
framework and official short title, so every audit format can name a control and not only number it.

``load_controls()`` reads the table shipped with the package once (cached); ``read_controls(path)`` reads
any file of the same shape and refuses a malformed one with a ``Tier3Error`` naming the key and the fix,
so a typo in the table is one clear line, not a traceback in the middle of an audit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from tier3.audit.model import Control, Framework
from tier3.errors import Tier3Error

TABLE = "controls.yml"
# as the rule catalogue writes them (tier3.rules._registry.CONTROL_ID): FRAMEWORK:control
_CONTROL_ID = re.compile(r"^[A-Z][A-Z0-9-]*:\S+$")


def _text(entry: Mapping[str, Any], key: str, source: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise Tier3Error(source, f"{where}.{key}", f"expected a one-line, non-empty string, got {value!r}",
                         hint=f"give every entry of {where.split('[', maxsplit=1)[0]} a {key}")
    return value


def _entries(doc: Mapping[str, Any], key: str, source: str) -> list[Mapping[str, Any]]:
    entries = doc.get(key)
    if not isinstance(entries, list) or not entries or not all(isinstance(e, Mapping) for e in entries):
        raise Tier3Error(source, key, f"expected a non-empty list of mappings, got {type(entries).__name__}",
                         hint=f"list the {key} as `- {{...}}` entries")
    return entries


def _frameworks(doc: Mapping[str, Any], source: str) -> tuple[Framework, ...]:
    out: dict[str, Framework] = {}
    for i, entry in enumerate(_entries(doc, "frameworks", source)):
        key = _text(entry, "key", source, f"frameworks[{i}]")
        if key in out:
            raise Tier3Error(source, f"frameworks[{i}].key", f"framework {key} is declared twice",
                             hint="keep one entry per framework")
        out[key] = Framework(key, _text(entry, "name", source, f"frameworks[{i}]"))
    return tuple(out.values())


def _control(entry: Mapping[str, Any], declared: set[str], source: str, where: str) -> Control:
    control_id = _text(entry, "id", source, where)
    framework = _text(entry, "framework", source, where)
    if not _CONTROL_ID.match(control_id):
        raise Tier3Error(source, f"{where}.id", f"control id {control_id!r} is not FRAMEWORK:control",
                         hint="write it as the rules list it, e.g. ISO27001:A.8.14")
    if control_id.split(":", 1)[0] != framework:
        raise Tier3Error(source, f"{where}.framework", f"{control_id} belongs to {control_id.split(':', 1)[0]}, "
                         f"not {framework}", hint="set framework to the id's prefix")
    if framework not in declared:
        raise Tier3Error(source, f"{where}.framework", f"framework {framework} is not declared",
                         hint="declare it under frameworks (key and name)")
    return Control(control_id, framework, _text(entry, "title", source, where))


def parse_controls(doc: Any, source: str) -> tuple[tuple[Framework, ...], tuple[Control, ...]]:
    """The table's frameworks and controls, in the file's order; a ``Tier3Error`` naming the key otherwise."""
    if not isinstance(doc, Mapping):
        raise Tier3Error(source, "", f"expected a mapping with frameworks and controls, got {type(doc).__name__}",
                         hint="see tier3/audit/controls.yml for the shape")
    frameworks = _frameworks(doc, source)
    declared = {f.key for f in frameworks}
    controls: dict[str, Control] = {}
    for i, entry in enumerate(_entries(doc, "controls", source)):
        control = _control(entry, declared, source, f"controls[{i}]")
        if control.id in controls:
            raise Tier3Error(source, f"controls[{i}].id", f"control {control.id} is listed twice",
                             hint="keep one entry per control id")
        controls[control.id] = control
    return frameworks, tuple(controls.values())


def read_controls(text: str, source: str) -> tuple[tuple[Framework, ...], tuple[Control, ...]]:
    """``text`` (the YAML of a control table read from ``source``) parsed and checked."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Tier3Error(source, "", f"not YAML: {exc}", hint="fix the YAML syntax") from None
    return parse_controls(doc, source)


@functools.cache
def load_controls() -> tuple[tuple[Framework, ...], tuple[Control, ...]]:
    """The control table shipped with tier3 (read once)."""
    table = resources.files("tier3.audit").joinpath(TABLE)
    return read_controls(table.read_text(encoding="utf-8"), f"tier3/audit/{TABLE}")
