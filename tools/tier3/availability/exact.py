"""The exact unavailability of a ``Structure``: conditioning on the shared events, never multiplying
the probabilities of events that are not independent.

1. An event that occurs once in the whole tree is *private*: given everything else, it is
   independent, and its gate is evaluated in closed form (OR: 1 - prod(1 - p); AND: prod p;
   k-of-n by counting).
2. An event that occurs more than once is *shared*. Shared events of the site-wide kinds (a site, a
   feed, a fabric, a stack, a carrier, a building entry) are *global*; the others (a PDU, a switch,
   a disk under two arrays) are *local*, and members linked by local events form a *block*. A block
   is evaluated for every assignment of its local events (a rack pair: 4 PDUs and 2 switches, 64
   assignments), for each assignment of the globals it reads; a block with too many local events
   hands its most used ones over to the globals.
3. Given the globals, the blocks are independent, so for every set J of stages the probability
   that every member of every stage in J is down is a product over blocks. Globals of one site (or
   of sites a block links) form a cluster, summed out per cluster; the globals of no site (carriers)
   are summed out last.
4. The service is down when every site path has a stage that is down: the multilinear form of that
   Boolean function (Moebius coefficients over the stage sets) turns the probabilities of step 3
   into the exact answer.

The cost grows with the number of members times 2^(local events per block), times 2^(globals per
cluster), times 2^(stages) for the final sum: linear in the hosts for a design built of racks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tier3.availability.structure import Gate, Node, Structure, leaves

# kinds whose events are summed out per site (or across sites) rather than per block
GLOBAL_KINDS = frozenset({"site", "feed", "fabric", "stack", "controller", "carrier", "entry"})
LOCAL_LIMIT = 12  # local events one block may enumerate (2^12 assignments)
CLUSTER_LIMIT = 14  # global events of one cluster (2^14 assignments)
TOP_LIMIT = 10  # global events of no site (carriers): summed out last, one pass each
STAGE_LIMIT = 12  # stages of one service (2^12 stage sets)


class TooEntangled(ValueError):
    """The design links more shared events than the exact method enumerates (the message names the
    limit and the events); the CLI reports it as exit 2, never as a finding."""


@dataclass
class _Block:
    members: list[tuple[int, int]]  # (stage index, member index)
    local: list[int]
    globals_: list[int]
    stages: list[int]


def unavailability(structure: Structure) -> float:
    """P(service down), exact up to floating point."""
    if not structure.alternatives:
        return 1.0
    return moebius_sum(structure, stage_sets_down(structure))


def moebius_sum(structure: Structure, z: Any) -> float:
    """sum_J c_J * z[J], with c_J the multilinear coefficients of 'every alternative has a stage down'."""
    coefficients = service_polynomial(structure.alternatives)
    return math.fsum(c * float(z[mask]) for mask, c in coefficients.items())


def service_polynomial(alternatives: Iterable[tuple[int, ...]]) -> dict[int, int]:
    """AND over alternatives of OR over their stages, as {stage-set bitmask: integer coefficient}."""
    product: dict[int, int] = {0: 1}
    for alt in alternatives:
        stages = sorted(set(alt))
        # OR_s x_s = sum over non-empty T of (-1)^(|T|+1) x_T
        factor: dict[int, int] = {}
        for subset in range(1, 1 << len(stages)):
            mask = 0
            for i, s in enumerate(stages):
                if subset >> i & 1:
                    mask |= 1 << s
            factor[mask] = -1 if bin(subset).count("1") % 2 == 0 else 1
        merged: dict[int, int] = {}
        for a, ca in product.items():
            for b, cb in factor.items():
                merged[a | b] = merged.get(a | b, 0) + ca * cb
        product = {m: c for m, c in merged.items() if c}
    return product


def stage_sets_down(structure: Structure) -> Any:
    """z[J] = P(every member of every stage in J is down), for every stage set J (a numpy array)."""
    import numpy as np  # noqa: PLC0415  (numpy only where availability is computed)

    n = len(structure.stages)
    q = np.array([e.q for e in structure.events], dtype=float)
    found = plan(structure)
    top, clusters = found.top, found.clusters
    size = 1 << n
    # each block's table over every stage set of the service, built once for all the top states
    tables = {id(b): _block_table(structure, q, b)[:, _stage_map(b.stages, n)]
              for _, blocks in clusters for b in blocks}
    z = np.zeros(size)
    for t_state in range(1 << len(top)):
        weight = _weight(q, top, t_state)
        if weight == 0.0:
            continue
        product = np.ones(size)
        for cluster_globals, cluster_blocks in clusters:
            product *= _cluster_sum(q, cluster_globals, cluster_blocks, tables=tables, top=top, t_state=t_state, n=n)
        z += weight * product
    return z


@dataclass(frozen=True)
class Plan:
    """How the exact sum is organised: what bounds its cost (``tier3 availability`` and bench/availability
    print it)."""

    top: list[int]  # shared events of no site, summed out last (2^len passes)
    clusters: list[tuple[list[int], list[_Block]]]  # per cluster: its global events and its blocks

    @property
    def blocks(self) -> int:
        return sum(len(b) for _, b in self.clusters)

    @property
    def largest_block(self) -> int:
        """The most local events one block enumerates (2^this assignments)."""
        return max((len(b.local) for _, bs in self.clusters for b in bs), default=0)

    @property
    def largest_cluster(self) -> int:
        return max((len(g) for g, _ in self.clusters), default=0)


def plan(structure: Structure) -> Plan:
    """Classify the events (private, local, global), form the blocks and the clusters, check the limits."""
    n = len(structure.stages)
    if n > STAGE_LIMIT:
        raise TooEntangled(f"{structure.service}: {n} stages in one service (at most {STAGE_LIMIT})")
    occurrences: Counter[int] = Counter()
    for stage in structure.stages:
        for member in stage.members:
            occurrences.update(leaves(member.formula))
    shared = {e for e, count in occurrences.items() if count > 1}
    globals_ = {e for e in shared if structure.events[e].kind in GLOBAL_KINDS}
    blocks = _blocks(structure, shared, globals_)
    top = sorted(g for g in globals_ if not structure.events[g].site)
    if len(top) > TOP_LIMIT:
        raise TooEntangled(f"{structure.service}: {len(top)} shared events span sites (at most {TOP_LIMIT}): "
                           + ", ".join(structure.events[e].id for e in top))
    return Plan(top, _clusters(structure, blocks, top))


def _weight(q: Any, events: list[int], state: int) -> float:
    w = 1.0
    for i, e in enumerate(events):
        w *= q[e] if state >> i & 1 else 1.0 - q[e]
    return w


def _blocks(structure: Structure, shared: set[int], globals_: set[int]) -> list[_Block]:
    """Members linked by local shared events, each block with at most LOCAL_LIMIT local events
    (the most used local events of a larger block become globals, in place)."""
    slots = [(s, m) for s, stage in enumerate(structure.stages) for m in range(len(stage.members))]
    events_of = {slot: set(leaves(structure.stages[slot[0]].members[slot[1]].formula)) for slot in slots}
    while True:
        holders: dict[int, list[int]] = {}  # local event -> the members it occurs in
        for i, slot in enumerate(slots):
            for e in events_of[slot]:
                if e in shared and e not in globals_:
                    holders.setdefault(e, []).append(i)
        groups = _components(len(slots), list(holders.values()))
        blocks: list[_Block] = []
        too_big: _Block | None = None
        for indices in groups:
            members = [slots[i] for i in indices]
            seen = set().union(*(events_of[slot] for slot in members))
            local = sorted(e for e in seen if e in shared and e not in globals_)
            block = _Block(members, local, sorted(e for e in seen if e in globals_),
                           sorted({s for s, _ in members}))
            if len(local) > LOCAL_LIMIT:
                too_big = block
                break
            blocks.append(block)
        if too_big is None:
            return blocks
        uses: Counter[int] = Counter()
        for slot in too_big.members:
            uses.update(e for e in events_of[slot] if e in too_big.local)
        globals_.add(uses.most_common(1)[0][0])  # conditioned on, with the site's globals


def _components(count: int, links: list[list[int]]) -> list[list[int]]:
    """The connected components of ``count`` items, each link joining the items it lists (union-find)."""
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for items in links:
        for other in items[1:]:
            parent[find(other)] = find(items[0])
    groups: dict[int, list[int]] = {}
    for i in range(count):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _clusters(
    structure: Structure, blocks: list[_Block], top: list[int]
) -> list[tuple[list[int], list[_Block]]]:
    """Blocks grouped by the site globals they read: one cluster per site, merged when a block reads
    the globals of two sites; blocks that read none (or only globals of no site) form the last group."""
    top_set = set(top)
    parent: dict[int, int] = {}

    def find(e: int) -> int:
        parent.setdefault(e, e)
        while parent[e] != e:
            parent[e] = parent[parent[e]]
            e = parent[e]
        return e

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    site_first: dict[str, int] = {}
    for block in blocks:
        site_globals = [g for g in block.globals_ if g not in top_set]
        for g in site_globals:
            union(g, site_first.setdefault(structure.events[g].site, g))
            union(g, site_globals[0])
    grouped: dict[int, tuple[list[int], list[_Block]]] = {}
    free: list[_Block] = []
    for block in blocks:
        site_globals = [g for g in block.globals_ if g not in top_set]
        if site_globals:
            grouped.setdefault(find(site_globals[0]), ([], []))[1].append(block)
        else:
            free.append(block)
    for g in list(parent):
        grouped[find(g)][0].append(g)
    out = [(sorted(globals_), members) for globals_, members in grouped.values()]
    for globals_, _ in out:
        if len(globals_) > CLUSTER_LIMIT:
            raise TooEntangled(
                f"{structure.service}: {len(globals_)} shared events in one site's cluster (at most "
                f"{CLUSTER_LIMIT}): " + ", ".join(structure.events[e].id for e in globals_))
    if free:
        out.append(([], free))
    return out


def _cluster_sum(
    q: Any, cluster_globals: list[int], blocks: list[_Block], *, tables: dict[int, Any],
    top: list[int], t_state: int, n: int,
) -> Any:
    """sum over the cluster's global states of P(state) * prod over its blocks of P(stage sets down | state)."""
    import numpy as np  # noqa: PLC0415

    states = 1 << len(cluster_globals)
    position = {g: i for i, g in enumerate(cluster_globals)}
    top_bit = {g: (t_state >> i) & 1 for i, g in enumerate(top)}
    index = np.arange(states)
    weights = np.ones(states)
    for i, g in enumerate(cluster_globals):
        bit = (index >> i) & 1
        weights *= np.where(bit == 1, q[g], 1.0 - q[g])
    product = np.ones((states, 1 << n))
    for block in blocks:
        table = tables[id(block)]  # (2^|globals of block|, 2^|stages of the service|)
        rows = np.zeros(states, dtype=np.int64)
        for i, g in enumerate(block.globals_):
            bit = (index >> position[g]) & 1 if g in position else np.full(states, top_bit[g])
            rows |= bit << i
        product *= table[rows]
    return weights @ product


