"""Observed bond rules (T3-OBS-NET-001..006) over ``/proc/net/bonding/BOND`` and ``ip -d link show BOND``.

``bonding`` facts (``Bond``) show every slave; ``ip-link`` facts (``BondLink``) show the bond's link
and, for 802.3ad, the active aggregator's port count and partner, never the slaves. Preconditions
keep one defect reported once: a slave that is down is blamed by T3-OBS-NET-001 only (not also as
outside the aggregator), and an 802.3ad file read without root is blamed by T3-OBS-NET-006 instead
of T3-OBS-NET-004/005, which cannot tell a missing partner from a hidden one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from tier3.model import Severity
from tier3.parsers.bonding import NULL_MAC, Bond, Slave
from tier3.parsers.iplink import BondLink
from tier3.rules._registry import Category, Context, Violation, observed

REDUNDANCY_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
LACP_HIDDEN = "T3-OBS-NET-006"
ROOT_ONLY = ("System MAC address", "Active Aggregator Info", "details actor lacp pdu", "details partner lacp pdu")

H, C, M = Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM
BOND: dict[str, Any] = {"kinds": ("bonding",), "category": Category.NETWORK, "controls": REDUNDANCY_CONTROLS}
BOTH: dict[str, Any] = {**BOND, "kinds": ("bonding", "ip-link")}


def _lacp_shown(bond: Bond) -> bool:
    """802.3ad with its active aggregator and LACP details in the file (read as root)."""
    return bond.is_8023ad and not bond.aggregator_hidden


def _pdu_states(s: Slave) -> dict[str, Any]:
    return {"partner_mac": None if s.partner is None else s.partner.system_mac,
            "actor_port_state": None if s.actor is None else s.actor.port_state,
            "partner_port_state": None if s.partner is None else s.partner.port_state}


@observed("T3-OBS-NET-001", severity=H, title="bond member link down",
          rationale="""A bond member whose link (MII status) is down carries no traffic: the bond runs on
          what is left, one cable, NIC or switch port away from cutting the host off. The member is
          blamed here; how many members are left is T3-OBS-NET-002's finding, a bond with no link at
          all T3-OBS-NET-003's. An 802.3ad member that is down is not also blamed as outside the
          aggregator (T3-OBS-NET-004 stays silent on it).""",
          hint="check the cable, the NIC and the switch port", **BOND)
def member_down(bond: Bond, _ctx: Context) -> Iterator[Violation]:
    for s in bond.slaves:
        if not s.up:
            yield Violation(f"{bond.name}:{s.name}", f"slave {s.name} MII status {s.mii_status}",
                            {"mii_status": s.mii_status, "link_failure_count": s.link_failure_count},
                            where=f"line {s.line}")


def _bond_too_few(bond: Bond, least: int) -> Iterator[Violation]:
    up = [s for s in bond.slaves if s.up]
    if not bond.is_8023ad:
        if len(up) < least:
            yield Violation(bond.name, f"{len(up)} of {len(bond.slaves)} slave(s) up: fewer than {least}",
                            {"slaves": len(bond.slaves), "slaves_up": len(up), "minimum": least})
        return
    if bond.aggregator_hidden:  # no active aggregator shown: the largest group of up slaves bounds it
        groups = Counter(s.aggregator_id for s in up if s.aggregator_id is not None)
        most = max(groups.values(), default=0)
        if most < least:
            yield Violation(bond.name, f"at most {most} up slave(s) share an aggregator: fewer than {least}",
                            {"aggregator_ids": {s.name: s.aggregator_id for s in bond.slaves}, "minimum": least})
        return
    members = [s for s in bond.slaves if bond.in_active_aggregator(s)]
    ports = bond.active_aggregator_ports or 0
    if len(members) < least or ports < least:
        yield Violation(bond.name, f"{min(len(members), ports)} port(s) in the active aggregator: fewer than {least}",
                        {"active_aggregator_id": bond.active_aggregator_id,
                         "number_of_ports": bond.active_aggregator_ports,
                         "members": [s.name for s in members], "minimum": least})


@observed("T3-OBS-NET-002", severity=H, title="fewer bond members carry traffic than the policy asks",
          rationale="""A bond protects a host only while at least two members carry traffic: with one, the
          next link lost cuts the host off. Counted: slaves whose MII status is up; for 802.3ad, ports of
          the active aggregator in LACP sync with a partner (both the slaves seen and the kernel's own
          port count, ``Number of ports`` or ``ad_num_ports``), because an up link outside the aggregator
          carries nothing. When the aggregator is not shown (read without root, T3-OBS-NET-006), the
          largest group of up slaves sharing an aggregator ID is the most it can hold. The minimum is the
          policy value ``bond_min_members`` (default 2).""",
          hint="bring a second member up (802.3ad: in the same aggregator as the first)",
          policy=("bond_min_members",), **BOTH)
def too_few(facts: Bond | BondLink, ctx: Context) -> Iterator[Violation]:
    least = ctx.policy["bond_min_members"]
    if isinstance(facts, Bond):
        yield from _bond_too_few(facts, least)
    elif facts.mode == "802.3ad":
        ports = facts.options.get("ad_num_ports", "0")
        if not ports.isdigit() or int(ports) < least:
            yield Violation(facts.name, f"{ports} port(s) in the active aggregator: fewer than {least}",
                            {"ad_aggregator": facts.options.get("ad_aggregator"), "ad_num_ports": ports,
                             "minimum": least}, where=f"line {facts.line}")


@observed("T3-OBS-NET-003", severity=C, title="bond has no link",
          rationale="""A bond with no link carries nothing: the host is off that network now. Seen as the
          bond's MII status not ``up`` in /proc/net/bonding, or in ``ip -d link`` as a state other than
          ``UP``, ``NO-CARRIER`` or no ``LOWER_UP``. Each member that is down is blamed on its own by
          T3-OBS-NET-001 (only /proc/net/bonding lists them).""",
          hint="restore at least one member link now", **BOTH)
def bond_down(facts: Bond | BondLink, _ctx: Context) -> Iterator[Violation]:
    if isinstance(facts, Bond):
        if facts.mii_status != "up":
            yield Violation(facts.name, f"bond MII status {facts.mii_status}: no slave carries traffic",
                            {"mii_status": facts.mii_status, "active_slave": facts.active_slave})
    elif not facts.carrier:
        yield Violation(facts.name, f"link state {facts.state}, flags {','.join(facts.flags)}",
                        {"state": facts.state, "flags": list(facts.flags)}, where=f"line {facts.line}")


@observed("T3-OBS-NET-004", severity=H, title="802.3ad member up but outside the active aggregator",
          rationale="""In 802.3ad only the ports of the active aggregator carry traffic. A member whose link
          is up but sits in another aggregator, or whose LACP partner is null or out of sync (port state
          without synchronization, collecting and distributing), is a link the operator counts on and the
          bond does not use: the switch port is not in the LAG, LACP is off there, or the speeds differ.
          Silent on members that are down (T3-OBS-NET-001) and on a file read without root, where the
          aggregator is not shown (T3-OBS-NET-006).""",
          hint="check LACP on the switch port: same LAG, same speed, LACP enabled", **BOND)
def not_aggregated(bond: Bond, _ctx: Context) -> Iterator[Violation]:
    if not _lacp_shown(bond):
        return
    for s in bond.slaves:
        if s.up and not bond.in_active_aggregator(s):
            yield Violation(f"{bond.name}:{s.name}",
                            f"slave {s.name} is up but not in the active aggregator {bond.active_aggregator_id}",
                            {"aggregator_id": s.aggregator_id, "active_aggregator_id": bond.active_aggregator_id,
                             **_pdu_states(s)}, where=f"line {s.line}")


@observed("T3-OBS-NET-005", severity=H, title="802.3ad aggregator has no LACP partner",
          rationale="""An 802.3ad active aggregator whose partner MAC is null (00:00:00:00:00:00), or a bond
          with no active aggregator at all, has no switch answering LACP: each port ends alone in its own
          aggregator and the bond runs on one link. Silent on a file read without root
          (T3-OBS-NET-006), where a missing partner cannot be told from a hidden one.""",
          hint="configure the switch ports as an LACP port-channel (mode active)", **BOTH)
def no_partner(facts: Bond | BondLink, _ctx: Context) -> Iterator[Violation]:
    if isinstance(facts, Bond):
        if _lacp_shown(facts) and facts.partner_mac in (None, NULL_MAC):
            message = ("the active aggregator has no LACP partner" if facts.active_aggregator_id is not None
                       else "no active aggregator: no LACP partner answers")
            yield Violation(facts.name, message,
                            {"partner_mac": facts.partner_mac, "active_aggregator_id": facts.active_aggregator_id})
    elif facts.mode == "802.3ad" and facts.options.get("ad_partner_mac", NULL_MAC) == NULL_MAC:
        yield Violation(facts.name, "the active aggregator has no LACP partner",
                        {"ad_partner_mac": facts.options.get("ad_partner_mac", NULL_MAC)}, where=f"line {facts.line}")


@observed(LACP_HIDDEN, severity=M, title="802.3ad LACP details hidden: /proc/net/bonding read without root",
          rationale="""Read without root (CAP_NET_ADMIN), /proc/net/bonding of an 802.3ad bond leaves out the
          system MAC address, the active aggregator and every slave's LACP details (kernel 6.x): whether
          the up links are aggregated with a switch partner cannot be judged. The bond is therefore not
          called redundant (``tier3 inspect`` says null unless another rule shows it broken), and
          T3-OBS-NET-004 and T3-OBS-NET-005 stay silent rather than report a partner they cannot see;
          T3-OBS-NET-001, -002 and -003 still judge what is shown.""",
          hint="read /proc/net/bonding/BOND as root (sudo cat /proc/net/bonding/BOND)", **BOND)
def lacp_hidden(bond: Bond, _ctx: Context) -> Iterator[Violation]:
    if bond.is_8023ad and bond.aggregator_hidden:
        yield Violation(bond.name, "LACP details hidden: /proc/net/bonding read without root; read it as root",
                        {"mode": bond.mode, "missing": list(ROOT_ONLY),
                         "aggregator_ids": {s.name: s.aggregator_id for s in bond.slaves}},
                        hint=f"read /proc/net/bonding/{bond.name} as root (sudo cat /proc/net/bonding/{bond.name})")
