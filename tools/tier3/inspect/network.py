"""Network kinds of ``tier3 inspect``: bonding, ip-link, lldp. SOURCE is a saved output file or ``-``;
on a live host the evidence module collects the same items (``Evidence``).

Verdicts: ``bonding`` is redundant as ``tier3.rules.redundant`` says, except that a file read without
root (T3-OBS-NET-006 alone) is null: not known. ``ip-link`` is null outside 802.3ad (it lists no
slaves). ``lldp`` reports facts only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import PurePath
from typing import Any

from tier3.inspect import Evidence, InspectOptions, Kind
from tier3.model import Finding
from tier3.parsers import bonding, iplink, lldp
from tier3.rules import redundant
from tier3.rules.observed.bonding import LACP_HIDDEN
from tier3.sources import read_text


def bond_name(source: str, options: InspectOptions) -> str:
    """The bond's name: ``--extra name``, the file name under /proc/net/bonding (of the file read, which
    ``tier3 check`` gives as ``path``, or of ``source``), or ``bondN`` in the file name."""
    given = options.extra.get("name")
    if isinstance(given, str) and given:
        return given
    read = options.extra.get("path")
    path = PurePath(read if isinstance(read, str) and read else source)
    if path.parent.name == "bonding":
        return path.name
    m = re.search(r"(?:^|[^a-z])(bond\d+)", path.name)
    return m[1] if m else "bond"


def _given_name(options: InspectOptions) -> str | None:
    given = options.extra.get("name")
    return given if isinstance(given, str) and given else None


# ---- bonding ------------------------------------------------------------------------------------

def bonding_report(bond: bonding.Bond, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    agg = None if bond.active_aggregator_id is None else {
        "id": bond.active_aggregator_id, "ports": bond.active_aggregator_ports, "partner_mac": bond.partner_mac}
    slaves = [{
        "name": s.name, "mii_status": s.mii_status, "speed": s.speed, "duplex": s.duplex,
        "link_failure_count": s.link_failure_count, "permanent_hw_addr": s.permanent_hw_addr,
        "aggregator_id": s.aggregator_id,
        "in_active_aggregator": bond.in_active_aggregator(s) if bond.is_8023ad and not bond.aggregator_hidden
        else None,
        "partner_mac": None if s.partner is None else s.partner.system_mac,
        "actor_port_state": None if s.actor is None else s.actor.port_state,
        "partner_port_state": None if s.partner is None else s.partner.port_state,
    } for s in bond.slaves]
    return {"bond": bond.name, "mode": bond.mode, "mii_status": bond.mii_status, "active_slave": bond.active_slave,
            "primary_slave": bond.primary_slave, "active_aggregator": agg,
            "lacp_details_hidden": bond.aggregator_hidden, "slaves": slaves}


def bonding_verdict(_bond: bonding.Bond, findings: Sequence[Finding]) -> bool | None:
    """redundant(findings), except null when only the hidden LACP details (read without root) stand in the way."""
    shown = [f for f in findings if f.rule_id != LACP_HIDDEN]
    if not redundant(shown):
        return False
    return None if len(shown) < len(findings) else True


# ---- ip -d link ---------------------------------------------------------------------------------

def ip_link_report(link: iplink.BondLink, _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"bond": link.name, "mode": link.mode, "state": link.state, "flags": list(link.flags),
            "options": dict(link.options)}


def ip_link_verdict(link: iplink.BondLink, findings: Sequence[Finding]) -> bool | None:
    """False on a finding; true only for 802.3ad, the one mode whose member count ``ip -d link`` shows."""
    if not redundant(findings):
        return False
    return True if link.mode == "802.3ad" else None


# ---- lldp ---------------------------------------------------------------------------------------

def _lldp_how(text: str) -> str:
    return "lldpctl -f json" if text.lstrip().startswith(("{", "[")) else "lldpctl"


def _read_lldp(source: str, _options: InspectOptions) -> tuple[Any, str]:
    text = read_text(source)
    return text, _lldp_how(text)


def lldp_report(neighbours: tuple[lldp.Neighbour, ...], _findings: Sequence[Finding], _raw: Any) -> dict[str, Any]:
    return {"interfaces": sorted({n.interface for n in neighbours}),
            "neighbours": [{k: v for k, v in asdict(n).items() if k != "where"} for n in neighbours]}


KINDS: dict[str, Any] = {k.name: k for k in (
    Kind("bonding", "a bond's members, link states and 802.3ad aggregator from /proc/net/bonding/BOND", "redundant",
         evidence=(Evidence(path="/proc/net/bonding/*"),),
         parse=lambda text, source, o: bonding.parse_proc_net_bonding(text, source, bond_name(source, o)),
         report=bonding_report, described=lambda b, how: how or f"cat /proc/net/bonding/{b.name}",
         decide=bonding_verdict),
    Kind("lldp", "each interface's LLDP neighbour from lldpctl -f json (or plain lldpctl)", "facts",
         evidence=(Evidence(argv=("lldpctl", "-f", "json")),),
         parse=lambda text, source, _o: lldp.parse_lldpctl(text, source),
         report=lldp_report, described=lambda _n, how: how or "lldpctl -f json", read=_read_lldp),
    # ip -d link show (every link; the one bond among them is read): the text the parser reads. The host
    # module is to collect ip -d -j link show (JSON) once a parser reads that.
    Kind("ip-link", "a bond's link and 802.3ad aggregator from ip -d link show BOND", "redundant",
         evidence=(Evidence(argv=("ip", "-d", "link", "show")),),
         parse=lambda text, source, o: iplink.parse_ip_link_bond(text, source, _given_name(o)),
         report=ip_link_report, described=lambda link, how: how or f"ip -d link show {link.name}",
         decide=ip_link_verdict),
)}
