"""VRRP: every VIP has two members with distinct priorities, a unique router id, one L2 site."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from tier3.model import Severity, Topology, Vip
from tier3.rules._lookup import distinct, listed, names, vip_key
from tier3.rules._registry import Category, Violation, rule

VRRP_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")


def _hosts(vip: Vip) -> list[str]:
    """Distinct member hosts, in declared order (a host listed twice counts once)."""
    return distinct(m.host for m in vip.members)


def _network(declared: str) -> str:
    """The network as one spelling (``192.0.2.0/255.255.255.128`` is ``192.0.2.0/25``; host bits
    dropped); a name that is not an address network stays as declared."""
    try:
        return str(ipaddress.ip_network(declared, strict=False))
    except ValueError:
        return declared


def _evidence(vip: Vip) -> dict[str, object]:
    return {
        "address": vip.address,
        "network": vip.network,
        "vrid": vip.vrid,
        "members": {m.host: m.priority for m in vip.members},
    }


@rule(
    "T3-VRP-001",
    severity=Severity.HIGH,
    category=Category.VRRP,
    title="VIP has at least two members",
    rationale="""A virtual IP held by one host fails with that host: there is nobody to take over.
    A host listed twice counts once, here and in every rule on VIP members, and the message says it
    is listed twice: one finding for the duplicate. VIPs blamed here are not judged on placement
    (T3-PLC-003/004), priorities or sites, which need two members to mean anything.""",
    controls=VRRP_CONTROLS,
    hint="add a second host to the VIP's members (tier3_vips[].members), in another rack",
)
def vip_members(topology: Topology) -> Iterator[Violation]:
    for vip in topology.vips:
        hosts = _hosts(vip)
        if len(hosts) < 2:
            every = [m.host for m in vip.members]
            which = f" ({names(listed(h, every) for h in hosts)})" if hosts else ""
            yield Violation(
                f"vip:{vip.name}",
                f"VIP {vip.address} has {len(hosts)} member{'' if len(hosts) == 1 else 's'}{which}; needs at least 2",
                _evidence(vip),
                vip_key(topology, vip, "members"),
            )


@rule(
    "T3-VRP-002",
    severity=Severity.MEDIUM,
    category=Category.VRRP,
    title="VIP member priorities are distinct",
    rationale="""With equal priorities VRRP elects the master by highest primary IP address: the
    failover order is accidental and changes when addresses do, and preemption can flap. Each
    group of members sharing a priority is named.""",
    controls=VRRP_CONTROLS,
    hint="give each member of the VIP its own priority (e.g. 150 for the preferred master, 100 for the backup)",
)
def distinct_priorities(topology: Topology) -> Iterator[Violation]:
    for vip in topology.vips:
        by_priority: dict[int, list[str]] = {}
        for member in vip.members:
            if member.host not in by_priority.get(member.priority, []):
                by_priority.setdefault(member.priority, []).append(member.host)
        shared = [f"{names(h)} share priority {p}" for p, h in by_priority.items() if len(h) > 1]
        if shared:
            message = f"members {'; '.join(shared)}"
            yield Violation(f"vip:{vip.name}", message, _evidence(vip), vip_key(topology, vip, "members"))


@rule(
    "T3-VRP-003",
    severity=Severity.HIGH,
    category=Category.VRRP,
    title="virtual router id is unique per network",
    rationale="""Two VRRP instances with the same router id on one L2 network share a virtual MAC
    address and read each other's advertisements: one of them loses its address or both flap. Every
    VIP in a collision is blamed, naming the others, since any of them can move. Networks are
    compared parsed (``192.0.2.0/255.255.255.128`` is ``192.0.2.0/25``); a network name that is not
    an address is compared as written.""",
    controls=VRRP_CONTROLS,
    hint="give the VIP a virtual router id (1-255) no other VIP on its network uses (tier3_vips[].vrid)",
)
def unique_vrid(topology: Topology) -> Iterator[Violation]:
    by_vrid: dict[tuple[str, int], list[Vip]] = {}
    for vip in topology.vips:
        by_vrid.setdefault((_network(vip.network), vip.vrid), []).append(vip)
    for (network, vrid), vips in by_vrid.items():
        if len(vips) < 2:
            continue
        for vip in vips:
            others = [f"vip:{v.name}" for v in vips if v is not vip]
            yield Violation(
                f"vip:{vip.name}",
                f"vrid {vrid} on network {network} is also used by {names(others)}",
                {**_evidence(vip), "same_vrid": [v.name for v in vips]},
                vip_key(topology, vip, "vrid"),
            )


@rule(
    "T3-VRP-004",
    severity=Severity.MEDIUM,
    category=Category.VRRP,
    title="VIP members are all in one site",
    rationale="""VRRP works within one L2 network: members in different sites either cannot hear each
    other (both become master) or need the L2 network stretched between sites, which couples the
    sites' failures. Cross-site redundancy is DNS (one MX per site, T3-PLC-007), not one VIP.""",
    controls=VRRP_CONTROLS,
    hint="keep a VIP's members in one site and declare one VIP per site",
)
def one_site(topology: Topology) -> Iterator[Violation]:
    for vip in topology.vips:
        by_site: dict[str, list[str]] = {}
        for name in _hosts(vip):
            host = topology.host(name)
            if host is not None:
                by_site.setdefault(host.site or "(no site)", []).append(name)
        if len(by_site) > 1:
            spread = names(f"{site} ({names(hosts)})" for site, hosts in by_site.items())
            yield Violation(
                f"vip:{vip.name}",
                f"members span sites {spread}",
                {**_evidence(vip), "sites": by_site},
                vip_key(topology, vip, "members"),
            )
