"""Observed VIP rules over who holds each VIP (kind ``vip-holders``: ``VipObservation``, the ``ip -j addr``
of each host read by ``tier3.parsers.ipaddr``), judged against the VIPs the topology declares
(``tier3_vips``): T3-OBS-VRP-001 (not held by exactly one of its members), -002 (a member not read).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.model import Severity, Vip
from tier3.parsers.ipaddr import VipObservation
from tier3.rules._registry import Category, Context, Violation, observed
from tier3.rules.observed.mail import AVAILABILITY_CONTROLS

C, M = Severity.CRITICAL, Severity.MEDIUM
VIPS: dict[str, Any] = {"kinds": ("vip-holders",), "category": Category.VRRP, "controls": AVAILABILITY_CONTROLS}


def judged(vip: Vip, facts: VipObservation) -> bool:
    """A VIP is judged when a member was observed or an observed host holds its address."""
    return any(facts.host(m.host) is not None for m in vip.members) or any(h.holding(vip.address) for h in facts.hosts)


@observed("T3-OBS-VRP-001", severity=C, title="VIP not held by exactly one of its members",
          rationale="""A VIP is up when exactly one of its members holds it on a link that is up. Held by
          none, its services are down for every client; held by two or more (split brain: the VRRP
          peers do not hear each other), clients reach either at random, sessions break and the ARP
          tables flap. Judged on ``ip -j addr`` of each host given (normally each declared member,
          from the topology's ``tier3_vips``); a host that is not a member but holds the address is a
          holder too (an address conflict), and never the one right holder. An address on a link that
          is down is noted and not counted.""",
          hint="0 holders: check keepalived on the members (journalctl -u keepalived, the transition log); "
          "2 or more: restore VRRP between them (protocol 112 in the firewall, unicast peers)", **VIPS)
def vip_holders(facts: VipObservation, ctx: Context) -> Iterator[Violation]:
    for vip in () if ctx.topology is None else ctx.topology.vips:
        if not judged(vip, facts):
            continue
        holders: list[tuple[str, str, str]] = []
        down: list[tuple[str, str, str]] = []
        for host in facts.hosts:
            for interface, address in host.holding(vip.address):
                (holders if interface.link_up else down).append((host.host, interface.ifname, address.where))
        names = list(dict.fromkeys(h for h, _, _ in holders))
        members = [m.host for m in vip.members]
        strangers = [h for h in names if h not in members]
        if len(names) == 1 and not strangers:
            continue
        message = (f"{vip.address}: declared members {', '.join(members)}; observed holders "
                   f"{', '.join(names) if names else 'none'}"
                   + (f" ({', '.join(strangers)} not a member)" if strangers else ""))
        if down:
            message += "; on a link that is down: " + ", ".join(f"{h} {i}" for h, i, _ in down)
        where = f"{holders[1][0]}:{holders[1][2]}" if len(names) > 1 else ""
        yield Violation(f"vip:{vip.name}", message, {
            "address": vip.address, "members": members, "holders": names,
            "on_down_link": [f"{h}:{i}" for h, i, _ in down], "observed": [h.host for h in facts.hosts]},
            where=where)


@observed("T3-OBS-VRP-002", severity=M, title="VIP member not observed",
          rationale="""Who holds a VIP is known only when every member was read: a member left out may hold
          it too (a split brain nobody sees) or be the one expected to take over. Each declared member
          of a VIP that is judged (T3-OBS-VRP-001) and missing from the ``ip -j addr`` outputs given is
          named, so that the holder count is never taken for more than it is.""",
          hint="gather ip -j addr from every member of the VIP (tier3_vips[].members)", **VIPS)
def member_missing(facts: VipObservation, ctx: Context) -> Iterator[Violation]:
    for vip in () if ctx.topology is None else ctx.topology.vips:
        if not judged(vip, facts):
            continue
        missing = [m.host for m in vip.members if facts.host(m.host) is None]
        if missing:
            yield Violation(f"vip:{vip.name}", f"{vip.address}: member(s) {', '.join(missing)} not observed; "
                            f"observed {', '.join(h.host for h in facts.hosts)}",
                            {"address": vip.address, "missing": missing, "observed": [h.host for h in facts.hosts]})
