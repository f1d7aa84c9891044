"""The inventory as read, before the schema: groups, hosts, and each variable with the file and key
it came from (``Sourced``), in layers of Ansible's precedence.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

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
    # "group:x" / "host:y" -> a directory named like its vars file (host_vars/y.yml/), not read
    misnamed: dict[str, str] = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        """A path as printed in messages (``shown_path``)."""
        return shown_path(path)

    def relative(self, shown: str) -> str:
        """A shown file name relative to the inventory directory (``host_vars/mx1.yml``), for hints."""
        rel = os.path.relpath(shown, self.shown(self.root))
        return shown if rel.startswith("..") else rel

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


def shown_path(path: Path) -> str:
    """A path as printed in messages: relative to the current directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover  (another drive on Windows)
        return str(path)
    return str(path.absolute()) if rel.startswith("..") else rel


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
