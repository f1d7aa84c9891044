"""The declared-vs-observed power rules (T3-OBS-PWR-010..013, tier3.rules.observed.power_declared) on saved
Redfish trees (the project's mockup variants) and the real ipmi_sim outputs of tests/fixtures/ipmi: how
declared supplies are matched to reported ones, and when each rule is silent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support import FIXTURES, load_redfish_mockups
from tier3.bmc.redfish import read_directory
from tier3.check.run import CheckOptions, extravars
from tier3.inspect import InspectOptions
from tier3.inspect.bmc import KINDS
from tier3.model import Host, PowerSupply, Topology
from tier3.model.topology import Feed, Pdu, Rack, Site
from tier3.rules import RULES, rules_for
from tier3.rules.observed.power_declared import match

MOCKUPS = load_redfish_mockups()
NEW = ("T3-OBS-PWR-010", "T3-OBS-PWR-011", "T3-OBS-PWR-012", "T3-OBS-PWR-013")
RACKS = (Rack("r01", "s1", (Pdu("r01-pdu-a", "s1-a", "r01"), Pdu("r01-pdu-b", "s1-b", "r01"))),
         Rack("r02", "s1", (Pdu("r02-pdu-a", "s1-a", "r02"), Pdu("r02-pdu-b", "s1-b", "r02"))))
TWO_FEEDS = Site("s1", feeds=(Feed("s1-a", "s1"), Feed("s1-b", "s1")), racks=RACKS)


def topology(*supplies: tuple[str, str], site: Site = TWO_FEEDS) -> Topology:
    host = Host("h1", site="s1", rack="r01", power_supplies=tuple(PowerSupply(n, p, outlet="3") for n, p in supplies))
    return Topology(sites=(site,), hosts=(host,))


DECLARED = (("PSU1", "r01-pdu-a"), ("PSU2", "r01-pdu-b"))


def judged(kind: str, raw: Any, topo: Topology | None, host: str | None = "h1") -> list[tuple[str, str]]:
    report = KINDS[kind].inspect_raw(raw, "saved", InspectOptions(topology=topo, host=host if topo else None))
    return sorted((f["rule_id"], f["subject"]) for f in report["findings"] if f["rule_id"] in NEW)


def tree(tmp_path: Path, name: str, only: str | None = None) -> dict[str, Any]:
    return read_directory(MOCKUPS.build(name, tmp_path / name, only=only))


class Named:
    def __init__(self, *names: str) -> None:
        self.names = names


@pytest.mark.parametrize(("declared", "reported", "pairs", "missing", "extra"), [
    # same name, ignoring case and spaces: Redfish Id/MemberId or Name
    (["PSU1", "PSU2"], [("Power Supply 1", "PSU1"), ("Power Supply 2", "PSU2")], [("PSU1", 0), ("PSU2", 1)], [], []),
    (["power supply 2"], [("Power  Supply 2", "0")], [("power supply 2", 0)], [], []),
    # by bay number when no name matches: IPMI sensors, the Name's number before the Id's
    (["PSU1", "PSU2"], [("PS2 Status", "PS2"), ("PS1 Status", "PS1")], [("PSU1", 1), ("PSU2", 0)], [], []),
    (["PSU1"], [("PS1 Status", "0")], [("PSU1", 0)], [], []),
    # a number two reported supplies share (or two declared ones) is no match
    (["PSU1"], [("PS1 A", "a"), ("PS1 B", "b")], [], ["PSU1"], [0, 1]),
    (["A1", "B1"], [("PS1", "x")], [], ["A1", "B1"], [0]),
    # a name match is taken first and leaves its supply out of the bay matching
    (["PSU2", "Power Supply 1"], [("Power Supply 1", "x"), ("PS2", "y")], [("Power Supply 1", 0), ("PSU2", 1)], [],
     []),
    (["PSU1", "PSU2", "PSU3"], [("PSU1", "1"), ("PSU2", "2")], [("PSU1", 0), ("PSU2", 1)], ["PSU3"], []),
])
def test_declared_supplies_are_matched_by_name_then_bay(declared: list[str], reported: list[tuple[str, str]],
                                                        pairs: list[tuple[str, int]], missing: list[str],
                                                        extra: list[int]) -> None:
    observed = [Named(*r) for r in reported]
    found, unmatched, left = match([PowerSupply(n, "p") for n in declared], observed, lambda r: r.names)
    assert sorted((p.name, observed.index(r)) for p, r in found) == sorted(pairs)
    assert [p.name for p in unmatched] == missing
    assert [observed.index(r) for r in left] == extra


@pytest.mark.parametrize(("variant", "declared", "expected"), [
    ("declared-pdus", DECLARED, []),
    ("psu2-other-rack", DECLARED, [("T3-OBS-PWR-012", "h1:PSU2")]),
    ("two-on-one-feed", DECLARED, [("T3-OBS-PWR-012", "h1:PSU2"), ("T3-OBS-PWR-013", "h1:feed:s1-a")]),
    # the outlet alone differs: the declared outlet 3, the base tree's outlet 12 of PDUs named A and B
    ("healthy", (("PSU1", "A"), ("PSU2", "B")), [("T3-OBS-PWR-012", "h1:PSU1"), ("T3-OBS-PWR-012", "h1:PSU2")]),
    # both on one PDU is T3-OBS-PWR-002's, not a feed finding; the declared PDU of PSU2 still differs
    ("same-pdu", (("PSU1", "A"), ("PSU2", "B")), [("T3-OBS-PWR-012", "h1:PSU1"), ("T3-OBS-PWR-012", "h1:PSU2")]),
])
def test_pdu_and_feed_rules_on_saved_trees(variant: str, declared: tuple[tuple[str, str], ...],
                                           expected: list[tuple[str, str]], tmp_path: Path) -> None:
    assert judged("redfish", tree(tmp_path, variant), topology(*declared)) == expected


def test_silent_without_a_declared_host_or_its_supplies(tmp_path: Path) -> None:
    """tier3 inspect on a saved tree knows no inventory; a host that declares no supply is T3-PWR-001's."""
    documents = tree(tmp_path, "two-on-one-feed")
    assert judged("redfish", documents, None) == []
    assert judged("redfish", documents, topology(*DECLARED), host="other") == []
    assert judged("redfish", documents, topology()) == []


