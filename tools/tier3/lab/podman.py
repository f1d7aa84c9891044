"""Podman: the command lines the lab runs (pure builders) and one runner that turns failures into
``LabError`` with a fix.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from tier3.errors import LabError
from tier3.lab.hosts import LABEL, NETWORK, SUBNET, LabHost

RUNTIME = "runc"  # crun fails here: "cgroups in hybrid mode not supported"
# Podman's default rlimits are refused without CAP_SYS_RESOURCE; low explicit ones work.
ULIMITS: tuple[str, ...] = ("nofile=1024:1024", "nproc=4096:4096")


def run_args(host: LabHost, image: str, network: str = NETWORK, recipe: str = "") -> list[str]:
    """``podman run`` arguments for one systemd container of the lab."""
    args = [
        "run", "--detach",
        "--name", host.container,
        "--hostname", host.name,
        "--runtime", RUNTIME,
        "--systemd=always",
        "--network", network, "--ip", host.address,
        "--label", f"{LABEL}=1", "--label", f"{LABEL}.host={host.name}",
    ]
    if recipe:
        args += ["--label", f"{LABEL}.recipe={recipe}"]
    for limit in ULIMITS:
        args += ["--ulimit", limit]
    for cap in host.capabilities:
        args += ["--cap-add", cap]
    return [*args, image, "/sbin/init"]


def network_create_args(name: str = NETWORK, subnet: str = SUBNET, gateway: str = "") -> list[str]:
    args = ["network", "create", "--driver", "bridge", "--subnet", subnet, "--label", f"{LABEL}=1"]
    if gateway:
        args += ["--gateway", gateway]
    return [*args, name]


def import_changes() -> list[str]:
    """``podman import --change`` arguments: how the image boots systemd."""
    changes = ['CMD ["/sbin/init"]', "STOPSIGNAL SIGRTMIN+3", "ENV container=podman",
               f"LABEL {LABEL}.image=1"]
    out: list[str] = []
    for change in changes:
        out += ["--change", change]
    return out


class Podman:
    """Runs podman; every failure becomes a LabError naming the command and a fix."""

    def __init__(self, executable: str = "podman") -> None:
        path = shutil.which(executable)
        if path is None:
            raise LabError("tier3 lab", "podman", "podman is not installed",
                           hint="apt-get install podman runc (or run `make setup`)")
        if shutil.which(RUNTIME) is None:
            raise LabError("tier3 lab", "runc", "the OCI runtime runc is not installed (crun fails on this machine)",
                           hint="apt-get install runc (or run `make setup`)")
        self.executable = path

    def __call__(self, *args: str, check: bool = True, stdin: Any = None, hint: str = "") -> str:
        argv = [self.executable, *args]
        proc = subprocess.run(argv, stdin=stdin, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise LabError("tier3 lab", " ".join(["podman", *args[:2]]),
                           f"failed ({proc.returncode}): {detail[-1] if detail else 'no output'}",
                           hint=hint or "see `podman ps -a` and `journalctl`; `tier3 lab down` then `tier3 lab up`")
        return proc.stdout

    def ok(self, *args: str) -> bool:
        """True when the command exits 0 (``image exists``, ``container exists``...)."""
        return subprocess.run([self.executable, *args], capture_output=True, check=False).returncode == 0

    def json(self, *args: str) -> Any:
        text = self(*args)
        return json.loads(text) if text.strip() else []

    def names(self, kind: str, label: str = LABEL) -> list[str]:
        """Names of containers, networks or volumes carrying the lab label."""
        fmt = {"container": "{{.Names}}", "network": "{{.Name}}", "volume": "{{.Name}}"}[kind]
        cmd: Sequence[str] = (
            ["ps", "--all", "--filter", f"label={label}", "--format", fmt] if kind == "container"
            else [kind, "ls", "--filter", f"label={label}", "--format", fmt]
        )
        return [line for line in self(*cmd).splitlines() if line.strip()]
