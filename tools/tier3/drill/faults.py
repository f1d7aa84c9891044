"""How to kill, restore and run a command on a host: one fault driver per Ansible connection.

``DRIVERS`` maps ``ansible_connection`` to a driver class (a table, not an if-chain):

- ``containers.podman.podman`` (the lab) and ``tier3.dc.podman`` (its pipelining variant): the host
  is a systemd container named by ``ansible_host``. Kill: ``podman kill`` (SIGKILL to the whole
  container: the machine dies, its addresses with it); restore: ``podman start``; commands:
  ``podman exec``; address: ``podman inspect``.
- ``ssh`` (and ``ansible.builtin.ssh``, ``paramiko_ssh``, ``smart``): a real host. Kill the
  service, not the machine: ``systemctl kill --signal=SIGKILL UNIT`` for the units of the host's
  role (``KILL_UNITS``); restore: ``systemctl start UNIT``; commands: ``ansible HOST -i INV -b -m
  ansible.builtin.command``.

The builders of the command lines are pure (``kill_argv``, ``restore_argv``, ``exec_argv``); one
runner per driver turns them into processes with a timeout.
"""

from __future__ import annotations

import abc
import json
import os
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from tier3.drill.inventory import inventory_args, tool
from tier3.drill.site import DrillError, DrillSite, Host

# what a drill kills on a real host of each role (the service, not the machine); restored in reverse
KILL_UNITS: dict[str, tuple[str, ...]] = {
    "lb": ("haproxy",),  # keepalived tracks HAProxy and gives the VIP up, as it would for a dead box
    "mx": ("postfix@-",),  # Debian's postfix.service is a oneshot wrapper: the daemon runs in postfix@-
    "imap": ("dovecot",),
}
COMMAND_TIMEOUT = 60.0


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: str
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0


def _run(argv: Sequence[str], timeout: float) -> Result:
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Result(124, "", f"timed out after {timeout:g} s: {shlex.join(argv)}")
    except FileNotFoundError as exc:
        return Result(127, "", str(exc))
    return Result(proc.returncode, proc.stdout, proc.stderr)


class Driver(abc.ABC):
    """Kills, restores and runs commands on the hosts of one connection type."""

    name: ClassVar[str] = ""
    # the hosts are containers of this machine: their addresses (and the VIPs) must be on a local bridge
    local: ClassVar[bool] = False

    def __init__(self, site: DrillSite) -> None:
        self.site = site

    @abc.abstractmethod
    def kill_argv(self, host: Host, role: str) -> list[list[str]]:
        """The commands that kill ``host``'s ``role`` hard."""

    @abc.abstractmethod
    def restore_argv(self, host: Host, role: str) -> list[list[str]]:
        """The commands that bring it back."""

    @abc.abstractmethod
    def exec_argv(self, host: Host, argv: Sequence[str]) -> list[str]:
        """``argv`` run on ``host`` (read-only commands of the drill)."""

    def run(self, host: Host, argv: Sequence[str], timeout: float = COMMAND_TIMEOUT) -> Result:
        return _run(self.exec_argv(host, argv), timeout)

    def address(self, host: Host) -> str:
        return host.target

    def _all(self, commands: list[list[str]], host: Host, what: str) -> str:
        for argv in commands:
            result = _run(argv, COMMAND_TIMEOUT)
            if not result.ok:
                detail = (result.stderr or result.stdout).strip().splitlines()
                raise DrillError(host.name, what, f"{shlex.join(argv)} failed ({result.rc}): "
                                 f"{detail[-1] if detail else 'no output'}",
                                 hint=f"see the drill's runbook (docs/runbooks/) to {what} {host.name} by hand")
        return "; ".join(shlex.join(argv) for argv in commands)

    def kill(self, host: Host, role: str) -> str:
        """Kill ``host`` hard; returns the command lines run (for the report)."""
        return self._all(self.kill_argv(host, role), host, "kill")

    def restore(self, host: Host, role: str) -> str:
        return self._all(self.restore_argv(host, role), host, "restore")


class PodmanDriver(Driver):
    """Lab hosts: systemd containers; ``ansible_host`` is the container's name."""

    name = "podman"
    local = True
    executable = "podman"

    def kill_argv(self, host: Host, _role: str) -> list[list[str]]:
        return [[self.executable, "kill", "--signal", "KILL", host.target]]  # the whole container, any role

    def restore_argv(self, host: Host, _role: str) -> list[list[str]]:
        return [[self.executable, "start", host.target]]

    def exec_argv(self, host: Host, argv: Sequence[str]) -> list[str]:
        return [self.executable, "exec", host.target, *argv]

    def address(self, host: Host) -> str:
        """The container's address on its network (``podman inspect``), else ``ansible_host``."""
        result = _run([self.executable, "inspect", "--type", "container", host.target], COMMAND_TIMEOUT)
        if result.ok:
            try:
                addresses = container_addresses(json.loads(result.stdout))
            except ValueError:
                addresses = []
            if addresses:
                return addresses[0]
        return host.target


