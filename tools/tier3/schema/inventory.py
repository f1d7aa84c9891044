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
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tier3.errors import InventoryError
from tier3.schema.yamlio import ENCRYPTED, read_all, read_yaml

SOURCE_EXTS = (".yml", ".yaml", ".json")
VARS_EXTS = ("", ".yml", ".yaml", ".json")
# Ansible's INVENTORY_IGNORE_EXTS and INVENTORY_IGNORE_PATTERNS for files inside an inventory directory
IGNORED_EXTS = (".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry")
VARS_DIRS = ("group_vars", "host_vars")
GROUP_KEYS = frozenset({"hosts", "vars", "children"})
_RANGE = re.compile(r"\[(\d+):(\d+)\]")


class Sourced(NamedTuple):
    """A variable's value and where it was set: file and key path of the variable itself."""

    value: Any
    file: str
    key: str


Layer = dict[str, Sourced]


@dataclass
class Group:
    name: str
    parents: set[str] = field(default_factory=set)
    children: list[str] = field(default_factory=list)
    vars: Layer = field(default_factory=dict)
    declared: tuple[str, str] = ("", "")  # (file, key) of its first declaration
    depth: int = 0

    @property
    def priority(self) -> int:
        raw = self.vars.get("ansible_group_priority")
        try:
            return int(raw.value) if raw is not None else 1
        except (TypeError, ValueError):
            return 1


@dataclass
class HostEntry:
    name: str
    direct: set[str] = field(default_factory=set)  # groups it is listed in
    vars: Layer = field(default_factory=dict)
    declared: tuple[str, str] = ("", "")


@dataclass
class RawInventory:
    """The inventory as read: groups, hosts, and the variable layers of group_vars/host_vars."""

    root: Path
    groups: dict[str, Group] = field(default_factory=dict)
    hosts: dict[str, HostEntry] = field(default_factory=dict)
    group_files: dict[str, list[Layer]] = field(default_factory=dict)
    host_files: dict[str, list[Layer]] = field(default_factory=dict)
    encrypted: dict[str, list[str]] = field(default_factory=dict)  # "group:x" / "host:y" -> files skipped
    notes: list[str] = field(default_factory=list)

    def shown(self, path: Path) -> str:
        """A path as printed in messages: relative to the current directory when below it."""
        try:
            rel = os.path.relpath(path)
        except ValueError:  # pragma: no cover  (another drive on Windows)
            return str(path)
        return str(path.absolute()) if rel.startswith("..") else rel

    def ancestors(self, host: HostEntry) -> frozenset[str]:
        """Every group the host belongs to, directly or through a child group ('all' included)."""
        seen: set[str] = set()
        stack = list(host.direct) or ["ungrouped"]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            group = self.groups.get(name)
            if group is not None:
                stack.extend(group.parents)
        seen.add("all")
        return frozenset(seen)

    def sorted_groups(self, names: frozenset[str]) -> list[Group]:
        """Groups in Ansible's order of increasing precedence: (depth, priority, name), 'all' first."""
        groups = [self.groups[n] for n in names if n in self.groups]
        return sorted(groups, key=lambda g: (g.depth, g.priority, g.name))

    def layers(self, host: HostEntry, groups: list[Group]) -> list[Layer]:
        """The host's variable layers, lowest precedence first."""
        out: list[Layer] = [g.vars for g in groups]
        for g in groups:
            out.extend(self.group_files.get(g.name, ()))
        out.append(host.vars)
        out.extend(self.host_files.get(host.name, ()))
        return out


def lookup(layers: list[Layer], name: str) -> Sourced | None:
    """The winning value of a variable (hash_behaviour = replace: the highest layer wins)."""
    for layer in reversed(layers):
        hit: Sourced | None = layer.get(name)
        if hit is not None:
            return hit
    return None


