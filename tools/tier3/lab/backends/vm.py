"""The ``vm`` backend: the metal hosts as Debian 12 VMs under QEMU (software emulation), cabled to two
switch namespaces with LLDP, each with a BMC emulator (docs/lab.md, "Metal hosts").

``up`` builds what is missing, in order: the guest image (once per recipe), the switches (namespace,
bridge, lldpd, the inter-switch link), the lab's SSH keys and known_hosts, the BMCs' TLS certificate and
emulators, each VM's disks and QEMU (its taps then moved into their switches), and waits until SSH,
systemd and python3 answer in every guest. ``down`` stops and removes everything the metal lab made
(by pid file and marker, never by name), whatever the host table says now; ``--purge`` also the image.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tier3.errors import LabError
from tier3.lab import bmc, faults, guest, procs, qemu, switches
from tier3.lab.backends.base import HostStatus, Removed, Started
from tier3.lab.guest_image import GuestImage, ensure_guest_image
from tier3.lab.hosts import FEEDS, LabHost
from tier3.lab.metal import (
    DATA_DISK_MB,
    LUN_MB,
    METAL,
    SWITCHES,
    Metal,
    image_dir,
    metal,
    state_dir,
    switch,
    vm_paths,
)
from tier3.lab.progress import Steps
from tier3.lab.secrets import BMC_PASSWORD_VAR, LabSecrets

SOURCE = "tier3 lab metal"
TOOLS: dict[str, str] = {  # command -> Debian package (tools/setup-machine installs them)
    qemu.QEMU: "qemu-system-x86", qemu.QEMU_IMG: "qemu-utils", "lldpd": "lldpd", "lldpcli": "lldpd",
    "ip": "iproute2", "ssh": "openssh-client",
}


def rack_pdus(rack: str) -> tuple[str, str]:
    """The PDUs a rack declares, in feed order (the names tier3.lab.inventory gives them)."""
    from tier3.lab.inventory import pdu  # noqa: PLC0415  (inventory imports the backends' tables, not this)

    first, second = (pdu(rack, feed) for feed in FEEDS)
    return first, second


def check_tools() -> None:
    missing = sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        raise LabError(SOURCE, "tools", f"missing: {', '.join(t for t, p in TOOLS.items() if p in missing)}",
                       hint=f"apt-get install {' '.join(missing)} (or run `make setup`)")


def vm_state(host: Metal, state: Path | None = None) -> str:
    """running, stopped (its disks exist, QEMU does not run) or absent."""
    paths = vm_paths(host, state)
    if procs.running(paths.pidfile, host.vm) is not None:
        return "running"
    return "stopped" if paths.overlay.exists() else "absent"


def make_disks(host: Metal, image: GuestImage, state: Path | None = None) -> bool:
    """The VM's overlay of the base image and its blank disks, each unless it exists; True when the
    overlay was made now (a new VM, not a restart)."""
    paths = vm_paths(host, state)
    paths.root.mkdir(parents=True, exist_ok=True)
    base_record = paths.root / "base"
    recorded = base_record.read_text().strip() if base_record.exists() else ""
    fresh = not paths.overlay.exists() or recorded != str(image.base)
    if fresh:  # a new VM, or its overlay is of an older image that is gone
        paths.overlay.unlink(missing_ok=True)
        procs.run(qemu.overlay_argv(paths, image), "qemu-img create")
        base_record.write_text(f"{image.base}\n")
    for disk in host.disks:
        if not paths.disk(disk).exists():
            procs.run(qemu.blank_disk_argv(paths.disk(disk), DATA_DISK_MB), "qemu-img create")
    if not paths.lun.exists():
        procs.run(qemu.blank_disk_argv(paths.lun, LUN_MB, fmt="raw"), "qemu-img create")
    return fresh


def start_vm(host: Metal, image: GuestImage, keys: guest.SshKeys, state: Path | None = None) -> None:
    """QEMU for ``host`` (daemonized), then each data NIC's tap into its switch."""
    paths = vm_paths(host, state)
    if not bmc.port_free(host.ssh_port):
        raise LabError(SOURCE, f"127.0.0.1:{host.ssh_port}", f"the SSH port of {host.name} is taken",
                       hint=f"stop what listens there, or change ssh_port of {host.name} in tools/tier3/lab/metal.py")
    for nic in host.nics:  # a tap left on the machine by an interrupted up: QEMU would refuse it
        if switches.where(host.tap(nic)) is not None:
            procs.run(["ip", "link", "delete", "dev", host.tap(nic)], "ip link delete", check=False)
    paths.qmp.unlink(missing_ok=True)
    paths.console.unlink(missing_ok=True)
    procs.run(qemu.qemu_argv(host, paths, image, keys.public), f"QEMU of {host.name}",
              hint=f"the console log {paths.console} and QEMU's message say why")
    cable(host, state)


def cable(host: Metal, state: Path | None = None) -> None:
    """Each data NIC's tap still on the machine goes into its own switch (a moved one stays moved)."""
    for nic in host.nics:
        if switches.where(host.tap(nic)) == "":
            switches.attach(host.tap(nic), switch(nic.switch), nic.port, f"{host.name} {nic.guest_name}", state)


@dataclass(frozen=True)
class Part:
    """A piece of the metal lab that is no host: a switch or a BMC emulator (``lab status``)."""

    kind: str
    name: str
    where: str
    state: str


