"""The lab's backends, keyed by name: how each kind of lab host is run.

``container`` (systemd containers under Podman) is the only one today; QEMU VMs (``vm``), BMC
emulators (``bmc``) and firewall peers (``firewall``) arrive as new rows here, each a class with
the ``Backend`` interface, and hosts in ``tier3.lab.hosts.HOSTS`` name theirs. Never an if-chain.
"""

from __future__ import annotations

from tier3.lab.backends.base import Backend, HostStatus, Removed, Started
from tier3.lab.backends.container import ContainerBackend

CONTAINER = ContainerBackend()

BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (CONTAINER,)}

__all__ = ["BACKENDS", "CONTAINER", "Backend", "ContainerBackend", "HostStatus", "Removed", "Started"]
