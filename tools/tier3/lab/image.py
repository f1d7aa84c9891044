"""Build the lab's Debian 12 image with debootstrap, once per recipe.

The image is ``localhost/tier3-lab-debian12:<recipe hash>``; ``podman image exists`` is the cache
check, so a build happens only when the package list or a file under ``files/`` changed. The
root file system is built under the cache directory (``$TIER3_CACHE_DIR``, default
``/var/cache/tier3``), never in the repository, and removed once imported.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tier3.errors import LabError
from tier3.lab.podman import Podman, import_changes
from tier3.lab.progress import Steps
from tier3.lab.recipe import CURRENT_TAG, FILES, IMAGE_NAME, Mirrors, Recipe, find_mirrors, read_apt_sources

SOURCE = "tier3 lab image"


def cache_dir() -> Path:
    return Path(os.environ.get("TIER3_CACHE_DIR", "/var/cache/tier3")) / "lab"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One build at a time on this machine (lab up and Molecule may ask together)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def machine_mirrors() -> Mirrors:
    mirrors = find_mirrors(read_apt_sources())
    if mirrors is None:
        raise LabError(SOURCE, "/etc/apt/sources.list*", "no Debian bookworm mirror in the machine's apt sources",
                       hint="add a `deb http://deb.debian.org/debian bookworm main` source (or your mirror)")
    return mirrors


def check_mirror(mirrors: Mirrors, suite: str, timeout: float = 15.0) -> None:
    url = f"{mirrors.debian}/dists/{suite}/Release"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            answer.read(64)
    except (urllib.error.URLError, OSError) as exc:
        raise LabError(SOURCE, url, f"the Debian mirror is unreachable ({exc})",
                       hint="check the network and the mirror in /etc/apt/sources.list*; `apt-get update` shows it",
                       ) from None


def tag_current(podman: Podman, recipe: Recipe) -> None:
    podman("tag", recipe.image, f"{IMAGE_NAME}:{CURRENT_TAG}")


def ensure_image(podman: Podman, recipe: Recipe, steps: Steps, rebuild: bool = False) -> bool:
    """Make sure the recipe's image exists; True when it was built now."""
    if not rebuild and podman.ok("image", "exists", recipe.image):
        tag_current(podman, recipe)
        steps.say(f"✓ image {recipe.image} exists (recipe unchanged)")
        return False
    if shutil.which("debootstrap") is None:
        raise LabError(SOURCE, "debootstrap", "debootstrap is not installed",
                       hint="apt-get install debootstrap (or run `make setup`)")
    cache = cache_dir()
    with _locked(cache / "build.lock"):
        if not rebuild and podman.ok("image", "exists", recipe.image):  # built by another caller meanwhile
            tag_current(podman, recipe)
            return False
        mirrors = machine_mirrors()
        check_mirror(mirrors, recipe.suite)
        rootfs = cache / f"rootfs-{recipe.digest}"
        log = cache / f"build-{recipe.digest}.log"
        shutil.rmtree(rootfs, ignore_errors=True)  # a half-built tree from an interrupted run
        with steps.step(f"debootstrap {recipe.suite} from {mirrors.debian} into {rootfs} (1 to 2 min; log {log})"):
            _debootstrap(recipe, rootfs, mirrors, log)
        with steps.step(f"import {recipe.image}"):
            _import(podman, rootfs, recipe)
        shutil.rmtree(rootfs, ignore_errors=True)
    tag_current(podman, recipe)
    return True


def _debootstrap(recipe: Recipe, rootfs: Path, mirrors: Mirrors, log: Path) -> None:
    script = FILES / "build-rootfs.sh"
    argv = ["sh", str(script), recipe.suite, str(rootfs), mirrors.debian, mirrors.security,
            ",".join(recipe.packages), str(FILES), ",".join(recipe.cached_only)]
    with log.open("w") as out:
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise LabError(SOURCE, "debootstrap", f"failed ({proc.returncode}): {' / '.join(tail)}",
                       hint=f"read {log}; a mirror or network problem shows there; then run `tier3 lab up` again")


def _import(podman: Podman, rootfs: Path, recipe: Recipe) -> None:
    # tar options before -c, or the excludes are ignored
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        podman("import", *import_changes(), "-", recipe.image, stdin=tar.stdout)
    finally:
        if tar.stdout is not None:
            tar.stdout.close()
        tar.wait()
    if tar.returncode != 0:
        raise LabError(SOURCE, "tar", f"packing {rootfs} failed ({tar.returncode})",
                       hint="check free space in the cache")
