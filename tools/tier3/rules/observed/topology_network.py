"""Declared versus observed bonds (T3-OBS-NET-010..017): the host's bonds and LLDP against its tier3_host.

Judged on the ``topology`` kind (``tier3.parsers.topology.HostObserved``) with the declared host of
the context; silent without one, and silent on what the host did not give (no ``bonding``: nothing;
no ``lldp``: nothing of LLDP). Preconditions keep one defect reported once:

- a declared bond that is absent (T3-OBS-NET-010) is not also blamed member by member or for its mode;
- a declared member that is not enslaved (011) is not judged by LLDP; a member whose link is down is
  T3-OBS-NET-001's (the ``bonding`` kind), and LLDP rules leave it unknown;
- when the members reach fewer than two switches (015) no member is also blamed for its wrong
  switch (014): 015's finding names every member and its neighbour; 014 fires when the bond still
  spans two switches, but not the declared ones;
- a member without an LLDP neighbour (016) cannot be confirmed either way: 014 and 015 count it as
  unknown, and 015 fires only when even it could not make up the two switches.

An LLDP neighbour is the inventory switch whose name is its SysName, or the SysName up to its first
dot, compared without case (``sw-a.fra1.example.net`` is ``sw-a``); switches of one declared stack are
one failure domain. A neighbour that names no inventory switch is a switch of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.model import Host, Severity, Switch, Topology
from tier3.model.topology import Bond as DeclaredBond
from tier3.parsers.bonding import Bond, Slave
from tier3.parsers.lldp import Neighbour
from tier3.parsers.topology import HostObserved, declared_mode
from tier3.rules._lookup import cached
from tier3.rules._registry import Category, Context, Violation, observed

REDUNDANCY_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
COMMON: dict[str, Any] = {"kinds": ("topology",), "category": Category.NETWORK, "controls": REDUNDANCY_CONTROLS}


def declared_host(ctx: Context) -> Host | None:
    """The host the facts were read from, as the inventory declares it; None when either is not known."""
    return None if ctx.topology is None or ctx.host is None else ctx.topology.host(ctx.host)


def _switches(topology: Topology) -> dict[str, Switch]:
    return cached(topology, "switches_lower", lambda t: {w.name.lower(): w for s in t.sites for w in s.switches})


def switch_of(n: Neighbour, topology: Topology) -> tuple[str, str]:
    """(switch name, failure domain) of an LLDP neighbour: the inventory switch its SysName names, else
    what it calls itself (SysName, or the chassis id without one)."""
    known = _switches(topology)
    name = n.chassis_name.lower()
    w = known.get(name) or known.get(name.partition(".")[0])
    if w is not None:
        return w.name, w.domain
    seen = n.chassis_name or f"{n.chassis_id_type} {n.chassis_id}".strip()
    return seen, f"unknown:{seen}"


def _pairs(facts: HostObserved, ctx: Context) -> Iterator[tuple[DeclaredBond, Bond | None]]:
    host = declared_host(ctx)
    if host is None or not facts.knows("bonding"):
        return
    for b in host.bonds:
        yield b, facts.bonds.get(b.name)


def _declared(b: DeclaredBond) -> dict[str, Any]:
    return {"bond": b.name, "mode": b.mode, "members": {m.interface: m.switch for m in b.members},
            "declared_at": str(b.location)}


def _observed(bond: Bond) -> dict[str, Any]:
    return {"bond": bond.name, "mode": bond.mode, "members": {s.name: s.mii_status for s in bond.slaves}}


def _wiring(b: DeclaredBond) -> str:
    return ", ".join(f"{m.interface} -> {m.switch}" for m in b.members) or "no members"


def _where(facts: HostObserved, bond: Bond, slave: Slave | None = None) -> str:
    label = facts.label("bonding", bond.name)
    return f"{label} line {slave.line}" if slave is not None else label


@observed("T3-OBS-NET-010", severity=H, title="declared bond absent on the host",
          rationale="""The inventory declares a bond the host does not have (no /proc/net/bonding/BOND): the
          host runs on whatever single link its address sits on, and every declared rule that judged the
          bond's switches judged a bond that is not there. Its members and mode are not judged further.""",
          hint="create the bond on the host (roles/bonding), or correct tier3_host.bonds", **COMMON)
