"""Power: two supplies per host, on two PDUs of two feeds in its own rack, N+1 wattage; two feeds per
site; PDUs within their rating after a feed fails; one supply per outlet."""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction

from tier3.model import Host, Severity, Topology
from tier3.rules._lookup import at, both, claimed_twice, host_feeds, inventory_key, key_of, names, short_of_feeds
from tier3.rules._registry import Category, Violation, rule

POWER_CONTROLS = ("ISO27001:A.7.11", "ISO27001:A.8.14", "SOC2:A1.2", "NIST-800-53:PE-9(1)")


def _supplies(host: Host) -> dict[str, str]:
    return {p.name: p.pdu for p in host.power_supplies}


@rule(
    "T3-PWR-001",
    severity=Severity.HIGH,
    category=Category.POWER,
    title="host has at least two power supplies",
    rationale="""A host with one power supply goes down with that supply, its PDU or its feed. A host
    with fewer than two supplies is blamed here only: the feed, PDU and N+1 rules (T3-PWR-002..004)
    judge hosts that have two supplies, so one missing supply is reported once.""",
    controls=POWER_CONTROLS,
    hint="install a second power supply and declare it under tier3_host.power_supplies, on a PDU of another feed",
)
def two_supplies(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        count = len(host.power_supplies)
        if count < 2:
            which = f" ({names(_supplies(host))})" if count else ""
            yield Violation(
                host.name,
                f"declares {count} power {'supply' if count == 1 else 'supplies'}{which}; needs at least 2",
                {"power_supplies": _supplies(host)},
                at(host.location, "power_supplies"),
            )


@rule(
    "T3-PWR-002",
    severity=Severity.HIGH,
    category=Category.POWER,
    title="power supplies draw from at least two feeds",
    rationale="""Two supplies on the same feed fail together when that feed fails (utility or UPS
    outage, breaker trip, maintenance on one path). Judged on hosts with two or more supplies
    (fewer: T3-PWR-001) in a site that declares two or more feeds (fewer: T3-PWR-005 blames the site,
    which no host can fix). Supplies on an undeclared PDU have no known feed.""",
    controls=(*POWER_CONTROLS, "GDPR:32(1)(b)"),
    hint="plug one supply into a PDU fed by another feed and update its pdu in tier3_host.power_supplies",
)
def two_feeds(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        if len(host.power_supplies) < 2 or short_of_feeds(topology, [host.site]):
            continue
        feeds = host_feeds(topology, host)
        if len(feeds) >= 2:
            continue
        by_psu = {p.name: topology.feed_of(p.pdu) for p in host.power_supplies}
        known = [n for n, f in by_psu.items() if f]
        unknown = [f"{p.name} (PDU {p.pdu} undeclared)" for p in host.power_supplies if not by_psu[p.name]]
        if len(known) == 1:
            message = f"only supply {known[0]} draws from a declared feed ({next(iter(feeds))})"
        elif feeds:
            message = f"supplies {names(known)} {both(len(known))} draw from feed {next(iter(feeds))}"
        else:
            message = "no supply draws from a declared feed"
        if unknown:
            message += f"; no known feed for {names(unknown)}"
        yield Violation(
            host.name,
            message,
            {"power_supplies": _supplies(host), "feeds": {n: f or None for n, f in by_psu.items()}},
            at(host.location, "power_supplies"),
        )


@rule(
    "T3-PWR-003",
    severity=Severity.MEDIUM,
    category=Category.POWER,
    title="power supplies are plugged into at least two PDUs",
    rationale="""Two supplies on one PDU fail together when that PDU or its breaker fails. Supplies on
    two feeds are necessarily on two PDUs, so where the site has two feeds T3-PWR-002 (high) already
    says it; this rule speaks for hosts with two or more supplies in sites with fewer than two feeds,
    where a second PDU is the redundancy still within reach.""",
    controls=POWER_CONTROLS,
    hint="plug one supply into the rack's other PDU and update its pdu in tier3_host.power_supplies",
)
def two_pdus(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        if len(host.power_supplies) < 2 or not short_of_feeds(topology, [host.site]):
            continue
        pdus = {p.pdu for p in host.power_supplies}
        if len(pdus) < 2:
            supplies = [p.name for p in host.power_supplies]
            yield Violation(
                host.name,
                f"supplies {names(supplies)} {both(len(supplies))} plug into PDU {next(iter(pdus))}",
                {"power_supplies": _supplies(host)},
                at(host.location, "power_supplies"),
            )


@rule(
    "T3-PWR-004",
    severity=Severity.MEDIUM,
    category=Category.POWER,
    title="power supplies are N+1: the host runs on what remains after losing the largest",
    rationale="""Redundant supplies only protect the host if the survivors can carry its draw: with
    two 500 W supplies a 650 W host trips the survivor when one fails. Judged on hosts that declare a
    power draw above 0 W and two or more supplies (fewer: T3-PWR-001). A supply without a declared
    capacity counts 0 W, and the message names it: capacity_watts is optional in the schema, so an
    inventory whose supply ratings are not known yet still validates, and N+1 is not assumed for
    them (as T3-CAP-002 does for an undeclared service capacity).""",
    controls=("ISO27001:A.7.11", "ISO27001:A.8.6", "SOC2:A1.1", "SOC2:A1.2"),
    hint="fit larger supplies or add one, or correct tier3_host.power_draw_watts / capacity_watts",
)
def n_plus_one_watts(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        supplies = host.power_supplies
        if host.power_draw_watts <= 0 or len(supplies) < 2:
            continue
        watts = [p.capacity_watts for p in supplies]
        remaining = sum(watts) - max(watts)
        if remaining >= host.power_draw_watts:
            continue
        listed = names(f"{p.name} ({p.capacity_watts} W)" for p in supplies)
        message = (
            f"supplies {listed} leave {remaining} W after losing the largest ({max(watts)} W); "
            f"the host draws {host.power_draw_watts} W"
        )
        undeclared = [p.name for p in supplies if p.capacity_watts <= 0]
        if undeclared:
            message += f"; no capacity_watts declared for {names(undeclared)}"
        yield Violation(
            host.name,
            message,
            {"power_draw_watts": host.power_draw_watts, "capacity_watts": {p.name: p.capacity_watts for p in supplies}},
            at(host.location, "power_supplies"),
        )


@rule(
    "T3-PWR-005",
    severity=Severity.HIGH,
    category=Category.POWER,
    title="site has at least two power feeds",
    rationale="""A Tier III site is concurrently maintainable: each path (utility, UPS, distribution)
    can be taken down without stopping the load, which takes two independent feeds. With one feed no
    host can be dual-fed, so the per-host and per-group feed rules stay silent for that site and this
    finding is the one to fix.""",
    controls=(*POWER_CONTROLS, "GDPR:32(1)(b)"),
    hint="declare the site's second feed under tier3_sites[].feeds and its PDUs under racks[].pdus",
)
def site_feeds(topology: Topology) -> Iterator[Violation]:
    for site in topology.sites:
        if len(site.feeds) < 2:
            feeds = [f.name for f in site.feeds]
            declared = f" ({names(feeds)})" if feeds else ""
            yield Violation(
                f"site:{site.name}",
                f"declares {len(feeds)} power feed{'' if len(feeds) == 1 else 's'}{declared}; needs at least 2",
                {"feeds": feeds},
                key_of(site.location, "feeds", inventory_key(topology, "tier3_sites")),
            )


def _blamed_for_feeds(topology: Topology, host: Host) -> bool:
    """T3-PWR-002 blames the host: two or more supplies, a two-feed site, fewer than two feeds."""
    return (len(host.power_supplies) >= 2 and not short_of_feeds(topology, [host.site])
            and len(host_feeds(topology, host)) < 2)


@rule(
    "T3-PWR-006",
    severity=Severity.HIGH,
    category=Category.POWER,
    title="power supplies plug into PDUs of the host's own rack",
    rationale="""A supply corded to another rack's PDU ties the host to that rack: powering the rack
    down for maintenance, or losing it, takes a supply of a host the placement rules count as
    standing elsewhere, so two hosts split over two racks can go down with one of them. Blamed per
    supply as host:supply. PDUs that are not declared have no known rack (T3-PWR-002 names them).
    Silent for hosts T3-PWR-002 already blames (supplies on one feed): the fix named there, the
    other feed's PDU in the host's own rack, mends both.""",
    controls=POWER_CONTROLS,
    hint="plug the supply into the PDU of the same feed in the host's own rack and update its pdu",
)
def own_rack_pdus(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        if not host.power_supplies or _blamed_for_feeds(topology, host):
            continue
        for index, psu in enumerate(host.power_supplies):
            pdu = topology.pdu(psu.pdu)
            if pdu is None or pdu.rack == host.rack:
                continue
            yield Violation(
                f"{host.name}:{psu.name}",
                f"supply {psu.name} plugs into PDU {pdu.name} of rack {pdu.rack}; the host stands in rack {host.rack}",
                {"rack": host.rack, "supply": psu.name, "pdu": pdu.name, "pdu_rack": pdu.rack, "feed": pdu.feed},
                key_of(psu.location, "pdu", at(host.location, f"power_supplies[{index}]")),
                hint=f"plug {psu.name} into the {pdu.feed} PDU of rack {host.rack} and update its pdu",
            )


def _load_after(draws: list[tuple[Host, int, dict[str, int]]], failed: str | None) -> dict[str, Fraction]:
    """Per host, what its supplies on one PDU carry after ``failed`` (a feed, or None) is lost:
    the host's draw shared by its supplies on the surviving feeds."""
    load: dict[str, Fraction] = {}
    for host, on_pdu, per_feed in draws:
        surviving = sum(n for feed, n in per_feed.items() if feed != failed)
        load[host.name] = load.get(host.name, Fraction(0)) + Fraction(host.power_draw_watts * on_pdu, surviving)
    return load


@rule(
    "T3-PWR-007",
    severity=Severity.MEDIUM,
    category=Category.POWER,
    title="a PDU carries its hosts' draw after the other feed fails, within its max_watts",
    rationale="""Dual feeds only help if the surviving PDUs carry the load: when a feed fails, each
    host's draw moves to its supplies on the other feeds, and a PDU (its breaker) rated for half the
    load trips, taking every host on it down after the first failure. For each PDU that declares
    ``max_watts``, the worst single feed loss is judged, once: the sum over hosts with a supply on it
    of the host's power_draw_watts divided among its supplies on the feeds that survive. Hosts
    without a declared draw count 0 W. Medium, like T3-PWR-004: a capacity shortfall, found only
    after a first failure. Hosts whose supplies share one feed are blamed by T3-PWR-002 and still
    counted here at their full draw.""",
    controls=("ISO27001:A.7.11", "ISO27001:A.8.6", "SOC2:A1.1", "SOC2:A1.2"),
    hint="spread the hosts over more PDUs, fit a PDU and breaker of a higher rating, or correct max_watts",
)
def pdu_after_feed_loss(topology: Topology) -> Iterator[Violation]:
    rated = {p.name: p for s in topology.sites for r in s.racks for p in r.pdus if p.max_watts > 0}
    if not rated:
        return
    draws: dict[str, list[tuple[Host, int, dict[str, int]]]] = {}
    for host in topology.hosts:
        if host.power_draw_watts <= 0:
            continue
        per_pdu: dict[str, int] = {}
        per_feed: dict[str, int] = {}
        for psu in host.power_supplies:
            feed = topology.feed_of(psu.pdu)
            if feed is not None:
                per_pdu[psu.pdu] = per_pdu.get(psu.pdu, 0) + 1
                per_feed[feed] = per_feed.get(feed, 0) + 1
        for name, count in per_pdu.items():
            if name in rated:
                draws.setdefault(name, []).append((host, count, per_feed))
    for name, on_it in draws.items():
        pdu = rated[name]
        others = sorted({f for _, _, per_feed in on_it for f in per_feed} - {pdu.feed})
        failures: list[str | None] = [*others] if others else [None]
        worst, failed = max(((_load_after(on_it, f), f) for f in failures), key=lambda x: sum(x[0].values()))
        total = sum(worst.values())
        if total <= pdu.max_watts:
            continue
        after = f"after feed {failed} fails, " if failed else ""
        yield Violation(
            f"pdu:{pdu.name}",
            f"{after}PDU {pdu.name} carries {math.ceil(total)} W for {len(worst)} host{'' if len(worst) == 1 else 's'} "
            f"({names(worst)}); its max_watts is {pdu.max_watts} W",
            {"pdu": pdu.name, "feed": pdu.feed, "max_watts": pdu.max_watts, "failed_feed": failed,
             "load_watts": math.ceil(total), "hosts": {h: math.ceil(w) for h, w in worst.items()}},
            key_of(pdu.location, "max_watts", inventory_key(topology, "tier3_sites")),
            hint=f"move hosts off {pdu.name} to another PDU, fit a PDU and breaker rated at least "
            f"{math.ceil(total)} W, or correct its max_watts",
        )


@rule(
    "T3-PWR-008",
    severity=Severity.MEDIUM,
    category=Category.POWER,
    title="a PDU outlet feeds at most one power supply",
    rationale="""One outlet takes one cord: two supplies declared on it mean at least one of them is
    plugged in elsewhere, so the feed and PDU diversity judged from the declaration is fiction (a
    copied host_vars file is the usual cause). Medium: the inventory is wrong, not necessarily the
    site. Supplies without an ``outlet`` are not judged. Blamed as pdu:PDU:OUTLET, naming the
    supplies.""",
    controls=POWER_CONTROLS,
    hint="correct the outlet of each supply plugged into that outlet, so each outlet appears once",
)
def one_supply_per_outlet(topology: Topology) -> Iterator[Violation]:
    claims = (((psu.pdu, psu.outlet), (host.name, psu.name), (host, index))
              for host in topology.hosts for index, psu in enumerate(host.power_supplies) if psu.outlet)
    for (pdu, outlet), entries in claimed_twice(claims):
        holders = [f"{h.name} {h.power_supplies[i].name}" for h, i in entries]
        host, index = entries[1]
        psu = host.power_supplies[index]
        yield Violation(
            f"pdu:{pdu}:{outlet}",
            f"outlet {outlet} of PDU {pdu} is declared for {names(holders)}",
            {"pdu": pdu, "outlet": outlet, "supplies": [f"{h.name}:{h.power_supplies[i].name}" for h, i in entries]},
            key_of(psu.location, "outlet", at(host.location, f"power_supplies[{index}]")),
            hint=f"correct the outlet of {host.name} {psu.name} (or of {names(holders[:1] + holders[2:])}) "
            f"to the outlet it is plugged into on {pdu}",
        )
