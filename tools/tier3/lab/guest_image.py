"""The metal hosts' guest image: Debian 12 debootstrapped once per recipe, written as an ext4 image
labelled ``root``, with the kernel and initramfs QEMU boots directly.

The recipe is the container image's kind (``tier3.lab.recipe.Recipe``): the suite, the package list and
every file under ``metal_files/`` (the build script included); its hash names the three files under
``tier3.lab.metal.image_dir()``, so the image is rebuilt exactly when the recipe changes. ``lab down``
keeps them; ``lab down --purge`` removes them. Each VM boots a qcow2 overlay of the base image, so the
base is never written to. The mirror is read from the machine's apt sources at run time.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tier3.errors import LabError
from tier3.lab.image import _locked, check_mirror, machine_mirrors
from tier3.lab.metal import ROOT_DISK_GB, image_dir
from tier3.lab.progress import Steps
from tier3.lab.recipe import SUITE, Recipe, load_recipe

SOURCE = "tier3 lab metal image"
METAL_FILES = Path(__file__).resolve().parent / "metal_files"

# debootstrap --include: a bootable system (kernel, initramfs, udev, systemd), SSH and python3 for
# Ansible, and the tools of the hardware the metal hosts have (md RAID, dm-multipath over two HBAs,
# LUKS, bonds with LLDP to tell which switch a NIC reaches).
GUEST_PACKAGES: tuple[str, ...] = (
    "systemd-sysv", "udev", "kmod", "dbus", "linux-image-amd64", "initramfs-tools", "busybox",
    "openssh-server", "openssh-sftp-server", "python3", "python3-apt", "procps", "ca-certificates",
    "iproute2", "iputils-ping", "lldpd",
    "mdadm", "multipath-tools", "cryptsetup", "lsscsi", "sg3-utils", "e2fsprogs",
)


@dataclass(frozen=True)
class GuestImage:
    """The three files a VM boots from, named by the recipe's hash."""

    digest: str
    directory: Path

    @property
    def base(self) -> Path:
        return self.directory / f"base-{self.digest}.raw"

    @property
    def kernel(self) -> Path:
        return self.directory / f"vmlinuz-{self.digest}"

    @property
    def initrd(self) -> Path:
        return self.directory / f"initrd-{self.digest}"

    @property
    def complete(self) -> bool:
        return all(p.is_file() and p.stat().st_size > 0 for p in (self.base, self.kernel, self.initrd))


def load_guest_recipe(files: Path = METAL_FILES, packages: tuple[str, ...] = GUEST_PACKAGES) -> Recipe:
    return load_recipe(files=files, packages=packages, suite=SUITE, cached_only=())


def guest_image(recipe: Recipe | None = None, directory: Path | None = None) -> GuestImage:
    return GuestImage((recipe or load_guest_recipe()).digest, directory or image_dir())


def ensure_guest_image(steps: Steps, rebuild: bool = False) -> tuple[GuestImage, bool]:
    """Make sure the recipe's image exists; (the image, True when it was built now)."""
    recipe = load_guest_recipe()
    image = guest_image(recipe)
    if not rebuild and image.complete:
        steps.say(f"✓ metal image {image.base.name} exists (recipe unchanged)")
        return image, False
    for tool, package in (("debootstrap", "debootstrap"), ("mkfs.ext4", "e2fsprogs")):
        if shutil.which(tool) is None:
            raise LabError(SOURCE, tool, f"{tool} is not installed",
                           hint=f"apt-get install {package} (or run `make setup`)")
    image.directory.mkdir(parents=True, exist_ok=True)
    with _locked(image.directory / "build.lock"):
        if not rebuild and image.complete:  # built by another caller meanwhile
            return image, False
        mirrors = machine_mirrors()
        check_mirror(mirrors, recipe.suite)
        rootfs = image.directory / f"rootfs-{recipe.digest}"
        log = image.directory / f"build-{recipe.digest}.log"
        shutil.rmtree(rootfs, ignore_errors=True)  # a half-built tree from an interrupted run
        for stale in (image.base, image.kernel, image.initrd):
            stale.unlink(missing_ok=True)
        argv = ["sh", str(METAL_FILES / "build-guest.sh"), recipe.suite, str(rootfs), mirrors.debian, mirrors.security,
                ",".join(recipe.packages), str(METAL_FILES), str(image.base), str(ROOT_DISK_GB), str(image.kernel),
                str(image.initrd)]
        try:
            with steps.step(f"debootstrap the metal guest ({recipe.suite}, kernel, mdadm, multipath, LUKS, lldpd) "
                            f"into {image.base} (about 2 min; log {log})"):
                _run(argv, log)
        finally:
            shutil.rmtree(rootfs, ignore_errors=True)
    _remove_other_builds(image)
    return image, True


def _run(argv: list[str], log: Path) -> None:
    with log.open("w") as out:
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise LabError(SOURCE, "build-guest.sh", f"failed ({proc.returncode}): {' / '.join(tail)}",
                       hint=f"read {log}; a mirror or network problem shows there; then `tier3 lab up --metal` again")


def _remove_other_builds(keep: GuestImage) -> None:
    """An image of an older recipe is never booted again (a VM's overlay names its base: `lab down` first)."""
    for path in keep.directory.glob("*-*"):
        name = path.name
        if path.is_file() and name.split("-", 1)[0] in ("base", "vmlinuz", "initrd", "build") \
                and keep.digest not in name:
            path.unlink(missing_ok=True)