def bond_absent(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for b, bond in _pairs(facts, ctx):
        if bond is None:
            shown = ", ".join(sorted(facts.bonds)) or "no bond"
            yield Violation(b.name, f"declared {b.name} ({b.mode}: {_wiring(b)}), observed {shown} in "
                            "/proc/net/bonding", {"declared": _declared(b), "observed": {"bonds": sorted(facts.bonds)}},
                            where="/proc/net/bonding")


@observed("T3-OBS-NET-011", severity=H, title="declared bond member not enslaved",
          rationale="""A member the inventory declares is not a slave of the bond on the host: the bond has one
          link fewer than the design counts on, and the switch it was meant to reach is not reached
          through it. Judged on bonds that exist (T3-OBS-NET-010 blames an absent one).""",
          hint="enslave the interface (ip link set IF master BOND), or correct the bond's members", **COMMON)
def member_missing(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for b, bond in _pairs(facts, ctx):
        if bond is None:
            continue
        slaves = {s.name for s in bond.slaves}
        for m in b.members:
            if m.interface not in slaves:
                yield Violation(f"{b.name}:{m.interface}", f"declared {b.name} member {m.interface} -> {m.switch}, "
                                f"observed slaves {', '.join(sorted(slaves)) or 'none'}",
                                {"declared": _declared(b), "observed": _observed(bond)}, where=_where(facts, bond))


@observed("T3-OBS-NET-012", severity=L, title="bond member enslaved but not declared", breaks_redundancy=False,
          rationale="""The host's bond has a slave the inventory does not declare: traffic runs over a link whose
          switch, card and port no declared rule judged. Drift between the inventory and the host; the
          bond itself may be healthy.""",
          hint="declare the member (interface, switch, port) in tier3_host.bonds, or release it", **COMMON)
def member_undeclared(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for b, bond in _pairs(facts, ctx):
        if bond is None:
            continue
        declared = {m.interface for m in b.members}
        for s in bond.slaves:
            if s.name not in declared:
                yield Violation(f"{b.name}:{s.name}", f"declared {b.name} members {', '.join(sorted(declared))}, "
                                f"observed slave {s.name} too", {"declared": _declared(b), "observed": _observed(bond)},
                                where=_where(facts, bond, s))


@observed("T3-OBS-NET-013", severity=M, title="bond mode differs from the declared mode", breaks_redundancy=False,
          rationale="""The bond runs in another mode than declared (compared as the inventory names modes:
          /proc/net/bonding's "fault-tolerance (active-backup)" is active-backup, "IEEE 802.3ad Dynamic
          link aggregation" is 802.3ad). The switch ports are configured for the declared mode: an 802.3ad
          bond against ports without LACP, or a balance mode against an MLAG pair, loses frames or links.""",
          hint="set the bond's mode as declared (roles/bonding), or correct tier3_host.bonds[].mode", **COMMON)
def mode_differs(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for b, bond in _pairs(facts, ctx):
        if bond is not None and declared_mode(bond.mode) != b.mode:
            seen = declared_mode(bond.mode) or bond.mode
            yield Violation(b.name, f"declared {b.name} mode {b.mode}, observed {seen}",
                            {"declared": _declared(b), "observed": {**_observed(bond), "mode_as_declared": seen}},
                            where=_where(facts, bond))


def _member_neighbours(facts: HostObserved, bond: Bond, topology: Topology,
                       ) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
    """Each up slave's neighbour switches as (name, domain), and the slaves LLDP cannot place (down or silent)."""
    seen: dict[str, list[tuple[str, str]]] = {}
    unknown = []
    for s in bond.slaves:
        found = facts.neighbours.get(s.name, ())
        if s.up and found:
            seen[s.name] = list(dict.fromkeys(switch_of(n, topology) for n in found))
        else:
            unknown.append(s.name)
    return seen, unknown


def _lldp_pairs(facts: HostObserved, ctx: Context) -> Iterator[tuple[DeclaredBond, Bond, Topology]]:
    if ctx.topology is None or not facts.knows("lldp"):
        return
    for b, bond in _pairs(facts, ctx):
        if bond is not None:
            yield b, bond, ctx.topology


def _declared_domains(b: DeclaredBond, topology: Topology) -> set[str]:
    return {(topology.switch(m.switch) or Switch(m.switch, "", "")).domain for m in b.members}


def _one_switch(facts: HostObserved, b: DeclaredBond, bond: Bond, topology: Topology) -> str | None:
    """The one switch (domain) every placed member reaches, when the bond spans fewer than two and no
    unplaced member could make up the second; None otherwise (also when the declaration itself has one)."""
    seen, unknown = _member_neighbours(facts, bond, topology)
    domains = {d for found in seen.values() for _, d in found}
    if len(bond.slaves) < 2 or len(_declared_domains(b, topology)) < 2 or len(domains) + len(unknown) >= 2:
        return None
    names = sorted({n for found in seen.values() for n, _ in found})
    (domain,) = domains
    return names[0] if len(names) == 1 else f"{', '.join(names)}, one {domain.partition(':')[0]} ({domain})"


def _lldp_observed(facts: HostObserved, bond: Bond, topology: Topology) -> dict[str, Any]:
    seen, unknown = _member_neighbours(facts, bond, topology)
    return {"lldp": {iface: [n for n, _ in found] for iface, found in seen.items()}, "unplaced": unknown,
            "neighbours": {s.name: [{"chassis_name": n.chassis_name, "chassis_id": n.chassis_id,
                                     "port_id": n.port_id, "port_descr": n.port_descr}
                                    for n in facts.neighbours.get(s.name, ())] for s in bond.slaves}}


@observed("T3-OBS-NET-014", severity=H, title="bond member's LLDP neighbour is not the declared switch",
          breaks_redundancy=False,
          rationale="""A declared member whose LLDP neighbour is another switch than the one declared is cabled
          elsewhere than the inventory says: the failure domains the declared rules judged (switch,
          stack, rack, feed) are not the ones the bond depends on. Does not by itself break redundancy while
          the bond still reaches two switches; when it does not, T3-OBS-NET-015 names every member instead.
          Silent on members that are down or have no neighbour (T3-OBS-NET-001, T3-OBS-NET-016).""",
          hint="recable the member to its declared switch, or correct its switch and port in tier3_host.bonds",
          **COMMON)
def wrong_switch(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for b, bond, topology in _lldp_pairs(facts, ctx):
        if _one_switch(facts, b, bond, topology) is not None:
            continue
        seen, _ = _member_neighbours(facts, bond, topology)
        for m in b.members:
            found = seen.get(m.interface)
            if found and m.switch not in {n for n, _ in found}:
                ports = [f"{n.chassis_name or n.chassis_id} port {n.port_descr or n.port_id}"
                         for n in facts.neighbours[m.interface]]
                yield Violation(f"{b.name}:{m.interface}", f"declared {m.interface} -> {m.switch}"
                                f"{' port ' + m.port if m.port else ''}, observed LLDP {m.interface} -> "
                                f"{', '.join(ports)}", {"declared": _declared(b),
                                                       "observed": _lldp_observed(facts, bond, topology)},
                                where=facts.label("lldp", m.interface))


@observed("T3-OBS-NET-015", severity=H, title="bond members reach fewer than two switches (LLDP)",
          rationale="""The inventory puts the bond's members on two switches (two failure domains), but LLDP
          on the host shows them all reaching one: losing that switch, or its stack, cuts the host off
          although every declared rule passed. Members down or without a neighbour are not counted
          against the bond: the rule fires only when they could not make up the second switch.""",
          hint="recable one member to a switch of another failure domain, as declared", **COMMON)
def one_switch(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for b, bond, topology in _lldp_pairs(facts, ctx):
        reached = _one_switch(facts, b, bond, topology)
        if reached is None:
            continue
        count = "both members" if len(bond.slaves) == 2 else f"all {len(bond.slaves)} members"
        yield Violation(b.name, f"declared {b.name} members {_wiring(b)}; observed LLDP: {count} reach {reached}",
                        {"declared": _declared(b), "observed": _lldp_observed(facts, bond, topology)},
                        where=facts.label("lldp", bond.slaves[0].name))


@observed("T3-OBS-NET-016", severity=M, title="bond member without an LLDP neighbour: its switch cannot be confirmed",
          rationale="""A declared member, enslaved and up, shows no LLDP neighbour: which switch it reaches is
          not known, so neither the declared switch nor the bond's two failure domains can be confirmed.
          That is not a pass: the switch does not send LLDP (enable it) or lldpd does not run on the host.
          A member that is down is T3-OBS-NET-001's finding, not this one's.""",
          hint="enable LLDP on the switch port and run lldpd on the host", **COMMON)
def no_neighbour(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for b, bond, topology in _lldp_pairs(facts, ctx):
        declared = {m.interface: m.switch for m in b.members}
        for s in bond.slaves:
            if s.name in declared and s.up and not facts.neighbours.get(s.name):
                yield Violation(f"{b.name}:{s.name}", f"declared {s.name} -> {declared[s.name]}, observed no LLDP "
                                f"neighbour on {s.name}",
                                {"declared": _declared(b), "observed": _lldp_observed(facts, bond, topology)},
                                where=_where(facts, bond, s))


@observed("T3-OBS-NET-017", severity=L, title="bond on the host not declared", breaks_redundancy=False,
          rationale="""The host has a bond the inventory does not declare: its switches, cards and ports were
          never judged by the declared rules. Drift between the inventory and the host.""",
          hint="declare the bond in tier3_host.bonds, or remove it from the host", **COMMON)
def bond_undeclared(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    host = declared_host(ctx)
    if host is None or not facts.knows("bonding"):
        return
    declared = {b.name for b in host.bonds}
    for name, bond in facts.bonds.items():
        if name not in declared:
            yield Violation(name, f"declared bonds {', '.join(sorted(declared)) or 'none'}, observed {name} "
                            f"({declared_mode(bond.mode) or bond.mode}) too",
                            {"declared": {"bonds": sorted(declared)}, "observed": _observed(bond)},
                            where=_where(facts, bond))
