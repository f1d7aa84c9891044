"""Read an Ansible YAML inventory (a directory or one file) without Ansible, fast.

What is read, as Ansible reads it:
- inventory sources: every ``*.yml``/``*.yaml``/``*.json`` file of the directory, recursively
  (``group_vars``/``host_vars`` excepted; ``*.md``, ``*.ini``, ``*.cfg``... ignored as Ansible
  does), in the YAML inventory plugin format (``all: {hosts, vars, children}``);
- ``group_vars/<group>[.yml|.yaml|.json]`` or ``group_vars/<group>/**`` and the same for
  ``host_vars``, next to the inventory.

Variable precedence is Ansible's (``hash_behaviour = replace``): inventory-file vars of ``all``,
then of the host's groups by (depth, ``ansible_group_priority``, name), then ``group_vars/all``,
then ``group_vars/<group>`` in the same order, then the host's inventory-file vars, then
``host_vars``. Each value keeps the file and key path it came from.

Every file is read through the one bounded reader (regular files only, 64 MiB at most); the
directories are walked by ``tier3.schema.walk``, which refuses a dangling or looping link and a
directory cycle, naming the link.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tier3.errors import InventoryError
from tier3.schema.raw import (
    GROUP_KEYS,
    IGNORED_EXTS,
    SOURCE_EXTS,
    VARS_DIRS,
    Group,
    HostEntry,
    Layer,
    RawInventory,
    Sourced,
    expand_host_pattern,
    lookup,
)
from tier3.schema.varsdirs import read_vars_dirs, shown_str
from tier3.schema.walk import entries, entry_is_dir, is_directory, subdirectory
from tier3.schema.yamlio import ENCRYPTED, read_yaml


def read_inventory(path: Path, *more: Path) -> RawInventory:
    """Read the inventory at ``path`` (directory or single YAML file), then ``more`` sources into the
    same inventory, as Ansible merges ``-i A -i B``; the group_vars/ and host_vars/ beside each source
    apply to all (a later source's files winning)."""
    inv = RawInventory(root=path if is_directory(path, str(path), missing_ok=True) else path.parent)
    inv.groups["all"] = Group("all")
    inv.groups["ungrouped"] = Group("ungrouped", parents={"all"})
    roots: dict[str, Path] = {}  # real path -> as given, in the order of the sources (later vars files win)
    for given in (path, *more):
        is_dir = is_directory(given, str(given), missing_ok=True)
        if is_dir is None:
            raise InventoryError(
                str(given), "", "no such inventory file or directory", hint="pass an inventory directory"
            )
        sources = sorted(_sources(inv, given, os.path.realpath(given), ())) if is_dir else [given]
        if not sources:
            raise InventoryError(
                inv.shown(given), "", "no YAML inventory source (*.yml, *.yaml) in this directory", hint="add hosts.yml"
            )
        for source in sources:
            _read_source(inv, source)
        root = given if is_dir else given.parent
        roots.setdefault(os.path.realpath(root), root)
    top = inv.groups["all"]
    for name, group in inv.groups.items():  # groups declared at the top of a file are children of all
        if name != "all" and (not group.parents or name == "ungrouped") and name not in top.children:
            top.children.append(name)
            group.parents.add("all")
    _set_depths(inv)
    for root in roots.values():
        read_vars_dirs(inv, root)
    return inv


def _source_name(name: str) -> bool:
    return not name.endswith(IGNORED_EXTS)


def _sources(inv: RawInventory, directory: Path, real: str, above: tuple[str, ...]) -> Iterator[Path]:
    shown = shown_str(inv)
    for entry in entries(directory, inv.shown(directory)):
        if entry.name.startswith("."):
            continue
        is_dir = entry_is_dir(entry, shown, _source_name)
        if is_dir is None:
            continue
        if is_dir:
            if entry.name not in VARS_DIRS:
                sub = subdirectory(entry, real, above, shown)
                yield from _sources(inv, Path(entry.path), sub, (*above, real))
            continue
        if entry.name.endswith(IGNORED_EXTS):
            continue
        if not entry.name.endswith(SOURCE_EXTS):
            raise InventoryError(
                inv.shown(Path(entry.path)),
                "",
                "not a YAML inventory source: tier3 reads YAML inventories only",
                hint="convert it with `ansible-inventory -i FILE --list --yaml`, or rename it *.ini to have it ignored",
            )
        yield Path(entry.path)


def _read_source(inv: RawInventory, path: Path) -> None:
    shown = inv.shown(path)
    data = read_yaml(path, shown, inv.notes)
    if data is ENCRYPTED:
        raise InventoryError(
            shown,
            "",
            "the inventory source is encrypted with ansible-vault and cannot be read",
            hint="keep hosts and topology in plain YAML and only secrets (vault_* variables) in vaulted files",
        )
    if data is None:
        return
    if not isinstance(data, dict):
        raise InventoryError(
            shown,
            "",
            "an inventory source must be a mapping of groups (all: {hosts, children, vars})",
            hint="start the file with `all:`",
        )
    reader = _SourceReader(inv, shown)
    for name, body in data.items():
        reader.group(str(name), body, str(name), parent=None)


def _mapping(value: Any, file: str, key: str, what: str, hint: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventoryError(file, key, f"{what} must be a mapping", hint=hint)
    return value


@dataclass
class _SourceReader:
    """Reads the groups and hosts of one inventory source file into ``inv``."""

    inv: RawInventory
    file: str

    def group(self, name: str, body: Any, key: str, parent: str | None) -> None:
        inv, file = self.inv, self.file
        group = inv.groups.get(name)
        if group is None:
            group = inv.groups[name] = Group(name, declared=(file, key))
        elif not group.declared[0]:
            group.declared = (file, key)
        if parent is not None and name != "all":
            group.parents.add(parent)
            if name not in inv.groups[parent].children:
                inv.groups[parent].children.append(name)
        body = _mapping(
            body, file, key, f"group {name!r}", f"write `{name}:` followed by `hosts:`, `children:` or `vars:`"
        )
        for extra in sorted(set(map(str, body)) - GROUP_KEYS):
            raise InventoryError(
                file,
                f"{key}.{extra}",
                f"unknown key in group {name!r}",
                hint="a group has only hosts, children and vars; put variables under vars",
            )
        variables = _mapping(body.get("vars"), file, f"{key}.vars", "group vars", "write `vars:` as key: value pairs")
        for var, value in variables.items():
            group.vars[str(var)] = Sourced(value, file, f"{key}.vars.{var}")
        hosts = _mapping(
            body.get("hosts"), file, f"{key}.hosts", "hosts", "write each host as `name:` (vars or nothing)"
        )
        for pattern, host_vars in hosts.items():
            for host_name in expand_host_pattern(str(pattern)):
                self.host(host_name, host_vars, f"{key}.hosts.{host_name}", name)
        children = _mapping(body.get("children"), file, f"{key}.children", "children", "write each child as `name:`")
        for child, child_body in children.items():
            self.group(str(child), child_body, f"{key}.children.{child}", parent=name)

    def host(self, name: str, host_vars: Any, key: str, group: str) -> None:
        host = self.inv.hosts.get(name)
        if host is None:
            host = self.inv.hosts[name] = HostEntry(name, declared=(self.file, key))
        if group != "all":
            host.direct.add(group)
        variables = _mapping(host_vars, self.file, key, "host vars", "write the host's variables as key: value pairs")
        for var, value in variables.items():
            host.vars[str(var)] = Sourced(value, self.file, f"{key}.{var}")


def _set_depths(inv: RawInventory) -> None:
    """depth = longest path from 'all'; a cycle is an error, as in Ansible."""
    visiting: set[str] = set()

    def visit(name: str, depth: int) -> None:
        if name in visiting:
            file, key = inv.groups[name].declared
            raise InventoryError(
                file or "inventory", key, f"group {name!r} is its own ancestor", hint="remove the cycle from children"
            )
        group = inv.groups[name]
        if depth < group.depth and depth:
            return
        group.depth = max(group.depth, depth)
        visiting.add(name)
        for child in group.children:
            visit(child, depth + 1)
        visiting.discard(name)

    visit("all", 0)


__all__ = ["Group", "HostEntry", "Layer", "RawInventory", "Sourced", "lookup", "read_inventory"]
