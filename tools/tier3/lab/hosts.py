"""The lab as data: one table of hosts, the network they share, the imaginary rack layout, the VIPs
and the mail service the lab runs (docs/lab.md, docs/mail.md).

Service hosts (a group of ``SERVICE_GROUPS``) stand in the imaginary racks and have a topology; the
lab peers (``PEER_GROUPS``: a client, an outside MX) are containers too, but no service host: no
rack, no ``tier3_host``, so no redundancy rule judges them. The metal hosts (VMs) and the firewall pair
(network namespaces) are rows of their own backends; the code that starts hosts, writes the inventory
and reports status reads only these tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tier3.lab import firewall as firewall_lab
from tier3.lab.metal import GROUP as METAL_GROUP
from tier3.lab.metal import METAL
from tier3.lab.metal import PREFIX as METAL_PREFIX
from tier3.model.topology import SERVICE_GROUPS

PREFIX = "tier3-lab-"  # every Podman object the lab creates is named with it
LABEL = "tier3.lab"  # and labelled with it, so `lab down` finds exactly what `lab up` made
NETWORK = "tier3-lab"
SUBNET = "10.89.30.0/24"
GATEWAY = "10.89.30.1"
SITE = "lab"

# Podman's defaults plus what the services need: keepalived and nftables need
# NET_ADMIN and NET_RAW, chattr +i LINUX_IMMUTABLE, sshd and login AUDIT_WRITE.
BASE_CAPABILITIES: tuple[str, ...] = ("NET_ADMIN", "NET_RAW", "LINUX_IMMUTABLE", "AUDIT_WRITE")
# systemd units with sandboxing (PrivateTmp=, ProtectSystem=...) make mount namespaces: HAProxy's
# Debian unit fails with 226/NAMESPACE without SYS_ADMIN.
SANDBOX_CAPABILITIES: tuple[str, ...] = ("SYS_ADMIN",)


@dataclass(frozen=True)
class LabHost:
    """One lab host: inventory name, groups, static address and where it stands (imaginary)."""

    name: str
    groups: tuple[str, ...]
    address: str
    rack: str  # lab-r01 or lab-r02: an imaginary rack, see RACKS; "" for a lab peer
    backend: str = "container"  # which backend runs it (tier3.lab.backends.BACKENDS): container, vm, firewall
    capabilities: tuple[str, ...] = field(default=BASE_CAPABILITIES)

    @property
    def container(self) -> str:
        return f"{PREFIX}{self.name}"

    @property
    def instance(self) -> str:
        """What runs the host on the machine: its container, or its QEMU VM (``-name``)."""
        return f"{INSTANCE_PREFIXES[self.backend]}{self.name}"

    @property
    def is_service_host(self) -> bool:
        """In a service group: it has a place in the imaginary topology (a peer has none)."""
        return any(group in SERVICE_GROUPS for group in self.groups)


# one pair per service group, one member in each imaginary rack
HOSTS: tuple[LabHost, ...] = (
    LabHost("mx1", ("mx",), "10.89.30.11", "lab-r01"),
    LabHost("mx2", ("mx",), "10.89.30.12", "lab-r02"),
    LabHost("imap1", ("imap",), "10.89.30.21", "lab-r01"),
    LabHost("imap2", ("imap",), "10.89.30.22", "lab-r02"),
    LabHost("dns1", ("dns",), "10.89.30.31", "lab-r01"),
    LabHost("dns2", ("dns",), "10.89.30.32", "lab-r02"),
    LabHost("lb1", ("lb",), "10.89.30.41", "lab-r01", capabilities=BASE_CAPABILITIES + SANDBOX_CAPABILITIES),
    LabHost("lb2", ("lb",), "10.89.30.42", "lab-r02", capabilities=BASE_CAPABILITIES + SANDBOX_CAPABILITIES),
    # Prometheus and Alertmanager: a pair of their own, sharing no host with what they watch
    LabHost("mon1", ("monitoring",), "10.89.30.71", "lab-r01"),
    LabHost("mon2", ("monitoring",), "10.89.30.72", "lab-r02"),
    # the mail archive: every message the MX pair accepts, journaled to both (docs/archive.md)
    LabHost("archive1", ("archive",), "10.89.30.81", "lab-r01"),
    LabHost("archive2", ("archive",), "10.89.30.82", "lab-r02"),
    # lab peers, not service hosts: the client sends and reads mail in tests and drills; the outside
    # MX is a sink that receives the lab's outbound mail
    LabHost("client", ("clients",), "10.89.30.51", ""),
    LabHost("outside", ("outside_mx",), "10.89.30.61", ""),
)
# the metal hosts: QEMU VMs (tools/tier3/lab/metal.py holds their NICs, disks, ports and BMCs), started
# by `tier3 lab up --metal`; in group `metal`, no service group: the roles of playbooks/hardware.yml
METAL_HOSTS: tuple[LabHost, ...] = tuple(
    LabHost(m.name, (METAL_GROUP,), "127.0.0.1", m.rack, backend="vm", capabilities=()) for m in METAL)
# the firewall pair: network namespaces with a private sshd and keepalived each (tools/tier3/lab/firewall.py),
# started with the containers and by `tier3 lab up --firewall-only`; group `firewall`, where no play runs
# (their SSH is a shell on this machine): Netmiko drives them. address: the member's mgmt0 address.
FIREWALL_HOSTS: tuple[LabHost, ...] = tuple(
    LabHost(fw.name, (firewall_lab.GROUP,), fw.address("mgmt0"), fw.rack, backend="firewall", capabilities=())
    for fw in firewall_lab.MEMBERS)
INSTANCE_PREFIXES: dict[str, str] = {"container": PREFIX, "vm": METAL_PREFIX, "firewall": firewall_lab.PREFIX}
EVERY_HOST: tuple[LabHost, ...] = HOSTS + METAL_HOSTS + FIREWALL_HOSTS
# the peers' groups, children of PEERS_GROUP (itself a child of `lab`, beside the service groups)
# not the hosts' names: Ansible warns when a group and a host share one
PEER_GROUPS: tuple[str, ...] = ("clients", "outside_mx")
PEERS_GROUP = "lab_peers"

# The imaginary layout the inventory declares: two racks, each with a PDU on each of two feeds and
# its own top-of-rack switch. Containers have no racks, PDUs or bonds; the layout lets the
# redundancy rules run on the lab inventory exactly as on a real site.
FEEDS: tuple[str, ...] = ("lab-a", "lab-b")
RACKS: tuple[str, ...] = ("lab-r01", "lab-r02")


@dataclass(frozen=True)
class LabVip:
    """A VRRP virtual IP on the lab network: what it fronts and its members with their priorities."""

    name: str
    address: str
    vrid: int
    services: tuple[str, ...]  # smtp submission imap imaps lmtp (docs/mail.md)
    members: tuple[tuple[str, int], ...]  # (host, VRRP priority), the highest first


# on the load-balancer pair, one VIP each (active-active): lb1 is master of lab-smtp, lb2 of lab-imap
VIPS: tuple[LabVip, ...] = (
    LabVip("lab-smtp", "10.89.30.100", 51, ("smtp", "submission"), (("lb1", 150), ("lb2", 100))),
    LabVip("lab-imap", "10.89.30.101", 52, ("imap", "imaps", "lmtp"), (("lb2", 150), ("lb1", 100))),
)

# The mail service of the lab (tier3_mail in the generated group_vars/all/mail.yml). The secrets
# (each user's password, the replication password, the DKIM key) are made by tier3.lab.secrets.
MAIL_DOMAIN = "lab.tier3.test"
MAIL_HOSTNAME = f"mail.{MAIL_DOMAIN}"
IMAP_HOSTNAME = f"imap.{MAIL_DOMAIN}"
MAIL_USERS: tuple[str, ...] = ("alice", "bob", "drill")  # local parts, @MAIL_DOMAIN
DKIM_SELECTOR = "lab2026"
OUTSIDE_DOMAIN = "outside.test"  # mail to it goes to the outside peer (a transport), not to DNS
DRILL_MAILBOX = f"drill@{MAIL_DOMAIN}"
# The lab's authoritative DNS (tier3_dns in the generated group_vars/all/dns.yml): dns1 holds the zones,
# dns2 is its secondary; the TSIG key is made by tier3.lab.secrets.
DNS_PRIMARY = "dns1"
DNS_CONTACT = f"hostmaster@{MAIL_DOMAIN}"
# The lab's monitoring (tier3_monitoring in the generated group_vars/all/monitoring.yml): short intervals
# and a low queue threshold, so that a test fills the queue past it and sees the alert fire and resolve
# in about a minute; Alertmanager posts to a webhook sink on the client peer (playbooks/lab.yml).
MONITORING_INTERVAL = "5s"
MONITORING_QUEUE_DEPTH = 5
MONITORING_QUEUE_FOR = "20s"
ALERT_SINK_PORT = 9099
DRILL_RTO_SECONDS = 3.0
DRILL_RPO_MESSAGES = 0


def select(names: list[str] | None = None, *, metal: bool = False, containers: bool = True,
           firewall: bool = False) -> tuple[LabHost, ...]:
    """The hosts named, in table order; when ``names`` is empty or None: the containers (unless
    ``containers`` is false), with ``metal`` the metal hosts, with ``firewall`` the firewall pair. A metal
    or firewall host may be named without its flag."""
    every = EVERY_HOST
    if not names:
        return ((HOSTS if containers else ()) + (METAL_HOSTS if metal else ())
                + (FIREWALL_HOSTS if firewall else ()))
    known = {h.name for h in every}
    unknown = [n for n in names if n not in known]
    if unknown:
        from tier3.errors import LabError  # noqa: PLC0415  (keep the table importable on its own)

        raise LabError("tier3 lab", "hosts", f"unknown lab host {', '.join(unknown)}",
                       hint=f"choose from {', '.join(h.name for h in every)}")
    return tuple(h for h in every if h.name in names)
