"""The Cisco ASA renderer: objects, object-groups and one ingress ACL per zone, as ``show running-config`` prints them.

Addresses become ``object network`` (one network) or ``object-group network`` (several), groups
``object-group network`` with ``network-object object`` / ``group-object`` members, services ``object
service`` (one port range) or ``object-group service``. A rule naming several sources, destinations or
services gets its own group (``<rule>_src``, ``<rule>_dst``, ``<rule>_svc``). Each zone has an ACL for
traffic through the firewall (``<zone>_access_in``, bound ``access-group ... in interface <nameif>``
for each of the zone's interfaces, taken as nameifs) and one for traffic to it (``<zone>_to_self``,
bound ``... control-plane``); rules go in policy order, each after a remark naming it, and each ACL
ends with the default action explicit. What an ASA cannot say, the remark says: an ingress ACL does
not match the egress zone (routing decides it), and an ACE cannot reject: ``reject`` is ``deny``, and a
``reject`` default adds ``service resetinbound`` (TCP resets for denied TCP) on the zone's interfaces.
Ports are printed with the names the ASA prints back (``eq smtp``), so a read-back compares line for line.
"""

from __future__ import annotations

import ipaddress
import textwrap
from collections.abc import Iterator

from tier3.errors import InventoryError
from tier3.model import FirewallPair
from tier3.model.firewall import ANY, SELF, FirewallPolicy, PolicyRule, PortRange, Service

REMARK_WIDTH = 100  # the longest remark an ASA keeps
PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmp6", "vrrp": "112", ANY: "ip"}
# the port literals an ASA prints in place of the number (Cisco ASA command reference, "TCP and UDP ports")
PORT_NAMES = {
    "tcp": {5190: "aol", 179: "bgp", 19: "chargen", 1494: "citrix-ica", 514: "rsh", 2748: "ctiqbe", 13: "daytime",
            9: "discard", 53: "domain", 7: "echo", 512: "exec", 79: "finger", 21: "ftp", 20: "ftp-data", 70: "gopher",
            1720: "h323", 101: "hostname", 443: "https", 113: "ident", 143: "imap4", 194: "irc", 750: "kerberos",
            543: "klogin", 544: "kshell", 389: "ldap", 636: "ldaps", 513: "login", 1352: "lotusnotes", 515: "lpd",
            139: "netbios-ssn", 2049: "nfs", 119: "nntp", 5631: "pcanywhere-data", 496: "pim-auto-rp", 109: "pop2",
            110: "pop3", 1723: "pptp", 554: "rtsp", 5060: "sip", 25: "smtp", 1521: "sqlnet", 22: "ssh", 111: "sunrpc",
            49: "tacacs", 517: "talk", 23: "telnet", 540: "uucp", 43: "whois", 80: "www"},
    "udp": {512: "biff", 68: "bootpc", 67: "bootps", 9: "discard", 195: "dnsix", 53: "domain", 7: "echo",
            500: "isakmp", 750: "kerberos", 434: "mobile-ip", 42: "nameserver", 138: "netbios-dgm", 137: "netbios-ns",
            2049: "nfs", 123: "ntp", 5632: "pcanywhere-status", 496: "pim-auto-rp", 1645: "radius",
            1646: "radius-acct", 520: "rip", 5510: "secureid-udp", 5060: "sip", 161: "snmp", 162: "snmptrap",
            111: "sunrpc", 514: "syslog", 49: "tacacs", 517: "talk", 69: "tftp", 37: "time", 513: "who", 177: "xdmcp",
            80: "www"},
}
SIDES = ("src", "dst", "svc")


def render(policy: FirewallPolicy, pair: FirewallPair) -> str:  # noqa: ARG001 (the Renderer signature)
    """The managed part of the ASA configuration for a pair: the same on both units (failover replicates it);
    the pair's management and HA paths are rules of the policy like any other."""
    _check_names(policy)
    lines = [*_objects(policy), *_groups(policy), *_rule_groups(policy), *_acls(policy), *_bindings(policy)]
    return "\n".join(lines) + "\n"


def forwarded_acl(zone: str) -> str:
    return f"{zone}_access_in"


def self_acl(zone: str) -> str:
    return f"{zone}_to_self"


# --- objects --------------------------------------------------------------------------------------------------------


def _network(text: str, prefix: str) -> str:
    """One network as an object (``prefix`` "") or a network-object (``prefix`` "network-object ") prints it."""
    network = ipaddress.ip_network(text, strict=False)
    if network.num_addresses == 1:
        return f" {prefix}host {network.network_address}"
    if network.version == 6:
        return f" {prefix}{network}" if prefix else f" subnet {network}"
    return f" {prefix}{'' if prefix else 'subnet '}{network.network_address} {network.netmask}"


def _objects(policy: FirewallPolicy) -> Iterator[str]:
    """``object network`` then ``object service``: the addresses of one network, the services of one range."""
    for address in policy.addresses:
        if len(address.networks) == 1:
            yield f"object network {address.name}"
            yield _network(address.networks[0], "")
    for service in policy.services:
        if _single(service):
            yield f"object service {service.name}"
            ports = _ports(service.protocol, service.ports[0]) if service.ports else ""
            yield f" service {PROTOCOLS[service.protocol]}{ports}"