def _stage_map(stages: list[int], n: int) -> Any:
    """For every stage set J of the service, the index of J restricted to the block's stages."""
    import numpy as np  # noqa: PLC0415

    masks = np.arange(1 << n)
    out = np.zeros(1 << n, dtype=np.int64)
    for i, s in enumerate(stages):
        out |= ((masks >> s) & 1) << i
    return out


def _block_table(structure: Structure, q: Any, block: _Block) -> Any:
    """P(every member of the block in the stages of T is down | the block's globals), per global state
    and stage subset T: the block's local events enumerated, private events in closed form."""
    import numpy as np  # noqa: PLC0415

    n_g, n_l = len(block.globals_), len(block.local)
    size = 1 << (n_g + n_l)
    index = np.arange(size)
    fixed: dict[int, Any] = {}
    for i, e in enumerate([*block.globals_, *block.local]):
        fixed[e] = ((index >> i) & 1).astype(float)
    per_stage = {s: np.ones(size) for s in block.stages}
    for s, m in block.members:
        per_stage[s] = per_stage[s] * _down(structure.stages[s].members[m].formula, q, fixed)
    subsets = np.ones((1 << len(block.stages), size))
    for t in range(1, 1 << len(block.stages)):
        low = (t & -t).bit_length() - 1
        subsets[t] = subsets[t & (t - 1)] * per_stage[block.stages[low]]
    local_weight = np.ones(1 << n_l)
    local_index = np.arange(1 << n_l)
    for i, e in enumerate(block.local):
        local_weight *= np.where((local_index >> i) & 1, q[e], 1.0 - q[e])
    # index = global bits (low) + local bits (high): rows of the reshape are local states
    table = subsets.T.reshape(1 << n_l, 1 << n_g, 1 << len(block.stages))
    return np.einsum("l,lgt->gt", local_weight, table)


def _down(node: Node, q: Any, fixed: dict[int, Any]) -> Any:
    """P(node down) given the fixed (enumerated) events; every other event occurs once, independent."""
    if isinstance(node, int):
        return fixed[node] if node in fixed else q[node]
    return _gate(node, q, fixed)


def _gate(gate: Gate, q: Any, fixed: dict[int, Any]) -> Any:
    probs = [_down(child, q, fixed) for child in gate.children]
    if gate.k == 1:
        alive: Any = 1.0
        for p in probs:
            alive = alive * (1.0 - p)
        return 1.0 - alive
    if gate.k == len(probs):
        down: Any = 1.0
        for p in probs:
            down = down * p
        return down
    # k-of-n: distribution of the number of children down, truncated at k
    counts: list[Any] = [1.0] + [0.0] * gate.k  # counts[j] = P(j down so far), counts[k] = P(>= k)
    for p in probs:
        nxt: list[Any] = [0.0] * (gate.k + 1)
        for j, c in enumerate(counts):
            if j == gate.k:
                nxt[j] = nxt[j] + c
            else:
                nxt[j] = nxt[j] + c * (1.0 - p)
                nxt[j + 1] = nxt[j + 1] + c * p
        counts = nxt
    return counts[gate.k]
