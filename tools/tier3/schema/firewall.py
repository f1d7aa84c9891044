"""``tier3_firewall_policies`` and the policy part of ``tier3_firewall_pairs``: schema-clean documents ->
``FirewallPolicy`` and ``PairPolicy``, and the reference checks (each an ``InventoryError`` naming the key
and the fix): every object a rule names is declared, names are unique, networks parse, ports are ports,
and each pair names a declared policy and zones of it. A policy that fails here is bad input (exit 2):
``tier3 fw`` pushes nothing. What is legal but unwise (shadowed rules, any-any, a cut management path)
is for the rules of the catalogue (``tier3.rules.firewall``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from tier3.errors import InventoryError
from tier3.model import Location, Topology
from tier3.model.firewall import (
    ANY,
    PORTED,
    SELF,
    Address,
    AddressGroup,
    FirewallPolicy,
    PolicyRule,
    PortRange,
    Service,
    Zone,
)

MAX_PORT = 65535


def _ports(values: list[str]) -> tuple[PortRange, ...]:
    out = []
    for value in values:
        low, _, high = value.partition("-")
        out.append(PortRange(int(low), int(high or low)))
    return tuple(out)


def build_policy(doc: dict[str, Any], file: str, key: str) -> FirewallPolicy:
    """The model of one schema-clean ``tier3_firewall_policies`` entry."""

    def at(part: str, index: int) -> Location:
        return Location(file, f"{key}.{part}[{index}]")

    return FirewallPolicy(
        name=doc["name"],
        zones=tuple(Zone(z["name"], tuple(z["interfaces"]), at("zones", i)) for i, z in enumerate(doc["zones"])),
        addresses=tuple(Address(a["name"], tuple(a["networks"]), at("addresses", i))
                        for i, a in enumerate(doc.get("addresses") or ())),
        address_groups=tuple(AddressGroup(g["name"], tuple(g["members"]), at("address_groups", i))
                             for i, g in enumerate(doc.get("address_groups") or ())),
        services=tuple(Service(s["name"], s["protocol"], _ports(s.get("ports") or []), at("services", i))
                       for i, s in enumerate(doc.get("services") or ())),
        rules=tuple(
            PolicyRule(r["name"], r["from"], r["to"], tuple(r["source"]), tuple(r["destination"]), tuple(r["service"]),
                       r["action"], bool(r.get("log", False)), r.get("comment", ""), at("rules", i))
            for i, r in enumerate(doc["rules"])
        ),
        default_action=doc.get("default_action", "drop"),
        location=Location(file, key),
    )


def _error(location: Location, message: str, hint: str, part: str = "") -> InventoryError:
    return InventoryError(location.file, f"{location.key}{part}", message, hint=hint)


def _network_errors(location: Location, part: str, values: tuple[str, ...], *, hosts: bool = False) -> Iterator[
        InventoryError]:
    for index, value in enumerate(values):
        try:
            if hosts:
                ipaddress.ip_address(value)
            else:
                ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            yield _error(location, f"{value!r} is not {'an address' if hosts else 'a network'}: {exc}",
                         "write an address (10.0.0.1)" if hosts else
                         "write a network with no host bits set (10.0.0.0/24, 192.0.2.7/32, 2001:db8::/64)",
                         f".{part}[{index}]")


def _unique(items: list[tuple[str, Location]], what: str) -> Iterator[InventoryError]:
    seen: dict[str, Location] = {}
    for name, location in items:
        if name in (ANY, SELF):
            yield _error(location, f"{what} {name!r} uses a reserved name", f"rename it: {ANY} and {SELF} are reserved",
                         ".name")
        elif name in seen:
            yield _error(location, f"{what} {name!r} is declared twice (first at {seen[name].key})",
                         "give each object of a policy its own name", ".name")
        else:
            seen[name] = location


def _policy_errors(policy: FirewallPolicy) -> Iterator[InventoryError]:
    yield from _unique([(z.name, z.location) for z in policy.zones], "zone")
    yield from _unique([(a.name, a.location) for a in policy.addresses]
                       + [(g.name, g.location) for g in policy.address_groups], "address")
    yield from _unique([(s.name, s.location) for s in policy.services], "service")
    yield from _unique([(r.name, r.location) for r in policy.rules], "rule")
    yield from _interfaces_once(policy)
    for address in policy.addresses:
        yield from _network_errors(address.location, "networks", address.networks)
    names = {a.name for a in policy.addresses} | {g.name for g in policy.address_groups}
    groups = {g.name: g for g in policy.address_groups}
    for group in policy.address_groups:
        for index, member in enumerate(group.members):
            if member not in names:
                yield _error(group.location, f"address group {group.name!r} names {member!r}, which is not declared",
                             f"declare {member!r} under addresses or address_groups of policy {policy.name}",
                             f".members[{index}]")
        if _in_cycle(group.name, groups):
            yield _error(group.location, f"address group {group.name!r} contains itself",
                         "list addresses and other groups only, never the group itself", ".members")
    for service in policy.services:
        for index, port in enumerate(service.ports):
            if service.protocol not in PORTED:
                yield _error(service.location, f"service {service.name!r} is {service.protocol}: it has no ports",
                             "drop ports, or make the protocol tcp or udp", f".ports[{index}]")
            elif not 1 <= port.low <= port.high <= MAX_PORT:
                yield _error(service.location, f"port range {port} is not within 1-{MAX_PORT}, low to high",
                             "write a port (25) or a range low-high (1024-2047)", f".ports[{index}]")
    zones = {z.name for z in policy.zones}
    services = {s.name for s in policy.services}
    for rule in policy.rules:
        yield from _rule_errors(policy.name, rule, zones, names, services)


def _rule_errors(policy: str, rule: PolicyRule, zones: set[str], names: set[str], services: set[str]) -> Iterator[
        InventoryError]:
    if rule.from_zone not in zones | {ANY}:
        hint = ("traffic from the firewall itself is not filtered by a policy: drop the rule" if rule.from_zone == SELF
                else f"use a zone of policy {policy} ({', '.join(sorted(zones))}) or any")
        yield _error(rule.location, f"rule {rule.name!r}: from zone {rule.from_zone!r} is not declared", hint, ".from")
    if rule.to_zone not in zones | {ANY, SELF}:
        yield _error(rule.location, f"rule {rule.name!r}: to zone {rule.to_zone!r} is not declared",
                     f"use a zone of policy {policy} ({', '.join(sorted(zones))}), self or any", ".to")
    for part, values, known, kind, under in (
            ("source", rule.sources, names, "address", "addresses or address_groups"),
            ("destination", rule.destinations, names, "address", "addresses or address_groups"),
            ("service", rule.services, services, "service", "services")):
        for index, value in enumerate(values):
            if value not in known and value != ANY:
                yield _error(rule.location, f"rule {rule.name!r}: {part} {value!r} is not a declared {kind}",
                             f"declare {value!r} under the {under} of policy {policy}, or write any",
                             f".{part}[{index}]")
        if ANY in values and len(values) > 1:
            yield _error(rule.location, f"rule {rule.name!r}: {part} lists any beside other objects",
                         f"write {part}: [any] alone, or drop any", f".{part}")


def _interfaces_once(policy: FirewallPolicy) -> Iterator[InventoryError]:
    """Each interface in one zone: a packet's zone is the zone of the interface it arrives on."""
    owner: dict[str, str] = {}
    for zone in policy.zones:
        for index, interface in enumerate(zone.interfaces):
            if interface in owner:
                yield _error(zone.location, f"interface {interface!r} is in zone {owner[interface]!r} already",
                             "put each interface in one zone of the policy", f".interfaces[{index}]")
            else:
                owner[interface] = zone.name


