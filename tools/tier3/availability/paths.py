"""What each mail service needs end to end, built from the declared topology as a ``Structure``.

A site serves a service when it has (or takes from another site, ``depends_on``) the hosts that run
it; each such site is one alternative path, and the service is up while any path is up:

    ingress    an uplink that is up, landing on a device that is up (a firewall of the site's pair, or
               a router, then the firewall pair); a site that declares no uplinks starts at its
               firewall pair; a site with neither starts at its load balancers
    lb         the members of the site's VIPs that front the service (services: [smtp] for smtp-in),
               else the site's lb hosts
    backend    the site's mx hosts (smtp-in, submission) or imap hosts (imap), with their storage
    dns        every authoritative DNS host, in any site: one stage shared by every path

Each host is down when its site is, or the host itself, or every one of its supplies (PSU, PDU,
feed), or every member of a bond (NIC port, card, switch, stack), or a RAID array (by its level),
or every path of a multipath LUN (HBA, fabric, controller). Shared components are one event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from tier3.availability.figures import figure_for
from tier3.availability.structure import Event, Member, Node, Stage, Structure, all_of, any_of, at_least
from tier3.model import Host, RaidArray, Topology, Vip

# service -> (the VIP services that carry it, the group that serves it)
SERVICES: Final[dict[str, tuple[tuple[str, ...], str]]] = {
    "smtp-in": (("smtp",), "mx"),
    "submission": (("submission",), "mx"),
    "imap": (("imap", "imaps"), "imap"),
}
_PARTITION = re.compile(r"^(?P<disk>(?:nvme\d+n\d+|mmcblk\d+))p\d+$|^(?P<plain>[a-z]+)\d+$")


def disk_of(device: str) -> str:
    """The disk a RAID member is on: /dev/sda1 -> sda, /dev/nvme0n1p2 -> nvme0n1, /dev/sdb -> sdb."""
    base = device.rsplit("/", 1)[-1]
    found = _PARTITION.match(base)
    if found is None:
        return base
    return found["disk"] or found["plain"]


@dataclass
class _Builder:
    topology: Topology
    events: list[Event] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    hosts: dict[str, Node] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    spellings: dict[tuple[str, str], str] = field(default_factory=dict)

    def spelling(self, kind: str, name: str) -> str:
        """One name per carrier or entry, however its uplinks spell it: case and spaces do not make
        two carriers (T3-NET-008/009 compare them the same way); the first spelling is kept."""
        return self.spellings.setdefault((kind, " ".join(name.split()).casefold()), name)

    def event(self, kind: str, name: str, site: str) -> int:
        key = f"{kind}:{name}"
        found = self.index.get(key)
        if found is None:
            figure = figure_for(self.topology.reliability, kind, name, site)
            found = self.index[key] = len(self.events)
            self.events.append(Event(key, kind, name, site, figure.unavailability, figure.mttr_hours, figure.source))
        return found

    def host(self, host: Host) -> Node:
        """When ``host`` is down, as a gate over its components (one per host, shared by every stage)."""
        found = self.hosts.get(host.name)
        if found is None:
            found = self.hosts[host.name] = any_of(
                [self.event("site", host.site, host.site), self.event("host", host.name, host.site),
                 *self._power(host), *self._network(host), *self._storage(host)]
            )
        return found

    def _power(self, host: Host) -> list[Node]:
        site = host.site
        if not host.power_supplies:
            return [self.event("psu", f"{host.name}/(undeclared)", site)]
        lines: list[Node] = []
        for psu in host.power_supplies:
            parts: list[Node] = [self.event("psu", f"{host.name}/{psu.name}", site)]
            pdu = self.topology.pdu(psu.pdu)
            if pdu is not None:
                parts.append(self.event("pdu", pdu.name, site))
                parts.append(self.event("feed", pdu.feed, site))
            lines.append(any_of(parts))
        return [all_of(lines)]

    def _network(self, host: Host) -> list[Node]:
        site = host.site
        if not host.bonds:
            return [self.event("nic", f"{host.name}/(undeclared)", site)]
        bonds: list[Node] = []
        for bond in host.bonds:
            paths: list[Node] = []
            for member in bond.members:
                parts: list[Node] = [self.event("nic", f"{host.name}/{member.interface}", site)]
                if member.card:
                    parts.append(self.event("card", f"{host.name}/{member.card}", site))
                switch = self.topology.switch(member.switch)
                if switch is not None:
                    parts.append(self.event("switch", switch.name, site))
                    if switch.stack:
                        parts.append(self.event("stack", f"{site}/{switch.stack}", site))
                paths.append(any_of(parts))
            if paths:
                bonds.append(all_of(paths))
        return bonds

    def _storage(self, host: Host) -> list[Node]:
        site = host.site
        out: list[Node] = [self._array(host, array) for array in host.raid_arrays if array.devices]
        for lun in host.multipath_luns:
            paths: list[Node] = []
            for path in lun.paths:
                parts: list[Node] = [self.event("fabric", path.fabric, site)]
                if path.hba:
                    parts.append(self.event("hba", f"{host.name}/{path.hba}", site))
                if path.controller:
                    parts.append(self.event("controller", f"{site}/{path.controller}", site))
                paths.append(any_of(parts))
            if paths:
                out.append(all_of(paths))
        return out

    def _array(self, host: Host, array: RaidArray) -> Node:
        disks: list[Node] = [self.event("disk", f"{host.name}/{disk_of(d)}", host.site) for d in array.devices]
        n = len(disks)
        level = array.level
        if level in ("raid0", "linear"):
            return any_of(disks)
        if level == "raid1":
            return all_of(disks)
        if level in ("raid4", "raid5"):
            return at_least(2, disks)
        if level == "raid6":
            return at_least(3, disks)
        if n % 2 == 0:  # raid10, near-2 layout: data is lost when both disks of an adjacent pair are
            return any_of([all_of(disks[i:i + 2]) for i in range(0, n, 2)])
        return at_least(2, disks)  # an odd raid10: any two down may hold both copies of a chunk


def _fronts(vip: Vip, wanted: tuple[str, ...]) -> bool:
    return not vip.services or any(s in vip.services for s in wanted)


def home_sites(topology: Topology) -> list[str]:
    """The sites whose own IMAP hosts hold mailboxes (a mailbox lives on one site's IMAP pair)."""
    return [s.name for s in topology.sites if any("imap" in h.groups and h.site == s.name for h in topology.hosts)]


def builder(topology: Topology) -> _Builder:
    """One set of events and host formulas, to share between the services of one topology."""
    return _Builder(topology)


def build(topology: Topology, service: str, home: str = "", shared: _Builder | None = None) -> Structure:
    """The fault tree of ``service`` (a key of SERVICES) over the declared topology; for imap, the
    path to the mailboxes of the ``home`` site (IMAP replication runs within a site's pair, so a
    mailbox is reachable only through its own site). With ``shared`` (from ``builder``), the events
    and host formulas are those of the other services built with it: a structure then lists events
    it does not use, which no computation reads."""
    vip_services, group = SERVICES[service]
    b = shared if shared is not None else _Builder(topology)
    b.notes = []
    by_site: dict[str, dict[str, list[Host]]] = {}
    for host in topology.hosts:
        for g in host.groups:
            by_site.setdefault(host.site, {}).setdefault(g, []).append(host)
    sites = [s.name for s in topology.sites]
    dependencies = {s.name: {d.service: d.site for d in s.depends_on} for s in topology.sites}

    def hosts_of(site: str, g: str) -> list[Host]:
        here = by_site.get(site, {}).get(g, [])
        if here:
            return here
        source = dependencies.get(site, {}).get(g)
        return by_site.get(source, {}).get(g, []) if source else []

    stages: list[Stage] = []
    alternatives: list[tuple[int, ...]] = []
    served: list[str] = []
    dns_hosts = [h for h in topology.hosts if "dns" in h.groups]
    dns_stage = -1
    for site in [home] if home else sites:
        backend = hosts_of(site, group)
        if not backend:
            continue
        alt: list[int] = []
        for name, members in (
            (f"ingress@{site}", _ingress(b, topology, site, hosts_of)),
            (f"lb@{site}", _lb(b, topology, site, vip_services, hosts_of)),
            (f"{group}@{site}", [Member(h.name, b.host(h)) for h in backend]),
        ):
            if members:
                alt.append(len(stages))
                stages.append(Stage(name, tuple(members)))
        if dns_hosts:
            if dns_stage < 0:
                dns_stage = len(stages)
                stages.append(Stage("dns", tuple(Member(h.name, b.host(h)) for h in dns_hosts)))
            alt.append(dns_stage)
        alternatives.append(tuple(alt))
        served.append(site)
    if not dns_hosts:
        b.notes.append("no dns hosts: name resolution is not in the model")
    return Structure(service, tuple(b.events), tuple(stages), tuple(alternatives), tuple(served), tuple(b.notes))


def _ingress(
    b: _Builder, topology: Topology, site: str, hosts_of: Callable[[str, str], list[Host]]
) -> list[Member]:
    """The ways mail from the internet enters ``site``: per device an uplink lands on, that device and
    any of its uplinks (then the firewall pair, for a router); without uplinks, the firewall pair."""
    found = next((s for s in topology.sites if s.name == site), None)
    uplinks = found.uplinks if found is not None else ()
    firewalls = [h for p in topology.firewall_pairs for h in map(topology.host, p.members)
                 if h is not None and h.site == site] or hosts_of(site, "firewall")
    if not uplinks:
        return [Member(h.name, b.host(h)) for h in firewalls]
    by_device: dict[str, list[Node]] = {}
    for uplink in uplinks:
        circuit = any_of([b.event("uplink", uplink.name, site),
                          b.event("carrier", b.spelling("carrier", uplink.carrier), ""),
                          b.event("entry", b.spelling("entry", uplink.entry), site)])
        by_device.setdefault(uplink.lands_on, []).append(circuit)
    members: list[Member] = []
    firewall_pair_down = all_of([b.host(h) for h in firewalls]) if firewalls else None
    for device, circuits in by_device.items():
        host = topology.host(device)
        if host is not None:
            members.append(Member(device, any_of([b.host(host), all_of(circuits)])))
            continue
        parts: list[Node] = [b.event("site", site, site), b.event("router", device, site), all_of(circuits)]
        if firewall_pair_down is not None:
            parts.append(firewall_pair_down)
        members.append(Member(device, any_of(parts)))
    return members


def _lb(
    b: _Builder, topology: Topology, site: str, wanted: tuple[str, ...],
    hosts_of: Callable[[str, str], list[Host]],
) -> list[Member]:
    seen: dict[str, Host] = {}
    for vip in topology.vips:
        if not _fronts(vip, wanted):
            continue
        for member in vip.members:
            host = topology.host(member.host)
            if host is not None and host.site == site and "lb" in host.groups:
                seen.setdefault(host.name, host)
    hosts = list(seen.values()) or hosts_of(site, "lb")
    return [Member(h.name, b.host(h)) for h in hosts]
