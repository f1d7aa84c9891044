"""``lab up``, ``lab down``, ``lab status``: the lab's life cycle over Podman.

Everything the lab creates carries the label ``tier3.lab`` and a ``tier3-lab-`` name; ``down``
removes exactly what carries the label (containers, network, volumes) and the generated
inventory, never anything else.
"""

from __future__ import annotations

import ipaddress
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from tier3.errors import LabError
from tier3.lab import inventory
from tier3.lab.hosts import GATEWAY, HOSTS, NETWORK, SUBNET, LabHost
from tier3.lab.image import cache_dir, ensure_image
from tier3.lab.podman import Podman, network_create_args, run_args
from tier3.lab.progress import Steps
from tier3.lab.recipe import IMAGE_NAME, load_recipe

SOURCE = "tier3 lab"
READY_TIMEOUT = 240.0  # seconds for systemd in every container to settle (2 shared cores)
READY_STATES = ("running", "degraded")


def find_inventory_dir(start: Path | None = None) -> Path:
    """inventory/lab of the project around ``start`` (the nearest ancestor holding ansible.cfg)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "ansible.cfg").is_file() and (directory / "inventory").is_dir():
            return directory / "inventory" / "lab"
    return here / "inventory" / "lab"


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


def ensure_network(podman: Podman, steps: Steps) -> bool:
    """Create the lab network unless it exists; refuse a subnet another network already uses."""
    if podman.ok("network", "exists", NETWORK):
        info = podman.json("network", "inspect", NETWORK)
        subnets = [s.get("subnet") for s in (info[0].get("subnets") or [])] if info else []
        if SUBNET not in subnets:
            raise LabError(SOURCE, f"network {NETWORK}", f"exists with subnets {subnets}, not {SUBNET}",
                           hint="`tier3 lab down` (or remove that network if it is not the lab's), then `tier3 lab up`")
        return False
    wanted = ipaddress.ip_network(SUBNET)
    for net in podman.json("network", "ls", "--format", "json"):
        for sub in net.get("subnets") or []:
            if sub.get("subnet") and ipaddress.ip_network(sub["subnet"]).overlaps(wanted):
                raise LabError(SOURCE, f"network {net.get('name')}",
                               f"its subnet {sub['subnet']} overlaps the lab's {SUBNET}",
                               hint="remove that network, or change SUBNET in tools/tier3/lab/hosts.py")
    with steps.step(f"create network {NETWORK} ({SUBNET})"):
        podman(*network_create_args(NETWORK, SUBNET, GATEWAY))
    return True


def container_state(podman: Podman, host: LabHost) -> str:
    """'running', 'exited', 'created'... or 'absent'."""
    if not podman.ok("container", "exists", host.container):
        return "absent"
    return podman("inspect", "--format", "{{.State.Status}}", host.container).strip()


def system_state(podman: Podman, host: LabHost) -> str:
    """systemd's overall state inside the container (running, degraded, starting...)."""
    out = podman("exec", host.container, "systemctl", "is-system-running", check=False).strip()
    return out.splitlines()[-1] if out else "unknown"


def wait_ready(podman: Podman, hosts: tuple[LabHost, ...], timeout: float = READY_TIMEOUT) -> dict[str, str]:
    """Wait until systemd is running/degraded and python3 answers in every container."""
    deadline = time.monotonic() + timeout
    pending = list(hosts)
    states: dict[str, str] = {}
    while pending:
        for host in list(pending):
            state = system_state(podman, host)
            states[host.name] = state
            if state in READY_STATES and podman.ok("exec", host.container, "python3", "-c", "import apt, json"):
                pending.remove(host)
        if not pending:
            break
        if time.monotonic() > deadline:
            late = ", ".join(f"{h.name}={states.get(h.name)}" for h in pending)
            raise LabError(SOURCE, "systemd", f"not ready after {timeout:.0f} s: {late}",
                           hint="`podman exec tier3-lab-NAME systemctl --failed` shows what failed")
        time.sleep(1.0)
    return states


