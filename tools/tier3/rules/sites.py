"""Placement per site: service groups spread over racks and feeds within each site they serve,
every mail service in each site that serves mail, firewall pairs whole and within one site, and
site groups that agree with the hosts' declared sites.

Category placement (ids T3-PLC-009..016); split from placement.py, whose helpers it shares.
"""

from __future__ import annotations

from collections.abc import Iterator

from tier3.model import Host, Severity, Topology
from tier3.model.topology import SERVICE_GROUPS
from tier3.rules._lookup import (
    at,
    cached,
    dependencies,
    distinct,
    group_location,
    inventory_key,
    members,
    names,
    pair_key,
    site_key,
    site_members,
)
from tier3.rules._registry import Category, Violation, rule
from tier3.rules.placement import FEED_LOSS_CONTROLS, PLACEMENT_CONTROLS, _feed_loss, _hosts, _one_rack

SITE_LOSS_CONTROLS = ("ISO27001:A.5.30", "ISO27001:A.8.14", "NIST-800-53:CP-7", "GDPR:32(1)(c)",
                      "HIPAA:164.308(a)(7)(ii)(B)")
FIREWALL_CONTROLS = (*PLACEMENT_CONTROLS, "ISO27001:A.8.20")
# the services mail needs to keep flowing in a site that receives it
MAIL_SERVICES: tuple[str, ...] = SERVICE_GROUPS


def _blamed_sets(topology: Topology) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    """The host sets a VIP or firewall-pair rule already blames: (one rack: T3-PLC-003/005, one
    feed: T3-PLC-004/006), each the set of distinct declared members (cached per topology)."""

    def build(t: Topology) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
        racks: set[frozenset[str]] = set()
        feeds: set[frozenset[str]] = set()
        sets = [[m.host for m in v.members] for v in t.vips] + [list(p.members) for p in t.firewall_pairs]
        for declared in sets:
            hosts = _hosts(t, declared)
            key = frozenset(h.name for h in hosts)
            if len(hosts) >= 2 and _one_rack(hosts):
                racks.add(key)
            if len(hosts) >= 2 and _feed_loss(t, hosts):
                feeds.add(key)
        racks.update(frozenset(distinct(p.members)) for p in t.firewall_pairs if len(distinct(p.members)) < 2)
        return racks, feeds

    return cached(topology, "blamed_sets", build)


def _pair_members_outside_group(topology: Topology) -> dict[str, list[Host]]:
    """site -> firewall pair members there that are not in group firewall (T3-PLC-014 blames them;
    T3-PLC-009 counts them as the site's firewalls, so the missing membership is reported once)."""

    def build(t: Topology) -> dict[str, list[Host]]:
        out: dict[str, list[Host]] = {}
        for host in _hosts(t, [m for p in t.firewall_pairs for m in p.members]):
            if "firewall" not in host.groups and host.site:
                out.setdefault(host.site, []).append(host)
        return out

    return cached(topology, "pair_members_outside", build)


def _rack_judged_groups(topology: Topology) -> Iterator[tuple[str, dict[str, list[Host]]]]:
    """Groups of two or more members (T3-PLC-008) that span two racks as a whole (T3-PLC-001)."""
    for group in SERVICE_GROUPS:
        hosts = members(topology, group)
        if len(hosts) >= 2 and not _one_rack(hosts):
            yield group, site_members(topology, group)


