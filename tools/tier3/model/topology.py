"""The site as declared in the inventory (or as observed on the hosts), after schema validation.

Built by ``tier3.schema`` from an Ansible inventory; read by ``tier3.rules``. Every object keeps
the ``Location`` (file and key path) it was declared at, so a finding can name the line to fix.
Names are unique per kind across the whole topology (the loader checks this).

Inventory variables (see docs/inventory.md):
- ``tier3_sites``   sites -> feeds, racks (-> PDUs), switches, SAN fabrics
- ``tier3_host``    per host: site, rack, BMC, power supplies, bonds, RAID, multipath LUNs, encrypted
                    volumes, capacity
- ``tier3_vips``    virtual IPs with VRRP router id, network and member priorities
- ``tier3_firewall_pairs``  firewall HA pairs: members, platform, the policy they enforce
- ``tier3_firewall_policies``  vendor-neutral firewall policies (``tier3.model.firewall``)
- ``tier3_load``    declared peak load per service group (for N+1 capacity)
- ``tier3_mail``, ``tier3_drill``  the mail service and the drills' targets (``tier3.model.mail``)
- ``tier3_dns``     the authoritative DNS servers' settings (``tier3.model.dns``)
Service groups (mx, imap, archive, dns, lb, firewall) are ordinary inventory groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tier3.model.dns import DnsConfig
from tier3.model.finding import Location
from tier3.model.firewall import FirewallPolicy, PairPolicy
from tier3.model.mail import DrillTargets, MailConfig
from tier3.model.policy import Policy
from tier3.model.waiver import Waiver

NOWHERE = Location("<unknown>")

# The inventory groups that form redundant sets; each must spread over racks and feeds.
SERVICE_GROUPS: tuple[str, ...] = ("mx", "imap", "archive", "dns", "lb", "firewall", "monitoring")
# group -> what its hosts store and where (the roles' defaults: Postfix's queue_directory as Debian builds it,
# roles/dovecot's dovecot_mail_home root, roles/archive's archive_store): mail at rest, on LUKS2 (T3-ENC-001)
DATA_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "mx": (("the mail queue", "/var/spool/postfix"),),
    "imap": (("the mailboxes", "/var/vmail"),),
    "archive": (("the archive store", "/var/lib/tier3-archive"),),
}


def data_paths(groups: Iterable[str]) -> list[tuple[str, str]]:
    """(what, path) of everything a host of ``groups`` stores, in ``DATA_PATHS``'s order."""
    mine = set(groups)
    return [entry for group, entries in DATA_PATHS.items() if group in mine for entry in entries]


@dataclass(frozen=True)
class Feed:
    name: str
    site: str
    location: Location = NOWHERE


@dataclass(frozen=True)
class Pdu:
    name: str
    feed: str
    rack: str
    location: Location = NOWHERE
    max_watts: int = 0  # what it may carry; 0: not declared


@dataclass(frozen=True)
class Rack:
    name: str
    site: str
    pdus: tuple[Pdu, ...] = ()
    location: Location = NOWHERE


@dataclass(frozen=True)
class Switch:
    name: str
    site: str
    rack: str
    location: Location = NOWHERE
    stack: str = ""  # the stack / virtual chassis (one control plane) it belongs to ("": a domain of its own)

    @property
    def domain(self) -> str:
        """The failure domain: its stack, or the switch itself."""
        return f"stack:{self.stack}" if self.stack else self.name


@dataclass(frozen=True)
class Fabric:
    """A SAN fabric (independent switching domain); multipath paths must span two."""

    name: str
    site: str
    location: Location = NOWHERE


@dataclass(frozen=True)
class SiteDependency:
    """A service a site takes from another site (``depends_on``), instead of running it itself."""

    service: str
    site: str
    location: Location = NOWHERE


@dataclass(frozen=True)
class Uplink:
    """An internet circuit of a site: who carries it, what it lands on, where it enters the building.

    ``lands_on`` is a firewall pair member (a host of the inventory) or a router that is not a host;
    mail from the internet enters the site only through an uplink that is up and lands on a device
    that is up (tier3.availability).
    """

    name: str
    site: str
    carrier: str
    lands_on: str
    entry: str  # the building entry or duct the circuit comes in through
    circuit: str = ""  # the carrier's circuit id, "" when not declared
    location: Location = NOWHERE


