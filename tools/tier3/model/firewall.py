"""The vendor-neutral firewall policy (``tier3_firewall_policies``) and what a pair adds to it.

A policy has zones (each a list of interface names, the same on both members of a pair), address
objects (networks), address groups (addresses or groups), services (a protocol and ports) and
ordered rules, first match wins, then the policy's default action. Two names are reserved: ``any``
(every zone, address or service) and the zone ``self`` (the firewall itself, as a destination).

The semantics are here as small pure functions over sets (``Match``), so that the rules of the
catalogue (shadowed, redundant, any-any, management and HA paths, ``tier3.rules.firewall``) and the
renderers (``tier3.firewall.render``) read one meaning of the policy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tier3.model.finding import Location

NOWHERE = Location("<unknown>")
ANY = "any"
SELF = "self"  # the firewall itself: a rule ``to: self`` filters traffic addressed to the member
ACTIONS = ("accept", "drop", "reject")
PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "vrrp", "any")
PORTED = ("tcp", "udp")
# the IP protocol numbers of the protocols without ports (nftables ``meta l4proto``, ASA ``112``)
PROTOCOL_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "vrrp": 112, "icmpv6": 58}
SSH_PORT = 22
CONNTRACKD_PORT = 3780  # conntrackd's default UDP port for state sync

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Zone:
    name: str
    interfaces: tuple[str, ...]
    location: Location = NOWHERE


@dataclass(frozen=True)
class Address:
    name: str
    networks: tuple[str, ...]
    location: Location = NOWHERE


@dataclass(frozen=True)
class AddressGroup:
    name: str
    members: tuple[str, ...]  # address or group names
    location: Location = NOWHERE


@dataclass(frozen=True)
class PortRange:
    low: int
    high: int

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Service:
    name: str
    protocol: str
    ports: tuple[PortRange, ...] = ()  # tcp and udp only; none: every port
    location: Location = NOWHERE


@dataclass(frozen=True)
class PolicyRule:
    name: str
    from_zone: str
    to_zone: str
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    services: tuple[str, ...]
    action: str
    log: bool = False
    comment: str = ""
    location: Location = NOWHERE


@dataclass(frozen=True)
class FirewallPolicy:
    name: str
    zones: tuple[Zone, ...] = ()
    addresses: tuple[Address, ...] = ()
    address_groups: tuple[AddressGroup, ...] = ()
    services: tuple[Service, ...] = ()
    rules: tuple[PolicyRule, ...] = ()
    default_action: str = "drop"
    location: Location = NOWHERE

    def zone(self, name: str) -> Zone | None:
        return next((z for z in self.zones if z.name == name), None)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def networks(self, name: str) -> tuple[Network, ...]:
        """The networks an address or group stands for, groups expanded depth first, each once, in
        declaration order; ``any`` stands for no network in particular: ``()``."""
        if name == ANY:
            return ()
        addresses = {a.name: a for a in self.addresses}
        groups = {g.name: g for g in self.address_groups}
        out: dict[Network, None] = {}

        def walk(item: str, seen: frozenset[str]) -> None:
            if item in addresses:
                out.update((ipaddress.ip_network(n, strict=False), None) for n in addresses[item].networks)
            elif item in groups and item not in seen:  # a cycle is a reference error; never loop on it
                for member in groups[item].members:
                    walk(member, seen | {item})

        walk(name, frozenset())
        return tuple(out)


@dataclass(frozen=True)
class Management:
    """Where the pair is managed from: the zone the management traffic arrives on and its networks."""

    zone: str
    networks: tuple[str, ...]
    port: int = SSH_PORT


@dataclass(frozen=True)
class HaLink:
    """The pair's own traffic: VRRP (or the vendor's HA heartbeat) and state sync between the members'
    addresses on the HA zone."""

    zone: str
    addresses: tuple[str, ...]  # one per member, in the pair's member order
    state_sync: bool = False  # conntrackd (or the vendor's session sync) on UDP 3780


@dataclass(frozen=True)
class PairPolicy:
    """What a pair adds to its policy: the policy's name, its management path and HA link."""

    policy: str
    management: Management | None = None
    ha: HaLink | None = None
    location: Location = NOWHERE


# --- the meaning of a rule, as sets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """One protocol with a port set (``ports`` empty: every port; protocols without ports: empty)."""

    protocol: str
    ports: tuple[PortRange, ...] = ()


@dataclass(frozen=True)
class Match:
    """What a rule matches, or a probe (the traffic a check asks about): ``None`` stands for any."""

    from_zone: str | None
    to_zone: str | None
    sources: tuple[Network, ...] | None
    destinations: tuple[Network, ...] | None
    flows: tuple[Flow, ...] | None
    extra: dict[str, str] = field(default_factory=dict, compare=False)


def rule_match(policy: FirewallPolicy, rule: PolicyRule) -> Match:
    """The traffic ``rule`` matches."""
    return Match(
        None if rule.from_zone == ANY else rule.from_zone,
        None if rule.to_zone == ANY else rule.to_zone,
        _networks(policy, rule.sources),
        _networks(policy, rule.destinations),
        _flows(policy, rule.services),
    )


def _networks(policy: FirewallPolicy, names: Iterable[str]) -> tuple[Network, ...] | None:
    names = tuple(names)
    if ANY in names:
        return None
    return tuple(dict.fromkeys(n for name in names for n in policy.networks(name)))


