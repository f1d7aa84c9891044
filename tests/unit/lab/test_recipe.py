"""The image recipe hash and the apt sources reader (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.lab.recipe import CACHED_ONLY, PACKAGES, Mirrors, Recipe, find_mirrors, load_recipe, read_apt_sources

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_digest_is_stable_and_names_the_image() -> None:
    one = load_recipe()
    two = load_recipe()
    assert one.digest == two.digest
    assert len(one.digest) == 12
    assert one.image == f"localhost/tier3-lab-debian12:{one.digest}"


def test_digest_ignores_package_order() -> None:
    files = {"build-rootfs.sh": b"#!/bin/sh\n"}
    assert Recipe("bookworm", ("a", "b"), files).digest == Recipe("bookworm", ("b", "a"), files).digest


@pytest.mark.parametrize(
    "change",
    [
        lambda r: Recipe(r.suite, (*r.packages, "vim-tiny"), r.files),
        lambda r: Recipe("trixie", r.packages, r.files),
        lambda r: Recipe(r.suite, r.packages, {**r.files, "build-rootfs.sh": r.files["build-rootfs.sh"] + b"\n"}),
        lambda r: Recipe(r.suite, r.packages, {**r.files, "new.conf": b""}),
    ],
    ids=["package added", "suite", "build script edited", "file added"],
)
def test_digest_changes_with_the_recipe(change: object) -> None:
    recipe = load_recipe()
    assert callable(change)
    assert change(recipe).digest != recipe.digest


def test_recipe_reads_every_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.sh").write_bytes(b"a")
    (tmp_path / "sub" / "b.link").write_bytes(b"b")
    recipe = load_recipe(tmp_path)
    assert recipe.files == {"a.sh": b"a", "sub/b.link": b"b"}


def test_packages_carry_what_the_baseline_installs() -> None:
    baseline = {"openssh-server", "chrony", "nftables", "unattended-upgrades", "python3-apt"}
    assert baseline <= set(PACKAGES)
    assert {"systemd-sysv", "dbus", "python3", "iproute2"} <= set(PACKAGES)


def test_the_mail_stack_is_cached_not_installed_and_the_cache_is_in_the_tag() -> None:
    assert set(CACHED_ONLY) <= set(PACKAGES), "debootstrap downloads what the image caches"
    assert not {"openssh-server", "python3", "python3-apt"} & set(CACHED_ONLY)
    files = {"build-rootfs.sh": b"x"}
    assert Recipe("bookworm", PACKAGES, files, CACHED_ONLY).digest != Recipe("bookworm", PACKAGES, files).digest


def test_mirrors_from_deb822() -> None:
    assert find_mirrors({"/etc/apt/sources.list.d/debian.sources": DEB822}) == Mirrors(
        "http://deb.debian.org/debian", "http://deb.debian.org/debian-security"
    )


def test_mirrors_from_one_line_sources_with_options() -> None:
    text = (
        "# deb http://commented.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian/ bookworm main\n"
        "deb-src http://mirror.example/debian bookworm main\n"
        "deb http://security.example/debian-security bookworm-security main\n"
    )
    assert find_mirrors({"/etc/apt/sources.list": text}) == Mirrors(
        "http://mirror.example/debian", "http://security.example/debian-security"
    )


def test_security_mirror_falls_back_beside_the_debian_mirror() -> None:
    text = "deb http://mirror.example/debian bookworm main\n"
    assert find_mirrors({"/etc/apt/sources.list": text}) == Mirrors(
        "http://mirror.example/debian", "http://mirror.example/debian-security"
    )


def test_disabled_stanza_and_other_suites_give_no_mirror() -> None:
    disabled = DEB822.replace("Components: main\nSigned-By", "Enabled: no\nComponents: main\nSigned-By", 1)
    assert find_mirrors({"x.sources": disabled.split("\n\n")[0]}) is None
    assert find_mirrors({"/etc/apt/sources.list": "deb http://m.example/debian trixie main\n"}) is None
    assert find_mirrors({}) is None


def test_read_apt_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "other.list.disabled").write_text("deb http://x bookworm main\n")
    sources = read_apt_sources(tmp_path)
    assert list(sources) == [str(tmp_path / "sources.list.d" / "debian.sources")]
