"""The metal lab's two switches: each a network namespace (``t3m-sw-a``, ``t3m-sw-b``) holding a bridge,
the VMs' taps as its ports, one end of an inter-switch link, and an ``lldpd`` of its own that
advertises the switch's inventory name (chassis ``lab-sw-a``) and each port's name (``swp1``), so
``lldpctl`` in a guest tells which switch and port each NIC reaches.

QEMU creates each tap on the machine when it starts (``-netdev tap,ifname=...``); the lab then moves
it into its switch's namespace and enslaves it to the bridge. QEMU keeps its file descriptor, so the
link keeps working, and the tap goes away with QEMU. Moving a tap to the other switch is the
``nic-moved`` fault.
"""

from __future__ import annotations

import time
from pathlib import Path

from tier3.errors import LabError
from tier3.lab import procs
from tier3.lab.metal import BRIDGE, ISL_PORT, LINK_PREFIX, LLDP_TX_SECONDS, SWITCHES, Switch, state_dir

IP = "ip"
SOURCE = "tier3 lab metal"


def _ip(*args: str, check: bool = True) -> str:
    return procs.run([IP, *args], "ip " + " ".join(args[:3]), check=check).stdout


def namespaces() -> list[str]:
    """The network namespaces the metal lab made (``t3m-*``) that exist now."""
    out = _ip("netns", "list", check=False)
    return [line.split()[0] for line in out.splitlines() if line.startswith(LINK_PREFIX)]


def link_exists(name: str, namespace: str = "") -> bool:
    args = ["-n", namespace] if namespace else []
    return procs.run([IP, *args, "link", "show", "dev", name], "ip link show", check=False).returncode == 0


def where(tap: str) -> str | None:
    """The switch whose namespace holds ``tap``, ``""`` when it is still on the machine, None when absent."""
    for sw in SWITCHES:
        if sw.namespace in namespaces() and link_exists(tap, sw.namespace):
            return sw.name
    return "" if link_exists(tap) else None


# ---- lldpd of one switch ------------------------------------------------------------------------


def switch_dir(state: Path | None = None) -> Path:
    return (state or state_dir()) / "switches"


def lldpd_socket(sw: Switch, state: Path | None = None) -> Path:
    """lldpd's control socket (``-u``), for lldpcli."""
    return switch_dir(state) / f"{sw.namespace}.lldpd.socket"


def lldpd_marker(sw: Switch) -> procs.Marker:
    """How the switch's lldpd is known (it rewrites its command line to ``lldpd: monitor.``): an lldpd
    running in the switch's namespace."""
    return procs.in_netns("lldpd", sw.namespace)


def lldpd_pidfile(sw: Switch, state: Path | None = None) -> Path:
    return switch_dir(state) / f"{sw.namespace}.lldpd.pid"


def lldpd_config(sw: Switch) -> str:
    """lldpcli commands lldpd runs at start (``-O``): the chassis is the switch's inventory name."""
    return (f"configure system hostname {sw.name}\n"
            f"configure system description \"tier3 lab switch {sw.name} (rack {sw.rack})\"\n"
            f"configure lldp tx-interval {LLDP_TX_SECONDS}\n")


def lldpd_argv(sw: Switch, state: Path | None = None) -> list[str]:
    conf = switch_dir(state) / f"{sw.namespace}.lldpd.conf"
    return [IP, "netns", "exec", sw.namespace, "lldpd", "-d", "-u", str(lldpd_socket(sw, state)),
            "-O", str(conf), "-I", f"{LINK_PREFIX}*"]


def lldpcli(sw: Switch, *args: str, state: Path | None = None, check: bool = True) -> str:
    return procs.run(["lldpcli", "-u", str(lldpd_socket(sw, state)), *args], f"lldpcli on {sw.name}",
                     check=check).stdout


