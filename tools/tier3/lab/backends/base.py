"""What a lab backend is: the interface every kind of lab host is run through, and what it reports.

``tier3.lab.control`` reads the host table and calls each host's backend (``LabHost.backend``, a key
of ``tier3.lab.backends.BACKENDS``); it never calls podman, QEMU or an emulator itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tier3.lab.hosts import LabHost
from tier3.lab.progress import Steps
from tier3.lab.secrets import LabSecrets


@dataclass
class Started:
    """What ``up`` did for the hosts of one backend."""

    image_built: bool = False
    network_created: bool = False
    created: list[str] = field(default_factory=list)  # host names
    started: list[str] = field(default_factory=list)  # host names restarted (they existed, stopped)


@dataclass
class Removed:
    """What ``down`` removed for one backend, by kind of object (names)."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    vms: list[str] = field(default_factory=list)  # host names
    switches: list[str] = field(default_factory=list)  # network namespaces
    emulators: list[str] = field(default_factory=list)  # BMC emulators and switch daemons
    namespaces: list[str] = field(default_factory=list)  # the firewall pair's network namespaces
    processes: list[str] = field(default_factory=list)  # the firewall pair's sshd, keepalived, listeners


@dataclass(frozen=True)
class HostStatus:
    host: LabHost
    container: str  # running, exited, absent... (the backend's own word for the host's state)
    system: str  # systemd state, or "-" when the host is not running


class Backend(Protocol):
    """Runs one kind of lab host. Every method is idempotent; hosts come in table order."""

    name: str  # the key in BACKENDS and in LabHost.backend
    noun: str  # what one host is called in step lines: "container"

    def up(self, hosts: Sequence[LabHost], steps: Steps, rebuild: bool = False,
           secrets: LabSecrets | None = None) -> Started:
        """Make the hosts exist and run, shared resources first (image, network), then wait until each
        is ready for Ansible (systemd settled, python3 answers). ``secrets``: the lab's (a BMC emulator
        takes its password from them)."""
        ...

    def down(self, steps: Steps, purge: bool = False) -> Removed:
        """Remove everything this backend made for the lab, whatever the host table says now
        (``purge``: its images and build cache too)."""
        ...

    def status(self, hosts: Sequence[LabHost]) -> list[HostStatus]:
        """Each host's state and its systemd state, in the order given."""
        ...