def _flows(policy: FirewallPolicy, names: Iterable[str]) -> tuple[Flow, ...] | None:
    names = tuple(names)
    if ANY in names:
        return None
    flows: list[Flow] = []
    for name in names:
        service = policy.service(name)
        if service is None:
            continue
        if service.protocol == ANY:
            return None
        flows.append(Flow(service.protocol, service.ports))
    return tuple(flows)


def _collapsed(networks: tuple[Network, ...]) -> tuple[Network, ...]:
    """The union of ``networks`` as the fewest networks (10.0.0.0/25 and 10.0.0.128/25 are 10.0.0.0/24), so
    that a network the union holds lies inside one of them."""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))


def _net_covers(outer: tuple[Network, ...] | None, inner: tuple[Network, ...] | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return False
    union = _collapsed(outer)
    return all(any(i.version == o.version and i.subnet_of(o) for o in union) for i in inner)  # type: ignore[arg-type]


def _net_overlaps(a: tuple[Network, ...] | None, b: tuple[Network, ...] | None) -> bool:
    if a is None or b is None:
        return bool(a is None or a) and bool(b is None or b)
    return any(x.version == y.version and x.overlaps(y) for x in a for y in b)


def _merged(ranges: Iterable[PortRange]) -> tuple[PortRange, ...]:
    """The union of ``ranges`` as the fewest ranges (25 and 26-30 are 25-30)."""
    out: list[PortRange] = []
    for r in sorted(ranges, key=lambda r: (r.low, r.high)):
        if out and r.low <= out[-1].high + 1:
            out[-1] = PortRange(out[-1].low, max(out[-1].high, r.high))
        else:
            out.append(r)
    return tuple(out)


def _ports_cover(outer: tuple[PortRange, ...], inner: tuple[PortRange, ...]) -> bool:
    if not outer:
        return True
    if not inner:
        return False
    union = _merged(outer)
    return all(any(o.low <= i.low and i.high <= o.high for o in union) for i in inner)


def _ports_overlap(a: tuple[PortRange, ...], b: tuple[PortRange, ...]) -> bool:
    if not a or not b:
        return True
    return any(x.low <= y.high and y.low <= x.high for x in a for y in b)


def _flow_covers(outer: tuple[Flow, ...] | None, inner: tuple[Flow, ...] | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return False
    return all(_protocol_covers(outer, i) for i in inner)


def _protocol_covers(outer: tuple[Flow, ...], inner: Flow) -> bool:
    """The flows of ``inner``'s protocol in ``outer`` hold all its ports, together (two services, 25 and
    26-30, cover 25-30)."""
    same = [o for o in outer if o.protocol == inner.protocol]
    if not same:
        return False
    if any(not o.ports for o in same):
        return True
    return _ports_cover(tuple(p for o in same for p in o.ports), inner.ports)


def _flow_overlaps(a: tuple[Flow, ...] | None, b: tuple[Flow, ...] | None) -> bool:
    if a is None or b is None:
        return bool(a is None or a) and bool(b is None or b)
    return any(x.protocol == y.protocol and _ports_overlap(x.ports, y.ports) for x in a for y in b)


def covers(outer: Match, inner: Match) -> bool:
    """Every packet ``inner`` matches, ``outer`` matches too."""
    return (
        (outer.from_zone is None or outer.from_zone == inner.from_zone)
        and (outer.to_zone is None or outer.to_zone == inner.to_zone)
        and _net_covers(outer.sources, inner.sources)
        and _net_covers(outer.destinations, inner.destinations)
        and _flow_covers(outer.flows, inner.flows)
    )


def overlaps(a: Match, b: Match) -> bool:
    """Some packet matches both."""
    return (
        (a.from_zone is None or b.from_zone is None or a.from_zone == b.from_zone)
        and (a.to_zone is None or b.to_zone is None or a.to_zone == b.to_zone)
        and _net_overlaps(a.sources, b.sources)
        and _net_overlaps(a.destinations, b.destinations)
        and _flow_overlaps(a.flows, b.flows)
    )


@dataclass(frozen=True)
class Verdict:
    """What the policy does to a probe: accepted by ``rule`` (None: the default action), or possibly
    dropped by ``rule`` (the first rule that matches part of it and does not accept)."""

    accepted: bool
    rule: PolicyRule | None


def judge(policy: FirewallPolicy, probe: Match) -> Verdict:
    """First match over the probe, conservatively: a rule that matches only part of the probe and
    does not accept already drops some of it."""
    for rule in policy.rules:
        match = rule_match(policy, rule)
        if rule.action == "accept" and covers(match, probe):
            return Verdict(accepted=True, rule=rule)
        if rule.action != "accept" and overlaps(match, probe):
            return Verdict(accepted=False, rule=rule)
    return Verdict(accepted=policy.default_action == "accept", rule=None)


def earlier_covering(policy: FirewallPolicy) -> Iterator[tuple[PolicyRule, PolicyRule]]:
    """(later, earlier) for each rule an earlier rule covers entirely: the later one never matches."""
    matches = [(r, rule_match(policy, r)) for r in policy.rules]
    for index, (later, later_match) in enumerate(matches):
        for earlier, earlier_match in matches[:index]:
            if covers(earlier_match, later_match):
                yield later, earlier
                break


def net(address: str) -> Network:
    return ipaddress.ip_network(address, strict=False)