def label_port(sw: Switch, link: str, port: str, about: str, state: Path | None = None, *,
               timeout: float = 10.0) -> None:
    """Make the switch advertise ``link`` as port ``port`` (LLDP port id, locally assigned) with ``about``.

    lldpd learns a new port from netlink a moment after it appears, and silently ignores the
    configuration of a port it does not know yet: configure, then read the port id back, until it holds."""
    args = ("configure", "ports", link, "lldp", "portidsubtype", "local", port, "description", about)
    deadline = time.monotonic() + timeout
    while True:
        shown = lldpcli(sw, "-f", "keyvalue", "show", "interfaces", "ports", link, state=state, check=False)
        if f"lldp.{link}.port.local={port}" in shown.splitlines():
            return
        if f"lldp.{link}." in shown:
            lldpcli(sw, *args, state=state)
        if time.monotonic() > deadline:
            raise LabError(SOURCE, f"lldpd of {sw.name}", f"port {link} is not advertised as {port}",
                           hint=f"read {switch_dir(state) / (sw.namespace + '.lldpd.log')}")
        time.sleep(0.1)


# ---- making and removing ------------------------------------------------------------------------


def ensure_switch(sw: Switch, state: Path | None = None) -> bool:
    """The switch's namespace, bridge and lldpd, each made unless it exists; True when anything was made."""
    made = False
    if sw.namespace not in namespaces():
        _ip("netns", "add", sw.namespace)
        _ip("-n", sw.namespace, "link", "set", "lo", "up")
        made = True
    if not link_exists(BRIDGE, sw.namespace):
        _ip("-n", sw.namespace, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", sw.namespace, "link", "set", BRIDGE, "up")
        made = True
    socket = lldpd_socket(sw, state)
    pidfile = lldpd_pidfile(sw, state)
    if procs.running(pidfile, lldpd_marker(sw)) is None:
        directory = switch_dir(state)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{sw.namespace}.lldpd.conf").write_text(lldpd_config(sw), encoding="utf-8")
        socket.unlink(missing_ok=True)
        procs.spawn(lldpd_argv(sw, state), directory / f"{sw.namespace}.lldpd.log", pidfile)
        procs.wait_until(socket.exists, timeout=10)
        made = True
    return made


def ensure_isl(state: Path | None = None) -> bool:
    """A veth between the two switches' bridges (the inter-switch link); True when made now."""
    first, second = SWITCHES
    if link_exists(first.isl, first.namespace):
        return False
    _ip("link", "add", first.isl, "netns", first.namespace, "type", "veth",
        "peer", "name", second.isl, "netns", second.namespace)
    for sw, peer in ((first, second), (second, first)):
        _ip("-n", sw.namespace, "link", "set", sw.isl, "master", BRIDGE, "up")
        label_port(sw, sw.isl, ISL_PORT, f"inter-switch link to {peer.name}", state)
    return True


def attach(tap: str, sw: Switch, port: str, about: str, state: Path | None = None) -> None:
    """Move ``tap`` (on the machine, or on another switch) into ``sw`` as port ``port``."""
    current = where(tap)
    if current == sw.name:
        return
    source = ["-n", next(s.namespace for s in SWITCHES if s.name == current)] if current else []
    _ip(*source, "link", "set", "dev", tap, "netns", sw.namespace)
    _ip("-n", sw.namespace, "link", "set", "dev", tap, "master", BRIDGE, "up")
    label_port(sw, tap, port, about, state)


def remove_all(state: Path | None = None) -> tuple[list[str], list[str]]:
    """Stop every switch's lldpd, delete the namespaces (their bridges, veths and taps go with them)
    and any ``t3m-*`` link left on the machine; (namespaces removed, lldpd processes stopped)."""
    stopped = [sw.name for sw in SWITCHES if procs.stop_pidfile(lldpd_pidfile(sw, state), lldpd_marker(sw))]
    removed = namespaces()
    for namespace in removed:
        _ip("netns", "delete", namespace, check=False)
    for name in leftover_links():
        _ip("link", "delete", "dev", name, check=False)
    return removed, stopped


def leftover_links() -> list[str]:
    """``t3m-*`` links on the machine itself (a tap QEMU made before ``up`` could move it)."""
    out = _ip("-o", "link", "show", check=False)
    names = [line.split(":", 2)[1].strip().split("@", 1)[0] for line in out.splitlines() if line.count(":") >= 2]
    return [name for name in names if name.startswith(LINK_PREFIX)]
