"""Availability rules: what the declared design can promise, against ``tier3_targets``.

Category availability (ids T3-AVL-001..002). Both compute the service's fault tree with
``tier3.availability`` (exact, shared failure domains as shared events) only for the services that
declare a target, so an inventory without ``tier3_targets`` costs nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator

from tier3.availability import ServiceAvailability, evaluate
from tier3.availability.figures import downtime, percent, target_percent
from tier3.model import Location, Severity, Topology
from tier3.rules._lookup import cached
from tier3.rules._registry import Category, Violation, rule

AVAILABILITY_CONTROLS = ("ISO27001:A.5.30", "ISO27001:A.8.14", "NIST-800-53:CP-2", "NIST-800-53:SC-5(2)",
                         "HIPAA:164.308(a)(7)(ii)(B)")
RTO_CONTROLS = ("ISO27001:A.5.30", "NIST-800-53:CP-2(3)", "NIST-800-53:CP-10", "HIPAA:164.308(a)(7)(ii)(B)")


def _results(topology: Topology) -> list[ServiceAvailability]:
    """The services with a target (imap once per site holding mailboxes), evaluated once per topology."""
    return cached(topology, "availability", lambda t: evaluate(t, [x.service for x in t.targets]))


def _evidence(result: ServiceAvailability) -> dict[str, object]:
    return {
        "availability": result.availability,
        "downtime_minutes_per_year": round(result.downtime_minutes_per_year, 3),
        "top_cut_sets": [{"events": [e.id for e in c.events], "share": round(c.share, 4)} for c in result.cut_sets[:3]],
    }


def _at(location: Location, key: str) -> Location:
    return Location(location.file, f"{location.key}.{key}" if location.key else key)


@rule(
    "T3-AVL-001",
    severity=Severity.HIGH,
    category=Category.AVAILABILITY,
    title="the design can reach each service's availability target (tier3_targets)",
    rationale="""The steady-state availability of the service, computed exactly from the declared
    topology and the reliability figures (tier3_reliability over the built-in defaults), with
    every shared failure domain (a feed under two supplies, a carrier under two uplinks, a site)
    one event, must reach the target. A design below its target cannot meet it however well it is
    run: the finding names the minimal cut set that costs the most downtime, the change that buys
    the most. Software faults, operator error and correlated bugs are not in the figure
    (docs/availability.md), so a design should clear its target with room to spare.""",
    controls=AVAILABILITY_CONTROLS,
    hint="remove the largest cut set (`tier3 availability -i INVENTORY --what-if ...` shows what a change buys)",
)
def availability_target(topology: Topology) -> Iterator[Violation]:
    for result in _results(topology):
        target = result.target
        if target is None or target.availability is None or result.meets_availability:
            continue
        top = result.cut_sets[0] if result.cut_sets else None
        largest = f"; largest cut set: {top.label} ({100 * top.share:.0f} % of the downtime)" if top else ""
        yield Violation(
            f"service:{result.name}",
            f"{result.name} reaches {percent(result.availability)} "
            f"({downtime(result.downtime_minutes_per_year)} down a year), below its target "
            f"{target_percent(target.availability)}{largest}",
            {**_evidence(result), "target": target.availability},
            _at(target.location, "availability"),
            hint=f"remove the cut set {top.label}" if top else "",
        )


@rule(
    "T3-AVL-002",
    severity=Severity.HIGH,
    category=Category.AVAILABILITY,
    title="no single failure stops a service for longer than its RTO (tier3_targets)",
    rationale="""Failover hides a failure only where the design has something to fail over to. A
    component whose failure alone stops the service (a cut set of one event) keeps it down until
    the component is repaired, so the service's recovery time is that component's MTTR, and
    the declared RTO is out of reach when the MTTR is longer. Each such single point is named with
    its repair time; its redundancy rule (power, network, placement) usually says the same thing
    from the inventory's side.""",
    controls=RTO_CONTROLS,
    hint="make the component redundant, or shorten its repair (a spare on site, tier3_reliability mttr)",
)
def rto_target(topology: Topology) -> Iterator[Violation]:
    for result in _results(topology):
        target = result.target
        if target is None or target.rto_seconds is None:
            continue
        for cut in result.rto_breaches:
            event = cut.events[0]
            yield Violation(
                f"service:{result.name}",
                f"{event.label} alone stops {result.name}; its repair takes {event.mttr_hours:g} h, "
                f"longer than the RTO of {target.rto_seconds:g} s",
                {"event": event.id, "mttr_hours": event.mttr_hours, "rto_seconds": target.rto_seconds,
                 "source": event.source},
                _at(target.location, "rto"),
                hint=f"make {event.label} redundant, or repair it within {target.rto_seconds:g} s",
            )
