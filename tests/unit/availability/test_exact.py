"""The exact unavailability against closed forms worked by hand, a seeded Monte Carlo estimate, and a
brute-force sum over every state of small random trees.

Each hand case is a row: a structure written as data, and the closed form it must match to 1e-9.
The Monte Carlo estimate shares nothing with the exact method but the structure; it must agree
within 4.5 standard errors (seeded, so a pass is reproducible)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tier3.availability import cutsets, exact, montecarlo
from tier3.availability.figures import HOURS_PER_YEAR
from tier3.availability.structure import Event, Member, Node, Stage, Structure, all_of, any_of, at_least
from tier3.model import Figure

SAMPLES = 400_000
Z = 4.5


def ev(name: str, q: float, kind: str = "host", site: str = "s1") -> Event:
    return Event(f"{kind}:{name}", kind, name, site, q)


@dataclass(frozen=True)
class Case:
    id: str
    structure: Structure
    closed_form: float


def _one(service: str, events: tuple[Event, ...], formula: Node) -> Structure:
    return Structure(service, events, (Stage("s", (Member("m", formula),)),), ((0,),), ("s1",))


def _cases() -> list[Case]:
    q_single = Figure(1000.0, 10.0).unavailability
    a, b, f = 0.1, 0.2, 0.05
    d = (0.1, 0.15, 0.2)
    pairs = ((0.1, 0.3), (0.2, 0.25))
    s1, s2, h11, h12, h21, h22 = 0.05, 0.08, 0.2, 0.3, 0.25, 0.1
    carrier, x1, x2 = 0.04, 0.2, 0.3
    two_parallel = Structure("two", (ev("a", a), ev("b", b)),
                             (Stage("pair", (Member("A", 0), Member("B", 1))),), ((0,),), ("s1",))
    shared_feed = Structure("feed", (ev("a", a), ev("b", b), ev("f", f, "feed")),
                            (Stage("pair", (Member("A", any_of([0, 2])), Member("B", any_of([1, 2])))),),
                            ((0,),), ("s1",))
    series = Structure(
        "series", tuple(ev(f"p{i}{j}", pairs[i][j]) for i in range(2) for j in range(2)),
        (Stage("first", (Member("p00", 0), Member("p01", 1))), Stage("second", (Member("p10", 2), Member("p11", 3)))),
        ((0, 1),), ("s1",))
    two_sites = Structure(
        "sites",
        (ev("s1", s1, "site", "s1"), ev("h11", h11), ev("h12", h12),
         ev("s2", s2, "site", "s2"), ev("h21", h21, site="s2"), ev("h22", h22, site="s2")),
        (Stage("mx@s1", (Member("h11", any_of([0, 1])), Member("h12", any_of([0, 2])))),
         Stage("mx@s2", (Member("h21", any_of([3, 4])), Member("h22", any_of([3, 5]))))),
        ((0,), (1,)), ("s1", "s2"))
    shared_carrier = Structure(
        "carrier", (ev("c", carrier, "carrier", ""), ev("x1", x1, site="s1"), ev("x2", x2, site="s2")),
        (Stage("in@s1", (Member("u1", any_of([0, 1])),)), Stage("in@s2", (Member("u2", any_of([0, 2])),))),
        ((0,), (1,)), ("s1", "s2"))
    return [
        Case("single-component", _one("single", (ev("x", q_single),), 0), 10.0 / 1010.0),
        Case("two-in-parallel", two_parallel, a * b),
        Case("two-in-parallel-on-one-shared-feed", shared_feed, f + (1 - f) * a * b),
        Case("2-of-3-down-fails (raid5)", _one("raid5", tuple(ev(f"d{i}", q, "disk") for i, q in enumerate(d)),
                                                at_least(2, [0, 1, 2])),
             d[0] * d[1] + d[0] * d[2] + d[1] * d[2] - 2 * d[0] * d[1] * d[2]),
        Case("series-of-pairs", series, 1 - (1 - pairs[0][0] * pairs[0][1]) * (1 - pairs[1][0] * pairs[1][1])),
        Case("site-loss-in-a-two-site-design", two_sites,
             (s1 + (1 - s1) * h11 * h12) * (s2 + (1 - s2) * h21 * h22)),
        Case("one-carrier-under-both-sites", shared_carrier, carrier + (1 - carrier) * x1 * x2),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_exact_matches_the_closed_form(case: Case) -> None:
    assert exact.unavailability(case.structure) == pytest.approx(case.closed_form, abs=1e-9, rel=1e-9)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_monte_carlo_agrees_within_its_confidence_interval(case: Case) -> None:
    estimate, error = montecarlo.estimate(case.structure, SAMPLES, seed=20261201)
    assert abs(estimate - case.closed_form) <= Z * error, (estimate, error, case.closed_form)


def test_a_shared_feed_dominates_the_pair() -> None:
    shared = next(c for c in CASES if c.id == "two-in-parallel-on-one-shared-feed").structure
    q = exact.unavailability(shared)
    independent = 0.1 * 0.2
    assert q > 0.05 > independent  # the naive product (0.02) would hide the feed
    ranked, _ = cutsets.ranked(shared, 1e-12)
    assert [shared.events[e].id for e in ranked[0].events] == ["feed:f"]


def test_a_service_no_site_serves_is_down() -> None:
    assert exact.unavailability(Structure("none", (), (), ())) == 1.0


def test_the_service_polynomial_of_two_sites_sharing_dns() -> None:
    # (x0 | x2) & (x1 | x2) = x0 x1 + x2 - x0 x1 x2
    assert exact.service_polynomial([(0, 2), (1, 2)]) == {0b011: 1, 0b100: 1, 0b111: -1}


def test_years_are_julian() -> None:
    assert HOURS_PER_YEAR == 365.25 * 24


# --- random small trees: the exact method against the sum over all 2^n states ---------------

def _brute(structure: Structure) -> float:
    total = []
    for bits in itertools.product((0, 1), repeat=len(structure.events)):
        p = math.prod(e.q if b else 1 - e.q for b, e in zip(bits, structure.events, strict=True))
        if structure.is_down({i for i, b in enumerate(bits) if b}):
            total.append(p)
    return math.fsum(total)


KINDS = ("site", "feed", "pdu", "switch", "host", "psu", "carrier")


@st.composite
def structures(draw: Callable[..., object]) -> Structure:
    n = draw(st.integers(3, 9))
    events = tuple(
        ev(f"e{i}", draw(st.floats(0.01, 0.6)), kind := draw(st.sampled_from(KINDS)),
           "" if kind == "carrier" else draw(st.sampled_from(("s1", "s2"))))
        for i in range(n)
    )
    pick = st.integers(0, n - 1)

    def formula(depth: int) -> Node:
        if depth == 0 or draw(st.booleans()):
            return draw(pick)  # type: ignore[return-value]
        kids = [formula(depth - 1) for _ in range(draw(st.integers(2, 3)))]
        k = draw(st.integers(1, len(kids)))
        return at_least(k, kids) if 1 < k < len(kids) else (any_of(kids) if k == 1 else all_of(kids))

    stages = tuple(Stage(f"st{s}", tuple(Member(f"m{s}{m}", formula(2)) for m in range(draw(st.integers(1, 3)))))
                   for s in range(draw(st.integers(1, 4))))
    alternatives = tuple(
        tuple(sorted(draw(st.sets(st.integers(0, len(stages) - 1), min_size=1, max_size=len(stages)))))
        for _ in range(draw(st.integers(1, 3)))
    )
    return Structure("random", events, stages, alternatives, tuple(f"a{i}" for i in range(len(alternatives))))


@settings(max_examples=300, deadline=None)
@given(structure=structures())
def test_exact_equals_the_sum_over_every_state(structure: Structure) -> None:
    assert exact.unavailability(structure) == pytest.approx(_brute(structure), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(structure=structures())
def test_cut_sets_are_minimal_and_each_stops_the_service(structure: Structure) -> None:
    ranked, _ = cutsets.ranked(structure, 0.0)
    sets = [frozenset(r.events) for r in ranked]
    for s in sets:
        assert structure.is_down(s)
        assert all(not structure.is_down(s - {e}) for e in s)  # minimal: no event can be left out
    # complete: every state that stops the service contains one of them
    for bits in itertools.product((0, 1), repeat=len(structure.events)):
        down = frozenset(i for i, b in enumerate(bits) if b)
        assert structure.is_down(down) == any(s <= down for s in sets)


def test_the_local_limit_hands_a_crowded_block_to_the_globals() -> None:
    # 16 members sharing 15 switches pairwise: more local events than one block enumerates
    switches = [ev(f"sw{i}", 0.05 + 0.01 * i, "switch") for i in range(15)]
    hosts = [ev(f"h{i}", 0.2) for i in range(16)]
    events = (*switches, *hosts)
    members = tuple(Member(f"h{i}", any_of([15 + i, i % 15, (i + 1) % 15])) for i in range(16))
    structure = Structure("crowded", events, (Stage("s", members),), ((0,),), ("s1",))
    estimate, error = montecarlo.estimate(structure, SAMPLES, seed=7)
    assert exact.LOCAL_LIMIT < 15
    assert abs(exact.unavailability(structure) - estimate) <= Z * error
