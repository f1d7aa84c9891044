"""Network: every host bonded, every bond with two members on two switches of two failure domains and
two NIC cards, no shared interface, one member per switch port; every site that declares internet
uplinks has two of them, from two carriers, through two building entries, onto two devices."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tier3.model import Bond, Location, Severity, Site, Topology, Uplink
from tier3.rules._lookup import at, both, claimed_twice, distinct, inventory_key, key_of, names
from tier3.rules._registry import Category, Violation, rule

NETWORK_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
# telecommunications services, alternate services without a shared single point of failure
UPLINK_CONTROLS = (*NETWORK_CONTROLS, "NIST-800-53:CP-8", "NIST-800-53:CP-8(2)")


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


def _uplink_sites(topology: Topology, at_least: int) -> Iterator[Site]:
    """The sites that declare ``at_least`` (one or more) uplinks: a site that declares none is not judged."""
    return (s for s in topology.sites if len(s.uplinks) >= at_least)


def _uplinks_evidence(site: Site) -> dict[str, object]:
    return {"uplinks": {u.name: {"carrier": u.carrier, "entry": u.entry, "lands_on": u.lands_on,
                                 "circuit": u.circuit or None} for u in site.uplinks}}


def _uplinks_key(topology: Topology, site: Site) -> Location:
    return key_of(site.location, "uplinks", inventory_key(topology, "tier3_sites"))


def _blind(text: str) -> str:
    """A carrier or entry as compared: case-blind, blanks collapsed (``Carrier A`` is ``carrier  a``)."""
    return " ".join(text.split()).casefold()


def _one(site: Site, attribute: Callable[[Uplink], str], blind: bool = True) -> str | None:
    """The one value all of the site's uplinks share (as first spelt), or None when they differ."""
    values = [attribute(u) for u in site.uplinks]
    keys = {_blind(v) if blind else v for v in values}
    return values[0] if len(keys) == 1 else None


def _firewalls(topology: Topology, site: Site) -> list[str]:
    """The firewall pair members of ``site``, each once, in declared order."""
    return [m for m in distinct(m for p in topology.firewall_pairs for m in p.members)
            if (host := topology.host(m)) is not None and host.site == site.name]


def _other_device(topology: Topology, site: Site, used: str) -> str:
    """Where else to land an uplink: the site's other firewall pair member(s), else any other device."""
    others = [m for m in _firewalls(topology, site) if m != used]
    return " or ".join(others) if others else "another firewall or router"


@rule(
    "T3-NET-007",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="site has at least two internet uplinks",
    rationale="""Mail from the internet reaches a site only over its uplinks: one circuit is a single
    point of failure, down with a carrier outage, a cut cable or a failed transceiver. Judged on
    every site that declares at least one uplink (tier3_sites[].uplinks); a site that declares none
    is not judged, its internet connectivity not being modelled (the availability model then starts
    the inbound path at the firewall). A site with one uplink is blamed here only: the carrier,
    entry and device rules (T3-NET-008..010) judge sites with two or more.""",
    controls=UPLINK_CONTROLS,
    hint="declare a second uplink under tier3_sites[].uplinks, from another carrier, through another "
    "building entry, landing on the other firewall of the site's pair",
)
def two_uplinks(topology: Topology) -> Iterator[Violation]:
    for site in _uplink_sites(topology, 1):
        if len(site.uplinks) >= 2:
            continue
        (uplink,) = site.uplinks
        yield Violation(
            f"site:{site.name}",
            f"declares 1 uplink ({uplink.name}); needs at least 2",
            _uplinks_evidence(site),
            _uplinks_key(topology, site),
            hint=f"declare a second uplink of site {site.name} under tier3_sites[].uplinks: from another carrier "
            f"than {uplink.carrier}, through another entry than {uplink.entry}, landing on "
            f"{_other_device(topology, site, uplink.lands_on)} (not {uplink.lands_on})",
        )


