"""Image build failures become LabError with the fix (no podman, no network beyond loopback)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tier3.errors import LabError
from tier3.lab import image
from tier3.lab.recipe import Mirrors, Recipe


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_mirror() -> None:
    mirror = f"http://127.0.0.1:{closed_port()}/debian"
    with pytest.raises(LabError, match="the Debian mirror is unreachable") as caught:
        image.check_mirror(Mirrors(mirror, mirror + "-security"), "bookworm", timeout=2)
    assert "sources.list" in caught.value.hint


def test_failed_debootstrap_names_its_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "build-rootfs.sh").write_text('echo "E: Couldn\x27t download packages: systemd-sysv" >&2\nexit 1\n')
    monkeypatch.setattr(image, "FILES", files)
    log = tmp_path / "build.log"
    with pytest.raises(LabError, match="Couldn't download packages") as caught:
        image._debootstrap(Recipe("bookworm", ("systemd-sysv",), {}), tmp_path / "rootfs",
                           Mirrors("http://m/debian", "http://m/debian-security"), log)
    assert str(log) in caught.value.hint


def test_no_mirror_in_apt_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image, "read_apt_sources", dict)
    with pytest.raises(LabError, match="no Debian bookworm mirror"):
        image.machine_mirrors()


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIER3_CACHE_DIR", str(tmp_path))
    assert image.cache_dir() == tmp_path / "lab"
    monkeypatch.delenv("TIER3_CACHE_DIR")
    assert image.cache_dir() == Path("/var/cache/tier3/lab")
