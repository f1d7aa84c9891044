"""tier3_sites[].uplinks: the model built with each uplink's Location, and every bad uplink an
inventory error naming the file, the key and the fix (exit 2 in `tier3 validate`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import edit_all_vars
from tier3.cli import main
from tier3.model import Location, Uplink
from tier3.schema import InventorySchemaErrors, load_topology

HEALTHY = Path(__file__).parents[2] / "fixtures" / "inventories" / "healthy"
Doc = dict[str, Any]
# site1 of the healthy fixture: firewall pair "edge" of fw1 and fw2 (r1, r2), mx1 and mx2 not firewalls
UPLINKS: list[Doc] = [
    {"name": "site1-inet1", "carrier": "Carrier-A", "lands_on": "fw1", "entry": "site1-entry-north",
     "circuit": "CA-FRA-100234"},
    {"name": "site1-inet2", "carrier": "Carrier-B", "lands_on": "fw2", "entry": "site1-entry-south"},
]


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(HEALTHY, target)
    return target


def edit(inv: Path, change: Callable[[Doc], None]) -> Path:
    return edit_all_vars(inv, change)


def uplinks(*docs: Doc, site: int = 0) -> Callable[[Doc], None]:
    def change(data: Doc) -> None:
        data["tier3_sites"][site]["uplinks"] = [dict(d) for d in docs]

    return change


def errors_of(inv: Path) -> list[str]:
    with pytest.raises(InventorySchemaErrors) as caught:
        load_topology(inv)
    return [e.one_line() for e in caught.value.errors]


def test_uplinks_are_built_with_their_site_and_location(inv: Path) -> None:
    path = edit(inv, uplinks(*UPLINKS))
    site = load_topology(inv).sites[0]
    assert site.uplinks == (
        Uplink("site1-inet1", "site1", "Carrier-A", "fw1", "site1-entry-north", "CA-FRA-100234",
               Location(str(path), "tier3_sites[0].uplinks[0]")),
        Uplink("site1-inet2", "site1", "Carrier-B", "fw2", "site1-entry-south", "",
               Location(str(path), "tier3_sites[0].uplinks[1]")),
    )


def test_a_site_without_uplinks_has_none(inv: Path) -> None:
    assert load_topology(inv).sites[0].uplinks == ()


def test_an_uplink_may_land_on_a_router_that_is_not_a_host(inv: Path) -> None:
    edit(inv, uplinks(UPLINKS[0], {**UPLINKS[1], "lands_on": "site1-rtr1"}))
    assert [u.lands_on for u in load_topology(inv).sites[0].uplinks] == ["fw1", "site1-rtr1"]


def test_an_uplink_without_carrier_is_a_schema_error_naming_its_key(inv: Path) -> None:
    path = edit(inv, uplinks({k: v for k, v in UPLINKS[0].items() if k != "carrier"}, UPLINKS[1]))
    assert errors_of(inv) == [
        f"{path}: tier3_sites[0].uplinks[0].carrier: required field (schema: site) (fix: add `carrier`)"]


def test_an_empty_entry_and_a_misspelt_key_are_schema_errors(inv: Path) -> None:
    path = edit(inv, uplinks({**UPLINKS[0], "entry": ""}, {**UPLINKS[1], "landson": "fw2"}))
    assert errors_of(inv) == [
        f"{path}: tier3_sites[0].uplinks[0].entry: empty values not allowed (schema: site) (fix: give it a value)",
        f"{path}: tier3_sites[0].uplinks[1].landson: unknown field (schema: site) (fix: remove `landson` or fix "
        "its spelling; allowed here: carrier, circuit, entry, lands_on, name)",
    ]


def test_an_uplink_landing_on_a_host_that_is_no_firewall_is_an_error_with_the_fix(inv: Path) -> None:
    path = edit(inv, uplinks(UPLINKS[0], {**UPLINKS[1], "lands_on": "mx1"}))
    assert errors_of(inv) == [
        f"{path}: tier3_sites[0].uplinks[1].lands_on: host 'mx1' is not a member of a firewall pair of site site1 "
        "(fix: land it on a firewall pair member of site site1 (fw1, fw2), or name the router it lands on "
        "(a name that is not an inventory host))"]


def test_an_uplink_landing_on_an_inventory_host_without_tier3_host_is_an_error(inv: Path) -> None:
    hosts = inv / "hosts.yml"
    data = yaml.safe_load(hosts.read_text())
    data["all"]["children"]["clients"] = {"hosts": {"client1": None}}
    hosts.write_text(yaml.safe_dump(data))
    path = edit(inv, uplinks(UPLINKS[0], {**UPLINKS[1], "lands_on": "client1"}))
    assert errors_of(inv)[0].startswith(
        f"{path}: tier3_sites[0].uplinks[1].lands_on: host 'client1' is not a member of a firewall pair of site site1")


def test_an_uplink_landing_on_another_sites_firewall_is_an_error(inv: Path) -> None:
    def change(data: Doc) -> None:
        data["tier3_sites"].append({"name": "site2", "uplinks": [{**UPLINKS[0], "name": "site2-inet1"}]})

    path = edit(inv, change)
    assert errors_of(inv) == [
        f"{path}: tier3_sites[1].uplinks[0].lands_on: host 'fw1' is a firewall of site site1, not of site site2 "
        "(fix: declare a firewall pair of site site2 under tier3_firewall_pairs to land it on, or name the router "
        "it lands on (a name that is not an inventory host))"]


def test_uplink_names_are_unique_across_the_inventory(inv: Path) -> None:
    path = edit(inv, uplinks(UPLINKS[0], {**UPLINKS[1], "name": "site1-inet1"}))
    assert errors_of(inv) == [
        f"{path}: tier3_sites[0].uplinks[1].name: duplicate uplink name 'site1-inet1' (first declared at "
        f"{path}: tier3_sites[0].uplinks[0]) (fix: names are unique per kind across the whole inventory; prefix "
        "them with the site or rack)"]


def test_validate_exits_2_naming_the_file_and_key(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(inv, uplinks({**UPLINKS[0], "lands_on": "mx2"}, UPLINKS[1]))
    assert main(["validate", str(inv)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "group_vars/all.yml: tier3_sites[0].uplinks[0].lands_on: host 'mx2' is not a member of a firewall " \
        "pair of site site1 (fix: " in err
    assert "Traceback" not in err
