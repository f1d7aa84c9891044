"""``tier3 audit`` on the command line: bad input is exit 2 with one line naming the option or file, before any host
is touched; ``--verify-bundle`` exits 0 on a whole bundle and 2 on a tampered one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tier3.audit.bundle import RawItem, signing_key, write_bundle
from tier3.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"


def test_a_day_that_is_no_date_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "-i", str(EXAMPLE), "--today", "2027-02-31"]) == 2
    assert "not a calendar date: '2027-02-31'" in capsys.readouterr().err


def test_a_bad_inventory_is_refused_before_any_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    (inventory / "group_vars" / "all" / "waivers.yml").write_text(
        "tier3_waivers:\n  - rule: T3-PWR-003\n    subject: mx1\n    owner: ops\n    expires: 2027-01-31\n")
    assert main(["audit", "-i", str(inventory), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "tier3_waivers[0].justification" in err
    assert not (tmp_path / "out").exists()


def test_verify_bundle_exits_0_on_a_whole_bundle_and_2_on_a_tampered_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "evidence"
    write_bundle(bundle, [RawItem("mx1", "postqueue", "postqueue -j", b"{}\n")], signing_key(tmp_path / "k.pem"))
    assert main(["audit", "--verify-bundle", str(bundle)]) == 0
    assert "1 item(s)" in capsys.readouterr().out
    next((bundle / "items").rglob("*.txt")).write_text("changed\n")
    assert main(["audit", "--verify-bundle", str(bundle)]) == 2
    out = capsys.readouterr().out
    assert "does NOT verify" in out
    assert "is not the manifest's" in out
