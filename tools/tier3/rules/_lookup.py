"""Lookups the rules share, built once per Topology (cached on the frozen object, like its own).

Also the small wording helpers every rule uses, so messages read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from tier3.model import Host, Location, Site, Topology

T = TypeVar("T")


def cached(topology: Topology, name: str, build: Callable[[Topology], T]) -> T:
    key = f"_rules_{name}_cache"
    value: T | None = topology.__dict__.get(key)
    if value is None:
        value = build(topology)
        object.__setattr__(topology, key, value)
    return value


def sites_by_name(topology: Topology) -> dict[str, Site]:
    return cached(topology, "sites", lambda t: {s.name: s for s in t.sites})


def _members(topology: Topology) -> dict[str, list[Host]]:
    groups: dict[str, list[Host]] = {}
    for host in topology.hosts:
        for group in host.groups:
            groups.setdefault(group, []).append(host)
    return groups


def members(topology: Topology, group: str) -> list[Host]:
    """Hosts in an inventory group, in inventory order (one pass over hosts for all groups)."""
    return cached(topology, "groups", _members).get(group, [])


def host_feeds(topology: Topology, host: Host) -> frozenset[str]:
    """The feeds a host's supplies draw from, unknown PDUs ignored (cached per host name)."""
    feeds = cached(topology, "host_feeds", lambda t: {h.name: t.feeds_of_host(h) for h in t.hosts})
    return feeds.get(host.name, frozenset())


def site_feed_count(topology: Topology, site_names: Iterable[str]) -> int:
    """How many feeds the named sites declare together (unknown sites count none)."""
    sites = sites_by_name(topology)
    return sum(len(sites[s].feeds) for s in set(site_names) if s in sites)


def at(location: Location, *keys: str) -> Location:
    """A key below a declared object's location: ``at(host.location, "bonds")``."""
    return Location(location.file, ".".join(k for k in (location.key, *keys) if k))


def group_location(topology: Topology, group: str) -> Location:
    declared = topology.group_locations.get(group)
    return declared if declared is not None else Location(topology.source or "<inventory>", f"groups.{group}")


def names(items: Iterable[str]) -> str:
    """``a, b, c`` in the given order."""
    return ", ".join(items)


def both(count: int) -> str:
    """``both`` for two things, ``all`` for more."""
    return "both" if count == 2 else "all"


