"""Placement: service groups, VIPs and firewall pairs spread over racks and feeds; MX in every site."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tier3.model import Host, Severity, Topology
from tier3.model.topology import NOWHERE, SERVICE_GROUPS
from tier3.rules._lookup import (
    both,
    distinct,
    group_location,
    host_feeds,
    inventory_key,
    key_of,
    listed,
    members,
    names,
    pair_key,
    short_of_feeds,
    sites_by_name,
    vip_key,
)
from tier3.rules._registry import Category, Violation, rule

PLACEMENT_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)", "HIPAA:164.308(a)(7)(ii)(C)")
FEED_LOSS_CONTROLS = (*PLACEMENT_CONTROLS, "ISO27001:A.7.11")


def _hosts(topology: Topology, names_: Sequence[str]) -> list[Host]:
    """The declared hosts among ``names_``, each once (a host listed twice counts once; undeclared
    ones are the loader's to reject)."""
    found = (topology.host(n) for n in distinct(names_))
    return [h for h in found if h is not None]


def _one_rack(hosts: Sequence[Host]) -> tuple[str, dict[str, object]] | None:
    """Why ``hosts`` (two or more) do not span two racks, or None when they do."""
    racks = {h.name: h.rack for h in hosts}
    known = list(dict.fromkeys(r for r in racks.values() if r))
    if len(known) >= 2:
        return None
    listed = [h.name for h in hosts if h.rack]
    if not known:
        message = "no member declares a rack"
    elif len(listed) == 1:
        message = f"only {listed[0]} declares a rack ({known[0]})"
    else:
        message = f"members {names(listed)} {both(len(listed))} sit in rack {known[0]}"
    unplaced = [h.name for h in hosts if not h.rack]
    if unplaced and listed:
        message += f"; no rack declared for {names(unplaced)}"
    return message, {"racks": racks}


def _feed_loss(topology: Topology, hosts: Sequence[Host]) -> tuple[str, dict[str, object]] | None:
    """The feed whose loss takes down every one of ``hosts``, said in words, or None.

    The set survives the loss of feed F when one member draws from a feed other than F: any member
    on two feeds, or members on two different single feeds. Silent when the sites involved declare
    fewer than two feeds (T3-PWR-005) or no member draws from a declared feed (T3-PWR-001/002).
    """
    if short_of_feeds(topology, (h.site for h in hosts)):
        return None
    feeds = {h.name: host_feeds(topology, h) for h in hosts}
    if any(len(f) >= 2 for f in feeds.values()):
        return None
    single = {next(iter(f)) for f in feeds.values() if f}
    if len(single) != 1:
        return None
    feed = next(iter(single))
    fed = [n for n, f in feeds.items() if f]
    unfed = [n for n, f in feeds.items() if not f]
    verb = "draws" if len(fed) == 1 else "draw"
    message = f"losing feed {feed} takes down every member: {names(fed)} {verb} only from it"
    if unfed:
        message += f", and {names(unfed)} from no declared feed"
    return message, {"feeds": {n: sorted(f) for n, f in feeds.items()}}


@rule(
    "T3-PLC-001",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every service group spans at least two racks",
    rationale="""A rack is a failure domain: its top-of-rack switches, PDUs and cooling fail, and are
    serviced, as a unit. A service group (mx, imap, archive, dns, lb, firewall) whose members share a
    rack goes down with it. Judged on groups with two or more members (one member: T3-PLC-008). The
    firewall group and the firewall pairs (T3-PLC-005) are declared apart and judged apart.""",
    controls=PLACEMENT_CONTROLS,
    hint="move one member of the group to another rack (tier3_host.rack)",
)
def group_racks(topology: Topology) -> Iterator[Violation]:
    for group in SERVICE_GROUPS:
        hosts = members(topology, group)
        if len(hosts) >= 2 and (found := _one_rack(hosts)):
            yield Violation(f"group:{group}", found[0], found[1], group_location(topology, group))


@rule(
    "T3-PLC-002",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every service group survives the loss of any one power feed",
    rationale="""For every feed F, some member of the group must draw from a feed other than F, or
    the service stops when F does. This is the service-level consequence of single-fed hosts: fixing
    any one member's feeds (T3-PWR-002) fixes it. Judged on groups with two or more members
    (T3-PLC-008), in sites that declare two feeds (T3-PWR-005).""",
    controls=FEED_LOSS_CONTROLS,
    hint="dual-feed the members, or put members of the group on PDUs of different feeds",
)
def group_feeds(topology: Topology) -> Iterator[Violation]:
    for group in SERVICE_GROUPS:
        hosts = members(topology, group)
        if len(hosts) >= 2 and (found := _feed_loss(topology, hosts)):
            yield Violation(f"group:{group}", found[0], found[1], group_location(topology, group))


@rule(
    "T3-PLC-003",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="VIP members sit in at least two racks",
    rationale="""A virtual IP fails over between its members; if they share a rack, the address goes
    down with the rack. Judged on VIPs with two or more distinct members (fewer, a host listed twice
    counting once: T3-VRP-001).""",
    controls=PLACEMENT_CONTROLS,
    hint="make a host in another rack a member of the VIP (tier3_vips[].members)",
)
def vip_racks(topology: Topology) -> Iterator[Violation]:
    for vip in topology.vips:
        hosts = _hosts(topology, [m.host for m in vip.members])
        if len(hosts) >= 2 and (found := _one_rack(hosts)):
            yield Violation(f"vip:{vip.name}", found[0], found[1], vip_key(topology, vip, "members"))


@rule(
    "T3-PLC-004",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="VIP members survive the loss of any one power feed",
    rationale="""For every feed F, some member of the VIP must draw from another feed, or the address
    goes down with F. Judged on VIPs with two or more distinct members (T3-VRP-001), in sites that
    declare two feeds (T3-PWR-005).""",
    controls=FEED_LOSS_CONTROLS,
    hint="dual-feed the VIP's members, or make a host on another feed a member",
)
def vip_feeds(topology: Topology) -> Iterator[Violation]:
    for vip in topology.vips:
        hosts = _hosts(topology, [m.host for m in vip.members])
        if len(hosts) >= 2 and (found := _feed_loss(topology, hosts)):
            yield Violation(f"vip:{vip.name}", found[0], found[1], vip_key(topology, vip, "members"))


@rule(
    "T3-PLC-005",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="firewall pair members sit in different racks",
    rationale="""An HA firewall pair in one rack is one failure domain: the rack takes both down and
    every path in or out of the site with them. A pair of fewer than two distinct hosts is blamed
    here as well, once: one host listed twice (which the loader accepts, as it accepts a VIP member
    listed twice) is one firewall, and cannot span two racks; feed loss (T3-PLC-006) is judged on
    pairs of two distinct hosts.""",
    controls=(*PLACEMENT_CONTROLS, "ISO27001:A.8.20"),
    hint="install the pair's second member in another rack (tier3_host.rack)",
)
def firewall_racks(topology: Topology) -> Iterator[Violation]:
    for pair in topology.firewall_pairs:
        hosts = _hosts(topology, pair.members)
        location = pair_key(topology, pair, "members")
        unique = distinct(pair.members)
        if len(unique) < 2:
            declared = f"1 member ({listed(unique[0], pair.members)})" if unique else "no members"
            yield Violation(
                f"firewall-pair:{pair.name}",
                f"declares {declared}; a pair needs 2, in two racks",
                {"members": list(pair.members)},
                location,
                hint="name the pair's two firewalls in tier3_firewall_pairs[].members, each in its own rack",
            )
        elif found := _one_rack(hosts):
            yield Violation(f"firewall-pair:{pair.name}", found[0], found[1], location)


@rule(
    "T3-PLC-006",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="firewall pair members survive the loss of any one power feed",
    rationale="""For every feed F, one firewall of the pair must draw from another feed, or the site
    is cut off when F fails. Judged on pairs of two distinct hosts (T3-PLC-005), in sites that
    declare two feeds (T3-PWR-005).""",
    controls=(*FEED_LOSS_CONTROLS, "ISO27001:A.8.20"),
    hint="dual-feed both firewalls, or put them on PDUs of different feeds",
)
def firewall_feeds(topology: Topology) -> Iterator[Violation]:
    for pair in topology.firewall_pairs:
        hosts = _hosts(topology, pair.members)
        if len(hosts) >= 2 and (found := _feed_loss(topology, hosts)):
            yield Violation(f"firewall-pair:{pair.name}", found[0], found[1], pair_key(topology, pair, "members"))


@rule(
    "T3-PLC-007",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="in a multi-site design, every site has at least one MX",
    rationale="""With two or more sites holding hosts, each must receive mail on its own (an MX host)
    so that the loss of a whole site leaves a published MX that answers. Judged on sites that hold
    hosts; a declared site with none serves nothing yet. Single-site designs are not judged.""",
    controls=("ISO27001:A.5.30", "ISO27001:A.8.14", "NIST-800-53:CP-7", "GDPR:32(1)(c)", "HIPAA:164.308(a)(7)(ii)(B)"),
    hint="add a host of the site to group mx and publish it as an MX record",
)
def mx_per_site(topology: Topology) -> Iterator[Violation]:
    hosts_per_site: dict[str, int] = {}
    mx_per_site_: dict[str, list[str]] = {}
    for host in topology.hosts:
        if host.site:
            hosts_per_site[host.site] = hosts_per_site.get(host.site, 0) + 1
            if "mx" in host.groups:
                mx_per_site_.setdefault(host.site, []).append(host.name)
    if len(hosts_per_site) < 2:
        return
    sites = sites_by_name(topology)
    for site, count in hosts_per_site.items():
        if site in mx_per_site_:
            continue
        declared = sites.get(site)
        location = key_of(declared.location if declared else NOWHERE, "", inventory_key(topology, "tier3_sites"))
        others = names(sorted(mx_per_site_)) or "none"
        yield Violation(
            f"site:{site}",
            f"site {site} holds {count} host{'' if count == 1 else 's'} but no member of group mx "
            f"(sites with an MX: {others})",
            {"hosts": count, "mx": {s: mx_per_site_[s] for s in sorted(mx_per_site_)}},
            location,
        )


@rule(
    "T3-PLC-008",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every service group that has members has at least two",
    rationale="""A service group of one host is a single point of failure whatever its rack or feeds.
    Such groups are blamed here only; rack and feed spread (T3-PLC-001/002) and N+1 capacity
    (T3-CAP-001) are judged on groups of two or more. Empty groups are not judged.""",
    controls=PLACEMENT_CONTROLS,
    hint="add a second host to the group, in another rack and on another feed",
)
def group_size(topology: Topology) -> Iterator[Violation]:
    for group in SERVICE_GROUPS:
        hosts = members(topology, group)
        if len(hosts) == 1:
            yield Violation(
                f"group:{group}",
                f"group {group} has 1 member ({hosts[0].name}); needs at least 2",
                {"members": [hosts[0].name]},
                group_location(topology, group),
            )