@dataclass(frozen=True)
class Site:
    name: str
    feeds: tuple[Feed, ...] = ()
    racks: tuple[Rack, ...] = ()
    switches: tuple[Switch, ...] = ()
    fabrics: tuple[Fabric, ...] = ()
    location: Location = NOWHERE
    depends_on: tuple[SiteDependency, ...] = ()
    uplinks: tuple[Uplink, ...] = ()


@dataclass(frozen=True)
class Bmc:
    address: str
    protocol: str  # "redfish" | "ipmi"
    username: str = ""
    password_is_vaulted: bool = False  # True when the password is a vault reference, never the value
    location: Location = NOWHERE


@dataclass(frozen=True)
class PowerSupply:
    name: str
    pdu: str
    capacity_watts: int = 0
    location: Location = NOWHERE
    outlet: str = ""  # the PDU outlet, "" when not declared


@dataclass(frozen=True)
class BondMember:
    interface: str
    switch: str
    port: str = ""
    location: Location = NOWHERE
    card: str = ""  # the NIC card the port is on, "" when not declared


@dataclass(frozen=True)
class Bond:
    name: str
    mode: str  # active-backup, 802.3ad, balance-xor, ...
    members: tuple[BondMember, ...] = ()
    location: Location = NOWHERE


@dataclass(frozen=True)
class RaidArray:
    name: str
    level: str  # raid0, raid1, raid5, raid6, raid10, linear
    devices: tuple[str, ...] = ()
    spares: tuple[str, ...] = ()
    location: Location = NOWHERE


@dataclass(frozen=True)
class MultipathPath:
    device: str
    fabric: str
    location: Location = NOWHERE
    hba: str = ""  # the host's HBA, "" when not declared
    controller: str = ""  # the array controller (storage processor), "" when not declared


@dataclass(frozen=True)
class MultipathLun:
    name: str
    wwid: str
    paths: tuple[MultipathPath, ...] = ()
    location: Location = NOWHERE
    shared: bool = False  # mounted by several hosts on purpose (a cluster filesystem)


@dataclass(frozen=True)
class EncryptedVolume:
    """A dm-crypt volume the host must have open: ``/dev/mapper/NAME`` over ``device`` (LUKS2), and
    what is mounted on it when declared. ``tier3 check`` compares it with cryptsetup, luksDump and lsblk."""

    name: str  # the mapping name: /dev/mapper/NAME
    device: str  # the device holding the LUKS header: /dev/md1, /dev/mapper/mpatha, /dev/disk/by-uuid/UUID
    location: Location = NOWHERE
    mount: str = ""  # where the filesystem on it is mounted, "" when not declared


@dataclass(frozen=True)
class Host:
    name: str
    groups: frozenset[str] = frozenset()
    site: str = ""
    rack: str = ""
    bmc: Bmc | None = None
    power_supplies: tuple[PowerSupply, ...] = ()
    power_draw_watts: int = 0
    bonds: tuple[Bond, ...] = ()
    raid_arrays: tuple[RaidArray, ...] = ()
    multipath_luns: tuple[MultipathLun, ...] = ()
    encrypted_volumes: tuple[EncryptedVolume, ...] = ()
    capacity: dict[str, int] = field(default_factory=dict)  # service group -> units it can serve
    location: Location = NOWHERE
    policy: dict[str, Any] = field(default_factory=dict)  # tier3_policy overrides in force for this host


@dataclass(frozen=True)
class VipMember:
    host: str
    priority: int
    location: Location = NOWHERE


@dataclass(frozen=True)
class Vip:
    name: str
    address: str
    network: str
    vrid: int
    members: tuple[VipMember, ...] = ()
    location: Location = NOWHERE
    services: tuple[str, ...] = ()  # what it fronts: smtp submission imap imaps lmtp (tier3.model.mail.SERVICES)


@dataclass(frozen=True)
class FirewallPair:
    name: str
    platform: str
    members: tuple[str, ...] = ()
    location: Location = NOWHERE
    settings: PairPolicy | None = None  # the policy it enforces, its management path and HA link (tier3 fw)


@dataclass(frozen=True)
class ServiceLoad:
    """Declared peak load of a service group, in the same unit as hosts' ``capacity``."""

    group: str
    load: int
    unit: str = "units"
    location: Location = NOWHERE
    site_loss_load: int | None = None  # the load to carry after losing any one site; None: ``load``


