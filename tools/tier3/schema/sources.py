"""Several inventory sources loaded as the one inventory Ansible makes of them (``-i A -i B``).

Ansible merges every ``-i`` source into one inventory: the hosts and groups of all of them, and the
``group_vars/``/``host_vars/`` beside each source (the directory itself, or a file's directory),
applied to every host, a later source's files winning. A group declared in one source and used in
another (``tier3_load`` naming ``lb``, declared in ``lb.yml``) is therefore a group; checking each
source alone would say it is not.

``load_sources(paths)`` is ``load_inventory`` over that merge: the same reader
(``tier3.schema.inventory.read_inventory`` reads the first source and merges the others) and the
same schema and reference checks. One path is ``load_inventory(path)``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from tier3.errors import InventoryError
from tier3.schema.loader import LoadedInventory, load_inventory
from tier3.schema.raw import shown_path

__all__ = ["load_sources"]


def load_sources(paths: Sequence[str | Path]) -> LoadedInventory:
    """The topology of ``paths`` merged as Ansible merges its ``-i`` sources, and the loader's notes.

    The same source given twice counts once. Raises ``InventoryError`` (``InventorySchemaErrors``
    for many) on bad input, as ``load_inventory`` does.
    """
    given = _distinct([Path(p) for p in paths])
    if not given:
        raise InventoryError("inventory", "", "no inventory source given", hint="pass an inventory directory")
    first, *rest = given
    loaded = load_inventory(first, *rest)
    if not rest:
        return loaded
    source = " + ".join([loaded.topology.source, *(shown_path(p) for p in rest)])
    return dataclasses.replace(loaded, topology=dataclasses.replace(loaded.topology, source=source))


def _distinct(paths: list[Path]) -> list[Path]:
    """``paths`` in order, each source once (``inv`` and ``./inv/`` are one)."""
    seen: dict[str, Path] = {}
    for path in paths:
        seen.setdefault(os.path.realpath(path), path)  # never raises: a link loop is the reader's to report
    return list(seen.values())
