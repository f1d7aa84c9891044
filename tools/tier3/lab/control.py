"""``lab up``, ``lab down``, ``lab status``: the lab's life cycle, one backend per kind of host.

Each host of the table names its backend (``LabHost.backend``, a key of ``BACKENDS``); this module
groups the hosts by backend, calls each, and writes or removes the generated inventory. It runs no
podman (or QEMU) command itself. ``down`` asks every backend to remove what it made for the lab,
never anything else.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tier3.errors import LabError
from tier3.lab import archive_identity, inventory, secrets
from tier3.lab.backends import BACKENDS, CONTAINER, FIREWALL, VM, Backend, HostStatus
from tier3.lab.backends.firewall import FirewallBackend
from tier3.lab.backends.vm import Part, VmBackend
from tier3.lab.hosts import EVERY_HOST, FIREWALL_HOSTS, HOSTS, METAL_HOSTS, LabHost
from tier3.lab.progress import Steps

SOURCE = "tier3 lab"

__all__ = ["DownResult", "HostStatus", "Part", "UpResult", "by_backend", "down", "ensure_lab_image", "fault",
           "metal_parts", "status", "up"]


def _project_root(start: Path) -> Path | None:
    """The nearest ancestor of ``start`` (itself included) holding ansible.cfg and inventory/."""
    here = start.resolve()
    for directory in (here, *here.parents):
        if (directory / "ansible.cfg").is_file() and (directory / "inventory").is_dir():
            return directory
    return None


def find_inventory_dir(start: Path | None = None) -> Path:
    """inventory/lab of the project around ``start`` (the nearest ancestor holding ansible.cfg)."""
    here = (start or Path.cwd()).resolve()
    return (_project_root(here) or here) / "inventory" / "lab"


def lab_cache_dir(inventory_dir: Path) -> Path:
    """``.cache/lab`` of the project the lab inventory is in (the lab CA is its ``pki/``); beside the
    inventory directory when that is in no project (``--inventory /tmp/lab``: ``/tmp/.cache/lab``)."""
    parent = inventory_dir.resolve().parent
    return (_project_root(parent) or parent) / ".cache" / "lab"


def by_backend(hosts: Sequence[LabHost]) -> list[tuple[Backend, list[LabHost]]]:
    """The hosts grouped by their backend, backends in the order their first host appears."""
    groups: dict[str, list[LabHost]] = {}
    for host in hosts:
        if host.backend not in BACKENDS:
            raise LabError(SOURCE, f"host {host.name}", f"unknown lab backend {host.backend!r}",
                           hint=f"use one of {', '.join(BACKENDS)} in tools/tier3/lab/hosts.py")
        groups.setdefault(host.backend, []).append(host)
    return [(BACKENDS[name], members) for name, members in groups.items()]


@dataclass
class UpResult:
    image_built: bool
    network_created: bool
    created: list[str]
    started: list[str]
    inventory_written: bool
    seconds: float

    @property
    def changed(self) -> bool:
        return self.image_built or self.network_created or bool(self.created or self.started) or self.inventory_written


def up(hosts: tuple[LabHost, ...] = HOSTS, inventory_dir: Path | None = None, steps: Steps | None = None,
       rebuild: bool = False, keep_running: bool = False) -> UpResult:
    """Start ``hosts`` (each through its backend), wait until they are ready, write inventory/lab
    (the secrets already in it kept, the missing ones made). ``keep_running``: the inventory also lists
    every other lab host that runs now (``lab up --metal-only`` beside a running container lab)."""
    steps = steps or Steps()
    built = net = False
    created: list[str] = []
    started: list[str] = []
    target = inventory_dir or find_inventory_dir()
    kept = secrets.load_or_create(target / secrets.SECRETS_FILE, lab_cache_dir(target))  # same on every up
    for backend, members in by_backend(hosts):
        done = backend.up(members, steps, rebuild=rebuild, secrets=kept)
        built, net = built or done.image_built, net or done.network_created
        created += done.created
        started += done.started
    if keep_running:
        others = tuple(h for h in EVERY_HOST if h not in hosts and h.backend in BACKENDS)
        running = {row.host.name for row in status(others) if row.container == "running"}
        hosts = tuple(h for h in EVERY_HOST if h in hosts or h.name in running)
    files = _render(hosts, kept, target)
    written = inventory.write(target, files)
    steps.say(f"{'✓ wrote' if written else '✓ unchanged:'} {target}")
    return UpResult(built, net, created, started, written, steps.elapsed)


def _render(hosts: Sequence[LabHost], kept: secrets.LabSecrets, target: Path) -> dict[str, str]:
    """inventory/lab of ``hosts``: the lab CA, the archive reader and the firewall pair's state of this lab."""
    firewall = _firewall()
    return inventory.render(hosts, secrets=kept, pki_ca_dir=lab_cache_dir(target) / "pki",
                            archive_recipient=archive_identity.public_key(lab_cache_dir(target)),
                            firewall_state=firewall.state if firewall is not None else None)


