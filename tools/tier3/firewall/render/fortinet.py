"""FortiOS (FortiGate): the managed part as ``config firewall ...`` blocks, in the form ``show firewall <table>``
prints them (``config``, ``edit "name"``, ``set ...``, ``next``, ``end``; default values left out, as ``show``
leaves them out; the device-assigned ``set uuid`` lines are the driver's to drop on reading back).

The managed part is eight tables, always all eight and in this order (an empty one is ``config ...`` then
``end``, as ``show`` prints it): ``service custom``, ``address``, ``address6``, ``addrgrp``, ``addrgrp6``,
``policy``, ``local-in-policy``, ``local-in-policy6``. The policy tables are the pair's whole; the object
tables also hold FortiOS' predefined entries (``all``, ``ALL``, ``HTTPS`` ...), so each of our objects
carries ``set comment "managed by tier3: <policy>"``, by which the driver tells ours from the rest.
Mapping of the vendor-neutral policy:

- an address is an ``address`` (IPv4) and/or ``address6`` (IPv6) of the same name (the two tables are
  separate name spaces, as the predefined ``all`` in both shows); several networks of one family are
  ``NAME_0``, ``NAME_1``... and an ``addrgrp``/``addrgrp6`` ``NAME`` of them; a group is an addrgrp of its
  members that have that family; a group that stands for nothing in a family is left out of it;
- a service is a ``service custom``: tcp/udp ``set tcp-portrange``/``udp-portrange`` (every port
  ``1-65535``), ICMP ``set protocol ICMP``, ICMPv6 ``ICMP6``, VRRP ``set protocol IP`` with
  ``protocol-number 112``, protocol ``any`` ``set protocol IP`` (number 0: every protocol, like the
  predefined ``ALL``); ``any`` in a rule is the predefined ``ALL``, ``all`` for addresses;
- a rule to a zone is a ``firewall policy`` (``set name`` the rule's name), ``srcintf``/``dstintf`` the
  zones' interfaces (``any`` for any); IPv4 and IPv6 in one policy (``srcaddr``/``dstaddr`` and
  ``srcaddr6``/``dstaddr6``), each family only where both sides have it (a rule left with neither
  matches nothing and is left out); accept is ``set action accept``, drop the default ``deny``, reject
  ``deny`` with ``set send-deny-packet enable`` (a TCP reset or ICMP unreachable to the sender);
  ``set logtraffic all`` when logged, ``disable`` otherwise (FortiOS' default ``utm`` stated away);
- a rule to ``self`` (and a rule to ``any``, which includes the firewall itself) is a ``local-in-policy``
  (IPv4) / ``local-in-policy6`` of its source zone's interfaces (``set intf``): traffic to the FortiGate
  never meets ``firewall policy``. A local-in policy can only accept or deny, and logs only by the
  global ``config log setting`` (``local-in-allow``/``local-in-deny``, outside the managed part): its
  ``comments`` say so where the rule asks for reject or log;
- policy ids count from 1 in policy order in each table, and each table ends with the default action
  explicit (``tier3-default`` over everything), so the order on the device is the order of the policy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from tier3.errors import InventoryError
from tier3.model import FirewallPair
from tier3.model.finding import Location
from tier3.model.firewall import ANY, PORTED, SELF, FirewallPolicy, Network, PolicyRule, Service

MANAGED = "managed by tier3"  # the start of every managed object's comment
TABLES = ("service custom", "address", "address6", "addrgrp", "addrgrp6", "policy", "local-in-policy",
          "local-in-policy6")
FAMILIES = (4, 6)
ADDRESS_TABLE = {4: "address", 6: "address6"}
GROUP_TABLE = {4: "addrgrp", 6: "addrgrp6"}
LOCAL_IN_TABLE = {4: "local-in-policy", 6: "local-in-policy6"}
ALL_ADDRESSES, ALL_SERVICES, ALWAYS = "all", "ALL", "always"  # FortiOS' predefined objects
DEFAULT_RULE = "tier3-default"
EVERY_PORT = "1-65535"
# ``set protocol`` (and ``protocol-number``) of the services without ports; tcp/udp are FortiOS' default
PORTLESS = {"icmp": ("ICMP", None), "icmpv6": ("ICMP6", None), "vrrp": ("IP", 112), ANY: ("IP", None)}
NAME_LIMIT, POLICY_NAME_LIMIT, COMMENT_LIMIT = 79, 35, 1023  # FortiOS' field sizes


def quote(text: str) -> str:
    """A string value as ``show`` prints it: in double quotes, backslash and quote escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def quoted(values: list[str]) -> str:
    return " ".join(quote(v) for v in values)


@dataclass(frozen=True)
class Entry:
    """One ``edit`` of a table: its key (a name, or a policy id) and its ``set`` lines (field, value)."""

    key: str
    fields: tuple[tuple[str, str], ...]


def block(table: str, entries: list[Entry]) -> Iterator[str]:
    yield f"config firewall {table}"
    for entry in entries:
        yield f"    edit {entry.key}"
        yield from (f"        set {name} {value}" for name, value in entry.fields)
        yield "    next"
    yield "end"