def _groups(policy: FirewallPolicy) -> Iterator[str]:
    """The object-groups, in the order they are created: addresses of several networks, address groups,
    services of several ranges."""
    for address in policy.addresses:
        if len(address.networks) > 1:
            yield f"object-group network {address.name}"
            yield from (_network(n, "network-object ") for n in address.networks)
    for group in policy.address_groups:
        yield f"object-group network {group.name}"
        yield from (f" network-object object {m}" if _is_object(policy, m) else f" group-object {m}"
                    for m in group.members)
    for service in policy.services:
        if not _single(service):
            yield f"object-group service {service.name}"
            yield from (f" service-object {service.protocol}{_ports(service.protocol, p)}" for p in service.ports)


def _port(protocol: str, port: int) -> str:
    return PORT_NAMES.get(protocol, {}).get(port, str(port))


def _ports(protocol: str, ports: PortRange) -> str:
    if ports.low == ports.high:
        return f" destination eq {_port(protocol, ports.low)}"
    return f" destination range {_port(protocol, ports.low)} {_port(protocol, ports.high)}"


def _single(service: Service) -> bool:
    return len(service.ports) <= 1


# --- rules ----------------------------------------------------------------------------------------------------------


def _group_name(rule: PolicyRule, side: str) -> str:
    return f"{rule.name}_{side}"


def _rule_items(rule: PolicyRule, side: str) -> tuple[str, ...]:
    return {"src": rule.sources, "dst": rule.destinations, "svc": rule.services}[side]


def _is_any(policy: FirewallPolicy, rule: PolicyRule, side: str) -> bool:
    items = _rule_items(rule, side)
    if side == "svc":
        return ANY in items or any(s.protocol == ANY for s in policy.services if s.name in items)
    return ANY in items


def _is_object(policy: FirewallPolicy, name: str) -> bool:
    """Whether ``name`` renders as an ``object`` (one network, one port range), not an ``object-group``."""
    if any(a.name == name and len(a.networks) == 1 for a in policy.addresses):
        return True
    service = policy.service(name)
    return service is not None and _single(service)


def _reference(policy: FirewallPolicy, rule: PolicyRule, side: str) -> str:
    if _is_any(policy, rule, side):
        return "ip" if side == "svc" else "any"
    items = _rule_items(rule, side)
    if len(items) > 1:
        return f"object-group {_group_name(rule, side)}"
    return f"{'object' if _is_object(policy, items[0]) else 'object-group'} {items[0]}"


def _rule_groups(policy: FirewallPolicy) -> Iterator[str]:
    """The groups of rules that name several items on one side, network groups before service groups."""
    for kind, sides in (("network", ("src", "dst")), ("service", ("svc",))):
        for rule in policy.rules:
            for side in sides:
                items = _rule_items(rule, side)
                if len(items) < 2 or _is_any(policy, rule, side):
                    continue
                member = "network-object object" if kind == "network" else "service-object object"
                yield f"object-group {kind} {_group_name(rule, side)}"
                yield from (f" {member} {i}" if _is_object(policy, i) else f" group-object {i}" for i in items)


def _remarks(acl: str, rule: PolicyRule) -> Iterator[str]:
    action = "reject, an ACE denies" if rule.action == "reject" else rule.action
    head = f"{rule.name}: {rule.from_zone} -> {rule.to_zone}, {action}"
    for text in (head, *textwrap.wrap(rule.comment, REMARK_WIDTH)):
        yield f"access-list {acl} remark {text}"


def _ace(policy: FirewallPolicy, acl: str, rule: PolicyRule) -> Iterator[str]:
    yield from _remarks(acl, rule)
    verb = "permit" if rule.action == "accept" else "deny"
    refs = " ".join(_reference(policy, rule, side) for side in ("svc", "src", "dst"))
    yield f"access-list {acl} extended {verb} {refs}{' log' if rule.log else ''}"


def _acls(policy: FirewallPolicy) -> Iterator[str]:
    for zone in policy.zones:
        for acl, to_self in ((forwarded_acl(zone.name), False), (self_acl(zone.name), True)):
            for rule in policy.rules:
                if rule.from_zone in (zone.name, ANY) and (rule.to_zone in (SELF, ANY) if to_self else
                                                             rule.to_zone != SELF):
                    yield from _ace(policy, acl, rule)
            yield f"access-list {acl} remark default: {policy.default_action}"
            yield f"access-list {acl} extended deny ip any any"


def _bindings(policy: FirewallPolicy) -> Iterator[str]:
    for zone in policy.zones:
        for interface in zone.interfaces:
            yield f"access-group {forwarded_acl(zone.name)} in interface {interface}"
            yield f"access-group {self_acl(zone.name)} in interface {interface} control-plane"
    if policy.default_action == "reject":
        for zone in policy.zones:
            yield from (f"service resetinbound interface {interface}" for interface in zone.interfaces)


def _check_names(policy: FirewallPolicy) -> None:
    """A rule's own group must not take the name of a declared object."""
    declared = {a.name for a in policy.addresses} | {g.name for g in policy.address_groups}
    declared |= {s.name for s in policy.services}
    for rule in policy.rules:
        for side in SIDES:
            name = _group_name(rule, side)
            if name in declared:
                raise InventoryError(rule.location.file, rule.location.key, f"the ASA group {name!r} this rule "
                                     "needs has the name of a declared object", hint=f"rename the object {name!r}")
