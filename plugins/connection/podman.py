# Copyright (c) 2026 tier3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tier3.dc.podman: containers.podman.podman with pipelining, for the lab's systemd containers."""

from __future__ import annotations

DOCUMENTATION = r"""
name: podman
author: tier3 contributors
short_description: Run tasks in a Podman container with pipelining (one podman exec per module)
description:
  - The C(containers.podman.podman) connection, with two changes that make a converge of many
    containers several times faster on a small machine.
  - Pipelining. The module is sent on the standard input of one C(podman exec --interactive)
    instead of being copied into the container and run by a second and third C(podman exec)
    (mkdir, run, rm). Set C(pipelining = True) in C([defaults]) or C([connection]) of ansible.cfg,
    or C(ansible_pipelining=true), as with SSH.
  - No C(podman mount) per task. The container's file system is mounted only when a file must
    be copied (C(copy), C(template) with a change), not for every connection.
  - As root only (no C(remote_user) other than root), as the lab runs its containers.
  - A container that does not exist or does not run makes the host unreachable (as a host that does not
    answer on SSH), not a failed module.
options:
  remote_addr:
    description: The name or ID of the container.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description: User in the container (the lab runs everything as root; leave unset).
    ini:
      - section: defaults
        key: remote_user
    env:
      - name: ANSIBLE_REMOTE_USER
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Extra arguments for the podman command line.
    default: ''
    ini:
      - section: defaults
        key: podman_extra_args
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  podman_executable:
    description: The podman executable.
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
  pipelining:
    description: Send modules on standard input (one podman exec per module).
    type: boolean
    default: false
    ini:
      - section: defaults
        key: pipelining
      - section: connection
        key: pipelining
    env:
      - name: ANSIBLE_PIPELINING
    vars:
      - name: ansible_pipelining
"""

import shlex
from typing import Any

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection

PODMAN_OWN_ERROR = 125  # podman's exit status when podman itself failed (not the command in the container)
# what podman says when the container is not there to run anything in
NOT_THERE = (b"no such container", b"container state improper", b"can only create exec sessions on running containers")


class Connection(PodmanConnection):  # type: ignore[misc]  # untyped base class
    """containers.podman.podman plus pipelining; the file system is mounted on first use."""

    transport = "tier3.dc.podman"
    has_pipelining = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._mount_tried = False

    def _connect(self) -> Connection:
        # the base class mounts the container here, one more podman call per task; do it lazily
        ConnectionBase._connect(self)
        self._connected = True
        return self

    def _mounted(self) -> None:
        if not self._mount_tried:
            self._mount_tried = True
            PodmanConnection._connect(self)

    @ensure_connect  # type: ignore[misc]
    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = False) -> tuple[int, bytes, bytes]:
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec"]
        if in_data is not None:
            args.append("--interactive")  # podman exec forwards standard input only with -i
        if self.user:
            args.extend(("--user", self.user))
        rc, stdout, stderr = self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
        if rc == PODMAN_OWN_ERROR and any(said in stderr for said in NOT_THERE):
            raise AnsibleConnectionFailure(f"container {self._container_id}: {to_native(stderr).strip()}")
        return int(rc), stdout, stderr

    def put_file(self, in_path: str, out_path: str) -> None:
        self._mounted()
        super().put_file(in_path, out_path)

    def fetch_file(self, in_path: str, out_path: str) -> None:
        self._mounted()
        super().fetch_file(in_path, out_path)