def test_one_feed_is_silent_in_a_site_of_one_feed(tmp_path: Path) -> None:
    one = Site("s1", feeds=(Feed("s1-a", "s1"),), racks=(
        Rack("r01", "s1", (Pdu("r01-pdu-a", "s1-a", "r01"), Pdu("r01-pdu-b", "s1-a", "r01"))),
        Rack("r02", "s1", (Pdu("r02-pdu-a", "s1-a", "r02"),))))
    assert judged("redfish", tree(tmp_path, "declared-pdus"), topology(*DECLARED, site=one)) == []


def test_an_undeclared_pdu_has_no_feed_and_is_named_by_the_pdu_rule(tmp_path: Path) -> None:
    """Observed r02-pdu-a is not in this inventory: its feed is unknown, so only T3-OBS-PWR-012 speaks."""
    site = Site("s1", feeds=TWO_FEEDS.feeds, racks=RACKS[:1])
    assert judged("redfish", tree(tmp_path, "two-on-one-feed"), topology(*DECLARED, site=site)) == [
        ("T3-OBS-PWR-012", "h1:PSU2")]


def test_old_schema_alone_has_no_outlets_and_is_judged_by_name_only(tmp_path: Path) -> None:
    documents = tree(tmp_path, "two-on-one-feed", only="Power")
    assert judged("redfish", documents, topology(*DECLARED)) == []
    assert judged("redfish", documents, topology(*DECLARED, ("PSU3", "r02-pdu-a"))) == [("T3-OBS-PWR-010", "h1:PSU3")]


@pytest.mark.parametrize(("saved", "declared", "expected"), [
    ("sdr_healthy.txt", DECLARED, []),
    ("sdr_healthy.txt", (*DECLARED, ("PSU3", "r02-pdu-a")), [("T3-OBS-PWR-010", "h1:PSU3")]),
    ("sdr_healthy.txt", DECLARED[:1], [("T3-OBS-PWR-011", "h1:PS2 Status")]),
    # an absent supply is still listed by its sensor: T3-OBS-PWR-001 blames it, not these rules
    ("sdr_ps1_absent.txt", DECLARED, []),
])
def test_ipmi_sensors_against_the_declared_supplies(saved: str, declared: tuple[tuple[str, str], ...],
                                                    expected: list[tuple[str, str]]) -> None:
    text = (FIXTURES / "ipmi" / saved).read_text(encoding="utf-8")
    assert judged("ipmi-sdr", text, topology(*declared)) == expected


def test_the_rules_are_in_the_catalogue_for_the_bmc_kinds() -> None:
    assert {r.id for r in rules_for("redfish")} >= set(NEW)
    assert {r.id for r in rules_for("ipmi-sdr")} & set(NEW) == {"T3-OBS-PWR-010", "T3-OBS-PWR-011"}
    assert [RULES[i].breaks_redundancy for i in NEW] == [False, False, False, True]


def test_no_bmc_reaches_the_playbook_only_when_asked(tmp_path: Path) -> None:
    """``tier3 check --no-bmc`` sets tier3_check_bmc false; by default the playbook's own default (true) holds."""
    assert "tier3_check_bmc" not in extravars(CheckOptions(report_dir=str(tmp_path)))
    assert extravars(CheckOptions(report_dir=str(tmp_path), bmc=False))["tier3_check_bmc"] is False
