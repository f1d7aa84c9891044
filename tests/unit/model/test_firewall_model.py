"""The meaning of a firewall policy (tier3.model.firewall): what a rule matches, when one match covers or
overlaps another, what the first-match order does to a probe, and which rules an earlier one covers."""

from __future__ import annotations

import pytest

from tier3.model.firewall import (
    Address,
    AddressGroup,
    FirewallPolicy,
    Flow,
    Match,
    Network,
    PolicyRule,
    PortRange,
    Service,
    covers,
    earlier_covering,
    judge,
    net,
    overlaps,
    rule_match,
)


def nets(*values: str) -> tuple[Network, ...]:
    return tuple(net(v) for v in values)


def tcp(*ranges: tuple[int, int]) -> Flow:
    return Flow("tcp", tuple(PortRange(low, high) for low, high in ranges))


def match(from_zone: str | None = "out", to_zone: str | None = "in", sources: tuple[str, ...] | None = ("10.0.0.0/24",),
          destinations: tuple[str, ...] | None = None, flows: tuple[Flow, ...] | None = (tcp((25, 25)),)) -> Match:
    return Match(from_zone, to_zone, None if sources is None else tuple(net(s) for s in sources),
                 None if destinations is None else tuple(net(d) for d in destinations), flows)


# (case, outer, inner, covers, overlaps)
CASES: list[tuple[str, Match, Match, bool, bool]] = [
    ("same match", match(), match(), True, True),
    ("any covers everything", Match(None, None, None, None, None), match(), True, True),
    ("a named zone does not cover any zone", match(), match(from_zone=None), False, True),
    ("another zone neither covers nor overlaps", match(from_zone="mgmt"), match(), False, False),
    ("a wider network covers a narrower", match(sources=("10.0.0.0/16",)), match(), True, True),
    ("a narrower network overlaps only", match(sources=("10.0.0.5/32",)), match(), False, True),
    ("two halves cover the whole", match(sources=("10.0.0.0/25", "10.0.0.128/25")), match(), True, True),
    ("two disjoint networks neither", match(sources=("10.0.1.0/24",)), match(), False, False),
    ("a named network does not cover any", match(), match(sources=None), False, True),
    ("ipv6 within ipv6", match(sources=("2001:db8::/32",)), match(sources=("2001:db8:42::10/128",)), True, True),
    ("ipv4 any-address does not cover ipv6", match(sources=("0.0.0.0/0",)), match(sources=("2001:db8::/64",)),
     False, False),
    ("a dual-stack source covers each family", match(sources=("10.0.0.0/8", "2001:db8::/32")),
     match(sources=("10.0.0.0/24", "2001:db8:1::/48")), True, True),
    ("a port range covers a port in it", match(flows=(tcp((1, 1024)),)), match(flows=(tcp((22, 22)),)), True, True),
    ("a range ending inside overlaps only", match(flows=(tcp((20, 30)),)), match(flows=(tcp((25, 35)),)), False, True),
    ("adjacent ranges of two services cover together", match(flows=(tcp((25, 25)), tcp((26, 30)))),
     match(flows=(tcp((25, 28)),)), True, True),
    ("ranges with a gap do not", match(flows=(tcp((25, 25)), tcp((27, 30)))), match(flows=(tcp((25, 28)),)), False,
     True),
    ("every port covers a range", match(flows=(Flow("tcp"),)), match(flows=(tcp((1, 1024)),)), True, True),
    ("a range does not cover every port", match(flows=(tcp((1, 1024)),)), match(flows=(Flow("tcp"),)), False, True),
    ("tcp is not udp", match(flows=(tcp((53, 53)),)), match(flows=(Flow("udp", (PortRange(53, 53),)),)), False,
     False),
    ("vrrp covers vrrp", match(flows=(Flow("vrrp"),)), match(flows=(Flow("vrrp"),)), True, True),
    ("any service covers vrrp", match(flows=None), match(flows=(Flow("vrrp"),)), True, True),
    ("nothing matched overlaps nothing", match(sources=()), match(), False, False),
]


