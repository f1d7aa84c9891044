"""``tier3_policy``: a site's (or host's) overrides of the observed rules' thresholds, checked
against the named policy values of ``tier3.model.policy`` (their names, types and bounds).

Set like any Ansible variable (group_vars/all, group_vars/site_<name>, host_vars/<host>); the
most specific wins whole (``hash_behaviour = replace``). Each problem is one ``InventoryError``
naming the file and key ``tier3_policy.<name>`` and the fix; a file shared by many hosts is
reported once.
"""

from __future__ import annotations

import difflib
from typing import Any

from tier3.errors import InventoryError
from tier3.model.policy import VALUES
from tier3.schema.inventory import Sourced

VAR = "tier3_policy"


def policy_errors(found: Sourced) -> list[InventoryError]:
    """What is wrong with one ``tier3_policy`` value (empty when it is good)."""
    if not isinstance(found.value, dict):
        return [InventoryError(found.file, found.key, f"{VAR} must be a mapping of policy value -> setting, not "
                               f"{type(found.value).__name__}", hint=f"write {VAR}: {{crypt_min_key_bits: 512}}")]
    errors = []
    for name, value in found.value.items():
        key = f"{found.key}.{name}"
        entry = VALUES.get(name) if isinstance(name, str) else None
        if entry is None:
            close = difflib.get_close_matches(str(name), list(VALUES), n=1)
            fix = f"did you mean {close[0]}?" if close else f"use one of {', '.join(VALUES)}"
            errors.append(InventoryError(found.file, key, f"unknown policy value {name!r}", hint=fix))
            continue
        problem = entry.problem(value)
        if problem:
            errors.append(InventoryError(found.file, key, f"{name} {problem}",
                                         hint=f"{entry.summary}; default {entry.shown()} ({entry.kind})"))
    return errors


def overrides(found: Sourced | None) -> dict[str, Any]:
    """The checked overrides (call ``policy_errors`` first)."""
    return {} if found is None else dict(found.value)
