"""T3-OBS-NET-010..017: a host's bonds and LLDP (real captures, tests/declared_support.py) against the bond its
inventory declares. Each case changes one record or one declared key of the healthy host and asserts the one
topology finding it gives, rule id and subject; the healthy host gives none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from declared_support import HOST, SITES, changed, healthy, items, record, redeclared, topology, write_inventory
from tier3.inspect import InspectOptions, all_kinds
from tier3.inspect.topology import gathered
from tier3.model import Topology
from tier3.schema import load_inventory

KIND = all_kinds()["topology"]
BOND = "/proc/net/bonding/bond0"


def judge(topo: Topology | None, records: dict[str, list[dict[str, Any]]], host: str | None = HOST,
          ) -> list[dict[str, Any]]:
    options = InspectOptions(policy=topo.policy_for(host) if topo is not None else InspectOptions().policy,
                             topology=topo, host=host)
    findings: list[dict[str, Any]] = KIND.inspect_raw(gathered(items(records)).raw, "answer", options)["findings"]
    return findings


def ids(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["rule_id"], f["subject"]) for f in findings]


def bonding(fixture: str, path: str = BOND) -> dict[str, Any]:
    return record("bonding", path=path, fixture=fixture)


def lldp(fixture: str) -> dict[str, Any]:
    return record("lldp", argv=("lldpctl", "-f", "json"), fixture=fixture)


def members(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"name": "bond0", "mode": "active-backup",
             "members": [{"interface": i, "switch": s} for i, s in pairs]}]


CASES: list[tuple[str, dict[str, Any], dict[str, list[dict[str, Any]]], list[tuple[str, str]]]] = [
    ("healthy: eth1 -> t3-sw-a, eth2 -> t3-sw-b as declared", {}, {}, []),
    ("no bond file at all", {},
     {"bonding": [record("bonding", path="/proc/net/bonding/*", status="none")]}, [("T3-OBS-NET-010", "bond0")]),
    ("a third member declared, not enslaved", {"bonds": members(("eth1", "t3-sw-a"), ("eth2", "t3-sw-b"),
                                                                ("eth3", "t3-sw-b"))},
     {}, [("T3-OBS-NET-011", "bond0:eth3")]),
    ("eth2 enslaved, not declared", {"bonds": members(("eth1", "t3-sw-a"))}, {}, [("T3-OBS-NET-012", "bond0:eth2")]),
    ("declared 802.3ad, runs active-backup",
     {"bonds": [{**members(("eth1", "t3-sw-a"), ("eth2", "t3-sw-b"))[0], "mode": "802.3ad"}]},
     {}, [("T3-OBS-NET-013", "bond0")]),
    ("eth2 declared on t3-sw-c, LLDP says t3-sw-b", {"bonds": members(("eth1", "t3-sw-a"), ("eth2", "t3-sw-c"))},
     {}, [("T3-OBS-NET-014", "bond0:eth2")]),
    ("both members reach one switch (veth capture: t3-switch)", {},
     {"lldp": [lldp("lldpctl_json_veth_two_interfaces.json")]}, [("T3-OBS-NET-015", "bond0")]),
    ("both members reach the LACP peer (QEMU capture: peer-lag)", {},
     {"lldp": [lldp("lldpctl_json_neighbours_on_lag_slaves.json")]}, [("T3-OBS-NET-015", "bond0")]),
    ("t3-sw-b's lldpd stopped: eth2 has no neighbour", {},
     {"lldp": [lldp("lldpctl_json_two_switches_one_silent.json")]}, [("T3-OBS-NET-016", "bond0:eth2")]),
    ("no neighbour at all: neither member confirmed", {},
     {"lldp": [lldp("lldpctl_json_no_neighbour.json")]},
     [("T3-OBS-NET-016", "bond0:eth1"), ("T3-OBS-NET-016", "bond0:eth2")]),
    ("a second bond on the host", {},
     {"bonding": [bonding("proc_net_bonding_bond0_active_backup.txt"),
                  bonding("proc_net_bonding_bond1_8023ad_partner_side.txt", "/proc/net/bonding/bond1")]},
     [("T3-OBS-NET-017", "bond1")]),
]


@pytest.mark.parametrize(("declared", "records", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_defect_is_one_finding(tmp_path: Path, declared: dict[str, Any],
                                    records: dict[str, list[dict[str, Any]]], expected: list[tuple[str, str]]) -> None:
    findings = judge(topology(tmp_path, redeclared(**declared)), changed(**records))
    assert ids(findings) == expected
    assert all(f["evidence"]["host"] == HOST and f["evidence"]["declared"] and "observed" in f["evidence"]
               for f in findings)


def test_the_operators_sentence(tmp_path: Path) -> None:
    (finding,) = judge(topology(tmp_path), changed(lldp=[lldp("lldpctl_json_veth_two_interfaces.json")]))
    assert finding["message"] == ("declared bond0 members eth1 -> t3-sw-a, eth2 -> t3-sw-b; observed LLDP: both "
                                  "members reach t3-switch")
    assert finding["evidence"]["declared"]["members"] == {"eth1": "t3-sw-a", "eth2": "t3-sw-b"}
    assert finding["evidence"]["observed"]["lldp"] == {"eth1": ["t3-switch"], "eth2": ["t3-switch"]}
    assert finding["severity"] == "high"


def test_swapped_cables_blame_each_member_and_keep_the_bond_on_two_switches(tmp_path: Path) -> None:
    findings = judge(topology(tmp_path, redeclared(bonds=members(("eth1", "t3-sw-b"), ("eth2", "t3-sw-a")))),
                     healthy())
    assert ids(findings) == [("T3-OBS-NET-014", "bond0:eth1"), ("T3-OBS-NET-014", "bond0:eth2")]
    assert findings[0]["message"] == "declared eth1 -> t3-sw-b, observed LLDP eth1 -> t3-sw-a port swp1"


def test_an_absent_bond_is_not_blamed_member_by_member(tmp_path: Path) -> None:
    findings = judge(topology(tmp_path, redeclared(bonds=[{**members(("eth1", "t3-sw-a"), ("eth2", "t3-sw-b"))[0],
                                                           "name": "bond9"}])), healthy())
    assert ids(findings) == [("T3-OBS-NET-010", "bond9"), ("T3-OBS-NET-017", "bond0")]


def test_a_member_that_is_down_is_the_bonding_kinds_finding_not_lldps(tmp_path: Path) -> None:
    """eth1's link is down (real capture): it has no neighbour; NET-001 blames it, not NET-016 or 015."""
    records = changed(bonding=[bonding("proc_net_bonding_bond0_active_backup_one_slave_down.txt")],
                      lldp=[lldp("lldpctl_json_no_neighbour.json")])
    assert ids(judge(topology(tmp_path), records)) == [("T3-OBS-NET-016", "bond0:eth2")]


