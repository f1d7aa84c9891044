"""Network: every host bonded, every bond with two members on two switches of two failure domains and
two NIC cards, no shared interface, one member per switch port."""

from __future__ import annotations

from collections.abc import Iterator

from tier3.model import Bond, Severity, Topology
from tier3.rules._lookup import at, both, claimed_twice, key_of, names
from tier3.rules._registry import Category, Violation, rule

NETWORK_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")


def _interfaces(bond: Bond) -> list[str]:
    """Distinct member interfaces, in declared order (an interface listed twice counts once)."""
    return list(dict.fromkeys(m.interface for m in bond.members))


def _evidence(bond: Bond) -> dict[str, object]:
    return {"bond": bond.name, "mode": bond.mode, "members": {m.interface: m.switch for m in bond.members}}


@rule(
    "T3-NET-001",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="host is bonded and every bond has at least two member interfaces",
    rationale="""A single NIC, cable, transceiver or switch port is a single point of failure; a bond
    of two interfaces survives the loss of one. A host without any bond is blamed as the host; a bond
    with fewer than two distinct interfaces is blamed as host:bond (an interface listed twice counts
    once). Switch diversity (T3-NET-002) is judged only on bonds that have two members.""",
    controls=NETWORK_CONTROLS,
    hint="declare a bond of two interfaces under tier3_host.bonds (members on two switches)",
)
def bonded(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        if not host.bonds:
            yield Violation(host.name, "declares no bond", {"bonds": []}, at(host.location, "bonds"))
            continue
        for bond in host.bonds:
            interfaces = _interfaces(bond)
            if len(interfaces) < 2:
                listed = f" ({names(interfaces)})" if interfaces else ""
                yield Violation(
                    f"{host.name}:{bond.name}",
                    f"bond {bond.name} has {len(interfaces)} member interface{'' if len(interfaces) == 1 else 's'}"
                    f"{listed}; needs at least 2",
                    _evidence(bond),
                    key_of(bond.location, "members", at(host.location, "bonds")),
                    hint=f"add a second interface to {bond.name}, cabled to another switch",
                )


@rule(
    "T3-NET-002",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="bond members reach at least two different switches",
    rationale="""Two members cabled to the same switch fail together when that switch fails or is
    rebooted for an upgrade. Judged on bonds with two or more distinct members (fewer: T3-NET-001).
    Bonds across two switches need MLAG / stacking for 802.3ad, or active-backup mode.""",
    controls=NETWORK_CONTROLS,
    hint="cable one member to the other switch (MLAG pair for 802.3ad) and update its switch in the bond",
)
def two_switches(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        for bond in host.bonds:
            interfaces = _interfaces(bond)
            switches = list(dict.fromkeys(m.switch for m in bond.members))
            if len(interfaces) >= 2 and len(switches) < 2:
                yield Violation(
                    f"{host.name}:{bond.name}",
                    f"members {names(interfaces)} {both(len(interfaces))} reach switch {switches[0]}",
                    _evidence(bond),
                    key_of(bond.location, "members", at(host.location, "bonds")),
                )


@rule(
    "T3-NET-003",
    severity=Severity.MEDIUM,
    category=Category.NETWORK,
    title="an interface belongs to at most one bond",
    rationale="""The kernel enslaves an interface to one bond only: a second bond naming it comes up
    with one member fewer than declared, so its redundancy exists only on paper. Blamed as
    host:interface, naming the bonds that claim it.""",
    controls=NETWORK_CONTROLS,
    hint="give each bond its own interfaces in tier3_host.bonds",
)
def one_bond_per_interface(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        claimed: dict[str, list[Bond]] = {}
        for bond in host.bonds:
            for interface in _interfaces(bond):
                claimed.setdefault(interface, []).append(bond)
        for interface, bonds in claimed.items():
            if len(bonds) > 1:
                yield Violation(
                    f"{host.name}:{interface}",
                    f"interface {interface} is a member of bonds {names(b.name for b in bonds)}",
                    {"interface": interface, "bonds": [b.name for b in bonds]},
                    key_of(bonds[1].location, "members", at(host.location, "bonds")),
                )


def _domain(topology: Topology, switch: str) -> str:
    """The failure domain of a switch: its stack, or the switch itself (undeclared: its name)."""
    declared = topology.switch(switch)
    return declared.domain if declared is not None else switch


@rule(
    "T3-NET-004",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="bond members reach switches of at least two failure domains (not one stack)",
    rationale="""Switches declared with one ``stack`` (a stack, virtual chassis or VSF) share one
    control plane and one firmware: a software fault, a stack split or a firmware upgrade takes them
    down together, so a bond over two of them has one failure domain. An 802.3ad bond across an MLAG
    pair is the standard design only when the pair keeps two control planes (vPC, MC-LAG): declare
    such a pair without a common ``stack``. Judged on bonds whose members reach two or more switches;
    a bond on one switch is blamed by T3-NET-002 only.""",
    controls=NETWORK_CONTROLS,
    hint="cable one member to a switch outside the stack (the other member of an MLAG pair with its own "
    "control plane) and update its switch in the bond",
)
def two_switch_domains(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        for bond in host.bonds:
            interfaces = _interfaces(bond)
            switches = list(dict.fromkeys(m.switch for m in bond.members))
            if len(interfaces) < 2 or len(switches) < 2:
                continue
            domains = {_domain(topology, s) for s in switches}
            if len(domains) > 1:
                continue
            stack = next(iter(domains)).removeprefix("stack:")
            yield Violation(
                f"{host.name}:{bond.name}",
                f"members {names(interfaces)} reach switches {names(switches)}, {both(len(switches))} of stack {stack}",
                {**_evidence(bond), "stacks": dict.fromkeys(switches, stack)},
                key_of(bond.location, "members", at(host.location, "bonds")),
                hint=f"cable one member of {bond.name} to a switch outside stack {stack} and update its switch",
            )


@rule(
    "T3-NET-005",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="bond members sit on at least two NIC cards",
    rationale="""Two ports of one dual-port card fail together with the card, its PCIe slot or its
    firmware, however many switches they reach. Judged only on bonds with two or more distinct
    members (fewer: T3-NET-001) that declare the ``card`` of every member: an inventory that does
    not model cards is not guessed at. Independent of the switch rules (T3-NET-002/004): a bond on
    one card and one switch has two faults, each with its own fix.""",
    controls=NETWORK_CONTROLS,
    hint="move one member to a port of another NIC card (or the onboard LOM) and update its card in the bond",
)
def two_cards(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        for bond in host.bonds:
            interfaces = _interfaces(bond)
            if len(interfaces) < 2 or not all(m.card for m in bond.members):
                continue
            cards = list(dict.fromkeys(m.card for m in bond.members))
            if len(cards) < 2:
                yield Violation(
                    f"{host.name}:{bond.name}",
                    f"members {names(interfaces)} {both(len(interfaces))} sit on card {cards[0]}",
                    {**_evidence(bond), "cards": {m.interface: m.card for m in bond.members}},
                    key_of(bond.location, "members", at(host.location, "bonds")),
                    hint=f"move one member of {bond.name} to a port of another card than {cards[0]} "
                    "and update its card",
                )


@rule(
    "T3-NET-006",
    severity=Severity.MEDIUM,
    category=Category.NETWORK,
    title="a switch port is cabled to at most one bond member",
    rationale="""One switch port takes one cable: two members declared on it mean at least one of
    them is cabled elsewhere or not at all, so the switch diversity judged from the declaration is
    fiction (a copied host_vars file is the usual cause). Medium: the inventory is wrong, not
    necessarily the site. Members without a ``port`` are not judged; one interface listed twice
    counts once (two bonds claiming it: T3-NET-003). Silent when the only users are members of one
    bond on one switch, which T3-NET-002 already blames. Blamed as switch:SWITCH:PORT.""",
    controls=NETWORK_CONTROLS,
    hint="correct the port of each member cabled to that switch port, so each port appears once",
)
def one_member_per_port(topology: Topology) -> Iterator[Violation]:
    claims = (((member.switch, member.port), (host.name, member.interface), (host, bond, member))
              for host in topology.hosts for bond in host.bonds for member in bond.members if member.port)
    for (switch, port), entries in claimed_twice(claims):
        if len({(h.name, b.name) for h, b, _ in entries}) == 1 and len({m.switch for m in entries[0][1].members}) < 2:
            continue  # one bond on one switch: T3-NET-002 blames it
        holders = [f"{h.name} {m.interface}" for h, _, m in entries]
        host, bond, member = entries[1]
        yield Violation(
            f"switch:{switch}:{port}",
            f"port {port} of switch {switch} is declared for {names(holders)}",
            {"switch": switch, "port": port, "members": [f"{h.name}:{b.name}:{m.interface}" for h, b, m in entries]},
            key_of(member.location, "port", key_of(bond.location, "members", at(host.location, "bonds"))),
            hint=f"correct the port of {host.name} {member.interface} (or of {names(holders[:1] + holders[2:])}) "
            f"to the port it is cabled to on {switch}",
        )
