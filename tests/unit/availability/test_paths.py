"""From the declared topology to the figures: the paths each service needs, shared components as one
event, a closed form worked by hand on a real inventory, the example and the example broken, and
--what-if changes (each bad one an error naming the expression)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.availability import ServiceAvailability, evaluate, exact, montecarlo
from tier3.availability.figures import KINDS
from tier3.availability.paths import build, disk_of
from tier3.availability.whatif import WhatIfError, apply
from tier3.model import Topology
from tier3.schema import load_topology

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "inventory" / "example"
HEALTHY = ROOT / "tests" / "fixtures" / "inventories" / "healthy"
NEVER = {"mtbf": "1e12 h", "mttr": "1 s"}  # a component that is (all but) never down: q ~ 3e-16


def by_name(results: list[ServiceAvailability]) -> dict[str, ServiceAvailability]:
    return {r.name: r for r in results}


@pytest.fixture(scope="module")
def example() -> Topology:
    return load_topology(EXAMPLE)


def _inventory(tmp_path: Path, reliability: dict[str, Any]) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(HEALTHY, target)
    path = target / "group_vars" / "all.yml"
    data = yaml.safe_load(path.read_text())
    data["tier3_reliability"] = reliability
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def test_the_feed_under_both_supplies_by_hand(tmp_path: Path) -> None:
    """Only feeds (q_f) and hosts (q_h) can fail. The healthy fixture: mx1, mx2 and fw1, fw2, every
    host with a supply on each feed. Down when both feeds are, or both MX, or both firewalls."""
    hours = {"feed": (1000.0, 50.0), "host": (2000.0, 200.0)}
    kinds = {k: NEVER for k in KINDS if k not in hours}
    kinds.update({k: {"mtbf": f"{m} h", "mttr": f"{r} h"} for k, (m, r) in hours.items()})
    topology = load_topology(_inventory(tmp_path, {"kinds": kinds}))
    qf, qh = 50.0 / 1050.0, 200.0 / 2200.0
    pair = 1 - (1 - qh**2) ** 2  # the MX pair or the firewall pair down
    result = by_name(evaluate(topology, ["smtp-in"]))["smtp-in"]
    assert result.unavailability == pytest.approx(qf**2 + (1 - qf**2) * pair, abs=1e-9)
    # mx1's second supply moved to the first feed: mx1 now goes down with feed-a alone
    moved = apply(topology, "set psu mx1/PSU2 pdu=r1-pdu-a")
    after = by_name(evaluate(moved, ["smtp-in"]))["smtp-in"]
    with_a_only = 1 - (1 - qh) * (1 - qh**2)  # feed-a down: mx2's host or both firewalls
    by_hand = qf**2 + qf * (1 - qf) * with_a_only + (1 - qf) * pair
    assert after.unavailability == pytest.approx(by_hand, abs=1e-9)
    assert after.unavailability > result.unavailability
    labels = [c.label for c in after.cut_sets]
    assert "feed feed-a + host mx2" in labels
    estimate, error = montecarlo.estimate(after.structure, 400_000, seed=3)
    assert abs(estimate - after.unavailability) <= 4.5 * error


def test_one_component_is_one_event_under_everything_it_feeds(example: Topology) -> None:
    structure = build(example, "smtp-in")
    ids = [e.id for e in structure.events]
    assert len(ids) == len(set(ids))
    assert {"feed:fra1-a", "pdu:fra1-r01-pdu-a", "switch:fra1-tor-r01", "carrier:Carrier-A",
            "entry:fra1-entry-north", "uplink:fra1-inet-a", "site:fra1", "psu:fra1-mx1/PSU1",
            "nic:fra1-mx1/eno1", "card:fra1-mx1/lom", "disk:fra1-mx1/sda"} <= set(ids)
    carrier = structure.events[ids.index("carrier:Carrier-A")]
    assert carrier.site == ""  # a carrier spans sites: both sites' uplinks share it


def test_a_carrier_spelt_two_ways_is_one_carrier(example: Topology) -> None:
    spelt = apply(example, "set uplink ams1-inet-a carrier='carrier-a '")
    ids = [e.id for e in build(spelt, "smtp-in").events if e.kind == "carrier"]
    assert ids == ["carrier:Carrier-A", "carrier:Carrier-B"]
    assert by_name(evaluate(spelt))["smtp-in"].unavailability == pytest.approx(
        by_name(evaluate(example))["smtp-in"].unavailability, rel=1e-12)


def test_the_example_paths_and_figures(example: Topology) -> None:
    results = by_name(evaluate(example))
    assert list(results) == ["smtp-in", "submission", "imap@fra1", "imap@ams1"]
    smtp = results["smtp-in"]
    stages = [[smtp.structure.stages[i].name for i in alt] for alt in smtp.structure.alternatives]
    assert stages == [["ingress@fra1", "lb@fra1", "mx@fra1", "dns"], ["ingress@ams1", "lb@ams1", "mx@ams1", "dns"]]
    assert smtp.meets_availability
    assert not smtp.single_points
    assert smtp.cut_sets[0].label == "carrier Carrier-A + carrier Carrier-B"
    imap = results["imap@fra1"]
    assert [smtp.structure.sites, imap.structure.sites] == [("fra1", "ams1"), ("fra1",)]
    assert [c.label for c in imap.single_points] == ["site fra1"]  # a mailbox lives in one site
    assert imap.availability < smtp.availability


def test_breaking_the_example_lowers_the_right_service_and_names_the_new_top_cut_set(example: Topology) -> None:
    before = by_name(evaluate(example))
    one_carrier = apply(example, "set uplink fra1-inet-b carrier=Carrier-A")
    broken = apply(one_carrier, "set psu fra1-mx1/PSU2 pdu=fra1-r01-pdu-a")
    after = by_name(evaluate(broken))
    for name in ("smtp-in", "submission", "imap@fra1"):
        assert after[name].unavailability > before[name].unavailability, name
    assert after["imap@ams1"].unavailability == pytest.approx(before["imap@ams1"].unavailability, rel=1e-12)
    assert after["imap@fra1"].cut_sets[0].label == "carrier Carrier-A"
    assert "carrier Carrier-A" in [c.label for c in after["imap@fra1"].single_points]
    assert "carrier Carrier-A" in after["smtp-in"].cut_sets[0].label
    # the supply moved alone touches only the services fra1-mx1 carries
    psu_only = by_name(evaluate(apply(example, "set psu fra1-mx1/PSU2 pdu=fra1-r01-pdu-a")))
    assert psu_only["smtp-in"].unavailability > before["smtp-in"].unavailability
    assert psu_only["imap@fra1"].unavailability == pytest.approx(before["imap@fra1"].unavailability, rel=1e-12)


def test_what_if_a_second_carrier_a_third_mx_and_a_second_site(example: Topology) -> None:
    one_carrier = apply(example, "set uplink fra1-inet-b carrier=Carrier-A")
    worse = by_name(evaluate(one_carrier))["imap@fra1"].unavailability
    fixed = by_name(evaluate(apply(one_carrier, "set uplink fra1-inet-b carrier=Carrier-C")))["imap@fra1"]
    assert fixed.unavailability < worse
    third = apply(example, "add host fra1-mx3 like fra1-mx1 rack=fra1-r03")
    host = third.host("fra1-mx3")
    assert host is not None
    assert [p.pdu for p in host.power_supplies] == ["fra1-r03-pdu-a", "fra1-r03-pdu-b"]
    mx = next(s for s in build(third, "smtp-in").stages if s.name == "mx@fra1")
    assert [m.name for m in mx.members] == ["fra1-mx1", "fra1-mx2", "fra1-mx3"]
    one_site = load_topology(HEALTHY)
    single = by_name(evaluate(one_site, ["smtp-in"]))["smtp-in"]
    two = by_name(evaluate(apply(one_site, "add site site2 like site1"), ["smtp-in"]))["smtp-in"]
    assert two.structure.sites == ("site1", "site2")
    assert two.unavailability < single.unavailability / 100  # a second site takes the site out of the sum
    assert [c.label for c in single.single_points] == ["site site1"]
    assert not two.single_points


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("set uplink nowhere carrier=X", "no uplink 'nowhere'"),
        ("set psu fra1-mx1/PSU9 pdu=fra1-r01-pdu-a", "host fra1-mx1 has no supply 'PSU9'"),
        ("set psu fra1-mx1/PSU1 pdu=nope", "no PDU 'nope'"),
        ("add host fra1-mx3 like nobody", "no host 'nobody'"),
        ("add host fra1-mx2 like fra1-mx1", "host 'fra1-mx2' exists already"),
        ("add host fra1-mx3 like fra1-mx1 rack=r99", "no rack 'r99'"),
        ("add site fra1 like ams1", "site 'fra1' exists already"),
        ("grow site x", "no change 'grow' 'site'"),
        ("set uplink fra1-inet-a colour=red", "unknown key 'colour'"),
        ("add uplink x fra1-inet-a", "needs 'like EXISTING'"),
        ("set uplink 'unclosed", "cannot split it into words"),
    ],
)
def test_a_bad_what_if_names_the_expression(example: Topology, change: str, message: str) -> None:
    with pytest.raises(WhatIfError) as raised:
        apply(example, change)
    assert message in str(raised.value)
    assert raised.value.source == "--what-if"


@pytest.mark.parametrize(
    ("device", "disk"),
    [("/dev/sda", "sda"), ("/dev/sda1", "sda"), ("/dev/nvme0n1p2", "nvme0n1"), ("/dev/nvme1n1", "nvme1n1"),
     ("sdb3", "sdb"), ("/dev/disk/by-id/wwn-0x5000", "wwn-0x5000")],
)
def test_raid_members_on_partitions_of_one_disk_are_one_disk(device: str, disk: str) -> None:
    assert disk_of(device) == disk


def test_two_arrays_on_partitions_of_the_same_disks_share_the_disks(example: Topology) -> None:
    host = example.host("fra1-mx1")
    assert host is not None
    arrays = (dataclasses.replace(host.raid_arrays[0], name="md0", devices=("/dev/sda1", "/dev/sdb1")),
              dataclasses.replace(host.raid_arrays[0], name="md1", devices=("/dev/sda2", "/dev/sdb2")))
    topology = dataclasses.replace(
        example, hosts=tuple(dataclasses.replace(h, raid_arrays=arrays) if h.name == host.name else h
                             for h in example.hosts))
    structure = build(topology, "smtp-in")
    disks = [e.id for e in structure.events if e.kind == "disk" and e.name.startswith("fra1-mx1/")]
    assert disks == ["disk:fra1-mx1/sda", "disk:fra1-mx1/sdb"]
    assert exact.unavailability(structure) == pytest.approx(exact.unavailability(build(example, "smtp-in")), rel=1e-6)
