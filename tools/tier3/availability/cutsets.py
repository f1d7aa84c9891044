"""The minimal cut sets of a ``Structure`` that matter: each a set of components whose joint failure
stops the service, ranked by probability (their share of the expected downtime).

Top-down expansion with a probability cut-off (as PRA tools truncate MOCUS): a partial set is
dropped as soon as its own probability falls below ``cutoff``, which is safe because adding events
only lowers it; a partial set that already stops a member is not extended for it (absorption).
Sets of one event are never dropped, so every single point of failure is listed. The exact figure
comes from ``exact``; the cut sets explain it (their probabilities are the rare-event terms, whose
sum approaches the exact figure from above when failures are rare).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tier3.availability.structure import Gate, Node, Structure, is_down

CutSet = frozenset[int]
FRONTIER_LIMIT = 200_000  # partial sets kept at once; past it the cut-off is raised (said in the result)


@dataclass(frozen=True)
class Ranked:
    events: tuple[int, ...]
    probability: float


class _Expander:
    def __init__(self, structure: Structure, cutoff: float) -> None:
        self.q = [e.q for e in structure.events]
        self.cutoff = cutoff
        self.memo: dict[int, list[CutSet]] = {}
        self.raised = False

    def p(self, events: Iterable[int]) -> float:
        return math.prod(self.q[e] for e in events)

    def keep(self, candidate: CutSet) -> bool:
        return len(candidate) <= 1 or self.p(candidate) >= self.cutoff

    def node(self, node: Node) -> list[CutSet]:
        if isinstance(node, int):
            return [frozenset((node,))]
        found = self.memo.get(id(node))
        if found is None:
            found = self.memo[id(node)] = self._gate(node)
        return found

    def _gate(self, gate: Gate) -> list[CutSet]:
        children = [self.node(c) for c in gate.children]
        if gate.k == 1:
            return minimal(s for sets in children for s in sets)
        if gate.k == len(children):
            out: list[CutSet] = [frozenset()]
            for sets in children:
                out = self.product(out, sets)
            return out
        empty: CutSet = frozenset()
        levels: list[list[CutSet]] = [[empty], *([] for _ in range(gate.k))]
        for sets in children:
            for j in range(gate.k - 1, -1, -1):
                levels[j + 1] = minimal([*levels[j + 1], *self.product(levels[j], sets)])
        return minimal(levels[gate.k])

    def product(self, partials: list[CutSet], sets: list[CutSet]) -> list[CutSet]:
        out = [c for a in partials for b in sets if self.keep(c := a | b)]
        return self.bounded(minimal(out))

    def bounded(self, sets: list[CutSet]) -> list[CutSet]:
        if len(sets) <= FRONTIER_LIMIT:
            return sets
        self.raised = True
        ranked = sorted(sets, key=lambda s: (-self.p(s), len(s)))[:FRONTIER_LIMIT]
        self.cutoff = max(self.cutoff, self.p(ranked[-1]))
        return ranked

    def stage(self, members: list[Node]) -> list[CutSet]:
        """Every member down: for each member, partial sets that already stop it are kept as they are."""
        partials: list[CutSet] = [frozenset()]
        for formula in members:
            kept: list[CutSet] = []
            grow: list[CutSet] = []
            for partial in partials:
                (kept if partial and is_down(formula, partial) else grow).append(partial)
            partials = self.bounded(minimal([*kept, *self.product(grow, self.node(formula))])) if grow else kept
        return partials


def minimal(sets: Iterable[CutSet]) -> list[CutSet]:
    """The sets no other set is a subset of (duplicates removed); the empty set absorbs everything."""
    unique = sorted(set(sets), key=len)
    if unique and not unique[0]:
        return [frozenset()]
    out: list[CutSet] = []
    by_event: dict[int, list[CutSet]] = {}
    for s in unique:
        if any(k <= s for e in s for k in by_event.get(e, ())):
            continue
        out.append(s)
        for e in s:
            by_event.setdefault(e, []).append(s)
    return out


def ranked(structure: Structure, cutoff: float) -> tuple[list[Ranked], bool]:
    """Minimal cut sets with probability >= ``cutoff`` (and every single point of failure), most probable
    first; the flag says the frontier limit raised the cut-off on the way."""
    if not structure.alternatives:
        return [], False
    expander = _Expander(structure, cutoff)
    stage_sets = [expander.stage([m.formula for m in s.members]) for s in structure.stages]
    service: list[CutSet] = [frozenset()]
    for alt in structure.alternatives:
        either = minimal(s for i in alt for s in stage_sets[i])
        service = expander.product(service, either)
    out = [Ranked(tuple(sorted(s, key=lambda e: structure.events[e].id)), expander.p(s))
           for s in service if s and expander.keep(s)]
    out.sort(key=lambda r: (-r.probability, len(r.events), [structure.events[e].id for e in r.events]))
    return out, expander.raised
