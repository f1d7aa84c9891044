"""Power: two supplies per host, on two PDUs of two feeds, N+1 wattage; two feeds per site."""

from __future__ import annotations

from collections.abc import Iterator

from tier3.model import Host, Severity, Topology
from tier3.rules._lookup import at, both, host_feeds, inventory_key, key_of, names, short_of_feeds
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