def container_addresses(inspected: Any) -> list[str]:
    """The IPv4 addresses ``podman inspect`` gives a container, network by network."""
    out: list[str] = []
    for entry in inspected if isinstance(inspected, list) else []:
        networks = ((entry or {}).get("NetworkSettings") or {}).get("Networks") or {}
        out += [str(n["IPAddress"]) for n in networks.values() if isinstance(n, dict) and n.get("IPAddress")]
    return out


class AnsibleDriver(Driver):
    """Real hosts over SSH: every command through ``ansible HOST -m ansible.builtin.command`` (become)."""

    name = "ansible"
    ENV: ClassVar[dict[str, str]] = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                                     "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}

    def exec_argv(self, host: Host, argv: Sequence[str]) -> list[str]:
        return [tool("ansible"), host.name, *inventory_args(self.site.inventory), "--become",
                "-m", "ansible.builtin.command", "-a", json.dumps({"argv": list(argv)})]

    def _units(self, host: Host, role: str) -> tuple[str, ...]:
        units = KILL_UNITS.get(role)
        if units is None:
            raise DrillError(host.name, "role", f"no service to kill for role {role!r}",
                             hint=f"drill a member of {', '.join(KILL_UNITS)}")
        return units

    def kill_argv(self, host: Host, role: str) -> list[list[str]]:
        return [self.exec_argv(host, ["systemctl", "kill", "--signal=SIGKILL", unit])
                for unit in self._units(host, role)]

    def restore_argv(self, host: Host, role: str) -> list[list[str]]:
        return [self.exec_argv(host, ["systemctl", "start", unit]) for unit in reversed(self._units(host, role))]

    def run(self, host: Host, argv: Sequence[str], timeout: float = COMMAND_TIMEOUT) -> Result:
        try:
            proc = subprocess.run(self.exec_argv(host, argv), capture_output=True, text=True, timeout=timeout,
                                  check=False, env={**os.environ, **self.ENV})
        except subprocess.TimeoutExpired:
            return Result(124, "", f"timed out after {timeout:g} s")
        return ansible_result(proc.stdout, host.name, proc.returncode, proc.stderr)

    def _all(self, commands: list[list[str]], host: Host, what: str) -> str:
        for argv in commands:
            command = json.loads(argv[-1])["argv"]
            result = self.run(host, command)
            if not result.ok:
                raise DrillError(host.name, what, f"{shlex.join(command)} failed ({result.rc}): "
                                 f"{(result.stderr or result.stdout).strip()[-300:] or 'no output'}",
                                 hint=f"see the drill's runbook (docs/runbooks/) to {what} {host.name} by hand")
        return "; ".join(shlex.join(json.loads(argv[-1])["argv"]) for argv in commands)


def ansible_result(stdout: str, host: str, rc: int, stderr: str = "") -> Result:
    """The command's own rc and output from the ``ansible.posix.json`` callback's report of one host."""
    try:
        data = json.loads(stdout)
        task = data["plays"][0]["tasks"][0]["hosts"][host]
    except (ValueError, KeyError, IndexError, TypeError):
        return Result(rc or 1, stdout, stderr or "ansible printed no JSON result")
    if task.get("unreachable"):
        return Result(255, "", str(task.get("msg", "unreachable")))
    code = task.get("rc")
    if not isinstance(code, int):
        code = 1 if task.get("failed") else 0
    return Result(code, str(task.get("stdout", "")), str(task.get("stderr", "") or task.get("msg", "")))


# ansible_connection -> driver class
DRIVERS: dict[str, type[Driver]] = {
    "containers.podman.podman": PodmanDriver,
    "podman": PodmanDriver,
    "tier3.dc.podman": PodmanDriver,
    "ssh": AnsibleDriver,
    "ansible.builtin.ssh": AnsibleDriver,
    "smart": AnsibleDriver,
    "paramiko_ssh": AnsibleDriver,
    "ansible.builtin.paramiko_ssh": AnsibleDriver,
}


def driver_for(site: DrillSite, host: Host) -> Driver:
    """The driver for ``host``'s connection; an unknown one is bad input naming the host and the key."""
    cls = DRIVERS.get(host.connection)
    if cls is None:
        raise DrillError(site.source, f"{host.name}: ansible_connection",
                         f"no fault driver for connection {host.connection!r}",
                         hint=f"drill hosts reached with one of {', '.join(sorted(DRIVERS))}")
    return cls(site)


class Drivers:
    """One driver per connection class of the site, made once."""

    def __init__(self, site: DrillSite) -> None:
        self.site = site
        self._made: dict[type[Driver], Driver] = {}

    def __call__(self, name: str) -> tuple[Driver, Host]:
        host = self.site.hosts[name]
        cls = type(driver_for(self.site, host))
        if cls not in self._made:
            self._made[cls] = cls(self.site)
        return self._made[cls], host
