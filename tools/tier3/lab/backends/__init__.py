"""The lab's backends, keyed by name: how each kind of lab host is run.

``container`` (systemd containers under Podman) and ``vm`` (the metal hosts: QEMU VMs with their
switches and BMC emulators, ``backends/vm.py``); firewall peers (``firewall``) arrive as a new row
here, each a class with the ``Backend`` interface, and hosts in ``tier3.lab.hosts`` name theirs.
Never an if-chain.
"""

from __future__ import annotations

from tier3.lab.backends.base import Backend, HostStatus, Removed, Started
from tier3.lab.backends.container import ContainerBackend
from tier3.lab.backends.vm import VmBackend

CONTAINER = ContainerBackend()
VM = VmBackend()

BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (CONTAINER, VM)}

__all__ = ["BACKENDS", "CONTAINER", "VM", "Backend", "ContainerBackend", "HostStatus", "Removed", "Started",
           "VmBackend"]
