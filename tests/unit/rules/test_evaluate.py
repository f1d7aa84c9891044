"""evaluate(): the finding it builds from a violation, the order, the selection of rules."""

from __future__ import annotations

import pytest
from topology_builder import build

from tier3.errors import Tier3Error
from tier3.model import Bond, BondMember, Host, Location, Severity, Status, Topology, Vip, VipMember
from tier3.rules import RULES, evaluate

ONE_FEED_HOST = {"hosts": {"mx1": {"psus": ["r1-a", "r2-a"]}}}


def test_finding_carries_rule_metadata_declared_values_location_and_fix() -> None:
    [finding] = evaluate(build(ONE_FEED_HOST), only=["T3-PWR-002"])
    rule = RULES["T3-PWR-002"]
    assert finding.rule_id == "T3-PWR-002"
    assert finding.severity is Severity.HIGH
    assert finding.status is Status.FAIL
    assert finding.subject == "mx1"
    assert finding.title == rule.title
    assert finding.message == "supplies PSU1, PSU2 both draw from feed fra1-a"
    assert finding.evidence == {
        "power_supplies": {"PSU1": "r1-a", "PSU2": "r2-a"},
        "feeds": {"PSU1": "fra1-a", "PSU2": "fra1-a"},
    }
    assert finding.controls == rule.controls
    assert finding.location == Location("host_vars/mx1.yml", "tier3_host.power_supplies")
    assert finding.hint == rule.hint


def test_a_violation_may_name_its_own_fix() -> None:
    case = {"hosts": {"imap1": {"groups": ["imap"]}, "imap2": {"groups": ["imap"]}}, "loads": {"imap": 10}}
    findings = evaluate(build(case), only=["T3-CAP-002"])
    assert [(f.subject, f.hint) for f in findings] == [
        ("imap1", "declare tier3_host.capacity.imap in connections"),
        ("imap2", "declare tier3_host.capacity.imap in connections"),
    ]
    assert findings[0].location == Location("host_vars/imap1.yml", "tier3_host.capacity")


def test_group_findings_point_at_the_declared_group_or_the_inventory() -> None:
    case = {"hosts": {"dns1": {"groups": ["dns"]}}}
    [finding] = evaluate(build(case), only=["T3-PLC-008"])
    assert finding.location == Location("inventory/test", "groups.dns")
    declared = build(case)
    object.__setattr__(declared, "group_locations", {"dns": Location("hosts.yml", "all.children.dns")})
    [finding] = evaluate(declared, only=["T3-PLC-008"])
    assert finding.location == Location("hosts.yml", "all.children.dns")


def test_objects_without_a_location_point_at_the_list_that_declares_them() -> None:
    host = Host(
        "mx1",
        bonds=(Bond("bond0", "active-backup", (BondMember("eth0", "sw1"),)),),
        location=Location("host_vars/mx1.yml", "tier3_host"),
    )
    vip = Vip("mx", "192.0.2.25", "fra1-mail", 51, (VipMember("mx1", 100),))
    topology = Topology(hosts=(host,), vips=(vip,), source="inventory/x")
    locations = {f.rule_id: f.location for f in evaluate(topology, only=["T3-NET-001", "T3-VRP-001"])}
    assert locations == {
        "T3-NET-001": Location("host_vars/mx1.yml", "tier3_host.bonds"),
        "T3-VRP-001": Location("inventory/x", "tier3_vips"),
    }


def test_findings_are_sorted_by_rule_id_then_subject() -> None:
    case = {
        "hosts": {
            "zz9": {"psus": ["r1-a"], "bonds": {}},
            "mx2": {"psus": ["r1-a"], "bmc": {"protocol": "ipmi"}},
            "aa1": {"psus": [], "bonds": {}},
        },
        "sites": {"ber1": {"feeds": []}},
    }
    pairs = [(f.rule_id, f.subject) for f in evaluate(build(case))]
    assert pairs == [
        ("T3-NET-001", "aa1"),
        ("T3-NET-001", "zz9"),
        ("T3-PWR-001", "aa1"),
        ("T3-PWR-001", "mx2"),
        ("T3-PWR-001", "zz9"),
        ("T3-PWR-005", "site:ber1"),
        ("T3-SEC-002", "mx2"),
    ]


def test_only_runs_the_named_rules() -> None:
    case = {"hosts": {"mx1": {"psus": ["r1-a"], "bonds": {}}}}
    assert [f.rule_id for f in evaluate(build(case), only=["T3-NET-001"])] == ["T3-NET-001"]
    assert evaluate(build(case), only=[]) == []


def test_unknown_rule_id_is_a_user_error_naming_it() -> None:
    with pytest.raises(Tier3Error, match="unknown rule id T3-PWR-999") as caught:
        evaluate(build({}), only=["T3-PWR-001", "T3-PWR-999"])
    assert caught.value.hint == "run `tier3 rules` for the catalogue"


def test_passing_rules_produce_no_findings_and_empty_topology_passes() -> None:
    assert evaluate(build({"sites": {"fra1": None, "ber1": None}})) == []


def test_a_host_listed_twice_in_a_group_counts_once() -> None:
    """A topology built outside the loader may hold one host twice: group rules count it once."""
    mx1 = build({"hosts": {"mx1": {"groups": ["mx"], "rack": "r1", "capacity": {"mx": 100}}}}).hosts[0]
    topology = Topology(hosts=(mx1, mx1), source="inventory/x")
    findings = evaluate(topology, only=["T3-PLC-001", "T3-PLC-002", "T3-PLC-008", "T3-CAP-001"])
    assert [(f.rule_id, f.subject, f.message) for f in findings] == [
        ("T3-PLC-008", "group:mx", "group mx has 1 member (mx1); needs at least 2"),
    ]
