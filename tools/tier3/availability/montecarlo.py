"""A seeded Monte Carlo estimate of a ``Structure``'s unavailability: every event drawn down with its
own probability, the tree evaluated on the draw. An independent cross-check of ``exact`` (it shares
nothing with it but the structure), for the tests and ``tier3 availability --monte-carlo``.
"""

from __future__ import annotations

import math
from typing import Any

from tier3.availability.structure import Node, Structure


def estimate(structure: Structure, samples: int, seed: int = 0) -> tuple[float, float]:
    """(estimated P(service down), its standard error) from ``samples`` draws."""
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    q = np.array([e.q for e in structure.events], dtype=float)
    down_count = 0
    done = 0
    chunk = 65536
    while done < samples:
        size = min(chunk, samples - done)
        draws = rng.random((len(q), size)) < q[:, None]
        stage_down = [np.logical_and.reduce([_down(m.formula, draws) for m in s.members]) for s in structure.stages]
        service = np.ones(size, dtype=bool)
        for alt in structure.alternatives:
            service &= np.logical_or.reduce([stage_down[i] for i in alt])
        if not structure.alternatives:
            service[:] = True
        down_count += int(service.sum())
        done += size
    p = down_count / samples
    return p, math.sqrt(max(p * (1.0 - p), 1e-300) / samples)


def _down(node: Node, draws: Any) -> Any:
    import numpy as np  # noqa: PLC0415

    if isinstance(node, int):
        return draws[node]
    children = [_down(c, draws) for c in node.children]
    if node.k == 1:
        return np.logical_or.reduce(children)
    if node.k == len(children):
        return np.logical_and.reduce(children)
    return np.sum(children, axis=0) >= node.k
