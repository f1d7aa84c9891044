"""Lookups the rules share, built once per Topology (cached on the frozen object, like its own).

Also the small wording helpers every rule uses, so messages read the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from tier3.model import FirewallPair, Host, Location, Site, Topology, Vip
from tier3.model.topology import NOWHERE

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
    seen: set[str] = set()
    for host in topology.hosts:
        if host.name in seen:  # a host listed twice counts once
            continue
        seen.add(host.name)
        for group in host.groups:
            groups.setdefault(group, []).append(host)
    return groups


def members(topology: Topology, group: str) -> list[Host]:
    """Hosts in an inventory group, in inventory order, each once (one pass over hosts for all groups)."""
    return cached(topology, "groups", _members).get(group, [])


def host_feeds(topology: Topology, host: Host) -> frozenset[str]:
    """The feeds a host's supplies draw from, unknown PDUs ignored (cached per host name)."""
    feeds = cached(topology, "host_feeds", lambda t: {h.name: t.feeds_of_host(h) for h in t.hosts})
    return feeds.get(host.name, frozenset())


def short_of_feeds(topology: Topology, site_names: Iterable[str]) -> bool:
    """True when the named sites are all declared and declare fewer than two feeds together.

    Then T3-PWR-005 blames the site, and the feed rules on hosts, groups, VIPs and pairs stay
    silent: nothing placed there can be dual-fed. Topologies without sites (observed facts) are
    judged as they are.
    """
    sites = sites_by_name(topology)
    wanted = set(site_names)
    if not wanted or any(s not in sites for s in wanted):
        return False
    return sum(len(sites[s].feeds) for s in wanted) < 2


def at(location: Location, *keys: str) -> Location:
    """A key below a declared object's location: ``at(host.location, "bonds")``."""
    return Location(location.file, ".".join(k for k in (location.key, *keys) if k))


def key_of(own: Location, key: str, fallback: Location) -> Location:
    """``key`` under an object's own location when the loader gave one, else ``fallback``
    (the list that declares it: ``at(host.location, "bonds")``, ``inventory_key(t, "tier3_vips")``)."""
    return at(own, key) if own != NOWHERE else fallback


def inventory_key(topology: Topology, variable: str) -> Location:
    """An inventory variable of the topology's source, for objects without a location of their own."""
    return Location(topology.source or "<inventory>", variable)


def group_location(topology: Topology, group: str) -> Location:
    declared = topology.group_locations.get(group)
    return declared if declared is not None else Location(topology.source or "<inventory>", f"groups.{group}")


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def claimed_twice(claims: Iterable[tuple[K, Hashable, V]]) -> list[tuple[K, list[V]]]:
    """Each slot (a switch port, a PDU outlet) that two or more distinct claimants declare, with the
    value of each claimant, in the order of the first claims; a claimant listed twice counts once."""
    slots: dict[K, dict[Hashable, V]] = {}
    for slot, claimant, value in claims:
        slots.setdefault(slot, {}).setdefault(claimant, value)
    return [(slot, list(by.values())) for slot, by in slots.items() if len(by) >= 2]


def distinct(items: Iterable[str]) -> list[str]:
    """Each name once, in the order first given: a host listed twice counts once."""
    return list(dict.fromkeys(items))


def listed(name: str, items: Sequence[str]) -> str:
    """``name``, and how often ``items`` lists it when more than once: ``fw1, listed twice``."""
    count = items.count(name)
    return name if count < 2 else f"{name}, listed twice" if count == 2 else f"{name}, listed {count} times"


def names(items: Iterable[str]) -> str:
    """``a, b, c`` in the given order."""
    return ", ".join(items)


def both(count: int) -> str:
    """``both`` for two things, ``all`` for more."""
    return "both" if count == 2 else "all"


def vip_key(topology: Topology, vip: Vip, key: str) -> Location:
    return key_of(vip.location, key, inventory_key(topology, "tier3_vips"))


def pair_key(topology: Topology, pair: FirewallPair, key: str) -> Location:
    return key_of(pair.location, key, inventory_key(topology, "tier3_firewall_pairs"))


def _site_members(topology: Topology) -> dict[str, dict[str, list[Host]]]:
    """group -> site -> its members there, in inventory order (hosts without a site left out)."""
    out: dict[str, dict[str, list[Host]]] = {}
    for group, hosts in cached(topology, "groups", _members).items():
        for host in hosts:
            if host.site:
                out.setdefault(group, {}).setdefault(host.site, []).append(host)
    return out


def site_members(topology: Topology, group: str) -> dict[str, list[Host]]:
    """The members of ``group`` per site (built once per topology from the group lookup: one pass)."""
    return cached(topology, "site_members", _site_members).get(group, {})


def dependencies(topology: Topology, site_name: str) -> dict[str, str]:
    """service -> the site ``site_name`` takes it from (its ``depends_on``); the first one wins."""
    table = cached(topology, "dependencies", lambda t: {
        s.name: {d.service: d.site for d in reversed(s.depends_on)} for s in t.sites})
    return table.get(site_name, {})


def site_key(topology: Topology, site_name: str, key: str) -> Location:
    """A key of a declared site (``depends_on``), or tier3_sites when the site is not declared."""
    declared = sites_by_name(topology).get(site_name)
    return key_of(declared.location if declared else NOWHERE, key, inventory_key(topology, "tier3_sites"))
