"""The metal lab's long-running processes (QEMU, lldpd per switch, sushy-static, ipmi_sim): started
detached with a pid file, found again by that pid file, and stopped by their pid only.

A pid file alone is not trusted: a process counts as the lab's only while its command line still
holds the marker it was started with (a VM's ``-name tier3-metal-<host>``, a switch's control
socket, an emulator's state path), so a stale pid file never ends someone else's process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from tier3.errors import LabError

SOURCE = "tier3 lab metal"
STOP_TIMEOUT = 10.0


def cmdline(pid: int) -> list[str]:
    """The process's argv, or [] when it is gone (or a zombie: it has none)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


Marker = str | Callable[[int], bool]  # a string on its command line, or a test of the pid


def ours(pid: int, marker: Marker) -> bool:
    """True when process ``pid`` runs and its command line holds ``marker`` (or ``marker(pid)`` holds: a
    daemon that rewrites its process title, as lldpd does, is told by what it is and where it runs)."""
    if is_zombie(pid):
        return False
    return marker(pid) if callable(marker) else any(marker in part for part in cmdline(pid))


def in_netns(name: str, namespace: str) -> Callable[[int], bool]:
    """A marker: the process is ``name`` (its /proc comm) and runs in network namespace ``namespace``."""
    def test(pid: int) -> bool:
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            return comm == name and os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{namespace}").st_ino
        except OSError:
            return False
    return test


def read_pid(pidfile: Path) -> int | None:
    try:
        text = pidfile.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def running(pidfile: Path, marker: Marker) -> int | None:
    """The pid of the lab's process recorded in ``pidfile``, when it still runs; else None."""
    pid = read_pid(pidfile)
    return pid if pid is not None and ours(pid, marker) else None


def spawn(argv: Sequence[str], log: Path, pidfile: Path, timeout: float = 10.0) -> int:
    """Start ``argv`` as a daemon (``setsid -f``: its own session, not this process's child, so it
    outlives ``tier3``), its output to ``log`` (mode 0600: an emulator logs request headers); the
    shell that execs it writes its pid to ``pidfile`` first. The pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pidfile.unlink(missing_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        launcher = ["setsid", "-f", "sh", "-c", 'echo $$ > "$0"; exec "$@"', str(pidfile), *argv]
        subprocess.run(launcher, stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise LabError(SOURCE, argv[0], f"cannot start: {exc}", hint="run `make setup` (tools/setup-machine)") from None
    finally:
        os.close(fd)
    if not wait_until(lambda: read_pid(pidfile) is not None, timeout, interval=0.05):
        raise LabError(SOURCE, argv[0], f"did not start within {timeout:.0f} s", hint=f"read {log}")
    pid = read_pid(pidfile)
    assert pid is not None  # wait_until saw it
    return pid


def stop(pid: int, marker: Marker, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM the lab's process ``pid`` (SIGKILL after ``timeout``); False when it was not ours or gone."""
    if not ours(pid, marker):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while ours(pid, marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    if ours(pid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while ours(pid, marker) and time.monotonic() < deadline + timeout:
            time.sleep(0.1)
    return True


def stop_pidfile(pidfile: Path, marker: Marker) -> bool:
    """Stop the process of ``pidfile`` if it is the lab's; the pid file goes either way."""
    pid = read_pid(pidfile)
    stopped = pid is not None and stop(pid, marker)
    pidfile.unlink(missing_ok=True)
    return stopped


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` mode 0600 from the start (a key is never readable by others, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(data)


def run(argv: Sequence[str], what: str, hint: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
    """A short command (ip, qemu-img, lldpcli); a failure is a LabError naming it."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise LabError(SOURCE, argv[0], f"{argv[0]} is not installed",
                       hint=hint or "run `make setup` (tools/setup-machine installs the lab's packages)") from None
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise LabError(SOURCE, what, f"`{' '.join(argv)}` failed ({proc.returncode}): {detail[-1] if detail else ''}",
                       hint=hint or "`tier3 lab down` removes what the metal lab made; then `tier3 lab up --metal`")
    return proc


def wait_until(probe: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``probe()`` (a callable returning truth) until true or ``timeout``; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if probe():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
