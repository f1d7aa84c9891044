"""T3-NET-007..010 on a site's internet uplinks: the evidence, location and fix each finding carries
(the verdicts themselves are cases in rule_cases.yml)."""

from __future__ import annotations

from typing import Any

from topology_builder import build

from tier3.model import Location
from tier3.rules import RULES, evaluate

UPLINK_RULES = ["T3-NET-007", "T3-NET-008", "T3-NET-009", "T3-NET-010"]
FIREWALLS: dict[str, Any] = {
    "hosts": {"fw1": {"groups": ["firewall"], "rack": "r1"}, "fw2": {"groups": ["firewall"], "rack": "r2"}},
    "firewall_pairs": {"fra1-edge": ["fw1", "fw2"]},
}


def _uplinks(**uplinks: str) -> dict[str, Any]:
    return {**FIREWALLS, "sites": {"fra1": {"uplinks": {k.replace("_", "-"): v for k, v in uplinks.items()}}}}


def test_one_uplink_names_the_other_firewall_of_the_pair_in_its_fix() -> None:
    [finding] = evaluate(build(_uplinks(fra1_inet1="Carrier-A@fw1 entry=fra1-entry-north circuit=CA-FRA-100234")),
                         only=UPLINK_RULES)
    assert (finding.rule_id, finding.subject) == ("T3-NET-007", "site:fra1")
    assert finding.evidence == {"uplinks": {"fra1-inet1": {
        "carrier": "Carrier-A", "entry": "fra1-entry-north", "lands_on": "fw1", "circuit": "CA-FRA-100234"}}}
    assert finding.location == Location("group_vars/all.yml", "tier3_sites[0].uplinks")
    assert finding.hint == (
        "declare a second uplink of site fra1 under tier3_sites[].uplinks: from another carrier than Carrier-A, "
        "through another entry than fra1-entry-north, landing on fw2 (not fw1)"
    )
    assert set(finding.controls) >= {"NIST-800-53:CP-8", "ISO27001:A.8.14"}


def test_each_shared_failure_domain_names_its_own_fix() -> None:
    findings = evaluate(build(_uplinks(fra1_inet1="Carrier-A@fw1 entry=north", fra1_inet2="carrier-a@fw1 entry=north")),
                        only=UPLINK_RULES)
    assert [(f.rule_id, f.hint) for f in findings] == [
        ("T3-NET-008", "order one of fra1-inet1, fra1-inet2 from another carrier than Carrier-A "
                       "and update its carrier"),
        ("T3-NET-009", "bring one of fra1-inet1, fra1-inet2 in through another building entry than north "
                       "(a duct of its own) and update its entry"),
        ("T3-NET-010", "move one of fra1-inet1, fra1-inet2 off fw1 onto fw2 and update its lands_on"),
    ]
    uplinks = findings[0].evidence["uplinks"]
    assert uplinks["fra1-inet2"] == {"carrier": "carrier-a", "entry": "north", "lands_on": "fw1", "circuit": None}
    assert {f.severity.value for f in findings} == {"high"}


def test_uplinks_on_one_router_that_is_no_host_are_told_to_land_on_another_device() -> None:
    case = _uplinks(fra1_inet1="Carrier-A@rtr1 entry=north", fra1_inet2="Carrier-B@rtr1 entry=south")
    [finding] = evaluate(build({**case, "hosts": {}, "firewall_pairs": {}}), only=UPLINK_RULES)
    assert finding.hint == (
        "move one of fra1-inet1, fra1-inet2 off rtr1 onto another firewall or router and update its lands_on"
    )


def test_the_rationale_says_a_site_without_uplinks_is_not_judged() -> None:
    assert "a site that declares none is not judged" in RULES["T3-NET-007"].rationale
    assert all("none: not judged" in RULES[r].rationale for r in UPLINK_RULES[1:])
