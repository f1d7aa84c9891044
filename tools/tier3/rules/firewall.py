"""The firewall policies the pairs enforce (tier3_firewall_policies): no rule accepts everything, no rule
is shadowed or redundant, the policy keeps each pair's management path and HA traffic open, and once
policies are declared every pair enforces one.

Category firewall (ids T3-FWL-NNN). Every judgement reads the one meaning of a policy in
``tier3.model.firewall`` (``rule_match``, ``covers``, ``judge``, ``earlier_covering``), the meaning the
renderers read too. Subjects: ``firewall-policy:POLICY:RULE`` for a rule, ``firewall-pair:PAIR`` for a pair.
What is not legal at all (an undeclared object, a group cycle) is the loader's (``tier3.schema.firewall``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tier3.model import FirewallPair, Location, Severity, Topology
from tier3.model.firewall import (
    CONNTRACKD_PORT,
    SELF,
    FirewallPolicy,
    Flow,
    HaLink,
    Management,
    Match,
    PairPolicy,
    PolicyRule,
    PortRange,
    earlier_covering,
    judge,
    net,
    rule_match,
)
from tier3.rules._lookup import at, names, pair_key
from tier3.rules._registry import Category, Violation, rule

RULESET_CONTROLS = ("PCI-DSS:1.2.7", "NIST-800-53:CM-6", "ISO27001:A.8.20")
PATH_CONTROLS = ("PCI-DSS:1.2.1", "NIST-800-53:SC-7", "ISO27001:A.8.20")


@dataclass(frozen=True)
class HaFlow:
    """One kind of the pair's own traffic: what a finding calls it, the service that admits it, its flow."""

    label: str
    service: str
    flow: Flow
    state_sync: bool  # only judged on a pair that declares state_sync


HA_FLOWS = (
    HaFlow("VRRP", "protocol vrrp", Flow("vrrp"), state_sync=False),
    HaFlow("state sync", f"udp {CONNTRACKD_PORT}", Flow("udp", (PortRange(CONNTRACKD_PORT, CONNTRACKD_PORT),)),
           state_sync=True),
)


def _subject(policy: FirewallPolicy, entry: PolicyRule) -> str:
    return f"firewall-policy:{policy.name}:{entry.name}"


def _shown(entry: PolicyRule) -> dict[str, Any]:
    """A rule as declared, for a finding's evidence."""
    return {"from": entry.from_zone, "to": entry.to_zone, "source": list(entry.sources),
            "destination": list(entry.destinations), "service": list(entry.services), "action": entry.action}


def _refuses(action: str) -> bool:
    """drop and reject both refuse the traffic; they differ only in what the sender is told."""
    return action != "accept"


def _enforced(topology: Topology) -> Iterator[tuple[FirewallPair, PairPolicy, FirewallPolicy]]:
    """Each pair that names a declared policy, with its settings and that policy (an undeclared one is the
    loader's error)."""
    policies = {p.name: p for p in topology.firewall_policies}
    for pair in topology.firewall_pairs:
        if pair.settings is not None and pair.settings.policy in policies:
            yield pair, pair.settings, policies[pair.settings.policy]


def _cut_at(policy: FirewallPolicy, cutting: PolicyRule | None) -> Location:
    """Where to look for what cuts a path: the refusing rule, or the policy's rules when the default does."""
    return cutting.location if cutting is not None else at(policy.location, "rules")


def _by(policy: FirewallPolicy, cutting: PolicyRule | None) -> str:
    if cutting is None:
        return f"no rule accepts all of it, so the default action {policy.default_action} applies"
    return f"rule {cutting.name} ({cutting.action}) refuses at least part of it"


def _path_hint(policy: FirewallPolicy, cutting: PolicyRule | None, traffic: str) -> str:
    """The fix for a cut path: an accepting rule for ``traffic`` (objects of the policy), placed above the
    refusing rule, or that rule narrowed."""
    accept = f"in policy {policy.name}, accept {traffic} (address objects and a service of the policy)"
    if cutting is None:
        return accept
    return f"{accept} in a rule above rule {cutting.name}, or narrow {cutting.name} so it no longer refuses it"


