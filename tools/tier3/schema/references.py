"""Reference checks on a schema-clean topology: every name used is defined, every name defined once."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tier3.errors import InventoryError
from tier3.model import Location, Topology

if TYPE_CHECKING:
    from tier3.schema.inventory import RawInventory


def _err(location: Location, key: str, message: str, hint: str) -> InventoryError:
    return InventoryError(location.file, f"{location.key}.{key}" if key else location.key, message, hint=hint)


def _unique(kind: str, items: Iterable[tuple[str, Location]], hint: str) -> list[InventoryError]:
    listed = list(items)
    if len({name for name, _ in listed}) == len(listed):
        return []
    seen: dict[str, Location] = {}
    out = []
    for name, location in listed:
        first = seen.setdefault(name, location)
        if first is not location:
            out.append(_err(location, "name", f"duplicate {kind} name {name!r} (first declared at {first})", hint))
    return out


def check_waivers(topology: Topology) -> list[InventoryError]:
    """Each waiver's expiry a calendar date, and one waiver per (rule, subject): two would leave open which
    justification and expiry hold. (Whether the rule exists is ``tier3.validate``'s: the rules are above this
    layer.)"""
    out: list[InventoryError] = []
    seen: dict[tuple[str, str], str] = {}
    for w in topology.waivers:
        where = w.location or Location("tier3_waivers", "")
        if w.expires == dt.date.min:
            out.append(InventoryError(where.file, f"{where.key}.expires", "is no calendar date",
                                      hint="write the last day the waiver holds as YYYY-MM-DD (2027-01-31)"))
        first = seen.setdefault((w.rule_id, w.subject), where.key)
        if first != where.key:
            out.append(InventoryError(where.file, where.key, f"waives {w.rule_id} on {w.subject} again ({first} does)",
                                      hint="keep one waiver per rule and subject: merge the two"))
    return out


def check_references(topology: Topology, raw: RawInventory) -> list[InventoryError]:
    out: list[InventoryError] = check_waivers(topology)
    sites = topology.sites
    rename = "names are unique per kind across the whole inventory; prefix them with the site or rack"
    out += _unique("site", ((s.name, s.location) for s in sites), rename)
    out += _unique("feed", ((f.name, f.location) for s in sites for f in s.feeds), rename)
    out += _unique("rack", ((r.name, r.location) for s in sites for r in s.racks), rename)
    out += _unique("PDU", ((p.name, p.location) for s in sites for r in s.racks for p in r.pdus), rename)
    out += _unique("switch", ((w.name, w.location) for s in sites for w in s.switches), rename)
    out += _unique("SAN fabric", ((f.name, f.location) for s in sites for f in s.fabrics), rename)
    out += _unique("uplink", ((u.name, u.location) for s in sites for u in s.uplinks), rename)
    for s in sites:
        feeds = {f.name for f in s.feeds}
        racks = {r.name for r in s.racks}
        for r in s.racks:
            for p in r.pdus:
                if p.feed not in feeds:
                    out.append(
                        _undefined(
                            p.location,
                            "feed",
                            "feed",
                            p.feed,
                            site=s.name,
                            known=feeds,
                            under=f"tier3_sites[].feeds of {s.name}",
                        )
                    )
        for w in s.switches:
            if w.rack not in racks:
                out.append(_undefined(w.location, "rack", "rack", w.rack, site=s.name, known=racks))
        others = {o.name for o in sites if o.name != s.name}
        for d in s.depends_on:
            if d.site not in others:
                out.append(_err(d.location, "site", f"site {d.site!r} is not another site of the inventory",
                                f"name the site that runs {d.service} for {s.name}: {_list(others)}"))
    out += _hosts(topology)
    out += _vips(topology, raw)
    out += _pairs(topology, raw)
    out += _uplinks(topology, raw)
    out += _loads(topology, raw)
    return out


def _undefined(
    location: Location, key: str, what: str, value: str, *, site: str, known: Iterable[str], under: str = ""
) -> InventoryError:
    """``value`` names a ``what`` that site ``site`` does not define: say where to define it."""
    define = f"define it under {under}, or use one of" if under else "use one of"
    return _err(location, key, f"{what} {value!r} is not defined in site {site}", f"{define}: {_list(known)}")


def _list(names: Iterable[str]) -> str:
    ordered = sorted(names)
    return ", ".join(ordered) if ordered else "(none defined)"


def _hosts(topology: Topology) -> list[InventoryError]:
    out: list[InventoryError] = []
    sites = {s.name: s for s in topology.sites}
    names = {
        s.name: (
            {r.name for r in s.racks},
            {p.name for r in s.racks for p in r.pdus},
            {w.name for w in s.switches},
            {f.name for f in s.fabrics},
        )
        for s in topology.sites
    }
    for h in topology.hosts:
        site = sites.get(h.site)
        if site is None:
            out.append(_err(h.location, "site", f"site {h.site!r} is not defined", f"use one of: {_list(sites)}"))
            continue
        racks, pdus, switches, fabrics = names[site.name]
        if h.rack not in racks:
            out.append(
                _undefined(h.location, "rack", "rack", h.rack, site=site.name, known=racks, under="tier3_sites[].racks")
            )
        out += _unique(
            f"power supply of {h.name}", ((p.name, p.location) for p in h.power_supplies), "name each PSU once"
        )
        for p in h.power_supplies:
            if p.pdu not in pdus:
                out.append(
                    _undefined(
                        p.location, "pdu", "PDU", p.pdu, site=site.name, known=pdus, under="tier3_sites[].racks[].pdus"
                    )
                )
        out += _unique(f"bond of {h.name}", ((b.name, b.location) for b in h.bonds), "name each bond once")
        for b in h.bonds:
            for m in b.members:
                if m.switch not in switches:
                    out.append(
                        _undefined(
                            m.location,
                            "switch",
                            "switch",
                            m.switch,
                            site=site.name,
                            known=switches,
                            under="tier3_sites[].switches",
                        )
                    )
        out += _unique(f"RAID array of {h.name}", ((a.name, a.location) for a in h.raid_arrays), "name each array once")
        out += _unique(f"LUN of {h.name}", ((lun.name, lun.location) for lun in h.multipath_luns), "name each LUN once")
        out += _unique(f"encrypted volume of {h.name}", ((v.name, v.location) for v in h.encrypted_volumes),
                       "name each mapping once")
        for lun in h.multipath_luns:
            for path in lun.paths:
                if path.fabric not in fabrics:
                    out.append(
                        _undefined(
                            path.location,
                            "fabric",
                            "SAN fabric",
                            path.fabric,
                            site=site.name,
                            known=fabrics,
                            under="tier3_sites[].san_fabrics",
                        )
                    )
    return out


def _inventory_hosts(topology: Topology) -> set[str]:
    return {h.name for h in topology.hosts}


def _vips(topology: Topology, raw: RawInventory) -> list[InventoryError]:
    out = _unique("VIP", ((v.name, v.location) for v in topology.vips), "name each VIP once")
    hosts = _inventory_hosts(topology)
    for v in topology.vips:
        try:
            network = ipaddress.ip_network(v.network, strict=False) if "/" in v.network else None
            address = ipaddress.ip_address(v.address)
        except ValueError as exc:
            out.append(_err(v.location, "address", f"not an IP address or network: {exc}", "write e.g. 192.0.2.25"))
            continue
        if network is not None and address not in network:
            out.append(
                _err(v.location, "address", f"{address} is not in {network}", "pick an address in the VIP's network")
            )
        for m in v.members:
            if m.host not in hosts:
                out.append(
                    _err(m.location, "host", _not_a_host(m.host, raw), "name an inventory host that has tier3_host")
                )
    return out


def _not_a_host(name: str, raw: RawInventory) -> str:
    if name in raw.hosts:
        return f"host {name!r} has no tier3_host, so its rack and feeds are unknown"
    return f"host {name!r} is not in the inventory"


def _pairs(topology: Topology, raw: RawInventory) -> list[InventoryError]:
    out = _unique("firewall pair", ((p.name, p.location) for p in topology.firewall_pairs), "name each pair once")
    hosts = _inventory_hosts(topology)
    for p in topology.firewall_pairs:  # one host listed twice is a pair of one: T3-PLC-005 says so, not the loader
        for i, member in enumerate(p.members):
            if member not in hosts:
                out.append(_err(p.location, f"members[{i}]", _not_a_host(member, raw), "name an inventory host"))
    return out


def _uplinks(topology: Topology, raw: RawInventory) -> list[InventoryError]:
    """An uplink lands on a firewall pair member of its own site, or on a router that is no host."""
    out: list[InventoryError] = []
    hosts = {h.name: h for h in topology.hosts}
    paired = [m for m in dict.fromkeys(m for p in topology.firewall_pairs for m in p.members) if m in hosts]
    for s in topology.sites:
        firewalls = [m for m in paired if hosts[m].site == s.name]
        for u in s.uplinks:
            if u.lands_on in firewalls or (u.lands_on not in hosts and u.lands_on not in raw.hosts):
                continue  # a firewall of the site, or a router that is not a host of the inventory
            host = hosts.get(u.lands_on)
            if host is not None and u.lands_on in paired:
                message = f"host {u.lands_on!r} is a firewall of site {host.site}, not of site {s.name}"
            else:
                message = f"host {u.lands_on!r} is not a member of a firewall pair of site {s.name}"
            fix = (f"land it on a firewall pair member of site {s.name} ({_list(firewalls)})" if firewalls
                   else f"declare a firewall pair of site {s.name} under tier3_firewall_pairs to land it on")
            out.append(_err(u.location, "lands_on", message,
                            f"{fix}, or name the router it lands on (a name that is not an inventory host)"))
    return out


def _loads(topology: Topology, raw: RawInventory) -> list[InventoryError]:
    out = _unique("tier3_load group", ((s.group, s.location) for s in topology.loads), "declare each group's load once")
    for s in topology.loads:
        if s.group not in raw.groups:
            out.append(
                _err(
                    s.location,
                    "group",
                    f"group {s.group!r} is not an inventory group",
                    f"use one of: {_list(g for g in raw.groups if g not in ('all', 'ungrouped'))}",
                )
            )
    for h in topology.hosts:
        for group in h.capacity:
            if group not in raw.groups:
                out.append(
                    _err(
                        h.location,
                        f"capacity.{group}",
                        f"group {group!r} is not an inventory group",
                        "name a service group (mx, imap, archive, dns, lb, firewall) or another inventory group",
                    )
                )
    return out
