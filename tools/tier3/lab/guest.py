"""Reaching the metal guests: the lab's SSH keys, known_hosts, and commands over SSH.

The lab makes an ed25519 client key and, per VM, an ed25519 host key (``cryptography``), under the
metal state directory (never in the repository). QEMU hands the host key and the client's public key
to the guest through fw_cfg (``tier3-metal-firstboot`` installs them before sshd starts), so
known_hosts is written before the VM boots and SSH checks the host key strictly, as Ansible does
(``host_key_checking = True``).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tier3.errors import LabError
from tier3.lab.metal import Metal, ssh_dir, vm_paths
from tier3.lab.procs import write_private

SOURCE = "tier3 lab metal"
READY_TIMEOUT = 420.0  # seconds from QEMU's start to systemd settled in every guest (software emulation)
READY_STATES = ("running", "degraded")


def new_ed25519() -> tuple[bytes, bytes]:
    """(OpenSSH private key, OpenSSH public key line) of a fresh ed25519 key."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415  (only when a key is made)
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: PLC0415

    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, public


@dataclass(frozen=True)
class SshKeys:
    """The lab's client key and known_hosts."""

    directory: Path

    @property
    def private(self) -> Path:
        return self.directory / "id_ed25519"

    @property
    def public(self) -> Path:
        return self.directory / "id_ed25519.pub"

    @property
    def known_hosts(self) -> Path:
        return self.directory / "known_hosts"


def lab_keys(state: Path | None = None) -> SshKeys:
    return SshKeys(ssh_dir(state))


def ensure_client_key(keys: SshKeys) -> bool:
    """Make the lab's client key unless it exists; True when made now."""
    if keys.private.is_file() and keys.public.is_file():
        return False
    private, public = new_ed25519()
    write_private(keys.private, private)
    keys.public.write_bytes(public + b" tier3-lab\n")
    return True


def ensure_host_key(host: Metal, state: Path | None = None) -> bytes:
    """The VM's host key (made once per VM, kept while its state is); its public key line."""
    path = vm_paths(host, state).host_key
    pub = path.with_suffix(".pub")
    if not (path.is_file() and pub.is_file()):
        private, public = new_ed25519()
        write_private(path, private)
        pub.write_bytes(public + b"\n")
    return pub.read_bytes().strip()


def known_hosts_line(host: Metal, public: bytes) -> str:
    """known_hosts entry of a VM reached on 127.0.0.1:port (``[127.0.0.1]:22101 ssh-ed25519 ...``)."""
    return f"[127.0.0.1]:{host.ssh_port} {public.decode('ascii').split()[0]} {public.decode('ascii').split()[1]}"


def write_known_hosts(keys: SshKeys, lines: Sequence[str]) -> None:
    keys.directory.mkdir(parents=True, exist_ok=True)
    keys.known_hosts.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def ssh_options(keys: SshKeys) -> list[str]:
    """What every SSH to a guest needs (the same the inventory gives Ansible)."""
    return ["-o", f"UserKnownHostsFile={keys.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
            "-o", "LogLevel=ERROR", "-i", str(keys.private)]


def ssh_argv(host: Metal, keys: SshKeys, command: str) -> list[str]:
    return ["ssh", *ssh_options(keys), "-p", str(host.ssh_port), "root@127.0.0.1", command]


def run(host: Metal, command: str, keys: SshKeys | None = None, check: bool = True,
        timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """``command`` in the guest as root (a shell line); a failure is a LabError naming host and command."""
    if shutil.which("ssh") is None:
        raise LabError(SOURCE, "ssh", "the OpenSSH client is not installed", hint="apt-get install openssh-client")
    argv = ssh_argv(host, keys or lab_keys(), command)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise LabError(SOURCE, host.name, f"`{command}` did not finish in {timeout:.0f} s",
                       hint=f"look at the guest: ssh -p {host.ssh_port} root@127.0.0.1 (tier3 lab status)") from None
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise LabError(SOURCE, host.name, f"`{command}` failed ({proc.returncode}): {detail[-1] if detail else ''}",
                       hint="`tier3 lab status` shows the VM; its console log is in the metal state directory")
    return proc


def system_state(host: Metal, keys: SshKeys | None = None) -> str:
    """systemd's overall state in the guest, or ``unreachable`` when SSH does not answer."""
    try:
        proc = run(host, "systemctl is-system-running", keys, check=False, timeout=30)
    except LabError:
        return "unreachable"
    if proc.returncode == 255:  # ssh itself failed
        return "unreachable"
    out = proc.stdout.strip().splitlines()
    return out[-1] if out else "unknown"


def ready(host: Metal, keys: SshKeys, states: dict[str, str]) -> bool:
    """systemd running or degraded, the VM's name set, python3 answers (Ansible's apt module's imports)."""
    state = system_state(host, keys)
    states[host.name] = state
    if state not in READY_STATES:
        return False
    probe = run(host, "test \"$(hostname)\" = " + host.name + " && python3 -c 'import apt, json'", keys, check=False)
    return probe.returncode == 0


def wait_ready(hosts: Sequence[Metal], keys: SshKeys, timeout: float = READY_TIMEOUT) -> dict[str, str]:
    """Wait until every guest is ready (see ``ready``); their systemd states."""
    deadline = time.monotonic() + timeout
    pending = list(hosts)
    states: dict[str, str] = {}
    while pending:
        for host in list(pending):
            if ready(host, keys, states):
                pending.remove(host)
        if not pending:
            break
        if time.monotonic() > deadline:
            late = ", ".join(f"{h.name}={states.get(h.name)}" for h in pending)
            consoles = ", ".join(str(vm_paths(h).console) for h in pending)
            raise LabError(SOURCE, "boot", f"not ready after {timeout:.0f} s: {late}",
                           hint=f"read the console logs ({consoles}); `tier3 lab down` then `tier3 lab up --metal`")
        time.sleep(2.0)
    return states