def _in_cycle(start: str, groups: dict[str, AddressGroup]) -> bool:
    """The group reaches itself through its members."""
    stack, seen = list(groups[start].members), set()
    while stack:
        member = stack.pop()
        if member == start:
            return True
        if member in groups and member not in seen:
            seen.add(member)
            stack.extend(groups[member].members)
    return False


def check_firewall(topology: Topology) -> list[InventoryError]:
    """The reference checks of the policies and of the pairs that name them."""
    errors: list[InventoryError] = []
    policies: dict[str, FirewallPolicy] = {}
    for policy in topology.firewall_policies:
        if policy.name in policies:
            errors.append(_error(policy.location, f"firewall policy {policy.name!r} is declared twice",
                                 "give each policy its own name", ".name"))
        policies[policy.name] = policy
        errors.extend(_policy_errors(policy))
    for pair in topology.firewall_pairs:
        settings = pair.settings
        if settings is None:
            continue
        if not settings.policy:
            errors.append(_error(settings.location, f"pair {pair.name} declares its management path or HA link "
                                 "but names no policy, so nothing would check or push them",
                                 "name the policy it enforces (policy: NAME of tier3_firewall_policies), or drop "
                                 "management and ha"))
            continue
        enforced = policies.get(settings.policy)
        if enforced is None:
            errors.append(_error(settings.location, f"pair {pair.name} enforces policy {settings.policy!r}, which is "
                                 "not declared", "declare it under tier3_firewall_policies, or name one that is "
                                 f"({', '.join(sorted(policies)) or 'none is declared'})"))
            continue
        base = Location(settings.location.file, settings.location.key.removesuffix(".policy"))
        zones = {z.name for z in enforced.zones}
        for part, link in (("management", settings.management), ("ha", settings.ha)):
            if link is not None and link.zone not in zones:
                errors.append(_error(base, f"pair {pair.name}: {part} zone {link.zone!r} is not a zone of policy "
                                     f"{enforced.name}", f"use one of {', '.join(sorted(zones))}", f".{part}.zone"))
        if settings.management is not None:
            errors.extend(_network_errors(base, "management.networks", settings.management.networks))
        if settings.ha is not None:
            errors.extend(_network_errors(base, "ha.addresses", settings.ha.addresses, hosts=True))
            errors.extend(_ha_twice(pair.name, base, settings.ha.addresses))
    return errors


def _ha_twice(pair: str, base: Location, addresses: tuple[str, ...]) -> Iterator[InventoryError]:
    """One ha address per member: the same one twice leaves a member without its own (T3-FWL-005 needs both)."""
    seen: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    for index, value in enumerate(addresses):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            continue  # _network_errors says so
        if address in seen:
            yield _error(base, f"pair {pair}: both members' ha address is {address}",
                         "give each member its own address on the ha zone, in the order of members",
                         f".ha.addresses[{index}]")
        seen.add(address)