@rule(
    "T3-PLC-009",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every service group spans at least two racks within each site it serves",
    rationale="""A group that spans two racks only because it has members in two sites loses the
    service in a site when that site's one rack fails: each site must survive the loss of any one
    of its racks. A site with a single member of the group is blamed too, unless the site declares
    that it takes the service from another site (tier3_sites[].depends_on). Stays silent where
    T3-PLC-001 (the whole group in one rack) or T3-PLC-008 (a group of one) blames the group, and
    where a VIP or a firewall pair rule (T3-PLC-003/005) already blames the same hosts; a firewall
    pair member outside group firewall (T3-PLC-014) counts as one of its site's firewalls.""",
    controls=PLACEMENT_CONTROLS,
    hint="move one of the site's members of the group to another rack of that site (tier3_host.rack)",
)
def site_racks(topology: Topology) -> Iterator[Violation]:
    blamed = _blamed_sets(topology)[0]
    unlisted = _pair_members_outside_group(topology)
    for group, by_site in _rack_judged_groups(topology):
        for site_name, listed_here in by_site.items():
            hosts = [*listed_here, *unlisted.get(site_name, [])] if group == "firewall" else listed_here
            if frozenset(h.name for h in hosts) in blamed:
                continue
            subject = f"group:{group}@{site_name}"
            if len(hosts) == 1:
                if group in dependencies(topology, site_name):
                    continue
                host = hosts[0]
                rack = host.rack or "(none declared)"
                yield Violation(
                    subject,
                    f"site {site_name} has 1 member of group {group} ({host.name}, rack {rack}): "
                    f"losing that rack loses {group} in {site_name}",
                    {"site": site_name, "racks": {host.name: host.rack}},
                    at(host.location, "rack"),
                    hint=f"add a second {group} host to site {site_name} in another rack, or declare "
                         f"depends_on: [{{service: {group}, site: OTHER}}] on site {site_name}",
                )
            elif found := _one_rack(hosts):
                yield Violation(subject, f"in site {site_name}: {found[0]}", {"site": site_name, **found[1]},
                                at(hosts[-1].location, "rack"))


@rule(
    "T3-PLC-010",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every service group survives the loss of any one power feed within each site it serves",
    rationale="""Feeds belong to a site, so a group with members in two sites always survives a
    feed group-wide, yet loses the service in a site whose members all draw from one feed. Judged
    per site on two or more members (a single member on one feed is its host's T3-PWR-002), in
    sites that declare two feeds (T3-PWR-005). Stays silent where T3-PLC-002 blames the whole
    group, T3-PLC-008 a group of one, or a VIP or firewall pair rule (T3-PLC-004/006) the same
    hosts.""",
    controls=FEED_LOSS_CONTROLS,
    hint="dual-feed the site's members of the group, or put them on PDUs of different feeds of the site",
)
def site_feeds(topology: Topology) -> Iterator[Violation]:
    blamed = _blamed_sets(topology)[1]
    for group in SERVICE_GROUPS:
        hosts = members(topology, group)
        if len(hosts) < 2 or _feed_loss(topology, hosts):
            continue
        for site_name, here in site_members(topology, group).items():
            if len(here) < 2 or frozenset(h.name for h in here) in blamed:
                continue
            if found := _feed_loss(topology, here):
                yield Violation(f"group:{group}@{site_name}", f"in site {site_name}: {found[0]}",
                                {"site": site_name, **found[1]}, at(here[-1].location, "power_supplies"))


