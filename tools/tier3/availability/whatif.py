"""``--what-if``: one change to the declared topology, to compare the availability before and after.

    set uplink NAME carrier=C [entry=E] [lands_on=D]   another carrier, entry or landing device
    add uplink NEW like NAME [carrier=C] [entry=E] [lands_on=D] [site=S]
    set psu HOST/PSU pdu=PDU                            a supply moved to another PDU (another feed)
    add host NEW like HOST [rack=RACK] [site=SITE]      a third MX: same groups and build; its supplies
                                                        move to the new rack's PDUs of the same feeds
    add site NEW like SITE                              a second site: SITE's racks, feeds, switches,
                                                        fabrics, uplinks, hosts, VIPs and firewall pairs,
                                                        renamed SITE -> NEW (carriers stay the same)
    remove host NAME | remove uplink NAME

The change is applied to the validated model in memory; nothing is written. A change naming
something that does not exist is a ``WhatIfError`` (exit 2) naming the expression.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from typing import Any

from tier3.errors import Tier3Error
from tier3.model import Host, Site, Topology, Uplink

GRAMMAR = ("set uplink NAME carrier=C | add uplink NEW like NAME [key=value...] | set psu HOST/PSU pdu=PDU | "
           "add host NEW like HOST [rack=R] | add site NEW like SITE | remove host|uplink NAME")
UPLINK_KEYS = ("carrier", "entry", "lands_on", "circuit", "site")


class WhatIfError(Tier3Error):
    """A --what-if expression that does not parse or names something the inventory does not have."""


def _error(expression: str, message: str, hint: str = GRAMMAR) -> WhatIfError:
    return WhatIfError("--what-if", repr(expression), message, hint)


def apply(topology: Topology, expression: str) -> Topology:
    """``topology`` with the change ``expression`` describes."""
    try:
        words = shlex.split(expression)
    except ValueError as error:
        raise _error(expression, f"cannot split it into words: {error}") from None
    if len(words) < 3:
        raise _error(expression, "expected VERB KIND NAME ...")
    verb, kind, name, rest = words[0], words[1], words[2], words[3:]
    handler = HANDLERS.get((verb, kind))
    if handler is None:
        raise _error(expression, f"no change {verb!r} {kind!r}")
    like = ""
    if verb == "add":
        if len(rest) < 2 or rest[0] != "like":
            raise _error(expression, f"add {kind} needs 'like EXISTING'")
        like, rest = rest[1], rest[2:]
    settings: dict[str, str] = {}
    for word in rest:
        key, sep, value = word.partition("=")
        if not sep or not value:
            raise _error(expression, f"{word!r} is not KEY=VALUE")
        settings[key] = value
    return handler(topology, expression, name, like, settings)


def _only(expression: str, settings: dict[str, str], allowed: tuple[str, ...]) -> None:
    for key in settings:
        if key not in allowed:
            raise _error(expression, f"unknown key {key!r}", "use " + ", ".join(allowed))


def _replace_site(topology: Topology, site: Site) -> Topology:
    return dataclasses.replace(topology, sites=tuple(site if s.name == site.name else s for s in topology.sites))


def _find_uplink(topology: Topology, expression: str, name: str) -> tuple[Site, Uplink]:
    for site in topology.sites:
        for uplink in site.uplinks:
            if uplink.name == name:
                return site, uplink
    known = ", ".join(u.name for s in topology.sites for u in s.uplinks) or "none declared"
    raise _error(expression, f"no uplink {name!r}", f"name one of the uplinks: {known}")


def _set_uplink(topology: Topology, expression: str, name: str, _like: str, settings: dict[str, str]) -> Topology:
    _only(expression, settings, UPLINK_KEYS[:-1])
    if not settings:
        raise _error(expression, "nothing to set", "e.g. carrier=Carrier-C")
    site, uplink = _find_uplink(topology, expression, name)
    changed = dataclasses.replace(uplink, **dict[str, Any](settings))
    return _replace_site(topology, dataclasses.replace(
        site, uplinks=tuple(changed if u.name == name else u for u in site.uplinks)))


def _add_uplink(topology: Topology, expression: str, name: str, like: str, settings: dict[str, str]) -> Topology:
    _only(expression, settings, UPLINK_KEYS)
    _, model = _find_uplink(topology, expression, like)
    target = settings.pop("site", model.site)
    site = next((s for s in topology.sites if s.name == target), None)
    if site is None:
        raise _error(expression, f"no site {target!r}", "name a site of tier3_sites")
    if any(u.name == name for s in topology.sites for u in s.uplinks):
        raise _error(expression, f"uplink {name!r} exists already", "pick a new name")
    new = dataclasses.replace(model, name=name, site=target, **dict[str, Any](settings))
    return _replace_site(topology, dataclasses.replace(site, uplinks=(*site.uplinks, new)))


def _host(topology: Topology, expression: str, name: str) -> Host:
    host = topology.host(name)
    if host is None:
        raise _error(expression, f"no host {name!r} in the inventory", "name a host with tier3_host")
    return host


def _set_psu(topology: Topology, expression: str, name: str, _like: str, settings: dict[str, str]) -> Topology:
    _only(expression, settings, ("pdu",))
    host_name, _, psu_name = name.partition("/")
    host = _host(topology, expression, host_name)
    if not any(p.name == psu_name for p in host.power_supplies):
        raise _error(expression, f"host {host_name} has no supply {psu_name!r}",
                     "name it HOST/PSU: " + ", ".join(f"{host_name}/{p.name}" for p in host.power_supplies))
    if "pdu" not in settings or topology.pdu(settings["pdu"]) is None:
        raise _error(expression, f"no PDU {settings.get('pdu', '')!r}", "pdu=NAME of a PDU in tier3_sites")
    supplies = tuple(dataclasses.replace(p, pdu=settings["pdu"]) if p.name == psu_name else p
                     for p in host.power_supplies)
    return _replace_host(topology, dataclasses.replace(host, power_supplies=supplies))


def _replace_host(topology: Topology, host: Host) -> Topology:
    return dataclasses.replace(topology, hosts=tuple(host if h.name == host.name else h for h in topology.hosts))


def _add_host(topology: Topology, expression: str, name: str, like: str, settings: dict[str, str]) -> Topology:
    _only(expression, settings, ("rack", "site"))
    model = _host(topology, expression, like)
    if topology.host(name) is not None:
        raise _error(expression, f"host {name!r} exists already", "pick a new name")
    rack_name = settings.get("rack", model.rack)
    rack = topology.rack(rack_name)
    if rack is None:
        raise _error(expression, f"no rack {rack_name!r}", "rack=NAME of a rack in tier3_sites")
    supplies = []
    for psu in model.power_supplies:
        feed = topology.feed_of(psu.pdu)
        pdu = next((p for p in rack.pdus if p.feed == feed), None) if rack_name != model.rack else topology.pdu(psu.pdu)
        if pdu is None:
            raise _error(expression, f"rack {rack_name} has no PDU on feed {feed} for {psu.name}",
                         "pick a rack with a PDU on each feed the model host uses")
        supplies.append(dataclasses.replace(psu, pdu=pdu.name))
    new = dataclasses.replace(model, name=name, rack=rack_name, site=rack.site, power_supplies=tuple(supplies))
    return dataclasses.replace(topology, hosts=(*topology.hosts, new))


def _remove_host(topology: Topology, expression: str, name: str, _like: str, settings: dict[str, str]) -> Topology:
    _only(expression, settings, ())
    _host(topology, expression, name)
    return dataclasses.replace(
        topology,
        hosts=tuple(h for h in topology.hosts if h.name != name),
        vips=tuple(dataclasses.replace(v, members=tuple(m for m in v.members if m.host != name))
                   for v in topology.vips),
        firewall_pairs=tuple(dataclasses.replace(p, members=tuple(m for m in p.members if m != name))
                             for p in topology.firewall_pairs),
    )


def _remove_uplink(topology: Topology, expression: str, name: str, _like: str, settings: dict[str, str]) -> Topology:
    _only(expression, settings, ())
    site, _ = _find_uplink(topology, expression, name)
    return _replace_site(topology, dataclasses.replace(site, uplinks=tuple(u for u in site.uplinks if u.name != name)))


def _add_site(topology: Topology, expression: str, name: str, like: str, settings: dict[str, str]) -> Topology:
    _only(expression, settings, ())
    model = next((s for s in topology.sites if s.name == like), None)
    if model is None:
        raise _error(expression, f"no site {like!r}", "name a site of tier3_sites")
    if any(s.name == name for s in topology.sites):
        raise _error(expression, f"site {name!r} exists already", "pick a new name")

    def renamed(value: str) -> str:
        return value.replace(like, name) if like in value else f"{value}@{name}"

    copy = _rename(model, renamed, {"name": name})
    hosts = [h for h in topology.hosts if h.site == like]
    host_names = {h.name for h in hosts}
    new_hosts = tuple(_rename(h, renamed, {"site": name}) for h in hosts)
    vips = tuple(_rename(v, renamed, {}) for v in topology.vips if v.members and v.members[0].host in host_names)
    pairs = tuple(_rename(p, renamed, {}) for p in topology.firewall_pairs if p.members and p.members[0] in host_names)
    return dataclasses.replace(topology, sites=(*topology.sites, copy), hosts=(*topology.hosts, *new_hosts),
                               vips=(*topology.vips, *vips), firewall_pairs=(*topology.firewall_pairs, *pairs))


# the fields that name topology objects (renamed when a site is copied); carriers are not renamed
_NAMING_FIELDS = frozenset({"name", "site", "feed", "rack", "pdu", "switch", "fabric", "host", "members",
                            "lands_on", "entry", "stack"})
# kinds whose name is the host's own (PSU1, bond0, md0): kept when the host is copied
_HOST_LOCAL = frozenset({"PowerSupply", "Bond", "RaidArray", "MultipathLun"})


def _rename(obj: Any, renamed: Callable[[str], str], fixed: dict[str, Any]) -> Any:
    """A copy of a topology dataclass with every object name in it renamed (recursively)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name in fixed:
            changes[f.name] = fixed[f.name]
        elif f.name == "name" and type(obj).__name__ in _HOST_LOCAL:
            continue
        elif isinstance(value, tuple):
            changes[f.name] = tuple(
                _rename(v, renamed, {}) if dataclasses.is_dataclass(v)
                else renamed(v) if isinstance(v, str) and f.name in _NAMING_FIELDS else v
                for v in value
            )
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[f.name] = _rename(value, renamed, {})
        elif isinstance(value, str) and value and f.name in _NAMING_FIELDS:
            changes[f.name] = renamed(value)
    return dataclasses.replace(obj, **changes)


HANDLERS: dict[tuple[str, str], Callable[[Topology, str, str, str, dict[str, str]], Topology]] = {
    ("set", "uplink"): _set_uplink,
    ("add", "uplink"): _add_uplink,
    ("set", "psu"): _set_psu,
    ("add", "host"): _add_host,
    ("remove", "host"): _remove_host,
    ("remove", "uplink"): _remove_uplink,
    ("add", "site"): _add_site,
}

__all__ = ["GRAMMAR", "WhatIfError", "apply"]
