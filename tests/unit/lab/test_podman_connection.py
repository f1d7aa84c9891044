"""tier3.dc.podman's nsenter path, the parts that need no container: the capability bounding set it gives a
command (read from the container's init, as /proc prints it) and the start time that tells a cached init PID from
a recycled one. molecule/cluster runs every task of the lab through the connection itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, load_by_path

PODMAN = load_by_path("tier3_podman_connection", ROOT / "plugins" / "connection" / "podman.py")
# CapBnd of a lab container's init (tier3-lab-mx1: podman's default set plus NET_ADMIN, NET_RAW,
# LINUX_IMMUTABLE, AUDIT_WRITE), as /proc/PID/status prints it
LAB_STATUS = "Name:\tsystemd\nCapInh:\t0000000000000000\nCapBnd:\t00000000a00437fb\nCapAmb:\t0000000000000000\n"


def test_the_bounding_set_names_exactly_the_bits_of_capbnd() -> None:
    assert PODMAN.bounding_set(LAB_STATUS) == (
        "-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+linux_immutable,"
        "+net_bind_service,+net_admin,+net_raw,+sys_chroot,+audit_write,+setfcap")
    assert PODMAN.bounding_set("CapBnd:\t0000000000000000\n") == "-all"


def test_the_bounding_set_of_this_process_is_one_setpriv_takes() -> None:
    caps = PODMAN.bounding_set(Path("/proc/self/status").read_text(encoding="ascii"))
    setpriv = subprocess.run(["setpriv", f"--bounding-set={caps}", "--", "true"], capture_output=True, text=True,
                             check=False, timeout=10)
    assert setpriv.returncode == 0, setpriv.stderr


def test_no_capbnd_line_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^no CapBnd line$"):
        PODMAN.bounding_set("Name:\tx\n")


def test_start_time_tells_a_live_process_from_a_gone_one() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = PODMAN.start_time(child.pid)
        fields = Path(f"/proc/{child.pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        assert started == fields[19]
        assert started == PODMAN.start_time(child.pid)  # stable while the process lives
    finally:
        child.kill()
        child.wait()
    assert PODMAN.start_time(child.pid) is None
    assert PODMAN.start_time(os.getpid()) is not None
