"""parse_redfish_documents on the project's mockup tree (every variant, each schema generation alone
and both together), on hand-broken documents (exact JSON pointer), and on edge cases of the verdict
(the facts judged by the observed rules T3-OBS-PWR-*, through the judged helpers)."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from judged import findings, ids, is_redundant

from support import load_redfish_mockups
from tier3.bmc.redfish import read_directory
from tier3.errors import ParseError
from tier3.inspect import InspectOptions
from tier3.inspect.bmc import KINDS
from tier3.parsers.redfish import links_to_follow, parse_redfish_documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "redfish"


MOCKUPS = load_redfish_mockups()
BASE = read_directory(FIXTURES / "rack-server")
PSU1 = "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies/PSU1"
POWER = "/redfish/v1/Chassis/1U/Power"
OLD_GROUP = ("T3-OBS-PWR-003", "1U/PSU Redundancy")
NEW_GROUP = ("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0")
PSU2 = ("T3-OBS-PWR-001", "1U/PSU2")
COUNT = ("T3-OBS-PWR-005", "1U")
TWICE = ("T3-OBS-PWR-007", "1U/PSU1")

# (variant, generation kept or None for both) -> (redundant, sorted (rule id, subject))
CASES: dict[tuple[str, str | None], tuple[bool, list[tuple[str, str]]]] = {
    ("healthy", None): (True, []),
    ("healthy", "Power"): (True, []),
    ("healthy", "PowerSubsystem"): (True, []),
    ("psu2-critical", None): (False, sorted([PSU2, PSU2, OLD_GROUP, NEW_GROUP])),
    ("psu2-critical", "Power"): (False, [PSU2, OLD_GROUP]),
    ("psu2-critical", "PowerSubsystem"): (False, [PSU2, NEW_GROUP]),
    ("psu2-absent", None): (False, sorted([PSU2, PSU2, OLD_GROUP, NEW_GROUP])),
    ("psu2-absent", "Power"): (False, [PSU2, OLD_GROUP]),
    ("psu2-absent", "PowerSubsystem"): (False, [PSU2, NEW_GROUP]),
    ("psu2-disabled", None): (False, sorted([PSU2, PSU2, OLD_GROUP, NEW_GROUP])),
    ("psu2-disabled", "Power"): (False, [PSU2, OLD_GROUP]),
    ("psu2-disabled", "PowerSubsystem"): (False, [PSU2, NEW_GROUP]),
    ("psu2-ac-lost", None): (False, sorted([PSU2, PSU2, OLD_GROUP, NEW_GROUP, ("T3-OBS-PWR-004", "1U/PSU2")])),
    ("psu2-ac-lost", "PowerSubsystem"): (False, [PSU2, NEW_GROUP, ("T3-OBS-PWR-004", "1U/PSU2")]),
    ("same-pdu", None): (False, [("T3-OBS-PWR-002", "pdu:A")]),
    ("same-pdu", "Power"): (True, []),  # the old schema carries no outlet: the feed is unknown there
    ("same-pdu", "PowerSubsystem"): (False, [("T3-OBS-PWR-002", "pdu:A")]),
    # PowerSupplies is optional: a Power resource without it reports no supply (not a parse error)
    ("power-without-supplies", None): (False, [COUNT]),
    ("power-without-supplies", "Power"): (False, [COUNT]),
    ("power-without-supplies", "PowerSubsystem"): (True, []),
    # one supply listed twice is counted once: fewer than two, and the repeat is said (T3-OBS-PWR-007)
    ("psu1-listed-twice", None): (False, sorted([OLD_GROUP, NEW_GROUP, COUNT, COUNT, TWICE, TWICE])),
    ("psu1-listed-twice", "Power"): (False, [OLD_GROUP, COUNT, TWICE]),
    ("psu1-listed-twice", "PowerSubsystem"): (False, [NEW_GROUP, COUNT, TWICE]),
}
# documents read per generation kept, when a variant reads another number than the base tree
DOCUMENTS = {None: 8, "Power": 4, "PowerSubsystem": 7}
DOCUMENTS_READ = {("psu1-listed-twice", None): 7, ("psu1-listed-twice", "PowerSubsystem"): 6}


def _verdict(report: dict[str, Any]) -> tuple[bool, list[tuple[str, str]]]:
    return report["redundant"], sorted((f["rule_id"], f["subject"]) for f in report["findings"])


@pytest.mark.parametrize(("name", "only"), list(CASES), ids=[f"{n}/{o or 'both'}" for n, o in CASES])
def test_variant_verdict(name: str, only: str | None, tmp_path: Path) -> None:
    tree = MOCKUPS.build(name, tmp_path / "tree", only=only, dmtf_layout=only == "Power")
    report = KINDS["redfish"].inspect(str(tree), InspectOptions())
    assert _verdict(report) == CASES[(name, only)]
    assert report["documents_read"] == DOCUMENTS_READ.get((name, only), DOCUMENTS[only])


def test_report_names_supplies_outlets_and_pdus() -> None:
    report = KINDS["redfish"].inspect(str(FIXTURES / "rack-server"), InspectOptions())
    new = [s for s in report["supplies"] if s["schema"] == "PowerSubsystem"]
    assert [(s["id"], s["state"], s["health"], s["line_input"], s["pdu"], s["outlet"]) for s in new] == [
        ("PSU1", "Enabled", "OK", "Normal", "A", "/redfish/v1/PowerEquipment/RackPDUs/A/Outlets/12"),
        ("PSU2", "Enabled", "OK", "Normal", "B", "/redfish/v1/PowerEquipment/RackPDUs/B/Outlets/12"),
    ]
    assert report["pdus"] == ["A", "B"]
    assert [(g["schema"], g["mode"], g["min_needed"], g["max_supported"]) for g in report["redundancy_groups"]] == [
        ("Power", "N+m", 1, 2), ("PowerSubsystem", "Failover", 1, 2),
    ]


def test_document_bundle_from_a_file_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(BASE))
    assert KINDS["redfish"].inspect(str(bundle), InspectOptions())["redundant"] is True
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(BASE)))
    assert KINDS["redfish"].inspect("-", InspectOptions())["redundant"] is True


def _edit(path: str, pointer: list[Any], value: Any) -> dict[str, Any]:
    documents = copy.deepcopy(BASE)
    node = documents[path]
    for key in pointer[:-1]:
        node = node[key]
    if value is KeyError:
        del node[pointer[-1]]
    else:
        node[pointer[-1]] = value
    return documents


BROKEN = [
    # (id, documents, where, message)
    ("old-status-missing", _edit(POWER, ["PowerSupplies", 0, "Status"], KeyError),
     f"{POWER}#/PowerSupplies/0/Status", "missing; a Redfish resource must have Status"),
    ("old-state-int", _edit(POWER, ["PowerSupplies", 0, "Status", "State"], 3),
     f"{POWER}#/PowerSupplies/0/Status/State", "is int, expected a string"),
    ("old-supplies-object", _edit(POWER, ["PowerSupplies"], {}),
     f"{POWER}#/PowerSupplies", "is dict, expected an array"),
    ("old-supply-string", _edit(POWER, ["PowerSupplies", 1], "PSU2"),
     f"{POWER}#/PowerSupplies/1", "is str, expected an object"),
    ("min-needed-string", _edit(POWER, ["Redundancy", 0, "MinNumNeeded"], "1"),
     f"{POWER}#/Redundancy/0/MinNumNeeded", "is str, expected an integer"),
    ("min-needed-bool", _edit(POWER, ["Redundancy", 0, "MinNumNeeded"], True),
     f"{POWER}#/Redundancy/0/MinNumNeeded", "is bool, expected an integer"),
    ("group-status-missing", _edit(POWER, ["Redundancy", 0, "Status"], KeyError),
     f"{POWER}#/Redundancy/0/Status", "missing; a Redfish resource must have Status"),
    ("new-state-missing", _edit(PSU1, ["Status", "State"], KeyError),
     f"{PSU1}#/Status/State", "missing; a Redfish resource must have State"),
    ("outlet-without-id", _edit(PSU1, ["Links", "Outlet"], {"href": "x"}),
     f"{PSU1}#/Links/Outlet/@odata.id", "missing; a Redfish resource must have @odata.id"),
    ("supply-id-missing", _edit(PSU1, ["Id"], KeyError), f"{PSU1}#/Id", "missing; a Redfish resource must have Id"),
    ("members-not-array", _edit("/redfish/v1/Chassis", ["Members"], {"@odata.id": "x"}),
     "/redfish/v1/Chassis#/Members", "is dict, expected an array"),
    ("root-chassis-string", _edit("/redfish/v1", ["Chassis"], "/redfish/v1/Chassis"),
     "/redfish/v1#/Chassis", "is str, expected an object"),
    ("chassis-id-missing", _edit("/redfish/v1/Chassis/1U", ["Id"], KeyError),
     "/redfish/v1/Chassis/1U#/Id", "missing; a Redfish resource must have Id"),
    ("power-link-not-object", _edit("/redfish/v1/Chassis/1U", ["Power"], []),
     "/redfish/v1/Chassis/1U#/Power", "is list, expected an object"),
    ("power-document-is-array", {**BASE, POWER: []}, POWER, "is list, expected a JSON object"),
    ("no-chassis", _edit("/redfish/v1/Chassis", ["Members"], []), "/redfish/v1/Chassis",
     "no chassis links a Power or PowerSubsystem resource"),
    ("power-document-not-read", {k: v for k, v in BASE.items() if k != POWER},
     "/redfish/v1/Chassis/1U#/Power", f"links {POWER}, which is not in the documents read"),
    ("no-service-root", {k: v for k, v in BASE.items() if k != "/redfish/v1"},
     "/redfish/v1", "links /redfish/v1, which is not in the documents read"),
    ("supply-document-is-array", {**BASE, PSU1: [1]}, PSU1, "is list, expected a JSON object"),
    ("supply-not-read", {k: v for k, v in BASE.items() if k != PSU1},
     "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies#/Members", f"links {PSU1}, which is not in the documents"),
]


@pytest.mark.parametrize(("documents", "where", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_documents_name_the_pointer(documents: dict[str, Any], where: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_redfish_documents(documents, "bmc.example")
    assert caught.value.source == "bmc.example"
    assert caught.value.where == where
    assert caught.value.message.startswith(message)


def test_chassis_without_power_is_skipped_and_alone_is_an_error() -> None:
    documents = _edit("/redfish/v1/Chassis", ["Members"], [{"@odata.id": "/redfish/v1/Chassis/1U"},
                                                           {"@odata.id": "/redfish/v1/Chassis/Rack"}])
    documents["/redfish/v1/Chassis/Rack"] = {"@odata.id": "/redfish/v1/Chassis/Rack", "Id": "Rack"}
    power = parse_redfish_documents(documents, "s")
    assert power.skipped == ("/redfish/v1/Chassis/Rack",)
    assert is_redundant("redfish", power) is True
    alone = _edit("/redfish/v1/Chassis", ["Members"], [{"@odata.id": "/redfish/v1/Chassis/Rack"}])
    alone["/redfish/v1/Chassis/Rack"] = documents["/redfish/v1/Chassis/Rack"]
    with pytest.raises(ParseError, match="no chassis links a Power or PowerSubsystem resource"):
        parse_redfish_documents(alone, "s")


def _ids(documents: dict[str, Any], **policy: Any) -> list[tuple[str, str]]:
    return ids("redfish", parse_redfish_documents(documents, "s"), **policy)


def test_standby_spare_counts_as_present() -> None:
    assert _ids(_edit(PSU1, ["Status", "State"], "StandbySpare")) == []


@pytest.mark.parametrize("state", ["StandbyOffline", "UnavailableOffline", "Starting", "InTest", "Quiesced"])
def test_other_states_are_not_present(state: str) -> None:
    assert _ids(_edit(PSU1, ["Status", "State"], state)) == [("T3-OBS-PWR-001", "1U/PSU1"),
                                                             ("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0")]


def test_enabled_without_health_is_not_trusted() -> None:
    power = parse_redfish_documents(_edit(PSU1, ["Status", "Health"], KeyError), "s")
    assert [f.message for f in findings("redfish", power) if f.rule_id == "T3-OBS-PWR-001"] == [
        "power supply Power Supply 1: no health reported (PowerSubsystem)"
    ]


def test_group_not_redundant_mode() -> None:
    documents = _edit("/redfish/v1/Chassis/1U/PowerSubsystem", ["PowerSupplyRedundancy", 0, "RedundancyType"],
                      "NotRedundant")
    assert _ids(documents) == [("T3-OBS-PWR-003", "1U/PowerSupplyRedundancy/0")]


def test_group_min_needed_equal_to_healthy_supplies() -> None:
    """Two healthy supplies but both needed (MinNumNeeded 2): losing one drops the load."""
    power = parse_redfish_documents(_edit(POWER, ["Redundancy", 0, "MinNumNeeded"], 2), "s")
    assert [(f.rule_id, f.message) for f in findings("redfish", power)] == [
        ("T3-OBS-PWR-003", "redundancy group PSU Redundancy: 2 healthy supply(ies) for 2 needed: losing one more "
                           "drops the load (Power)"),
    ]


def test_one_supply_only() -> None:
    documents = _edit(POWER, ["PowerSupplies"], [BASE[POWER]["PowerSupplies"][0]])
    documents[POWER]["Redundancy"] = []
    assert _ids(documents) == [("T3-OBS-PWR-005", "1U")]
    assert _ids(documents, psu_min_count=1) == []


def test_policy_may_ask_for_three_supplies() -> None:
    power = parse_redfish_documents(BASE, "s")
    assert ids("redfish", power, psu_min_count=3) == [("T3-OBS-PWR-005", "1U"), ("T3-OBS-PWR-005", "1U")]
    assert [f.message for f in findings("redfish", power, psu_min_count=3)] == [
        "Power reports 2 power supply(ies); redundancy needs at least 3",
        "PowerSubsystem reports 2 power supply(ies); redundancy needs at least 3",
    ]


def test_outlet_on_an_unknown_path_gives_no_pdu() -> None:
    documents = _edit(PSU1, ["Links", "Outlet", "@odata.id"], "/redfish/v1/Something/Else")
    power = parse_redfish_documents(documents, "s")
    assert [s.pdu for s in power.supplies if s.generation == "PowerSubsystem"] == [None, "B"]
    assert is_redundant("redfish", power) is True


def test_floor_pdu_outlets_share_a_feed() -> None:
    documents = _edit(PSU1, ["Links", "Outlet", "@odata.id"], "/redfish/v1/PowerEquipment/FloorPDUs/F1/Outlets/1")
    psu2 = PSU1.replace("PSU1", "PSU2")
    documents[psu2]["Links"]["Outlet"]["@odata.id"] = "/redfish/v1/PowerEquipment/FloorPDUs/F1/Outlets/2"
    assert _ids(documents) == [("T3-OBS-PWR-002", "pdu:F1")]


# ---- optional PowerSupplies, and a supply listed twice ----------------------------------------

def test_power_without_power_supplies_is_fewer_than_two_not_a_parse_error() -> None:
    documents = _edit(POWER, ["PowerSupplies"], KeyError)
    del documents[POWER]["Redundancy"]
    power = parse_redfish_documents(documents, "s")
    old = power.resources[0]
    assert (old.generation, old.supplies, old.lists_supplies) == ("Power", (), False)
    assert _ids(documents) == [("T3-OBS-PWR-005", "1U")]
    assert [f.message for f in findings("redfish", power)] == [
        "Power reports 0 power supply(ies) (no PowerSupplies in it); redundancy needs at least 2"]


def test_power_subsystem_without_a_power_supplies_link_lists_none() -> None:
    documents = _edit("/redfish/v1/Chassis/1U/PowerSubsystem", ["PowerSupplies"], KeyError)
    del documents["/redfish/v1/Chassis/1U/PowerSubsystem"]["PowerSupplyRedundancy"]
    new = parse_redfish_documents(documents, "s").resources[1]
    assert (new.generation, new.supplies, new.lists_supplies) == ("PowerSubsystem", (), False)
    assert _ids(documents) == [("T3-OBS-PWR-005", "1U")]


def test_old_array_listing_one_supply_twice_counts_it_once() -> None:
    documents = _edit(POWER, ["PowerSupplies", 1], copy.deepcopy(BASE[POWER]["PowerSupplies"][0]))
    old = parse_redfish_documents(documents, "s").resources[0]
    assert [s.id for s in old.supplies] == ["PSU1"]
    assert [(x.supply, x.odata_id, x.first, x.where) for x in old.repeats] == [
        ("1U/PSU1", f"{POWER}#/PowerSupplies/0", f"{POWER}#/PowerSupplies/0", f"{POWER}#/PowerSupplies/1")]
    assert _ids(documents) == [("T3-OBS-PWR-003", "1U/PSU Redundancy"), ("T3-OBS-PWR-005", "1U"),
                               ("T3-OBS-PWR-007", "1U/PSU1")]
    assert is_redundant("redfish", parse_redfish_documents(documents, "s")) is False


def test_collection_listing_one_supply_twice_counts_it_once() -> None:
    listing = "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies"
    documents = _edit(listing, ["Members", 1], {"@odata.id": PSU1})
    new = parse_redfish_documents(documents, "s").resources[1]
    assert [s.id for s in new.supplies] == ["PSU1"]
    assert [(x.supply, x.odata_id, x.first, x.where) for x in new.repeats] == [
        ("1U/PSU1", PSU1, f"{listing}#/Members/0", f"{listing}#/Members/1")]
    power = parse_redfish_documents(documents, "s")
    assert [(f.rule_id, f.subject, f.message) for f in findings("redfish", power)
            if f.rule_id in ("T3-OBS-PWR-005", "T3-OBS-PWR-007")] == [
        ("T3-OBS-PWR-005", "1U", "PowerSubsystem reports 1 power supply(ies) (2 entries, 1 of them repeated); "
                                 "redundancy needs at least 2"),
        ("T3-OBS-PWR-007", "1U/PSU1", f"PowerSubsystem lists {PSU1} twice ({listing}#/Members/0 and "
                                      f"{listing}#/Members/1): counted once"),
    ]


def test_a_repeat_beside_two_real_supplies_only_warns() -> None:
    """Three entries, two supplies: the count is met, the repeat is a finding that keeps redundancy."""
    listing = "/redfish/v1/Chassis/1U/PowerSubsystem/PowerSupplies"
    documents = _edit(listing, ["Members"], [{"@odata.id": PSU1}, {"@odata.id": PSU1.replace("PSU1", "PSU2")},
                                             {"@odata.id": PSU1 + "/"}])
    power = parse_redfish_documents(documents, "s")
    assert [s.id for s in power.resources[1].supplies] == ["PSU1", "PSU2"]
    assert ids("redfish", power) == [("T3-OBS-PWR-007", "1U/PSU1")]
    assert is_redundant("redfish", power) is True


def test_links_followed_stop_at_the_supplies() -> None:
    assert links_to_follow("/redfish/v1", BASE["/redfish/v1"]) == ["/redfish/v1/Chassis"]
    assert links_to_follow("/redfish/v1/Chassis/1U", BASE["/redfish/v1/Chassis/1U"]) == [
        POWER, "/redfish/v1/Chassis/1U/PowerSubsystem"]
    assert links_to_follow(PSU1, BASE[PSU1]) == []  # outlets live on the PDU's own service: not followed
    assert links_to_follow(POWER, BASE[POWER]) == []


HEALTH = st.sampled_from(["OK", "Warning", "Critical", None])
STATE = st.sampled_from(["Enabled", "StandbySpare", "Absent", "Disabled", "StandbyOffline", "UnavailableOffline"])


@settings(max_examples=60, deadline=None)
@given(s1=STATE, h1=HEALTH, s2=STATE, h2=HEALTH)
def test_redundant_iff_both_supplies_present_and_ok(s1: str, h1: str | None, s2: str, h2: str | None) -> None:
    documents = copy.deepcopy(BASE)
    del documents["/redfish/v1/Chassis/1U"]["Power"]
    for psu, state, health in ((PSU1, s1, h1), (PSU1.replace("PSU1", "PSU2"), s2, h2)):
        documents[psu]["Status"] = {"State": state} | ({} if health is None else {"Health": health})
    documents["/redfish/v1/Chassis/1U/PowerSubsystem"]["PowerSupplyRedundancy"][0]["Status"]["Health"] = "OK"
    power = parse_redfish_documents(documents, "s")
    ok = {"Enabled", "StandbySpare"}
    assert is_redundant("redfish", power) == (s1 in ok and h1 == "OK" and s2 in ok and h2 == "OK")
