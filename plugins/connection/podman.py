# Copyright (c) 2026 tier3 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tier3.dc.podman: containers.podman.podman with pipelining and nsenter, for the lab's systemd containers."""

from __future__ import annotations

DOCUMENTATION = r"""
name: podman
author: tier3 contributors
short_description: Run tasks in a Podman container with pipelining and nsenter (one process per module)
description:
  - The C(containers.podman.podman) connection, with three changes that make a converge of many
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
  - C(nsenter) (the default when the controller runs as root and has C(nsenter)). A command enters the
    container's namespaces with C(nsenter) (util-linux) instead of a C(podman exec), which costs a Go
    process, C(conmon) and the runtime, about 0.15 s of CPU a task, more than most modules take. The
    command runs with the container's capability bounding set (read from its init process, applied by
    the container's own C(setpriv)) and the environment C(podman exec) gives it. The container's init
    PID is asked of C(podman inspect) once and kept, with its start time, in C(/run/tier3-lab/pids/);
    a restarted container has a new start time and is asked again. It differs from C(podman exec) in
    that the command is not placed in the container's cgroup and keeps the controller's resource limits.
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
  nsenter:
    description: Enter the container with nsenter instead of podman exec (root only; see above).
    type: boolean
    default: true
    env:
      - name: TIER3_PODMAN_NSENTER
    vars:
      - name: tier3_podman_nsenter
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

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection

PODMAN_OWN_ERROR = 125  # podman's exit status when podman itself failed (not the command in the container)
# what podman says when the container is not there to run anything in
NOT_THERE = (b"no such container", b"container state improper", b"can only create exec sessions on running containers")


PID_CACHE = Path("/run/tier3-lab/pids")
# the environment podman exec gives a command in the lab's containers (no Env of their own in the image)
EXEC_ENV = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "container=podman",
            "TERM=xterm")
# capability numbers (linux/capability.h) -> the names setpriv takes
CAP_NAMES = ("chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
             "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
             "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
             "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
             "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
             "perfmon", "bpf", "checkpoint_restore")


def bounding_set(status: str) -> str:
    """setpriv's --bounding-set argument for the CapBnd line of /proc/PID/status: "-all,+chown,+kill"."""
    line = next((x for x in status.splitlines() if x.startswith("CapBnd:")), None)
    if line is None:
        raise ValueError("no CapBnd line")
    mask = int(line.split(":", 1)[1].strip(), 16)
    names = [name for bit, name in enumerate(CAP_NAMES) if mask >> bit & 1]
    return ",".join(["-all", *(f"+{name}" for name in names)])


def start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat (the process's start time), or None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


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
        entered = self._nsenter(cmd, in_data)
        if entered is not None:
            return entered
        args = ["exec"]
        if in_data is not None:
            args.append("--interactive")  # podman exec forwards standard input only with -i
        if self.user:
            args.extend(("--user", self.user))
        rc, stdout, stderr = self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
        if rc == PODMAN_OWN_ERROR and any(said in stderr for said in NOT_THERE):
            raise AnsibleConnectionFailure(f"container {self._container_id}: {to_native(stderr).strip()}")
        return int(rc), stdout, stderr

    # ---- nsenter ---------------------------------------------------------------------------------

    def _init_pid(self) -> tuple[int, str] | None:
        """The container's init PID and its capability bounding set, from the cache or podman inspect."""
        cache = PID_CACHE / str(self._container_id)
        try:
            pid_text, started, caps = cache.read_text(encoding="ascii").split()
            if start_time(int(pid_text)) == started:
                return int(pid_text), caps
        except (OSError, ValueError):
            pass
        rc, out, _ = self._podman(["inspect", "--format", "{{.State.Pid}} {{.State.Running}}"])
        words = out.split()
        if rc != 0 or len(words) != 2 or words[1] != b"true" or not words[0].isdigit() or int(words[0]) <= 0:
            return None  # not there or not running: podman exec says which, and the host is unreachable
        pid = int(words[0])
        started_now = start_time(pid)
        try:
            caps = bounding_set(Path(f"/proc/{pid}/status").read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None
        if started_now is None:
            return None
        try:
            PID_CACHE.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(f".{os.getpid()}")
            temporary.write_text(f"{pid} {started_now} {caps}\n", encoding="ascii")
            temporary.replace(cache)
        except OSError:
            pass  # no cache: the next task asks podman again
        return pid, caps

    def _nsenter(self, cmd: str, in_data: bytes | None) -> tuple[int, bytes, bytes] | None:
        """Run cmd in the container through nsenter; None when this connection should use podman exec."""
        if not self.get_option("nsenter") or self.user not in (None, "", "root") or os.geteuid() != 0:
            return None
        nsenter = shutil.which("nsenter")
        found = self._init_pid() if nsenter else None
        if nsenter is None or found is None:
            return None
        pid, caps = found
        argv = [nsenter, f"--target={pid}", "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup", "--root",
                "--wd=/", "--", "/usr/bin/setpriv", f"--bounding-set={caps}", "--",
                "/usr/bin/env", "-i", *EXEC_ENV, *shlex.split(to_native(cmd, errors="surrogate_or_strict"))]
        done = subprocess.run(argv, input=in_data, capture_output=True, check=False,
                              stdin=None if in_data is not None else subprocess.DEVNULL)
        if done.returncode != 0 and done.stderr.startswith(b"nsenter: ") and start_time(pid) is None:
            (PID_CACHE / str(self._container_id)).unlink(missing_ok=True)
            return None  # the container stopped since it was cached: podman exec says so
        return done.returncode, done.stdout, done.stderr

    def put_file(self, in_path: str, out_path: str) -> None:
        self._mounted()
        super().put_file(in_path, out_path)

    def fetch_file(self, in_path: str, out_path: str) -> None:
        self._mounted()
        super().fetch_file(in_path, out_path)