def _all_on_one(
    topology: Topology, attribute: Callable[[Uplink], str], blind: bool,
    say: Callable[[Site, str, str], tuple[str, str]],
) -> Iterator[Violation]:
    """Sites of two or more uplinks that all share one carrier, entry or device: ``say(site, listed,
    value)`` gives the message and the hint ({uplinks} in the hint: the uplinks' names)."""
    for site in _uplink_sites(topology, 2):
        value = _one(site, attribute, blind=blind)
        if value is None:
            continue
        uplinks = [u.name for u in site.uplinks]
        message, hint = say(site, f"{names(uplinks)} {both(len(uplinks))}", value)
        yield Violation(f"site:{site.name}", f"uplinks {message}", _uplinks_evidence(site),
                        _uplinks_key(topology, site), hint=hint.replace("{uplinks}", names(uplinks)))


@rule(
    "T3-NET-008",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="site's uplinks come from at least two carriers",
    rationale="""Two uplinks from the same carrier share its core, its peering and its outages (a
    routing incident, an attack on its network, a botched maintenance): they fail together however
    they are cabled. Carriers are compared case-blind, blanks collapsed (Carrier-A and carrier-a are
    one); a reseller's circuit on another carrier's network is that carrier's. Judged on sites that
    declare two or more uplinks (fewer: T3-NET-007; none: not judged). Independent of the entry and
    device rules (T3-NET-009/010): each names a fault with its own fix.""",
    controls=(*UPLINK_CONTROLS, "NIST-800-53:CP-8(3)"),
    hint="order one of the site's uplinks from another carrier and update its carrier",
)
def two_carriers(topology: Topology) -> Iterator[Violation]:
    yield from _all_on_one(topology, lambda u: u.carrier, True, lambda _site, listed, carrier: (
        f"{listed} come from carrier {carrier}",
        f"order one of {{uplinks}} from another carrier than {carrier} and update its carrier"))


@rule(
    "T3-NET-009",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="site's uplinks enter through at least two building entries",
    rationale="""Two carriers through one duct are cut together by one excavator, one flooded
    manhole or one fire in the entrance room: the building entry (and the duct from it to the
    street) is a failure domain of its own, whoever's fibre runs in it. Entries are compared
    case-blind, blanks collapsed. Judged on sites that declare two or more uplinks (fewer:
    T3-NET-007; none: not judged); independent of the carrier and device rules (T3-NET-008/010).""",
    controls=(*UPLINK_CONTROLS, "ISO27001:A.7.12"),
    hint="bring one of the site's uplinks in through another building entry (a duct of its own) and update its "
    "entry",
)
def two_entries(topology: Topology) -> Iterator[Violation]:
    yield from _all_on_one(topology, lambda u: u.entry, True, lambda _site, listed, entry: (
        f"{listed} enter through {entry}",
        f"bring one of {{uplinks}} in through another building entry than {entry} (a duct of its own) and "
        "update its entry"))


@rule(
    "T3-NET-010",
    severity=Severity.HIGH,
    category=Category.NETWORK,
    title="site's uplinks land on at least two devices",
    rationale="""Uplinks that all land on one firewall or router go down with that device, its
    power or its reboot for an upgrade, whatever carriers bring them in: land them on two devices,
    one on each member of the site's firewall pair. Devices are compared by name (lands_on: a
    firewall pair member or a router that is not an inventory host). Judged on sites that declare two
    or more uplinks (fewer: T3-NET-007; none: not judged); independent of the carrier and entry rules
    (T3-NET-008/009).""",
    controls=UPLINK_CONTROLS,
    hint="land one of the site's uplinks on the other firewall of the site's pair and update its lands_on",
)
def two_landing_devices(topology: Topology) -> Iterator[Violation]:
    yield from _all_on_one(topology, lambda u: u.lands_on, False, lambda site, listed, device: (
        f"{listed} land on {device}",
        f"move one of {{uplinks}} off {device} onto {_other_device(topology, site, device)} "
        "and update its lands_on"))
