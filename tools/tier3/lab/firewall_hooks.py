"""The hooks tests and bench drive the lab's running firewall pair with, and what they read of it
(docs/lab.md, "The firewall pair"; the table and the configuration they act on are ``tier3.lab.firewall``).

``cut_sessions``, ``stop_ssh``/``start_ssh``, ``stop_vrrp``/``start_vrrp``, ``vrrp_master``/``wait_master``,
``vrrp_state``, ``in_namespace``, ``tcp_open`` and ``ruleset`` act on the pair as it runs; processes are found
by pid file and marker, or by the namespace they run in (every process in a namespace of the pair is the
lab's), never by name alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

from tier3.errors import LabError
from tier3.lab import procs
from tier3.lab.firewall import (
    MEMBERS,
    SOURCE,
    SSHD_RUN_DIR,
    VIPS,
    VRRP_STATES,
    keepalived_argv,
    member,
    namespace_of,
    paths,
    sshd_argv,
)

# ---- processes ---------------------------------------------------------------------------------------


def _netns_inode(namespace: str) -> int | None:
    try:
        return os.stat(f"/run/netns/{namespace}").st_ino
    except OSError:
        return None


def pids_in(namespace: str, comm: str = "") -> list[int]:
    """Every process running in network namespace ``namespace`` (only those named ``comm``, if given)."""
    inode = _netns_inode(namespace)
    if inode is None:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.stat(entry / "ns" / "net").st_ino != inode:
                continue
            if comm and (entry / "comm").read_text().strip() != comm:
                continue
        except OSError:
            continue
        found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first found, then theirs)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    pending = list(children.get(pid, []))
    while pending:
        child = pending.pop()
        out.append(child)
        pending.extend(children.get(child, []))
    return out


def kill_all(pids: list[int]) -> int:
    """SIGKILL each pid (gone ones are skipped); how many were signalled."""
    done = 0
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            done += 1
    return done


def sshd_marker(name: str, state: Path | None = None) -> str:
    """What the member's sshd listener holds on its command line: its config path."""
    return str(paths(name, state).sshd_config)


def sshd_pid(name: str, state: Path | None = None) -> int | None:
    return procs.running(paths(name, state).sshd_pid, sshd_marker(name, state))


def keepalived_running(name: str) -> bool:
    return bool(pids_in(member(name).namespace, "keepalived"))


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def vrrp_state(name: str, state: Path | None = None) -> str:
    """What the member's notify script last wrote (MASTER, BACKUP, FAULT, STOP), ``stopped`` without a
    keepalived, ``starting`` before its first state."""
    if not keepalived_running(name):
        return "stopped"
    try:
        return paths(name, state).vrrp_state.read_text(encoding="utf-8").strip() or "starting"
    except OSError:
        return "starting"


def holds_vips(name: str) -> bool:
    """True when every VIP is on its interface in the member's namespace (the kernel's word, not keepalived's)."""
    fw = member(name)
    shown = procs.run(["ip", "-n", fw.namespace, "-o", "-4", "addr", "show"], "ip addr show", check=False).stdout
    held = {(parts[3], parts[1]) for parts in (line.split() for line in shown.splitlines()) if len(parts) > 3}
    return all((address, interface) in held for address, interface in VIPS)


# ---- the hooks ---------------------------------------------------------------------------------------


def cut_sessions(name: str, state: Path | None = None) -> int:
    """Kill every live SSH session of member ``name`` (its sshd's children and their shells), not the
    listener: a client sees its connection drop and may connect again. How many processes were killed."""
    pid = sshd_pid(name, state)
    return kill_all(descendants(pid)) if pid is not None else 0


def stop_ssh(name: str, state: Path | None = None) -> bool:
    """Member ``name`` unreachable over SSH: its sessions and its listener gone. False when it was not up."""
    cut_sessions(name, state)
    return procs.stop_pidfile(paths(name, state).sshd_pid, sshd_marker(name, state))