@rule(
    "T3-PLC-011",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every site that serves mail runs each mail service, or declares where it takes it from",
    rationale="""Losing a site must not stop mail in the others: a site with MX members needs a
    member of every service group mail depends on (mx, imap, archive, dns, lb, firewall) that the
    inventory has, or an explicit dependency on another site that runs it
    (tier3_sites[].depends_on), which must then have a member. A service the inventory does not
    model at all (no members anywhere) is out of scope. Sites without MX are T3-PLC-007's, and a
    service that runs only in such sites is not judged here until they have one: T3-PLC-007
    blames the layout once.""",
    controls=SITE_LOSS_CONTROLS,
    hint="add a host of the service to the site, or declare depends_on: [{service: SERVICE, site: OTHER}] on it",
)
def mail_services_per_site(topology: Topology) -> Iterator[Violation]:
    mail = site_members(topology, "mx")
    for site_name, mx in mail.items():
        wanted = dependencies(topology, site_name)
        for group in MAIL_SERVICES:
            by_site = site_members(topology, group)
            if not members(topology, group) or site_name in by_site or not any(s in mail for s in by_site):
                continue
            elsewhere = {s: [h.name for h in hosts] for s, hosts in by_site.items()}
            runs = names(f"{s} ({names(h)})" for s, h in elsewhere.items()) or "no declared site"
            source = wanted.get(group)
            evidence = {"mx": [h.name for h in mx], "service": group, "members": elsewhere,
                        "depends_on": dict(wanted)}
            location = site_key(topology, site_name, "depends_on")
            if source is None:
                yield Violation(
                    f"site:{site_name}",
                    f"site {site_name} serves mail ({names(h.name for h in mx)}) but has no member of group "
                    f"{group} and declares no dependency for it; {group} runs in {runs}",
                    evidence, location,
                    hint=f"add a {group} host to site {site_name}, or declare depends_on: "
                         f"[{{service: {group}, site: {next(iter(elsewhere), 'OTHER')}}}] on site {site_name}",
                )
            elif source not in by_site:
                yield Violation(
                    f"site:{site_name}",
                    f"site {site_name} declares it takes {group} from site {source}, which has no member of "
                    f"group {group}; {group} runs in {runs}",
                    evidence, location,
                    hint=f"point site {site_name}'s depends_on for {group} at a site that runs it, or add a "
                         f"{group} host to site {source}",
                )


@rule(
    "T3-PLC-012",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="firewall pair members are in one site",
    rationale="""An HA firewall pair syncs state and elects its active member over links between
    the two: across sites, the loss of one site or a cut of the WAN between them splits the pair
    (both active, or the survivor without state). Each site needs a pair of its own. Judged on
    pairs of two distinct hosts (T3-PLC-005); a VIP across sites is T3-VRP-004.""",
    controls=FIREWALL_CONTROLS,
    hint="pair each firewall with one of its own site (tier3_firewall_pairs[].members): one pair per site",
)
def firewall_pair_site(topology: Topology) -> Iterator[Violation]:
    for pair in topology.firewall_pairs:
        hosts = _hosts(topology, pair.members)
        by_site: dict[str, list[str]] = {}
        for host in hosts:
            by_site.setdefault(host.site or "(no site)", []).append(host.name)
        if len(hosts) >= 2 and len(by_site) > 1:
            yield Violation(
                f"firewall-pair:{pair.name}",
                f"members span sites {names(f'{s} ({names(h)})' for s, h in by_site.items())}",
                {"sites": by_site},
                pair_key(topology, pair, "members"),
            )


@rule(
    "T3-PLC-013",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="a firewall is a member of one pair only",
    rationale="""A firewall in two HA pairs is the failure both pairs share: when it fails, or is
    serviced, both pairs are down to one member, and the pairs' state sync and elections compete
    for it. The host is blamed once, naming every pair; a pair listing one host twice is a pair of
    one (T3-PLC-005).""",
    controls=FIREWALL_CONTROLS,
    hint="give each pair firewalls of its own (tier3_firewall_pairs[].members)",
)
def firewall_in_two_pairs(topology: Topology) -> Iterator[Violation]:
    pairs_of: dict[str, list[int]] = {}
    for index, pair in enumerate(topology.firewall_pairs):
        for host in distinct(pair.members):
            pairs_of.setdefault(host, []).append(index)
    for host, indexes in pairs_of.items():
        if len(indexes) > 1:
            pairs = [topology.firewall_pairs[i] for i in indexes]
            yield Violation(
                host,
                f"member of firewall pairs {names(p.name for p in pairs)}",
                {"pairs": {p.name: list(p.members) for p in pairs}},
                pair_key(topology, pairs[-1], "members"),
                hint=f"replace {host} in firewall pair {pairs[-1].name} by a firewall of its own",
            )


