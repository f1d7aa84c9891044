"""What the declared design can promise: the steady-state availability of each mail service, exact.

``evaluate(topology)`` builds each service's fault tree from the declared topology
(``tier3.availability.paths``), computes its unavailability exactly with shared failure domains as
shared events (``exact``), ranks the minimal cut sets by their share of the expected downtime
(``cutsets``) and compares the result with ``tier3_targets``. docs/availability.md has the model,
the defaults and a worked example.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass

from tier3.availability import cutsets, exact, paths
from tier3.availability.figures import HOURS_PER_YEAR
from tier3.availability.paths import SERVICES, build, builder, home_sites
from tier3.availability.structure import Event, Structure
from tier3.model import Target, Topology

RELATIVE_CUTOFF = 1e-6  # cut sets below this share of the unavailability are not expanded


@dataclass(frozen=True)
class CutSet:
    events: tuple[Event, ...]
    probability: float  # the product of the events' unavailabilities
    share: float  # probability / the service's unavailability (rare-event share of the downtime)

    @property
    def label(self) -> str:
        return " + ".join(e.label for e in self.events)


@dataclass(frozen=True)
class ServiceAvailability:
    service: str
    unavailability: float
    structure: Structure
    cut_sets: tuple[CutSet, ...]  # most probable first
    truncated: bool = False  # the cut-set search raised its cut-off to stay within memory
    target: Target | None = None
    home: str = ""  # imap: the site whose mailboxes this is

    @property
    def name(self) -> str:
        """The service as printed: ``smtp-in``, ``imap@fra1`` (the mailboxes of fra1)."""
        return f"{self.service}@{self.home}" if self.home else self.service

    @property
    def availability(self) -> float:
        return 1.0 - self.unavailability

    @property
    def downtime_minutes_per_year(self) -> float:
        return self.unavailability * HOURS_PER_YEAR * 60.0

    @property
    def single_points(self) -> tuple[CutSet, ...]:
        """Cut sets of one event: a component whose failure alone stops the service."""
        return tuple(c for c in self.cut_sets if len(c.events) == 1)

    @property
    def meets_availability(self) -> bool | None:
        if self.target is None or self.target.availability is None:
            return None
        return self.availability >= self.target.availability

    @property
    def rto_breaches(self) -> tuple[CutSet, ...]:
        """Single points whose repair takes longer than the target RTO (failover cannot hide them)."""
        if self.target is None or self.target.rto_seconds is None:
            return ()
        limit = self.target.rto_seconds / 3600.0
        return tuple(c for c in self.single_points if c.events[0].mttr_hours > limit)


def evaluate_service(
    topology: Topology, service: str, home: str = "", shared: paths._Builder | None = None
) -> ServiceAvailability:
    structure = build(topology, service, home, shared)
    q = exact.unavailability(structure)
    found, truncated = cutsets.ranked(structure, q * RELATIVE_CUTOFF) if q > 0 else ([], False)
    ranked = tuple(
        CutSet(tuple(structure.events[e] for e in c.events), c.probability, c.probability / q if q else 0.0)
        for c in found
    )
    target = next((t for t in topology.targets if t.service == service), None)
    return ServiceAvailability(service, q, structure, ranked, truncated, target, home)


def evaluate(topology: Topology, services: Iterable[str] | None = None) -> list[ServiceAvailability]:
    """Every service (or those named), in the order of SERVICES; imap once per site holding mailboxes.

    The services share one set of events and host formulas; the cyclic garbage collector is paused
    meanwhile (the trees are acyclic, and on 10,000 hosts its scans of the growing heap cost a third).
    """
    wanted = list(SERVICES) if services is None else [s for s in SERVICES if s in set(services)]
    out: list[ServiceAvailability] = []
    shared = builder(topology)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for service in wanted:
            homes = home_sites(topology) if service == "imap" else []
            out.extend(evaluate_service(topology, service, h, shared) for h in homes or [""])
    finally:
        if was_enabled:
            gc.enable()
    return out


__all__ = ["SERVICES", "CutSet", "ServiceAvailability", "evaluate", "evaluate_service"]
