"""Juniper SRX (Junos): the managed part as ``set`` commands, in the form ``show configuration security |
display set`` and ``show configuration applications | display set`` print it back.

The managed part is four hierarchies the pair owns whole: ``security address-book global``,
``security policies``, ``security zones`` and ``applications`` (the driver deletes them and sets these
lines in one commit). Mapping of the vendor-neutral policy:

- an address with one network is an ``address``; with several, one ``address NAME_i`` per network and
  an ``address-set NAME`` of them (a Junos address holds one prefix); groups are ``address-set``s;
  a group that stands for no network is left out, and so is a rule left with no source or destination;
- a service is an ``application`` (one ``term`` per port range when it has several); protocol ``any``
  is the policy's ``application any``;
- a rule becomes one policy per zone context (``from-zone X to-zone Y``), ``any`` expanded to every
  zone (and to ``junos-host`` for ``to: any``); the policy keeps the rule's name, suffixed with its
  context when the rule expands to several. Junos matches first within a context, and a packet is in
  one context only, so the policy's order holds when the policies are grouped by context in order;
- ``self`` is Junos' ``junos-host`` zone: the rule becomes a policy ``to-zone junos-host`` (which keeps
  its addresses, services and order), and the zone's ``host-inbound-traffic`` opens what the
  accepting rules need (``HOST_INBOUND``), since host traffic must pass both;
- accept/drop/reject are ``permit``/``deny``/``reject``; ``log`` is ``log session-close`` for permits
  and ``log session-init`` for the others (a denied packet opens no session, so it never closes);
- the default action is ``default-policy deny-all``; ``reject`` adds a last global policy that rejects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tier3.model import FirewallPair
from tier3.model.firewall import ANY, PORTED, PROTOCOL_NUMBERS, SELF, FirewallPolicy, PolicyRule, Service

JUNOS_HOST = "junos-host"
ACTIONS = {"accept": "permit", "drop": "deny", "reject": "reject"}
# what Junos calls each protocol in an application (a number where it has no name)
PROTOCOL_NAMES = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmp6", "vrrp": str(PROTOCOL_NUMBERS["vrrp"])}
# host-inbound-traffic a ``to: self`` service needs: (kind, name) by (protocol, port); other ports: any-service
HOST_INBOUND = {
    ("tcp", 22): ("system-services", "ssh"),
    ("tcp", 80): ("system-services", "http"),
    ("tcp", 443): ("system-services", "https"),
    ("tcp", 830): ("system-services", "netconf"),
    ("udp", 53): ("system-services", "dns"),
    ("tcp", 53): ("system-services", "dns"),
    ("udp", 123): ("system-services", "ntp"),
    ("udp", 161): ("system-services", "snmp"),
    ("udp", 500): ("system-services", "ike"),
}
HOST_INBOUND_UNPORTED = {
    "icmp": ("system-services", "ping"),
    "icmpv6": ("system-services", "ping"),
    "vrrp": ("protocols", "vrrp"),
}
HOST_INBOUND_OTHER = ("system-services", "any-service")
HOST_INBOUND_ANY = (("system-services", "all"), ("protocols", "all"))
BARE = re.compile(r"[A-Za-z0-9._/:@-]+")
REJECT_POLICY = "default-reject"


def quote(text: str) -> str:
    """A value as Junos prints it: bare when it is one word, else in double quotes."""
    return text if BARE.fullmatch(text) else f'"{text}"'


def _empty(policy: FirewallPolicy, name: str) -> bool:
    """An address or group that stands for no network (a group of nothing)."""
    return name != ANY and not policy.networks(name)


def address_book(policy: FirewallPolicy) -> Iterator[str]:
    base = "set security address-book global"
    for address in policy.addresses:
        if len(address.networks) == 1:
            yield f"{base} address {address.name} {address.networks[0]}"
        else:
            yield from (f"{base} address {address.name}_{i} {n}" for i, n in enumerate(address.networks))
    for address in policy.addresses:
        if len(address.networks) > 1:
            yield from (f"{base} address-set {address.name} address {address.name}_{i}"
                        for i in range(len(address.networks)))
    sets = {g.name for g in policy.address_groups} | {a.name for a in policy.addresses if len(a.networks) > 1}
    for group in policy.address_groups:
        if _empty(policy, group.name):
            continue
        members = [m for m in group.members if not _empty(policy, m)]
        yield from (f"{base} address-set {group.name} address {m}" for m in members if m not in sets)
        yield from (f"{base} address-set {group.name} address-set {m}" for m in members if m in sets)


def _application(service: Service) -> Iterator[str]:
    base = f"set applications application {service.name}"
    protocol = PROTOCOL_NAMES[service.protocol]
    if len(service.ports) <= 1:
        yield f"{base} protocol {protocol}"
        yield from (f"{base} destination-port {p}" for p in service.ports)
        return
    for index, ports in enumerate(service.ports, 1):
        yield f"{base} term t{index} protocol {protocol}"
        yield f"{base} term t{index} destination-port {ports}"


def applications(policy: FirewallPolicy) -> Iterator[str]:
    for service in policy.services:
        if service.protocol != ANY:
            yield from _application(service)


def _contexts(policy: FirewallPolicy, rule: PolicyRule) -> list[tuple[str, str]]:
    zones = [z.name for z in policy.zones]
    froms = zones if rule.from_zone == ANY else [rule.from_zone]
    tos = [*zones, JUNOS_HOST] if rule.to_zone == ANY else [JUNOS_HOST if rule.to_zone == SELF else rule.to_zone]
    return [(f, t) for f in froms for t in tos]


def _is_any_service(policy: FirewallPolicy, names: tuple[str, ...]) -> bool:
    return any(name == ANY or ((s := policy.service(name)) is not None and s.protocol == ANY) for name in names)


def _addresses(policy: FirewallPolicy, names: tuple[str, ...]) -> list[str]:
    return [n for n in names if not _empty(policy, n)]


def _policy_lines(policy: FirewallPolicy, rule: PolicyRule, base: str) -> Iterator[str]:
    if rule.comment:
        yield f"{base} description {quote(rule.comment)}"
    yield from (f"{base} match source-address {a}" for a in _addresses(policy, rule.sources))
    yield from (f"{base} match destination-address {a}" for a in _addresses(policy, rule.destinations))
    apps = (ANY,) if _is_any_service(policy, rule.services) else rule.services
    yield from (f"{base} match application {a}" for a in apps)
    yield f"{base} then {ACTIONS[rule.action]}"
    if rule.log:
        yield f"{base} then log {'session-close' if rule.action == 'accept' else 'session-init'}"


def policies(policy: FirewallPolicy) -> Iterator[str]:
    """The policies grouped by zone context in first-seen order, each context's in rule order."""
    contexts: dict[tuple[str, str], list[str]] = {}
    for rule in policy.rules:
        if not (_addresses(policy, rule.sources) and _addresses(policy, rule.destinations)):
            continue  # it names only groups of nothing: it matches no packet
        pairs = _contexts(policy, rule)
        for source_zone, target_zone in pairs:
            name = rule.name if len(pairs) == 1 else f"{rule.name}-{source_zone}-{target_zone}"
            base = f"set security policies from-zone {source_zone} to-zone {target_zone} policy {name}"
            contexts.setdefault((source_zone, target_zone), []).extend(_policy_lines(policy, rule, base))
    for lines in contexts.values():
        yield from lines
    if policy.default_action == "reject":
        base = f"set security policies global policy {REJECT_POLICY}"
        yield from (f"{base} match {part} any" for part in ("source-address", "destination-address", "application"))
        yield f"{base} then reject"
    yield "set security policies default-policy deny-all"


