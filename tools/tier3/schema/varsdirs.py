"""``group_vars/`` and ``host_vars/`` beside an inventory source: which files belong to which group
or host, read in one batch (in parallel on large inventories), as Ansible reads them.

A file of no known group or host is noted and ignored, as Ansible does; a directory named like a
vars file (``host_vars/mx1.yml/``) is noted with its real fix.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tier3.errors import InventoryError
from tier3.schema.raw import VARS_EXTS, Layer, RawInventory, Sourced
from tier3.schema.walk import entries, entry_is_dir, is_directory, subdirectory
from tier3.schema.yamlio import ENCRYPTED, read_all


def shown_str(inv: RawInventory) -> Callable[[str], str]:
    return lambda path: inv.shown(Path(path))


def read_vars_dirs(inv: RawInventory, root: Path) -> None:
    wanted: list[tuple[dict[str, list[Layer]], str, str, Path]] = []  # (target, scope, name, file)
    shown = shown_str(inv)
    for kind, known, target in (
        ("group", inv.groups, inv.group_files),
        ("host", inv.hosts, inv.host_files),
    ):
        directory = root / f"{kind}_vars"
        if not is_directory(directory, inv.shown(directory), missing_ok=True):
            continue
        real = os.path.realpath(directory)
        for entry in entries(directory, inv.shown(directory)):
            if entry.name.startswith("."):
                continue
            stem, ext = os.path.splitext(entry.name)
            is_dir = entry_is_dir(entry, shown, _vars_name)
            if is_dir is None:
                continue
            if is_dir:
                sub = subdirectory(entry, real, (), shown)
                stem, files = entry.name, sorted(_vars_files(inv, Path(entry.path), sub, (real,)))
            elif ext in VARS_EXTS:
                files = [Path(entry.path)]
            else:
                continue
            if stem not in known:
                _stray(inv, kind, known, Path(entry.path), is_dir=is_dir)
                continue
            wanted.extend((target, f"{kind}:{stem}", stem, file) for file in files)
    names = [inv.shown(file) for _, _, _, file in wanted]
    docs = read_all([(file, name) for (_, _, _, file), name in zip(wanted, names, strict=True)], notes=inv.notes)
    for (target, scope, stem, _), name, data in zip(wanted, names, docs, strict=True):
        layer = _vars_layer(inv, name, data, scope)
        if layer is not None:
            target.setdefault(stem, []).append(layer)


def _stray(inv: RawInventory, kind: str, known: dict[str, Any], path: Path, *, is_dir: bool) -> None:
    """A vars file or directory of no known group or host: noted and ignored, as Ansible does.

    A directory named like a vars file (``host_vars/mx1.yml/``) is noted as such and remembered, so
    that the error about what it was meant to hold says the real fix.
    """
    shown = inv.shown(path)
    stem, ext = os.path.splitext(path.name)
    if is_dir and ext in VARS_EXTS[1:] and stem in known:
        fix = misnamed_fix(f"{kind}_vars/{path.name}")
        inv.misnamed.setdefault(f"{kind}:{stem}", fix)
        inv.notes.append(f"{shown}: a directory named like a vars file, not read (fix: {fix})")
        return
    inv.notes.append(f"{shown}: no {kind} {path.name if is_dir else stem!r} in the inventory (ignored)")


def misnamed_fix(relative: str) -> str:
    """How to fix ``host_vars/mx1.yml`` being a directory."""
    return f"{relative} is a directory: name it {os.path.splitext(relative)[0]}/ (a directory of vars files) or make " \
        "it a file"


def _vars_name(name: str) -> bool:
    return os.path.splitext(name)[1] in VARS_EXTS


def _vars_files(inv: RawInventory, directory: Path, real: str, above: tuple[str, ...]) -> Iterator[Path]:
    shown = shown_str(inv)
    for entry in entries(directory, inv.shown(directory)):
        if entry.name.startswith("."):
            continue
        is_dir = entry_is_dir(entry, shown, _vars_name)
        if is_dir:
            sub = subdirectory(entry, real, above, shown)
            yield from _vars_files(inv, Path(entry.path), sub, (*above, real))
        elif is_dir is not None and _vars_name(entry.name):
            yield Path(entry.path)


def _vars_layer(inv: RawInventory, shown: str, data: Any, scope: str) -> Layer | None:
    if data is ENCRYPTED:
        inv.encrypted.setdefault(scope, []).append(shown)
        inv.notes.append(f"{shown}: encrypted with ansible-vault, not read (secrets only, as it should be)")
        return None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InventoryError(
            shown,
            "",
            "a vars file must be a mapping of variable names to values",
            hint="write `name: value` pairs at the top level",
        )
    return {str(k): Sourced(v, shown, str(k)) for k, v in data.items()}