@rule(
    "T3-FWL-001",
    severity=Severity.HIGH,
    category=Category.FIREWALL,
    title="no firewall rule accepts any source to any destination on any service",
    rationale="""A rule that accepts source any, destination any and service any (or a service of
    protocol any) is an any-any permit: between its zones the firewall filters nothing, and every
    port a host behind it opens by mistake is reachable. Judged whatever the rule's zones, since an
    any-any between two named zones is still an open door between them (outbound too: a
    compromised host then talks to anyone on any port). Name the sources, destinations and services
    the business needs.""",
    controls=("PCI-DSS:1.3.1", "PCI-DSS:1.3.2", "NIST-800-53:AC-4", "NIST-800-53:SC-7(5)", "ISO27001:A.8.20"),
    hint="replace any in the rule's source, destination or service by the address objects and services it is for",
)
def any_any_permit(topology: Topology) -> Iterator[Violation]:
    for policy in topology.firewall_policies:
        for entry in policy.rules:
            match = rule_match(policy, entry)
            if entry.action == "accept" and match.sources is None and match.destinations is None \
                    and match.flows is None:
                yield Violation(
                    _subject(policy, entry),
                    f"rule {entry.name} of policy {policy.name} accepts any source to any destination on any "
                    f"service, from zone {entry.from_zone} to zone {entry.to_zone}",
                    _shown(entry),
                    entry.location,
                    hint=f"name the sources, destinations and services of rule {entry.name} in policy "
                         f"{policy.name} (address objects and services of the policy)",
                )


def _covered(topology: Topology, *, same: bool) -> Iterator[tuple[FirewallPolicy, PolicyRule, PolicyRule]]:
    """(policy, later, earlier) for each rule the first earlier rule that covers it covers with the same
    verdict (``same``: both accept, or both refuse) or the other one."""
    for policy in topology.firewall_policies:
        for later, earlier in earlier_covering(policy):
            if (_refuses(later.action) == _refuses(earlier.action)) is same:
                yield policy, later, earlier


@rule(
    "T3-FWL-002",
    severity=Severity.HIGH,
    category=Category.FIREWALL,
    title="no firewall rule is shadowed by an earlier rule that treats its traffic the other way",
    rationale="""Rules match in order and the first match wins: a rule whose traffic an earlier
    rule matches entirely never matches at all. When the earlier rule accepts what the later one
    means to refuse (or refuses what it means to accept), the policy does the opposite of what the
    later rule says, and a review that reads the later rule is misled. Judged against the first
    earlier rule that covers all of it (zones, networks, protocols and ports; a group stands for
    every network it holds, groups of groups too); drop and reject both refuse and count as the
    same verdict here (T3-FWL-003 then).""",
    controls=(*RULESET_CONTROLS, "PCI-DSS:1.2.5"),
    hint="move the rule above the one that shadows it, or narrow the earlier rule so it no longer covers it",
)
def shadowed_rule(topology: Topology) -> Iterator[Violation]:
    for policy, later, earlier in _covered(topology, same=False):
        yield Violation(
            _subject(policy, later),
            f"rule {later.name} ({later.action}) of policy {policy.name} never matches: the earlier rule "
            f"{earlier.name} matches all its traffic and does {earlier.action} it",
            {"rule": _shown(later), "shadowed_by": {"name": earlier.name, **_shown(earlier)}},
            later.location,
            hint=f"move rule {later.name} above rule {earlier.name} in policy {policy.name}, or narrow "
                 f"{earlier.name} so it no longer matches {later.name}'s traffic",
        )