def _host_inbound(policy: FirewallPolicy, rule: PolicyRule) -> Iterator[tuple[str, str]]:
    if _is_any_service(policy, rule.services):
        yield from HOST_INBOUND_ANY
        return
    for name in rule.services:
        service = policy.service(name)
        if service is None:
            continue
        if service.protocol not in PORTED:
            yield HOST_INBOUND_UNPORTED[service.protocol]
        elif len(service.ports) == 1 and service.ports[0].low == service.ports[0].high:
            yield HOST_INBOUND.get((service.protocol, service.ports[0].low), HOST_INBOUND_OTHER)
        else:
            yield HOST_INBOUND_OTHER


def zones(policy: FirewallPolicy) -> Iterator[str]:
    """Each zone's host-inbound-traffic (what its accepting ``to: self`` rules need), then its interfaces."""
    inbound: dict[str, dict[tuple[str, str], None]] = {z.name: {} for z in policy.zones}
    for rule in policy.rules:
        if rule.action == "accept" and rule.to_zone in (SELF, ANY):
            for name in ([z.name for z in policy.zones] if rule.from_zone == ANY else [rule.from_zone]):
                inbound[name].update(dict.fromkeys(_host_inbound(policy, rule)))
    for zone in policy.zones:
        base = f"set security zones security-zone {zone.name}"
        ordered = sorted(inbound[zone.name], key=lambda item: item[0] != "system-services")
        yield from (f"{base} host-inbound-traffic {kind} {name}" for kind, name in ordered)
        yield from (f"{base} interfaces {interface}" for interface in zone.interfaces)


def render(policy: FirewallPolicy, pair: FirewallPair) -> str:
    """The managed part of the pair's configuration (one chassis cluster: one configuration)."""
    del pair  # the cluster has one configuration: nothing differs per member
    lines = [*address_book(policy), *policies(policy), *zones(policy), *applications(policy)]
    return "\n".join(lines) + "\n"