def expand_host_pattern(name: str) -> list[str]:
    """``mx[01:03]`` -> mx01, mx02, mx03 (numeric ranges, zero padding kept), as Ansible does."""
    match = _RANGE.search(name)
    if match is None:
        return [name]
    start, end = match.group(1), match.group(2)
    width = len(start) if start.startswith("0") else 0
    head, tail = name[: match.start()], name[match.end() :]
    return [n for i in range(int(start), int(end) + 1) for n in expand_host_pattern(f"{head}{i:0{width}d}{tail}")]


def read_inventory(path: Path) -> RawInventory:
    """Read the inventory at ``path`` (directory or single YAML file)."""
    if not path.exists():
        raise InventoryError(str(path), "", "no such inventory file or directory", hint="pass an inventory directory")
    root = path if path.is_dir() else path.parent
    inv = RawInventory(root=root)
    inv.groups["all"] = Group("all")
    inv.groups["ungrouped"] = Group("ungrouped", parents={"all"})
    sources = sorted(_sources(path)) if path.is_dir() else [path]
    if not sources:
        raise InventoryError(
            inv.shown(path), "", "no YAML inventory source (*.yml, *.yaml) in this directory", hint="add hosts.yml"
        )
    for source in sources:
        _read_source(inv, source)
    top = inv.groups["all"]
    for name, group in inv.groups.items():  # groups declared at the top of a file are children of all
        if name != "all" and (not group.parents or name == "ungrouped") and name not in top.children:
            top.children.append(name)
            group.parents.add("all")
    _set_depths(inv)
    _read_vars_dirs(inv)
    return inv


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    """The directory's entries, sorted by name, with the scandir handle closed."""
    with os.scandir(directory) as it:
        return sorted(it, key=lambda e: e.name)


def _sources(directory: Path) -> Iterator[Path]:
    for entry in _entries(directory):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if entry.name not in VARS_DIRS:
                yield from _sources(Path(entry.path))
            continue
        if entry.name.endswith(IGNORED_EXTS):
            continue
        if not entry.name.endswith(SOURCE_EXTS):
            raise InventoryError(
                str(Path(entry.path)),
                "",
                "not a YAML inventory source: tier3 reads YAML inventories only",
                hint="convert it with `ansible-inventory -i FILE --list --yaml`, or rename it *.ini to have it ignored",
            )
        yield Path(entry.path)


def _read_source(inv: RawInventory, path: Path) -> None:
    shown = inv.shown(path)
    data = read_yaml(path, shown)
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


def _read_vars_dirs(inv: RawInventory) -> None:
    wanted: list[tuple[dict[str, list[Layer]], str, str, Path]] = []  # (target, scope, name, file)
    for kind, known, target in (
        ("group", inv.groups, inv.group_files),
        ("host", inv.hosts, inv.host_files),
    ):
        directory = inv.root / f"{kind}_vars"
        if not directory.is_dir():
            continue
        for entry in _entries(directory):
            if entry.name.startswith("."):
                continue
            stem, ext = os.path.splitext(entry.name)
            if entry.is_dir():
                stem, files = entry.name, sorted(_vars_files(Path(entry.path)))
            elif ext in VARS_EXTS:
                files = [Path(entry.path)]
            else:
                continue
            if stem not in known:
                inv.notes.append(f"{inv.shown(Path(entry.path))}: no {kind} {stem!r} in the inventory (ignored)")
                continue
            wanted.extend((target, f"{kind}:{stem}", stem, file) for file in files)
    shown = [inv.shown(file) for _, _, _, file in wanted]
    docs = read_all([(file, name) for (_, _, _, file), name in zip(wanted, shown, strict=True)])
    for (target, scope, stem, _), name, data in zip(wanted, shown, docs, strict=True):
        layer = _vars_layer(inv, name, data, scope)
        if layer is not None:
            target.setdefault(stem, []).append(layer)


def _vars_files(directory: Path) -> Iterator[Path]:
    for entry in _entries(directory):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _vars_files(Path(entry.path))
        elif os.path.splitext(entry.name)[1] in VARS_EXTS:
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