@dataclass(frozen=True)
class Figure:
    """A reliability figure: how often a component fails and how long its repair takes, in hours.

    ``source`` says where the numbers come from (a built-in default's reference, or the inventory
    key that overrode it).
    """

    mtbf_hours: float
    mttr_hours: float
    source: str = ""
    location: Location = NOWHERE

    @property
    def unavailability(self) -> float:
        """The steady-state probability that the component is down: MTTR / (MTBF + MTTR)."""
        return self.mttr_hours / (self.mtbf_hours + self.mttr_hours)


@dataclass(frozen=True)
class Reliability:
    """``tier3_reliability``: figures per component kind, overridden per site and per object
    (``kind:name``, e.g. ``psu:fra1-mx1/PSU1``); lookups fall back object -> site -> kind -> built-in."""

    kinds: dict[str, Figure] = field(default_factory=dict)
    sites: dict[str, dict[str, Figure]] = field(default_factory=dict)
    objects: dict[str, Figure] = field(default_factory=dict)
    location: Location = NOWHERE


@dataclass(frozen=True)
class Target:
    """``tier3_targets.<service>``: the availability (a fraction, 0.99999) and RTO a service must reach."""

    service: str
    availability: float | None = None
    rto_seconds: float | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class Topology:
    """Everything the redundancy rules look at, with lookups by name."""

    sites: tuple[Site, ...] = ()
    hosts: tuple[Host, ...] = ()
    vips: tuple[Vip, ...] = ()
    firewall_pairs: tuple[FirewallPair, ...] = ()
    firewall_policies: tuple[FirewallPolicy, ...] = ()  # tier3_firewall_policies (tier3.model.firewall)
    loads: tuple[ServiceLoad, ...] = ()
    source: str = ""  # the inventory path it was read from
    # where each inventory group is declared (file, key), for findings about a group; optional
    group_locations: dict[str, Location] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)  # tier3_policy of group all (every host's default)
    mail: MailConfig | None = None  # tier3_mail, when declared
    drill: DrillTargets | None = None  # tier3_drill, when declared
    dns: DnsConfig | None = None  # tier3_dns, when declared
    reliability: Reliability = field(default_factory=Reliability)  # tier3_reliability (built-ins when absent)
    targets: tuple[Target, ...] = ()  # tier3_targets, per mail service
    waivers: tuple[Waiver, ...] = ()  # tier3_waivers: accepted risks (tier3.model.waiver)

    def policy_for(self, host: str | None = None) -> Policy:
        """The policy in force for ``host`` (its own tier3_policy, else the inventory's); the
        inventory's when ``host`` is None."""
        found = self.host(host) if host is not None else None
        return Policy(found.policy if found is not None else self.policy)

    def host(self, name: str) -> Host | None:
        return self._hosts_by_name().get(name)

    def group(self, name: str) -> tuple[Host, ...]:
        """Hosts in an inventory group, in inventory order."""
        return tuple(h for h in self.hosts if name in h.groups)

    def pdu(self, name: str) -> Pdu | None:
        return self._index()[0].get(name)

    def rack(self, name: str) -> Rack | None:
        return self._index()[1].get(name)

    def switch(self, name: str) -> Switch | None:
        return self._index()[2].get(name)

    def fabric(self, name: str) -> Fabric | None:
        return self._index()[3].get(name)

    def feed_of(self, pdu_name: str) -> str | None:
        pdu = self.pdu(pdu_name)
        return None if pdu is None else pdu.feed

    def feeds_of_host(self, host: Host) -> frozenset[str]:
        """The power feeds a host's supplies draw from (unknown PDUs ignored)."""
        return frozenset(f for f in (self.feed_of(p.pdu) for p in host.power_supplies) if f)

    # Lookups are built once per Topology (frozen dataclass: cache in __dict__ directly).
    def _hosts_by_name(self) -> dict[str, Host]:
        cached = self.__dict__.get("_hosts_cache")
        if cached is None:
            cached = {h.name: h for h in self.hosts}
            object.__setattr__(self, "_hosts_cache", cached)
        return cached

    def _index(self) -> tuple[dict[str, Pdu], dict[str, Rack], dict[str, Switch], dict[str, Fabric]]:
        cached = self.__dict__.get("_index_cache")
        if cached is None:
            pdus = {p.name: p for s in self.sites for r in s.racks for p in r.pdus}
            racks = {r.name: r for s in self.sites for r in s.racks}
            switches = {w.name: w for s in self.sites for w in s.switches}
            fabrics = {f.name: f for s in self.sites for f in s.fabrics}
            cached = (pdus, racks, switches, fabrics)
            object.__setattr__(self, "_index_cache", cached)
        return cached
