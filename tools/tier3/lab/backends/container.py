"""The ``container`` backend: systemd containers under Podman, from the lab image.

Every object it creates carries the label ``tier3.lab`` and a ``tier3-lab-`` name; ``down``
removes exactly what carries the label (containers, network, volumes), never anything else.
"""

from __future__ import annotations

import ipaddress
import shutil
import time
from collections.abc import Sequence

from tier3.errors import LabError
from tier3.lab.backends.base import HostStatus, Removed, Started
from tier3.lab.hosts import GATEWAY, NETWORK, SUBNET, LabHost
from tier3.lab.image import cache_dir, ensure_image
from tier3.lab.podman import Podman, network_create_args, run_args
from tier3.lab.progress import Steps
from tier3.lab.recipe import IMAGE_NAME, load_recipe
from tier3.lab.secrets import LabSecrets

SOURCE = "tier3 lab"
READY_TIMEOUT = 240.0  # seconds for systemd in every container to settle (2 shared cores)
READY_STATES = ("running", "degraded")


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


def ready(podman: Podman, host: LabHost, states: dict[str, str]) -> bool:
    """systemd is running/degraded and python3 answers with the modules Ansible's apt module needs."""
    state = system_state(podman, host)
    states[host.name] = state
    return state in READY_STATES and podman.ok("exec", host.container, "python3", "-c", "import apt, json")


def wait_ready(podman: Podman, hosts: Sequence[LabHost], timeout: float = READY_TIMEOUT) -> dict[str, str]:
    """Wait until every container is ready (see ``ready``); their systemd states."""
    deadline = time.monotonic() + timeout
    pending = list(hosts)
    states: dict[str, str] = {}
    while pending:
        for host in list(pending):
            if ready(podman, host, states):
                pending.remove(host)
        if not pending:
            break
        if time.monotonic() > deadline:
            late = ", ".join(f"{h.name}={states.get(h.name)}" for h in pending)
            raise LabError(SOURCE, "systemd", f"not ready after {timeout:.0f} s: {late}",
                           hint="`podman exec tier3-lab-NAME systemctl --failed` shows what failed; \"Failed to create "
                                "inotify object\" in its journal: raise fs.inotify.max_user_instances to 1024 "
                                "(tools/setup-machine does)")
        time.sleep(1.0)
    return states


class ContainerBackend:
    """systemd containers under Podman (runc, the lab network, the lab image)."""

    name = "container"
    noun = "container"

    def up(self, hosts: Sequence[LabHost], steps: Steps, rebuild: bool = False,
           secrets: LabSecrets | None = None) -> Started:  # noqa: ARG002  (the interface: containers need none)
        podman = Podman()
        recipe = load_recipe()
        done = Started(image_built=ensure_image(podman, recipe, steps, rebuild=rebuild),
                       network_created=ensure_network(podman, steps))
        for host in hosts:
            state = container_state(podman, host)
            if state == "absent":
                with steps.step(f"start {host.container} ({host.address})"):
                    podman(*run_args(host, recipe.image, NETWORK, recipe.digest))
                done.created.append(host.name)
            elif state != "running":
                with steps.step(f"restart {host.container} (was {state})"):
                    podman("start", host.container)
                done.started.append(host.name)
            else:
                image = podman("inspect", "--format", "{{.ImageName}}", host.container).strip()
                note = "" if image == recipe.image else f" (from {image}; `tier3 lab down && tier3 lab up` renews it)"
                steps.say(f"✓ {host.container} is running{note}")
        with steps.step(f"wait for systemd and python3 in {len(hosts)} {self.noun}s"):
            wait_ready(podman, hosts)
        return done

    def down(self, steps: Steps, purge: bool = False) -> Removed:
        podman = Podman()
        gone = Removed(containers=podman.names("container"))
        if gone.containers:
            with steps.step(f"remove {len(gone.containers)} containers"):
                podman("rm", "--force", "--time", "10", *gone.containers)
        gone.volumes = podman.names("volume")
        if gone.volumes:
            with steps.step(f"remove volumes {', '.join(gone.volumes)}"):
                podman("volume", "rm", "--force", *gone.volumes)
        gone.networks = podman.names("network")
        if gone.networks:
            with steps.step(f"remove network {', '.join(gone.networks)}"):
                podman("network", "rm", *gone.networks)
        if purge:
            listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_NAME).splitlines()
            gone.images = [i for i in listed if i]
            if gone.images:
                with steps.step(f"remove images {', '.join(gone.images)}"):
                    podman("rmi", "--force", *gone.images)
            shutil.rmtree(cache_dir(), ignore_errors=True)
        return gone

    def status(self, hosts: Sequence[LabHost]) -> list[HostStatus]:
        podman = Podman()
        out = []
        for host in hosts:
            state = container_state(podman, host)
            out.append(HostStatus(host, state, system_state(podman, host) if state == "running" else "-"))
        return out

    def image(self, steps: Steps, rebuild: bool = False) -> str:
        """Make sure the lab image exists (Molecule's dependency step); its name."""
        recipe = load_recipe()
        ensure_image(Podman(), recipe, steps, rebuild=rebuild)
        return recipe.image
