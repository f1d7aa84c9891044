"""Capacity: each declared service load is carried N+1 by the members that declare capacity for it."""

from __future__ import annotations

from collections.abc import Iterator

from tier3.model import Severity, Topology
from tier3.rules._lookup import at, inventory_key, key_of, members, names
from tier3.rules._registry import Category, Violation, rule

CAPACITY_CONTROLS = ("ISO27001:A.8.6", "SOC2:A1.1", "NIST-800-53:SC-5(2)")


@rule(
    "T3-CAP-001",
    severity=Severity.HIGH,
    category=Category.CAPACITY,
    title="N+1 capacity: the group carries its declared load after losing its largest member",
    rationale="""Redundancy that cannot carry the load is an outage postponed: when one member fails,
    the rest must serve the declared peak (tier3_load). Judged when every member declares its
    capacity for the group (a missing declaration is T3-CAP-002) and the group has two or more
    members (one: T3-PLC-008); a load declared for a group without members is blamed here.""",
    controls=CAPACITY_CONTROLS,
    hint="add a member to the group or raise members' capacity so that the total minus the largest covers the load",
)
def n_plus_one(topology: Topology) -> Iterator[Violation]:
    for load in topology.loads:
        hosts = members(topology, load.group)
        subject = f"group:{load.group}"
        location = key_of(load.location, "", inventory_key(topology, "tier3_load"))
        if not hosts:
            yield Violation(
                subject, f"declares a load of {load.load} {load.unit} but group {load.group} has no members",
                {"load": load.load, "unit": load.unit, "capacity": {}}, location,
            )
            continue
        if len(hosts) < 2 or any(load.group not in h.capacity for h in hosts):
            continue
        capacity = {h.name: h.capacity[load.group] for h in hosts}
        largest = max(capacity, key=lambda n: capacity[n])
        remaining = sum(capacity.values()) - capacity[largest]
        if remaining < load.load:
            yield Violation(
                subject,
                f"without {largest} ({capacity[largest]} {load.unit}) the members carry {remaining} {load.unit}; "
                f"declared load is {load.load} {load.unit}",
                {"load": load.load, "unit": load.unit, "capacity": capacity},
                location,
            )


@rule(
    "T3-CAP-002",
    severity=Severity.MEDIUM,
    category=Category.CAPACITY,
    title="every member of a group with a declared load declares its capacity for it",
    rationale="""N+1 capacity (T3-CAP-001) cannot be shown while a member's capacity is unknown, so
    each such member is blamed here (as the host) and the group's N+1 is judged once all declare.""",
    controls=CAPACITY_CONTROLS,
    hint="declare the host's capacity for the group under tier3_host.capacity",
)
def capacity_declared(topology: Topology) -> Iterator[Violation]:
    for load in topology.loads:
        for host in members(topology, load.group):
            if load.group not in host.capacity:
                declared = names(sorted(host.capacity)) or "nothing"
                yield Violation(
                    host.name,
                    f"member of group {load.group} (load {load.load} {load.unit}) declares no capacity for "
                    f"{load.group} (declares: {declared})",
                    {"group": load.group, "load": load.load, "capacity": dict(host.capacity)},
                    at(host.location, "capacity"),
                    hint=f"declare tier3_host.capacity.{load.group} in {load.unit}",
                )


@rule(
    "T3-CAP-003",
    severity=Severity.HIGH,
    category=Category.CAPACITY,
    title="the group carries its site-loss load after losing any one site",
    rationale="""N+1 over members is not enough across sites: small members in one site and large
    ones in another pass it, yet losing the large site leaves the small one to carry the peak. For a
    load whose group has members in two or more sites, the members outside any one site must carry
    the declared site-loss load (tier3_load[].site_loss_load; the load when not declared). Judged as
    T3-CAP-001 is (every member declares capacity, T3-CAP-002) and silent while T3-CAP-001 blames
    the group: raising capacity for N+1 comes first. The worst site is named.""",
    controls=(*CAPACITY_CONTROLS, "ISO27001:A.5.30", "NIST-800-53:CP-7"),
    hint="add capacity for the group outside the site named, or declare the load after a site loss "
         "(tier3_load[].site_loss_load) the remaining sites must carry",
)
def site_loss(topology: Topology) -> Iterator[Violation]:
    for load in topology.loads:
        hosts = members(topology, load.group)
        if len(hosts) < 2 or any(load.group not in h.capacity for h in hosts):
            continue
        capacity = {h.name: h.capacity[load.group] for h in hosts}
        total = sum(capacity.values())
        if total - max(capacity.values()) < load.load:
            continue  # T3-CAP-001
        per_site: dict[str, int] = {}
        for host in hosts:
            if host.site:
                per_site[host.site] = per_site.get(host.site, 0) + capacity[host.name]
        if len(per_site) < 2:
            continue
        worst = max(per_site, key=lambda s: per_site[s])
        remaining = total - per_site[worst]
        target = load.load if load.site_loss_load is None else load.site_loss_load
        if remaining < target:
            which = "declared load" if load.site_loss_load is None else "declared site-loss load"
            key = "" if load.site_loss_load is None else "site_loss_load"
            yield Violation(
                f"group:{load.group}",
                f"without site {worst} ({per_site[worst]} {load.unit}) the members carry {remaining} {load.unit}; "
                f"{which} is {target} {load.unit}",
                {"load": load.load, "site_loss_load": load.site_loss_load, "unit": load.unit,
                 "capacity": capacity, "sites": per_site},
                key_of(load.location, key, inventory_key(topology, "tier3_load")),
            )
