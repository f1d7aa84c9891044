"""Network: every host bonded, every bond with two members on two switches, no shared interface."""

from __future__ import annotations

from collections.abc import Iterator

from tier3.model import Bond, Severity, Topology
from tier3.rules._lookup import at, both, key_of, names
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