def start_ssh(name: str, state: Path | None = None, timeout: float = 10.0) -> bool:
    """Member ``name``'s sshd, unless it runs (its config, host key and authorized_keys written by ``up``);
    True when started now. Waits until its port answers."""
    fw, where = member(name), paths(name, state)
    if sshd_pid(name, state) is not None:
        return False
    if port_open(fw.ssh_port):
        raise LabError(SOURCE, f"127.0.0.1:{fw.ssh_port}", f"the SSH port of {name} is taken by another process",
                       hint="stop what listens there (ss -ltnp), then `tier3 lab up --firewall-only`")
    if not where.sshd_config.is_file():
        raise LabError(SOURCE, str(where.sshd_config), "is missing", hint="`tier3 lab up --firewall-only` makes it")
    Path(SSHD_RUN_DIR).mkdir(mode=0o755, exist_ok=True)
    procs.spawn(sshd_argv(fw, where.root.parent), where.sshd_log, where.sshd_pid)
    if not procs.wait_until(lambda: port_open(fw.ssh_port), timeout, interval=0.05):
        raise LabError(SOURCE, f"sshd of {name}", f"does not answer on 127.0.0.1:{fw.ssh_port}",
                       hint=f"read {where.sshd_log}")
    return True


def stop_vrrp(name: str, state: Path | None = None, timeout: float = 5.0) -> int:
    """SIGKILL member ``name``'s keepalived (no goodbye advert, as in a crash), then take its VIPs off its
    interfaces (a dead member answers for nothing), so the other member takes them over. How many
    keepalived processes were killed."""
    fw = member(name)
    killed = kill_all(pids_in(fw.namespace, "keepalived"))
    procs.wait_until(lambda: not keepalived_running(name), timeout, interval=0.02)
    for address, interface in VIPS:
        procs.run(["ip", "-n", fw.namespace, "addr", "del", address, "dev", interface], "ip addr del", check=False)
    paths(name, state).vrrp_state.unlink(missing_ok=True)
    return killed


def start_vrrp(name: str, state: Path | None = None, timeout: float = 10.0) -> bool:
    """Member ``name``'s keepalived, unless it runs; True when started now. Waits for its first state."""
    fw, where = member(name), paths(name, state)
    if keepalived_running(name):
        return False
    for stale in (where.vrrp_state, where.keepalived_pid, where.vrrp_pid):  # a killed keepalived's pid may live
        stale.unlink(missing_ok=True)  # on as an unreaped zombie: keepalived would take it for itself running
    procs.spawn(keepalived_argv(fw, where.root.parent), where.keepalived_log, where.keepalived_spawn)
    if not procs.wait_until(lambda: vrrp_state(name, state) in VRRP_STATES, timeout, interval=0.05):
        raise LabError(SOURCE, f"keepalived of {name}", "reports no VRRP state", hint=f"read {where.keepalived_log}")
    return True


def vrrp_master() -> str | None:
    """The member whose keepalived runs and whose namespace holds every VIP; None when none does, or both
    (no single master)."""
    holders = [fw.name for fw in MEMBERS if keepalived_running(fw.name) and holds_vips(fw.name)]
    return holders[0] if len(holders) == 1 else None


def wait_master(timeout: float = 5.0, expected: str | None = None) -> str | None:
    """``vrrp_master()`` once there is one (``expected``, if given), polling for at most ``timeout`` seconds."""
    found: list[str | None] = [None]

    def settled() -> bool:
        found[0] = vrrp_master()
        return found[0] is not None and (expected is None or found[0] == expected)

    procs.wait_until(settled, timeout, interval=0.05)
    return found[0]


_CLONE_NEWNET: Final = 0x40000000
T = TypeVar("T")


def in_namespace(namespace: str, work: Callable[[], T]) -> T:
    """``work()`` run on a thread of its own that has entered network namespace ``namespace`` (setns(2)
    changes only the calling thread's; the thread ends after): sockets it makes are the namespace's."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
            try:
                if ctypes.CDLL(None, use_errno=True).setns(fd, _CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {namespace}")
            finally:
                os.close(fd)
            result.append(work())
        except BaseException as exc:  # handed to the caller's thread and raised there
            failure.append(exc)

    worker = threading.Thread(target=run, name=f"netns-{namespace}")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


def tcp_open(src_ns_member: str, address: str, port: int, timeout: float = 1.0) -> bool:
    """True when a TCP connect from ``src_ns_member`` (fwout, fwin, or a member) to ``address:port``
    completes within ``timeout`` seconds: a real SYN through the pair, no stand-in."""
    namespace = namespace_of(src_ns_member)
    if _netns_inode(namespace) is None:
        raise LabError(SOURCE, namespace, "does not exist", hint="`tier3 lab up --firewall-only` first")

    def connect() -> bool:
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=timeout):
            return True
        return False

    return in_namespace(namespace, connect)


def ruleset(name: str) -> str:
    """``nft list ruleset`` in member ``name``'s namespace (empty text when it has no ruleset)."""
    fw = member(name)
    return procs.run(["ip", "netns", "exec", fw.namespace, "nft", "list", "ruleset"], f"nft on {name}").stdout