@dataclass
class DownResult:
    containers: list[str]
    networks: list[str]
    volumes: list[str]
    images: list[str]
    inventory_removed: bool
    cache_removed: bool = False  # .cache/lab (the lab CA)
    inventory_rewritten: bool = False  # down --metal-only beside containers: inventory/lab without the VMs
    vms: list[str] = field(default_factory=list)
    switches: list[str] = field(default_factory=list)
    emulators: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)  # the firewall pair's
    processes: list[str] = field(default_factory=list)


def _is_generated(directory: Path) -> bool:
    hosts = directory / "hosts.yml"
    return hosts.is_file() and hosts.read_text(encoding="utf-8").startswith(inventory.HEADER)


def down(inventory_dir: Path | None = None, purge: bool = False, steps: Steps | None = None,
         only: Sequence[str] = ()) -> DownResult:
    """Every backend removes what it made for the lab; then the generated inventory (with the lab's
    secrets) goes, and the lab's cache (.cache/lab: the lab CA). ``only``: just these backends (``vm``:
    the metal lab, ``firewall``: the firewall pair, leaving the containers running); the inventory is then
    written again with the lab hosts that are left (its secrets kept), and goes with the cache only when
    none is left."""
    steps = steps or Steps()
    gone = DownResult([], [], [], [], inventory_removed=False)
    unknown = sorted(set(only) - set(BACKENDS))
    if unknown:
        raise LabError(SOURCE, "down", f"unknown lab backend {', '.join(unknown)}", hint=f"use {', '.join(BACKENDS)}")
    for name, backend in BACKENDS.items():
        if only and name not in only:
            continue
        removed = backend.down(steps, purge=purge)
        gone.containers += removed.containers
        gone.networks += removed.networks
        gone.volumes += removed.volumes
        gone.images += removed.images
        gone.vms += removed.vms
        gone.switches += removed.switches
        gone.emulators += removed.emulators
        gone.namespaces += removed.namespaces
        gone.processes += removed.processes
    target = inventory_dir or find_inventory_dir()
    if only:
        left = tuple(row.host for row in status(tuple(h for h in EVERY_HOST if h.backend in BACKENDS))
                     if row.container != "absent")
        if left and _is_generated(target):
            kept = secrets.load_or_create(target / secrets.SECRETS_FILE, lab_cache_dir(target))
            files = _render(left, kept, target)
            gone.inventory_rewritten = inventory.write(target, files)
            return gone
        if left or not _is_generated(target):
            return gone
    if target.is_dir():
        if not _is_generated(target):
            raise LabError(SOURCE, str(target), "is not a generated lab inventory; left in place",
                           hint="remove it by hand if it is yours")
        shutil.rmtree(target)
        gone.inventory_removed = True
    cache = lab_cache_dir(target)
    if cache.is_dir():
        shutil.rmtree(cache)
        gone.cache_removed = True
    return gone


def status(hosts: tuple[LabHost, ...] | None = None) -> list[HostStatus]:
    """Each host's state and systemd state, in table order (by default the containers, the metal hosts
    when the metal lab exists, the firewall pair when it does)."""
    if hosts is None:
        metal, firewall = _metal(), _firewall()
        hosts = (HOSTS + (METAL_HOSTS if metal is not None and metal.exists() else ())
                 + (FIREWALL_HOSTS if firewall is not None and firewall.exists() else ()))
    found: dict[str, HostStatus] = {}
    for backend, members in by_backend(hosts):
        found.update((row.host.name, row) for row in backend.status(members))
    return [found[host.name] for host in hosts]


def ensure_lab_image(steps: Steps | None = None, rebuild: bool = False) -> str:
    """Make sure the lab image exists (Molecule's dependency step); its name."""
    return CONTAINER.image(steps or Steps(), rebuild=rebuild)


def _metal() -> VmBackend | None:
    """The metal hosts' backend of the table (BACKENDS["vm"]), if it is there."""
    backend = BACKENDS.get(VM.name)
    return backend if isinstance(backend, VmBackend) else None


def _firewall() -> FirewallBackend | None:
    """The firewall pair's backend of the table (BACKENDS["firewall"]), if it is there."""
    backend = BACKENDS.get(FIREWALL.name)
    return backend if isinstance(backend, FirewallBackend) else None


def metal_parts() -> list[Part]:
    """The metal lab's switches and BMC emulators with their states (empty when there is no metal lab)."""
    metal = _metal()
    return metal.parts() if metal is not None and metal.exists() else []


def fault(host: str, name: str, heal: bool = False) -> str:
    """Inject (``heal``: remove) fault ``name`` on metal host ``host`` (tier3.lab.faults.FAULTS); what was done."""
    metal = _metal()
    if metal is None:
        raise LabError(SOURCE, "fault", "the lab has no metal backend", hint="tools/tier3/lab/backends/__init__.py")
    return metal.fault(host, name, heal=heal)