def test_a_declared_single_switch_is_the_declared_rules_finding(tmp_path: Path) -> None:
    """Declared on one switch and observed on one: no disagreement (T3-NET-001 judges the declaration)."""
    sites = [{**SITES[0], "switches": [{"name": "t3-switch", "rack": "r1"}]}]
    host = redeclared(bonds=members(("eth1", "t3-switch"), ("eth2", "t3-switch")))
    topo = load_inventory(write_inventory(tmp_path, host, sites)).topology
    assert ids(judge(topo, changed(lldp=[lldp("lldpctl_json_veth_two_interfaces.json")]))) == []


def test_silent_without_a_declared_host_or_without_lldp(tmp_path: Path) -> None:
    swapped = topology(tmp_path, redeclared(bonds=members(("eth1", "t3-sw-b"), ("eth2", "t3-sw-a"))))
    assert judge(None, healthy(), host=None) == []
    assert judge(swapped, healthy(), host="not-in-the-inventory") == []
    without_lldp = healthy()
    del without_lldp["lldp"]
    assert judge(swapped, without_lldp) == []
    missing = changed(lldp=[record("lldp", argv=("lldpctl", "-f", "json"), status="missing", rc=None)])
    assert judge(swapped, missing) == []  # not known is not a pass and not a finding here: the lldp kind errs
