"""Network kinds of ``tier3 inspect``: bonding, ip-link, lldp."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import PurePath
from typing import Any

from tier3.inspect import InspectOptions
from tier3.inspect._legacy import Issue, LegacyKind, _redundant, _report, read_source
from tier3.parsers import bonding, iplink, lldp

def bond_name(source: str, options: InspectOptions) -> str:
    """The bond's name: ``--extra name``, the file name under /proc/net/bonding, or ``bondN`` in the file name."""
    given = options.extra.get("name")
    if isinstance(given, str) and given:
        return given
    path = PurePath(source)
    if path.parent.name == "bonding":
        return path.name
    m = re.search(r"(?:^|[^a-z])(bond\d+)", path.name)
    return m[1] if m else "bond"


def inspect_bonding(source: str, options: InspectOptions) -> dict[str, Any]:
    bond = bonding.parse_proc_net_bonding(read_source(source), source, bond_name(source, options))
    agg = None if bond.active_aggregator_id is None else {
        "id": bond.active_aggregator_id, "ports": bond.active_aggregator_ports, "partner_mac": bond.partner_mac}
    slaves = [{
        "name": s.name, "mii_status": s.mii_status, "speed": s.speed, "duplex": s.duplex,
        "link_failure_count": s.link_failure_count, "permanent_hw_addr": s.permanent_hw_addr,
        "aggregator_id": s.aggregator_id,
        "in_active_aggregator": bond.in_active_aggregator(s) if bond.is_8023ad else None,
        "partner_mac": None if s.partner is None else s.partner.system_mac,
        "actor_port_state": None if s.actor is None else s.actor.port_state,
        "partner_port_state": None if s.partner is None else s.partner.port_state,
    } for s in bond.slaves]
    facts = {"bond": bond.name, "mode": bond.mode, "mii_status": bond.mii_status, "active_slave": bond.active_slave,
             "primary_slave": bond.primary_slave, "active_aggregator": agg, "slaves": slaves}
    return _report("bonding", source, _redundant(list(bond.issues)), facts, issues=list(bond.issues),
                   read=f"cat /proc/net/bonding/{bond.name}")


def inspect_ip_link(source: str, _options: InspectOptions) -> dict[str, Any]:
    link = iplink.parse_ip_link_bond(read_source(source), source)
    issues = link.issues()
    facts = {"bond": link.name, "mode": link.mode, "state": link.state, "flags": list(link.flags),
             "options": dict(link.options)}
    return _report("ip-link", source, {"redundant": link.redundant}, facts, issues=issues,
                   read=f"ip -d link show {link.name}")


def inspect_lldp(source: str, _options: InspectOptions) -> dict[str, Any]:
    text = read_source(source)
    neighbours = lldp.parse_lldpctl(text, source)
    read = "lldpctl -f json" if text.lstrip().startswith(("{", "[")) else "lldpctl"
    facts = {"interfaces": sorted({n.interface for n in neighbours}),
             "neighbours": [{k: v for k, v in asdict(n).items() if k != "where"} for n in neighbours]}
    return _report("lldp", source, {}, facts, issues=[], read=read)


KINDS: dict[str, Any] = {k.name: k for k in (
    LegacyKind("bonding", "a bond's members, link states and 802.3ad aggregator from /proc/net/bonding/BOND",
               "redundant", inspect_bonding),
    LegacyKind("lldp", "each interface's LLDP neighbour from lldpctl -f json (or plain lldpctl)", "facts",
               inspect_lldp),
    LegacyKind("ip-link", "a bond's link and 802.3ad aggregator from ip -d link show BOND", "redundant",
               inspect_ip_link),
)}