class VmBackend:
    """Debian 12 VMs under QEMU, with their switches and BMC emulators."""

    name = "vm"
    noun = "VM"

    def __init__(self, state: Path | None = None) -> None:
        self._state = state

    @property
    def state(self) -> Path:
        return self._state or state_dir()

    def up(self, hosts: Sequence[LabHost], steps: Steps, rebuild: bool = False,
           secrets: LabSecrets | None = None) -> Started:
        if secrets is None:
            raise LabError(SOURCE, "secrets", "the metal lab needs the lab's secrets (the BMC password)",
                           hint="start it through `tier3 lab up --metal`")
        check_tools()
        members = [metal(h.name) for h in hosts]
        image, built = ensure_guest_image(steps, rebuild=rebuild)
        done = Started(image_built=built)
        for sw in SWITCHES:
            if switches.ensure_switch(sw, self.state):
                steps.say(f"✓ switch {sw.name}: namespace {sw.namespace}, bridge, lldpd")
                done.network_created = True
        if switches.ensure_isl(self.state):
            steps.say(f"✓ inter-switch link {SWITCHES[0].isl} - {SWITCHES[1].isl}")
        keys = guest.lab_keys(self.state)
        guest.ensure_client_key(keys)
        guest.write_known_hosts(keys, [guest.known_hosts_line(m, guest.ensure_host_key(m, self.state)) for m in METAL])
        tls = bmc.lab_tls(self.state)
        bmc.ensure_tls(tls)
        for host in members:
            if bmc.ensure_redfish(host, rack_pdus(host.rack), tls, self.state):
                steps.say(f"✓ BMC of {host.name}: sushy-static on https://127.0.0.1:{host.redfish_port}")
            if bmc.ensure_ipmi(host, secrets[BMC_PASSWORD_VAR], self.state):
                steps.say(f"✓ BMC of {host.name}: ipmi_sim on ipmi://127.0.0.1:{host.ipmi_port}")
        for host in members:
            current = vm_state(host, self.state)
            if current == "running":
                cable(host, self.state)
                steps.say(f"✓ {host.vm} is running")
                continue
            fresh = make_disks(host, image, self.state)
            with steps.step(f"{'start' if fresh else 'restart'} {host.vm} (ssh 127.0.0.1:{host.ssh_port})"):
                start_vm(host, image, keys, self.state)
            (done.created if fresh else done.started).append(host.name)
        if members:
            with steps.step(f"wait for SSH, systemd and python3 in {len(members)} {self.noun}s"):
                guest.wait_ready(members, keys)
        return done

    def down(self, steps: Steps, purge: bool = False) -> Removed:
        gone = Removed()
        for host in METAL:
            paths = vm_paths(host, self.state)
            if procs.running(paths.pidfile, host.vm) is not None:
                with steps.step(f"stop {host.vm}"):
                    procs.stop_pidfile(paths.pidfile, host.vm)
                gone.vms.append(host.name)
        gone.emulators = bmc.stop_all(METAL, self.state)
        namespaces, lldpds = switches.remove_all(self.state)
        gone.switches = namespaces
        gone.emulators += [f"lldpd {name}" for name in lldpds]
        if gone.emulators or gone.switches:
            steps.say(f"✓ removed {', '.join([*gone.switches, *gone.emulators])}")
        if self.state.exists():
            shutil.rmtree(self.state)
        if purge and image_dir().exists():
            gone.images.append(str(image_dir()))
            shutil.rmtree(image_dir())
        return gone

    def status(self, hosts: Sequence[LabHost]) -> list[HostStatus]:
        rows = []
        for host in hosts:
            state = vm_state(metal(host.name), self.state)
            system = guest.system_state(metal(host.name), guest.lab_keys(self.state)) if state == "running" else "-"
            rows.append(HostStatus(host, state, system))
        return rows

    def exists(self) -> bool:
        """Anything of the metal lab on the machine (its state, or a switch namespace)."""
        return self.state.exists() or bool(switches.namespaces())

    def parts(self) -> list[Part]:
        """The switches and BMC emulators, each with its state."""
        known = switches.namespaces()
        rows = [Part("switch", sw.name, sw.namespace,
                     "running" if sw.namespace in known and procs.running(
                         switches.lldpd_pidfile(sw, self.state), switches.lldpd_marker(sw))
                     else "down" if sw.namespace in known else "absent") for sw in SWITCHES]
        for host in METAL:
            paths = bmc.bmc_paths(host, self.state)
            up = procs.running(paths.sushy_pid, str(paths.mockup)) is not None
            rows.append(Part("redfish", f"{host.name}-bmc", f"https://127.0.0.1:{host.redfish_port}",
                             "running" if up else "absent"))
            if host.ipmi_port:
                up = procs.running(paths.ipmi_pid, str(paths.ipmi_state)) is not None
                rows.append(Part("ipmi", f"{host.name}-bmc", f"ipmi://127.0.0.1:{host.ipmi_port}",
                                 "running" if up else "absent"))
        return rows

    def fault(self, host_name: str, fault_name: str, heal: bool = False) -> str:
        """Inject (or heal) ``fault_name`` on a running metal host; what was done, one line."""
        host = metal(host_name)
        chosen = faults.fault(fault_name)
        if vm_state(host, self.state) != "running":
            raise LabError(SOURCE, host.name, "is not running", hint="`tier3 lab up --metal` first")
        target = faults.target(host, rack_pdus(host.rack), self.state)
        return (chosen.heal if heal else chosen.inject)(target)