@pytest.mark.parametrize(("outer", "inner", "covered", "overlapping"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_covers_and_overlaps(outer: Match, inner: Match, covered: bool, overlapping: bool) -> None:
    assert covers(outer, inner) is covered
    assert overlaps(outer, inner) is overlapping
    assert overlaps(inner, outer) is overlapping  # symmetric


def policy(*rules: PolicyRule, default: str = "drop") -> FirewallPolicy:
    return FirewallPolicy(
        "p",
        addresses=(Address("a", ("10.0.0.0/25",)), Address("b", ("10.0.0.128/25",)),
                   Address("v6", ("2001:db8::/64",)), Address("host", ("10.0.0.5/32",))),
        address_groups=(AddressGroup("ab", ("a", "b")), AddressGroup("all", ("ab", "v6", "a")),
                        AddressGroup("loop1", ("loop2", "a")), AddressGroup("loop2", ("loop1",))),
        services=(Service("smtp", "tcp", (PortRange(25, 25),)), Service("low", "tcp", (PortRange(1, 1024),)),
                  Service("every", "any"), Service("vrrp", "vrrp")),
        rules=rules,
        default_action=default,
    )


def rule(name: str, source: str = "ab", *, service: str = "smtp", action: str = "accept", from_zone: str = "out",
         to_zone: str = "in") -> PolicyRule:
    return PolicyRule(name, from_zone, to_zone, (source,), ("any",), (service,), action)


def test_groups_expand_depth_first_each_network_once_and_a_cycle_ends() -> None:
    p = policy()
    assert p.networks("all") == nets("10.0.0.0/25", "10.0.0.128/25", "2001:db8::/64")
    assert p.networks("loop1") == nets("10.0.0.0/25")
    assert p.networks("any") == ()
    assert p.networks("undeclared") == ()


def test_rule_match_reads_any_as_none_and_a_service_of_protocol_any_as_every_flow() -> None:
    p = policy()
    m = rule_match(p, PolicyRule("r", "any", "self", ("any",), ("all",), ("every",), "accept"))
    assert (m.from_zone, m.to_zone, m.sources, m.flows) == (None, "self", None, None)
    assert m.destinations == nets("10.0.0.0/25", "10.0.0.128/25", "2001:db8::/64")
    assert rule_match(p, rule("r", service="low")).flows == (Flow("tcp", (PortRange(1, 1024),)),)


PROBE = Match("out", "in", nets("10.0.0.0/24"), None, (tcp((25, 25)),))


@pytest.mark.parametrize(("rules", "accepted", "by"), [
    ((rule("ok"),), True, "ok"),
    ((rule("no", source="host", action="drop"), rule("ok")), False, "no"),  # a part refused first
    ((rule("no", source="host", action="reject"), rule("ok")), False, "no"),  # reject refuses too
    ((rule("ok"), rule("no", source="host", action="drop")), True, "ok"),
    ((rule("half", source="a"),), False, None),  # half accepted, the rest falls to the default
    ((rule("elsewhere", source="host", action="drop", from_zone="mgmt"), rule("ok")), True, "ok"),
    ((rule("no-vrrp", source="host", service="vrrp", action="drop"), rule("ok")), True, "ok"),
    ((), False, None),
], ids=["accepted", "partial-drop", "partial-reject", "drop-after", "half-accepted", "other-zone", "other-protocol",
        "default"])
def test_judge_is_first_match_and_conservative(rules: tuple[PolicyRule, ...], accepted: bool, by: str | None) -> None:
    verdict = judge(policy(*rules), PROBE)
    assert verdict.accepted is accepted
    assert (verdict.rule.name if verdict.rule else None) == by


def test_judge_falls_to_an_accepting_default() -> None:
    assert judge(policy(default="accept"), PROBE).accepted is True


def test_earlier_covering_names_the_first_earlier_rule_that_covers_each_later_one() -> None:
    p = policy(rule("narrow", source="a"), rule("wide", source="all", service="low"), rule("again", source="b"),
               rule("wider", source="any", service="every", action="drop"), rule("half", source="a"))
    assert [(later.name, earlier.name) for later, earlier in earlier_covering(p)] == [
        ("again", "wide"), ("half", "narrow")]
