"""tier3_waivers in the inventory: read into the topology, and every bad entry refused naming its key."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tier3.schema.errors import InventorySchemaErrors
from tier3.validate import validate

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"
GOOD = """\
tier3_waivers:
  - rule: T3-PWR-003
    subject: mx1
    justification: "PDU b is replaced in the January window"
    owner: ops-dc@example.test
    expires: 2027-01-31
    ticket: CHG-1042
"""


def _inventory(tmp_path: Path, waivers: str) -> Path:
    copy = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, copy)
    (copy / "group_vars" / "all" / "waivers.yml").write_text(waivers)
    return copy


def test_waivers_are_read_with_their_date_and_place(tmp_path: Path) -> None:
    checked = validate(_inventory(tmp_path, GOOD))
    (w,) = checked.topology.waivers
    assert (w.rule_id, w.subject, w.owner, w.expires, w.ticket) == (
        "T3-PWR-003", "mx1", "ops-dc@example.test", dt.date(2027, 1, 31), "CHG-1042")
    assert w.location is not None
    assert w.location.key == "tier3_waivers[0]"
    assert w.location.file.endswith("waivers.yml")


@pytest.mark.parametrize(("change", "key", "words"), [
    (("2027-01-31", '"2027-02-31"'), "tier3_waivers[0].expires", "no calendar date"),
    (("T3-PWR-003", "T3-PWR-999"), "tier3_waivers[0].rule", "no rule T3-PWR-999"),
    (("T3-PWR-003", "PWR-003"), "tier3_waivers[0].rule", "regex"),
    (('    justification: "PDU b is replaced in the January window"\n', ""), "tier3_waivers[0].justification",
     "required"),
])
def test_a_bad_waiver_names_its_key(tmp_path: Path, change: tuple[str, str], key: str, words: str) -> None:
    with pytest.raises(InventorySchemaErrors) as raised:
        validate(_inventory(tmp_path, GOOD.replace(*change)))
    lines = [e.one_line() for e in raised.value.errors]
    assert any(key in line and words in line for line in lines), lines


def test_two_waivers_of_one_finding_are_refused(tmp_path: Path) -> None:
    twice = GOOD + GOOD.split("\n", 1)[1]
    with pytest.raises(InventorySchemaErrors) as raised:
        validate(_inventory(tmp_path, twice))
    assert any("tier3_waivers[1]" in e.one_line() and "again" in e.one_line() for e in raised.value.errors)