def up(hosts: tuple[LabHost, ...] = HOSTS, inventory_dir: Path | None = None, steps: Steps | None = None,
       rebuild: bool = False) -> UpResult:
    steps = steps or Steps()
    podman = Podman()
    recipe = load_recipe()
    built = ensure_image(podman, recipe, steps, rebuild=rebuild)
    net = ensure_network(podman, steps)
    created: list[str] = []
    started: list[str] = []
    for host in hosts:
        state = container_state(podman, host)
        if state == "absent":
            with steps.step(f"start {host.container} ({host.address})"):
                podman(*run_args(host, recipe.image, NETWORK, recipe.digest))
            created.append(host.name)
        elif state != "running":
            with steps.step(f"restart {host.container} (was {state})"):
                podman("start", host.container)
            started.append(host.name)
        else:
            image = podman("inspect", "--format", "{{.ImageName}}", host.container).strip()
            note = "" if image == recipe.image else f" (from {image}; `tier3 lab down && tier3 lab up` renews it)"
            steps.say(f"✓ {host.container} is running{note}")
    with steps.step(f"wait for systemd and python3 in {len(hosts)} containers"):
        wait_ready(podman, hosts)
    target = inventory_dir or find_inventory_dir()
    written = inventory.write(target, inventory.render(hosts))
    steps.say(f"{'✓ wrote' if written else '✓ unchanged:'} {target}")
    return UpResult(built, net, created, started, written, steps.elapsed)


@dataclass
class DownResult:
    containers: list[str]
    networks: list[str]
    volumes: list[str]
    images: list[str]
    inventory_removed: bool


def _is_generated(directory: Path) -> bool:
    hosts = directory / "hosts.yml"
    return hosts.is_file() and hosts.read_text(encoding="utf-8").startswith(inventory.HEADER)


def down(inventory_dir: Path | None = None, purge: bool = False, steps: Steps | None = None) -> DownResult:
    steps = steps or Steps()
    podman = Podman()
    containers = podman.names("container")
    if containers:
        with steps.step(f"remove {len(containers)} containers"):
            podman("rm", "--force", "--time", "10", *containers)
    volumes = podman.names("volume")
    if volumes:
        with steps.step(f"remove volumes {', '.join(volumes)}"):
            podman("volume", "rm", "--force", *volumes)
    networks = podman.names("network")
    if networks:
        with steps.step(f"remove network {', '.join(networks)}"):
            podman("network", "rm", *networks)
    images: list[str] = []
    if purge:
        images = [i for i in podman("images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_NAME).splitlines() if i]
        if images:
            with steps.step(f"remove images {', '.join(images)}"):
                podman("rmi", "--force", *images)
        shutil.rmtree(cache_dir(), ignore_errors=True)
    target = inventory_dir or find_inventory_dir()
    removed = False
    if target.is_dir():
        if not _is_generated(target):
            raise LabError(SOURCE, str(target), "is not a generated lab inventory; left in place",
                           hint="remove it by hand if it is yours")
        shutil.rmtree(target)
        removed = True
    return DownResult(containers, networks, volumes, images, removed)


@dataclass(frozen=True)
class HostStatus:
    host: LabHost
    container: str  # running, exited, absent...
    system: str  # systemd state, or "-" when the container is not running


def status(hosts: tuple[LabHost, ...] = HOSTS) -> list[HostStatus]:
    podman = Podman()
    out = []
    for host in hosts:
        state = container_state(podman, host)
        out.append(HostStatus(host, state, system_state(podman, host) if state == "running" else "-"))
    return out


def ensure_lab_image(steps: Steps | None = None, rebuild: bool = False) -> str:
    """Make sure the lab image exists (Molecule's dependency step); its name."""
    steps = steps or Steps()
    recipe = load_recipe()
    ensure_image(Podman(), recipe, steps, rebuild=rebuild)
    return recipe.image
