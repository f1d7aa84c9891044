"""The fault tree of a service, as plain data: basic events, gates, stages and the alternatives.

- An **event** is one component that can be down (a feed, a PSU, a host, an uplink, a carrier), with
  its steady-state unavailability ``q``. Events are shared: one feed is one event under every supply
  it powers, so the tree is never evaluated as if the two were independent.
- A **gate** is down when at least ``k`` of its children are down: ``k == 1`` is OR, ``k == len`` AND,
  anything between is k-out-of-n (RAID 5 loses data when 2 of its disks are down).
- A **member** is one host (or router) that can carry a stage alone; its formula says when it is down.
- A **stage** is down when all its members are down (the ingress, the LB pair, the MX hosts, DNS).
- An **alternative** is one site's path: it is down when any of its stages is down. The service is
  down when every alternative is down.

Everything here is pure data built by ``tier3.availability.paths``; ``exact``, ``cutsets`` and
``montecarlo`` read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    id: str  # "kind:name", e.g. "feed:fra1-a", "psu:fra1-mx1/PSU1"
    kind: str
    name: str
    site: str  # the site it belongs to, "" for what spans sites (a carrier)
    q: float  # steady-state unavailability
    mttr_hours: float = 0.0
    source: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Gate:
    """Down when at least ``k`` children are down. Children: event indices (int) or gates."""

    k: int
    children: tuple[Node, ...]


Node = int | Gate


def any_of(children: list[Node] | tuple[Node, ...]) -> Node:
    """Down when any child is down (OR); one child stands for itself."""
    kids = tuple(children)
    return kids[0] if len(kids) == 1 else Gate(1, kids)


def all_of(children: list[Node] | tuple[Node, ...]) -> Node:
    """Down when every child is down (AND); one child stands for itself."""
    kids = tuple(children)
    return kids[0] if len(kids) == 1 else Gate(len(kids), kids)


def at_least(k: int, children: list[Node] | tuple[Node, ...]) -> Node:
    kids = tuple(children)
    if k <= 1:
        return any_of(kids)
    return all_of(kids) if k >= len(kids) else Gate(k, kids)


def leaves(node: Node) -> list[int]:
    """Every event occurrence under ``node``, with repeats."""
    if isinstance(node, int):
        return [node]
    out: list[int] = []
    stack: list[Node] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, int):
            out.append(item)
        else:
            stack.extend(item.children)
    return out


def is_down(node: Node, down: set[int] | frozenset[int]) -> bool:
    """Whether ``node`` is down when exactly the events in ``down`` are."""
    if isinstance(node, int):
        return node in down
    need = node.k
    for child in node.children:
        if is_down(child, down):
            need -= 1
            if need == 0:
                return True
    return False


@dataclass(frozen=True)
class Member:
    name: str  # the host (or router) it is
    formula: Node


@dataclass(frozen=True)
class Stage:
    name: str  # "mx@fra1", "ingress@fra1", "dns"
    members: tuple[Member, ...]


@dataclass(frozen=True)
class Structure:
    """One service: down when every alternative (site path) has a stage with every member down."""

    service: str
    events: tuple[Event, ...]
    stages: tuple[Stage, ...]
    alternatives: tuple[tuple[int, ...], ...]  # per site: the indices of the stages it needs
    sites: tuple[str, ...] = ()  # the site of each alternative
    notes: tuple[str, ...] = field(default=())  # what the model left out, said once

    def is_down(self, down: set[int] | frozenset[int]) -> bool:
        """Whether the service is down when exactly the events in ``down`` are."""
        stage_down = [all(is_down(m.formula, down) for m in s.members) for s in self.stages]
        return all(any(stage_down[i] for i in alt) for alt in self.alternatives)
