"""``tier3 archive``: its arguments and its refusals, before any host is reached (the lab runs are in
molecule/cluster/tests/test_archive.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.cli import main


def test_archive_without_an_action_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["archive"]) == 2
    assert "ACTION" in capsys.readouterr().err


def test_verify_of_an_inventory_that_is_not_there_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["archive", "verify", "-i", str(missing), "--witness-dir", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err
    assert "no such inventory" in err
    assert not (tmp_path / "w").exists()  # nothing written


@pytest.mark.parametrize("action", [["hold", "--name", "case-1", "--reason", "r"], ["purge"]])
def test_hold_and_purge_need_who(action: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["archive", *action]) == 2
    assert "--by" in capsys.readouterr().err
