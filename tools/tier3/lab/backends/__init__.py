"""The lab's backends, keyed by name: how each kind of lab host is run.

``container`` (systemd containers under Podman), ``vm`` (the metal hosts: QEMU VMs with their
switches and BMC emulators, ``backends/vm.py``) and ``firewall`` (the firewall pair: network namespaces
with a private sshd and keepalived each, ``backends/firewall.py``), each a class with the ``Backend``
interface; hosts in ``tier3.lab.hosts`` name theirs. Never an if-chain.
"""

from __future__ import annotations

from tier3.lab.backends.base import Backend, HostStatus, Removed, Started
from tier3.lab.backends.container import ContainerBackend
from tier3.lab.backends.firewall import FirewallBackend
from tier3.lab.backends.vm import VmBackend

CONTAINER = ContainerBackend()
VM = VmBackend()
FIREWALL = FirewallBackend()

BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (CONTAINER, VM, FIREWALL)}

__all__ = ["BACKENDS", "CONTAINER", "FIREWALL", "VM", "Backend", "ContainerBackend", "FirewallBackend", "HostStatus",
           "Removed", "Started", "VmBackend"]
