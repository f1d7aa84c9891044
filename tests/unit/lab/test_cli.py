"""``tier3 lab``: missing tools are user errors (one line, exit 2), not tracebacks."""

from __future__ import annotations

import shutil

import pytest

from tier3.cli import main


def test_podman_missing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert main(["lab", "status"]) == 2
    err = capsys.readouterr().err
    assert "podman is not installed" in err
    assert "fix: apt-get install podman runc" in err


def test_runc_missing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "runc" else f"/usr/bin/{name}")
    assert main(["lab", "down"]) == 2
    assert "runc is not installed" in capsys.readouterr().err


def test_unknown_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "up", "mx9"]) == 2
    assert "unknown lab host mx9" in capsys.readouterr().err


def test_action_required() -> None:
    assert main(["lab"]) == 2