# --- objects --------------------------------------------------------------------------------------------------------


def family_networks(policy: FirewallPolicy, name: str, family: int) -> list[Network]:
    return [n for n in policy.networks(name) if n.version == family]


def has_family(policy: FirewallPolicy, name: str, family: int) -> bool:
    return name == ANY or bool(family_networks(policy, name, family))


def _subnet(network: Network) -> str:
    if isinstance(network, ipaddress.IPv4Network):
        return f"{network.network_address} {network.netmask}"
    return str(network)


def _address_entries(policy: FirewallPolicy, family: int, marker: str) -> list[Entry]:
    """The address objects of one family: one per address, or ``NAME_i`` per network of several."""
    field = "subnet" if family == 4 else "ip6"
    out: list[Entry] = []
    for address in policy.addresses:
        networks = [ipaddress.ip_network(n, strict=False) for n in address.networks]
        mine = [n for n in networks if n.version == family]
        names = [address.name] if len(mine) == 1 else [f"{address.name}_{i}" for i in range(len(mine))]
        out += [Entry(quote(name), ((field, _subnet(n)), ("comment", marker)))
                for name, n in zip(names, mine, strict=True)]
    return out


def _group_order(policy: FirewallPolicy) -> list[str]:
    """The address groups, each after the groups it holds (FortiOS refuses a member not yet defined),
    otherwise in declaration order."""
    groups = {g.name: g for g in policy.address_groups}
    order: list[str] = []

    def visit(name: str, seen: frozenset[str]) -> None:
        if name in order or name in seen or name not in groups:
            return
        for member in groups[name].members:
            visit(member, seen | {name})
        order.append(name)

    for group in policy.address_groups:
        visit(group.name, frozenset())
    return order


def _group_entries(policy: FirewallPolicy, family: int, marker: str) -> list[Entry]:
    """The groups of one family: addresses of several networks first, then the address groups."""
    out: list[Entry] = []
    for address in policy.addresses:
        count = len(family_networks(policy, address.name, family))
        if count > 1:
            members = [f"{address.name}_{i}" for i in range(count)]
            out.append(Entry(quote(address.name), (("member", quoted(members)), ("comment", marker))))
    groups = {g.name: g for g in policy.address_groups}
    for name in _group_order(policy):
        members = [m for m in groups[name].members if has_family(policy, m, family) and m != ANY]
        if members:
            out.append(Entry(quote(name), (("member", quoted(members)), ("comment", marker))))
    return out


def _service_fields(service: Service) -> tuple[tuple[str, str], ...]:
    if service.protocol in PORTED:
        ports = " ".join(str(p) for p in service.ports) or EVERY_PORT
        return ((f"{service.protocol}-portrange", ports),)
    protocol, number = PORTLESS[service.protocol]
    return (("protocol", protocol),) + ((("protocol-number", str(number)),) if number is not None else ())


def _service_entries(policy: FirewallPolicy, marker: str) -> list[Entry]:
    return [Entry(quote(s.name), (*_service_fields(s), ("comment", marker))) for s in policy.services]


# --- policies -------------------------------------------------------------------------------------------------------


def _interfaces(policy: FirewallPolicy, zone_name: str) -> str:
    zone = policy.zone(zone_name)
    return quoted(list(zone.interfaces)) if zone is not None and zone_name != ANY else quote(ANY)


def _addresses(policy: FirewallPolicy, names: tuple[str, ...], family: int) -> list[str]:
    if ANY in names:
        return [ALL_ADDRESSES]
    return [n for n in names if has_family(policy, n, family)]


def _services(rule: PolicyRule) -> str:
    return quote(ALL_SERVICES) if ANY in rule.services else quoted(list(rule.services))


def _families(policy: FirewallPolicy, rule: PolicyRule) -> list[tuple[int, list[str], list[str]]]:
    """(family, sources, destinations) for each family both sides of ``rule`` have."""
    out = []
    for family in FAMILIES:
        sources, destinations = _addresses(policy, rule.sources, family), _addresses(policy, rule.destinations, family)
        if sources and destinations:
            out.append((family, sources, destinations))
    return out


def _forwarded(policy: FirewallPolicy, rule: PolicyRule) -> Entry | None:
    families = _families(policy, rule)
    if not families:
        return None
    fields = [("name", quote(rule.name)), ("srcintf", _interfaces(policy, rule.from_zone)),
              ("dstintf", _interfaces(policy, rule.to_zone))]
    if rule.action == "accept":
        fields.append(("action", "accept"))
    for family, sources, destinations in families:
        suffix = "" if family == 4 else "6"
        fields += [(f"srcaddr{suffix}", quoted(sources)), (f"dstaddr{suffix}", quoted(destinations))]
    fields += [("schedule", quote(ALWAYS)), ("service", _services(rule))]
    if rule.action == "reject":
        fields.append(("send-deny-packet", "enable"))
    fields.append(("logtraffic", "all" if rule.log else "disable"))
    if rule.comment:
        fields.append(("comments", quote(rule.comment)))
    return Entry("", tuple(fields))