@rule(
    "T3-PLC-014",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every firewall pair member is in group firewall",
    rationale="""The firewall group is what the placement and capacity rules judge (T3-PLC-001/002,
    T3-CAP-001) and what the playbooks configure: a pair member outside it is a firewall nobody
    judges or configures as one, or a host named in a pair by mistake. Blamed once per host.""",
    controls=FIREWALL_CONTROLS,
    hint="add the host to group firewall in the inventory, or name a firewall in the pair instead",
)
def pair_member_in_group(topology: Topology) -> Iterator[Violation]:
    seen: set[str] = set()
    for pair in topology.firewall_pairs:
        for host in _hosts(topology, pair.members):
            if "firewall" in host.groups or host.name in seen:
                continue
            seen.add(host.name)
            yield Violation(
                host.name,
                f"member of firewall pair {pair.name} but not of group firewall "
                f"(groups: {names(sorted(host.groups)) or 'none'})",
                {"pair": pair.name, "groups": sorted(host.groups)},
                group_location(topology, "firewall"),
                hint=f"add {host.name} to group firewall, or replace it in firewall pair {pair.name}",
            )


@rule(
    "T3-PLC-015",
    severity=Severity.HIGH,
    category=Category.PLACEMENT,
    title="every firewall is a member of a firewall pair",
    rationale="""A firewall in no HA pair has no partner to take over its sessions and addresses:
    the paths through it fail with it, however many firewalls the group has. Judged on groups of
    two or more firewalls (one: T3-PLC-008); silent for the firewalls of a site where a pair
    declares fewer than two distinct members (T3-PLC-005 blames that pair, whose missing member
    the unpaired firewall most likely is).""",
    controls=FIREWALL_CONTROLS,
    hint="pair the firewall with another of its site (tier3_firewall_pairs)",
)
def firewall_paired(topology: Topology) -> Iterator[Violation]:
    hosts = members(topology, "firewall")
    if len(hosts) < 2:
        return
    paired = {m for p in topology.firewall_pairs for m in p.members}
    incomplete = {h.site for p in topology.firewall_pairs if len(distinct(p.members)) < 2
                  for h in _hosts(topology, p.members)}
    for host in hosts:
        if host.name not in paired and host.site not in incomplete:
            yield Violation(
                host.name,
                f"member of group firewall (site {host.site or 'none'}) but of no firewall pair",
                {"pairs": [p.name for p in topology.firewall_pairs]},
                inventory_key(topology, "tier3_firewall_pairs"),
                hint=f"add a firewall pair with {host.name} and another firewall of site {host.site or 'its site'}",
            )


def _site_token(name: str) -> str:
    """A site name as an inventory group suffix: Ansible group names take ``_`` for ``-`` and ``.``."""
    return name.replace("-", "_").replace(".", "_")


@rule(
    "T3-PLC-016",
    severity=Severity.MEDIUM,
    category=Category.PLACEMENT,
    title="a host's site group agrees with its declared site",
    rationale="""Site groups (site_NAME) scope variables (tier3_policy, NTP, resolvers) and plays to
    a site; a host in site_X that declares another site, or in two site groups, is configured for
    one site and judged for another, silently. The rules judge the declared tier3_host.site; the
    group is compared with it (a site name's - and . read as _).""",
    controls=("ISO27001:A.8.9", "NIST-800-53:CM-8"),
    hint="put the host in the one site group of its declared site, or correct tier3_host.site",
)
def site_group(topology: Topology) -> Iterator[Violation]:
    seen: set[str] = set()
    for host in topology.hosts:
        if host.name in seen:
            continue
        seen.add(host.name)
        groups = sorted(g for g in host.groups if g.startswith("site_"))
        if not groups:
            continue
        if len(groups) > 1:
            message = f"in site groups {names(groups)}; declares site {host.site or '(none)'}"
        elif groups[0][5:] not in (host.site, _site_token(host.site)):
            message = f"in group {groups[0]} but declares site {host.site or '(none)'}"
        else:
            continue
        yield Violation(host.name, message, {"site": host.site, "groups": groups}, at(host.location, "site"),
                        hint=f"make {host.name} a member of site_{_site_token(host.site)} only, "
                             f"or set tier3_host.site to the site its group names")