@rule(
    "T3-FWL-003",
    severity=Severity.LOW,
    category=Category.FIREWALL,
    title="no firewall rule is redundant under an earlier rule with the same verdict",
    rationale="""A rule an earlier rule covers entirely, with the same verdict (both accept, or
    both refuse, drop or reject), never matches: removing it changes nothing. It is harmless today
    but misleads a review (it looks like the reason the traffic passes), and it silently starts to
    match, perhaps unwanted, when the earlier rule is narrowed. Judged against the first earlier
    rule that covers all of it, as T3-FWL-002 is.""",
    controls=(*RULESET_CONTROLS, "ISO27001:A.8.9"),
    hint="delete the redundant rule, or narrow the earlier rule if the later one states the intent",
)
def redundant_rule(topology: Topology) -> Iterator[Violation]:
    for policy, later, earlier in _covered(topology, same=True):
        yield Violation(
            _subject(policy, later),
            f"rule {later.name} ({later.action}) of policy {policy.name} never matches: the earlier rule "
            f"{earlier.name} ({earlier.action}) matches all its traffic first",
            {"rule": _shown(later), "covered_by": {"name": earlier.name, **_shown(earlier)}},
            later.location,
            hint=f"delete rule {later.name} from policy {policy.name} (rule {earlier.name} already matches "
                 "its traffic)",
        )


def management_probe(management: Management) -> Match:
    """The operators' traffic to a member: from the management zone and networks, to self, tcp on the port;
    to any address of the member (the model does not know each member's own)."""
    return Match(management.zone, SELF, tuple(net(n) for n in management.networks), None,
                 (Flow("tcp", (PortRange(management.port, management.port),)),))


@rule(
    "T3-FWL-004",
    severity=Severity.CRITICAL,
    category=Category.FIREWALL,
    title="the policy a firewall pair enforces keeps its management path open",
    rationale="""A policy pushed to a pair that drops the operators' own connection locks them
    out: the revert timer of tier3 fw may bring the old rules back, a confirmed push does not,
    and the pair is then reachable only from its console. Judged on the pair's declared
    management (zone, networks, port, 22 unless set): tcp to that port of the pair itself (zone
    self, any of its addresses) from every management network must be accepted by the policy's
    first-match order. Conservatively: a drop or reject rule that matches any part of that
    traffic before an accepting rule counts as cutting it, as does the default action when no rule
    accepts all of it. A pair that declares no management is not judged (the key is optional).""",
    controls=(*PATH_CONTROLS, "NIST-800-53:AC-17", "ISO27001:A.8.22"),
    hint="add a rule accepting the management port from the management zone's networks to self, above "
         "any rule that refuses part of it",
)
def management_path(topology: Topology) -> Iterator[Violation]:
    for pair, settings, policy in _enforced(topology):
        management = settings.management
        if management is None:
            continue
        verdict = judge(policy, management_probe(management))
        if verdict.accepted:
            continue
        cutting = verdict.rule
        networks = names(management.networks)
        yield Violation(
            f"firewall-pair:{pair.name}",
            f"policy {policy.name} cuts the management path of pair {pair.name}: tcp {management.port} from "
            f"zone {management.zone} ({networks}) to self is not accepted ({_by(policy, cutting)})",
            {"policy": policy.name, "zone": management.zone, "networks": list(management.networks),
             "port": management.port, "cut_by": cutting.name if cutting else f"default_action {policy.default_action}"},
            _cut_at(policy, cutting),
            hint=_path_hint(policy, cutting, f"from {management.zone} to self, source {networks}, destination "
                            f"any, service tcp {management.port}"),
        )


def ha_probes(pair: FirewallPair, ha: HaLink) -> Iterator[tuple[HaFlow, str, str, Match]]:
    """(flow, member, its peer, probe) for each flow of the pair's own traffic and each member: from the
    peer's ha address on the ha zone, to self, to any address (VRRP goes to 224.0.0.18 or ff02::12)."""
    members = list(zip(pair.members, ha.addresses, strict=False))
    for flow in HA_FLOWS:
        if flow.state_sync and not ha.state_sync:
            continue
        for (member, _own), (peer, address) in zip(members, members[::-1], strict=True):
            yield flow, member, peer, Match(ha.zone, SELF, (net(address),), None, (flow.flow,))