def _local_in_comment(rule: PolicyRule) -> str:
    """The rule's name and comment, and what the local-in policy cannot do of what the rule asks."""
    notes = [note for asked, note in ((rule.action == "reject", "reject: denied without a reply"),
                                      (rule.log, "log: by config log setting, not per policy")) if asked]
    text = f"{rule.name}: {rule.comment}" if rule.comment else rule.name
    return f"{text} ({'; '.join(notes)})" if notes else text


def _local_in(policy: FirewallPolicy, rule: PolicyRule, family: int) -> Entry | None:
    found = next((f for f in _families(policy, rule) if f[0] == family), None)
    if found is None:
        return None
    _, sources, destinations = found
    fields = [("intf", _interfaces(policy, rule.from_zone)), ("srcaddr", quoted(sources)),
              ("dstaddr", quoted(destinations))]
    if rule.action == "accept":
        fields.append(("action", "accept"))
    fields += [("service", _services(rule)), ("schedule", quote(ALWAYS)),
               ("comments", quote(_local_in_comment(rule)))]
    return Entry("", tuple(fields))


def _numbered(entries: list[Entry | None]) -> list[Entry]:
    kept = [e for e in entries if e is not None]
    return [Entry(str(i), e.fields) for i, e in enumerate(kept, start=1)]


def _default(policy: FirewallPolicy, local_in: bool) -> Entry:
    """The last entry of a policy table: the default action over everything, both families."""
    action = policy.default_action
    rule = PolicyRule(DEFAULT_RULE, ANY, SELF if local_in else ANY, (ANY,), (ANY,), (ANY,), action,
                      comment=f"default: {action}")
    if not local_in:
        entry = _forwarded(policy, rule)
        assert entry is not None  # any to any has both families
        return entry
    note = " (reject: denied without a reply)" if action == "reject" else ""
    return Entry("", (("intf", quote(ANY)), ("srcaddr", quote(ALL_ADDRESSES)), ("dstaddr", quote(ALL_ADDRESSES)),
                      ("service", quote(ALL_SERVICES)), ("schedule", quote(ALWAYS)),
                      ("comments", quote(f"default: {action}{note}"))))


def _policies(policy: FirewallPolicy) -> list[Entry]:
    forwarded = [_forwarded(policy, r) for r in policy.rules if r.to_zone != SELF]
    return _numbered([*forwarded, _default(policy, local_in=False)])


def _local_in_policies(policy: FirewallPolicy, family: int) -> list[Entry]:
    local = [_local_in(policy, r, family) for r in policy.rules if r.to_zone in (SELF, ANY)]
    return _numbered([*local, _default(policy, local_in=True)])


# --- the whole ------------------------------------------------------------------------------------------------------


def render(policy: FirewallPolicy, pair: FirewallPair) -> str:
    """The managed part of the pair's configuration (FGCP synchronises it: the same on both members)."""
    del pair  # FGCP keeps one configuration on both members: nothing differs per member
    _check(policy)
    marker = quote(f"{MANAGED}: {policy.name}")
    tables = {
        "service custom": _service_entries(policy, marker),
        **{ADDRESS_TABLE[f]: _address_entries(policy, f, marker) for f in FAMILIES},
        **{GROUP_TABLE[f]: _group_entries(policy, f, marker) for f in FAMILIES},
        "policy": _policies(policy),
        **{LOCAL_IN_TABLE[f]: _local_in_policies(policy, f) for f in FAMILIES},
    }
    return "".join(f"{line}\n" for table in TABLES for line in block(table, tables[table]))


def _check(policy: FirewallPolicy) -> None:
    """Names FortiOS cannot hold, or that the ``NAME_i`` objects of an address would take."""
    declared = {a.name for a in policy.addresses} | {g.name for g in policy.address_groups}
    for address in policy.addresses:
        for index in range(len(address.networks)):
            name = f"{address.name}_{index}"
            if len(address.networks) > 1 and name in declared:
                raise InventoryError(address.location.file, address.location.key, f"the FortiOS address {name!r} "
                                     "this address needs has the name of a declared object",
                                     hint=f"rename the object {name!r}")
    named: list[tuple[str, Location]] = [(a.name, a.location) for a in policy.addresses]
    named += [(g.name, g.location) for g in policy.address_groups] + [(s.name, s.location) for s in policy.services]
    for name, location in named:
        if len(name) > NAME_LIMIT - 4:  # room for the _i suffix
            raise InventoryError(location.file, location.key, f"the name {name!r} is longer than FortiOS keeps",
                                 hint=f"use at most {NAME_LIMIT - 4} characters")
    for rule in policy.rules:
        if len(rule.name) > POLICY_NAME_LIMIT:
            raise InventoryError(rule.location.file, rule.location.key, f"the rule name {rule.name!r} is longer than "
                                 "a FortiOS policy name", hint=f"use at most {POLICY_NAME_LIMIT} characters")
        if len(_local_in_comment(rule)) > COMMENT_LIMIT:
            raise InventoryError(rule.location.file, rule.location.key, "the rule's comment is longer than FortiOS "
                                 "keeps", hint=f"shorten it to under {COMMENT_LIMIT - 120} characters")
