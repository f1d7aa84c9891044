"""Palo Alto PAN-OS: the managed part as configure-mode ``set`` commands, in the form ``show config running``
prints it with ``set cli config-output-format set`` (single vsys: the paths under vsys1).

The managed part is five branches the pair owns whole: ``zone``, ``address``, ``address-group``,
``service`` and ``rulebase security`` (the driver deletes them and sets these lines in one commit).
Mapping of the vendor-neutral policy:

- a zone is a layer3 zone of its interfaces; an address with one network is an ``ip-netmask`` address,
  with several one address ``NAME_i`` per network and a static group ``NAME`` of them; groups are static
  address groups; a group that stands for no network is left out, with a rule it leaves empty;
- a tcp/udp service is a service object (ports comma-separated, every port ``1-65535``); ICMP, ICMPv6 and
  VRRP are App-IDs on PAN-OS (``icmp``, ``ipv6-icmp``, ``vrrp``), not services, so a rule that names
  both kinds becomes two rules, ``NAME`` (services, application any) and ``NAME-apps`` (the App-IDs,
  service any), next to each other so the order holds; protocol ``any`` is application and service any;
- ``self``: PAN-OS matches traffic to its own interface address as destination zone = the zone it came
  in on, so a ``to: self`` rule is an intrazone rule (``rule-type intrazone``) of its source zones. The
  interface management profile (which daemons answer) is interface setup, outside the managed part;
- accept/drop are ``allow``/``drop``; reject is ``reset-client`` with ``icmp-unreachable yes`` (a TCP reset
  or an ICMP unreachable to the sender); ``log-end yes|no`` states logging either way (PAN-OS's default
  is yes);
- the default action is a last rule ``tier3-default`` over everything (it also overrides PAN-OS's
  predefined intrazone-allow rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tier3.model import FirewallPair
from tier3.model.firewall import ANY, PORTED, SELF, FirewallPolicy, PolicyRule

ACTIONS = {"accept": "allow", "drop": "drop", "reject": "reset-client"}
APPLICATIONS = {"icmp": "icmp", "icmpv6": "ipv6-icmp", "vrrp": "vrrp"}  # the App-ID of each portless protocol
EVERY_PORT = "1-65535"
DEFAULT_RULE = "tier3-default"
APPS_SUFFIX = "-apps"
BARE = re.compile(r"[A-Za-z0-9._/:@-]+")


def quote(text: str) -> str:
    return text if BARE.fullmatch(text) else f'"{text}"'


def members(values: list[str]) -> str:
    """A list as PAN-OS prints it: one value bare, several in ``[ ]``."""
    return values[0] if len(values) == 1 else f"[ {' '.join(values)} ]"


def _empty(policy: FirewallPolicy, name: str) -> bool:
    return name != ANY and not policy.networks(name)


def zones(policy: FirewallPolicy) -> Iterator[str]:
    for zone in policy.zones:
        yield f"set zone {zone.name} network layer3 {members(list(zone.interfaces))}"


def addresses(policy: FirewallPolicy) -> Iterator[str]:
    for address in policy.addresses:
        if len(address.networks) == 1:
            yield f"set address {address.name} ip-netmask {address.networks[0]}"
        else:
            yield from (f"set address {address.name}_{i} ip-netmask {n}" for i, n in enumerate(address.networks))


def address_groups(policy: FirewallPolicy) -> Iterator[str]:
    for address in policy.addresses:
        if len(address.networks) > 1:
            names = [f"{address.name}_{i}" for i in range(len(address.networks))]
            yield f"set address-group {address.name} static {members(names)}"
    for group in policy.address_groups:
        kept = [m for m in group.members if not _empty(policy, m)]
        if kept:
            yield f"set address-group {group.name} static {members(kept)}"


def services(policy: FirewallPolicy) -> Iterator[str]:
    for service in policy.services:
        if service.protocol in PORTED:
            ports = ",".join(str(p) for p in service.ports) or EVERY_PORT
            yield f"set service {service.name} protocol {service.protocol} port {ports}"


def _split(policy: FirewallPolicy, rule: PolicyRule) -> list[tuple[str, list[str], list[str]]]:
    """The PAN-OS rules one rule becomes: (name, applications, services)."""
    found = [s for s in (policy.service(n) for n in rule.services) if s is not None]
    if ANY in rule.services or any(s.protocol == ANY for s in found):
        return [(rule.name, [ANY], [ANY])]
    ported = [s.name for s in found if s.protocol in PORTED]
    apps = list(dict.fromkeys(APPLICATIONS[s.protocol] for s in found if s.protocol not in PORTED))
    out = [(rule.name, [ANY], ported)] if ported else []
    if apps:
        out.append((f"{rule.name}{APPS_SUFFIX}" if ported else rule.name, apps, [ANY]))
    return out


def _rule(base: str, fields: list[tuple[str, str]]) -> Iterator[str]:
    yield from (f"{base} {key} {value}" for key, value in fields)


def rules(policy: FirewallPolicy) -> Iterator[str]:
    for rule in policy.rules:
        sources = [a for a in rule.sources if not _empty(policy, a)]
        destinations = [a for a in rule.destinations if not _empty(policy, a)]
        if not (sources and destinations):
            continue  # it names only groups of nothing: it matches no packet
        intrazone = rule.to_zone == SELF  # PAN-OS's any is ours: the zone names pass through
        froms = [z.name for z in policy.zones] if intrazone and rule.from_zone == ANY else [rule.from_zone]
        tos = froms if intrazone else [rule.to_zone]
        for name, apps, servs in _split(policy, rule):
            fields = [("to", members(tos)), ("from", members(froms)), ("source", members(sources)),
                      ("destination", members(destinations)), ("application", members(apps)),
                      ("service", members(servs)), ("action", ACTIONS[rule.action])]
            if rule.action == "reject":
                fields.append(("icmp-unreachable", "yes"))
            fields.append(("log-end", "yes" if rule.log else "no"))
            if intrazone:
                fields.append(("rule-type", "intrazone"))
            if rule.comment:
                fields.append(("description", quote(rule.comment)))
            yield from _rule(f"set rulebase security rules {name}", fields)
    fields = [(key, ANY) for key in ("to", "from", "source", "destination", "application", "service")]
    fields.append(("action", ACTIONS[policy.default_action]))
    if policy.default_action == "reject":
        fields.append(("icmp-unreachable", "yes"))
    fields.append(("log-end", "no"))
    yield from _rule(f"set rulebase security rules {DEFAULT_RULE}", fields)


def render(policy: FirewallPolicy, pair: FirewallPair) -> str:
    """The managed part of the pair's configuration (HA config sync: the same on both members)."""
    del pair  # config sync keeps one configuration on both members: nothing differs per member
    lines = [*zones(policy), *addresses(policy), *address_groups(policy), *services(policy), *rules(policy)]
    return "\n".join(lines) + "\n"