@rule(
    "T3-FWL-005",
    severity=Severity.CRITICAL,
    category=Category.FIREWALL,
    title="the policy a firewall pair enforces lets the pair's own HA traffic through",
    rationale="""The members of a pair elect the active one with VRRP (or the vendor's heartbeat)
    and copy their connection state over the HA link. A policy that drops the peer's
    advertisements makes each member believe the other is dead: both go active (split brain,
    duplicate addresses on the wire), and without state sync every connection breaks at the next
    failover. Judged on the pair's declared ha (zone, one address per member, state_sync): for each
    member, VRRP from the other member's address on the ha zone to self, and udp 3780
    (conntrackd) when state_sync, must be accepted, to any address of the member (VRRP is sent to
    a multicast group), conservatively as T3-FWL-004 judges. A pair that declares no ha is not
    judged (the key is optional).""",
    controls=(*PATH_CONTROLS, "ISO27001:A.8.14", "NIST-800-53:CP-10"),
    hint="add a rule from the ha zone to self, source both members' ha addresses, destination any, "
         "services vrrp (and udp 3780 with state_sync), action accept, above any rule that refuses part of it",
)
def ha_traffic(topology: Topology) -> Iterator[Violation]:
    for pair, settings, policy in _enforced(topology):
        ha = settings.ha
        if ha is None:
            continue
        cut: dict[HaFlow, list[tuple[str, str, PolicyRule | None]]] = {}
        for flow, member, peer, probe in ha_probes(pair, ha):
            verdict = judge(policy, probe)
            if not verdict.accepted:
                cut.setdefault(flow, []).append((member, peer, verdict.rule))
        for flow, directions in cut.items():
            cutting = directions[0][2]
            shown = names(f"from {peer} to {member}" for member, peer, _ in directions)
            yield Violation(
                f"firewall-pair:{pair.name}",
                f"policy {policy.name} cuts the {flow.label} ({flow.service}) of pair {pair.name} on zone "
                f"{ha.zone}, {shown}: {_by(policy, cutting)}",
                {"policy": policy.name, "zone": ha.zone, "addresses": list(ha.addresses), "traffic": flow.label,
                 "cut": [{"member": m, "from": p, "by": r.name if r else f"default_action {policy.default_action}"}
                         for m, p, r in directions]},
                _cut_at(policy, cutting),
                hint=_path_hint(policy, cutting, f"from {ha.zone} to self, source {names(ha.addresses)}, "
                                f"destination any, service {flow.service}"),
            )


@rule(
    "T3-FWL-006",
    severity=Severity.MEDIUM,
    category=Category.FIREWALL,
    title="once firewall policies are declared, every firewall pair enforces one",
    rationale="""With tier3_firewall_policies declared, the inventory is where the rule sets are
    reviewed and from where tier3 fw pushes them; a pair that names no policy keeps whatever rule
    set it has, which nobody reviews with the others and which the checks of this category never
    see. That gap is a pair's, so the pair is blamed, rather than a declared policy no pair
    enforces (which filters nothing and misleads only its readers; the loader already rejects a
    pair naming an undeclared policy). An inventory that declares no policy at all manages its
    firewalls otherwise and is not judged.""",
    controls=("PCI-DSS:1.2.1", "PCI-DSS:1.2.7", "NIST-800-53:CM-2", "NIST-800-53:CM-6"),
    hint="name the policy the pair enforces in tier3_firewall_pairs[].policy",
)
def pair_without_policy(topology: Topology) -> Iterator[Violation]:
    declared = [p.name for p in topology.firewall_policies]
    if not declared:
        return
    for pair in topology.firewall_pairs:
        if pair.settings is None:
            yield Violation(
                f"firewall-pair:{pair.name}",
                f"pair {pair.name} enforces no policy, while {names(declared)} "
                f"{'is' if len(declared) == 1 else 'are'} declared",
                {"members": list(pair.members), "policies": declared},
                pair_key(topology, pair, "policy"),
                hint=f"set policy: {declared[0]} (or another declared policy) on tier3_firewall_pairs entry "
                     f"{pair.name}",
            )
