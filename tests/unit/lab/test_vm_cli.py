"""``tier3 lab up --metal | fault | heal``: the arguments, and errors that are one line and exit 2 (the metal
state directory is a test directory: no VM of this machine is touched)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.cli import main
from tier3.lab.faults import FAULTS


@pytest.fixture(autouse=True)
def metal_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("TIER3_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def test_fault_help_lists_every_fault(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "fault", "--help"]) == 0
    out = capsys.readouterr().out
    for name, fault in FAULTS.items():
        assert f"  {name:<20} {fault.about}" in out


def test_metal_and_metal_only_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "up", "--metal", "--metal-only"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "says"), [
    (["lab", "fault", "metal9", "nic-down"], "invalid choice: 'metal9'"),
    (["lab", "heal", "metal1", "disk-on-fire"], "invalid choice: 'disk-on-fire'"),
])
def test_unknown_host_or_fault(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_a_fault_on_a_host_that_is_not_running_is_a_lab_error(capsys: pytest.CaptureFixture[str],
                                                               metal_state: Path) -> None:
    assert main(["lab", "fault", "metal1", "psu-critical"]) == 2
    err = capsys.readouterr().err
    assert "metal1: is not running" in err
    assert "fix: `tier3 lab up --metal` first" in err
    assert not metal_state.exists()  # nothing made
