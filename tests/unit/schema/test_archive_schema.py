"""tier3_archive against its schema: a good one loads, and each bad value is one error naming its key and the
fix, so `tier3 validate` exits 2 before roles/archive (or anything else) touches a host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from support import edit_all_vars, two_site_inventory
from tier3.cli import main
from tier3.schema import InventorySchemaErrors, load_topology

RECIPIENT = "age1" + "q" * 58
ARCHIVE: dict[str, Any] = {"recipients": [RECIPIENT], "journal_domain": "journal.example.net",
                           "retention": {"default": "7y", "domains": {"example.net": "10y"},
                                         "mailboxes": {"cfo@example.net": "3650d"}}}


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    return two_site_inventory(tmp_path, tier3_archive=ARCHIVE)


def test_a_good_archive_loads(inv: Path) -> None:
    assert load_topology(inv) is not None


@pytest.mark.parametrize(("change", "key"), [
    ({"recipients": ["AGE-SECRET-KEY-1" + "Q" * 58]}, "tier3_archive.recipients[0]"),  # a private key
    ({"recipients": []}, "tier3_archive.recipients"),
    ({"retention": {"domains": {"example.net": "10y"}}}, "tier3_archive.retention.default"),
    ({"retention": {"default": "7y", "domains": {"example.net": "ten years"}}},
     "tier3_archive.retention.domains.example.net"),
    ({"retention": {"default": "7y", "forever": True}}, "tier3_archive.retention.forever"),
    ({"journal_domain": "no spaces.example"}, "tier3_archive.journal_domain"),
])
def test_each_bad_value_is_named(inv: Path, change: dict[str, Any], key: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    edit_all_vars(inv, lambda d: d["tier3_archive"].update(change))
    with pytest.raises(InventorySchemaErrors) as caught:
        load_topology(inv)
    assert [e.where for e in caught.value.errors] == [key]
    assert main(["validate", str(inv)]) == 2
    assert key in capsys.readouterr().err
