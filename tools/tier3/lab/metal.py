"""The metal lab as data: two Debian 12 VMs under QEMU, two switches, their BMC emulators (docs/lab.md,
"Metal hosts").

What a container cannot have, a metal host has: two data NICs cabled to two switches (network
namespaces with a bridge and an ``lldpd`` each), two disks for an md RAID1, one LUN seen through two
SCSI HBAs (dm-multipath), a blank disk for LUKS, and a BMC (sushy-static serving a copy of the
project's Redfish mockup; ``ipmi_sim`` for one of them). Everything here is pure: names, ports,
serials, paths. The code that runs QEMU, the switches and the emulators, and the inventory, read only
these tables.

Every object made on the machine is named ``tier3-metal-*`` (QEMU processes) or ``t3m-*`` (network
namespaces and links, which allow 15 characters), so ``lab down`` finds exactly what ``lab up`` made.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

PREFIX = "tier3-metal-"  # QEMU's -name of each VM, checked in /proc/PID/cmdline before a kill
LINK_PREFIX = "t3m-"  # network namespaces, taps and veths
GROUP = "metal"  # the inventory group of the metal hosts (hosts.METAL_HOSTS)
BRIDGE = "br0"  # the bridge inside each switch namespace
MGMT_SLOT = 3  # PCI slot of the management NIC: enp0s3 in the guest, never bonded
LLDP_TX_SECONDS = 5  # how often each switch advertises itself (lldpd's default is 30 s)
ISL_PORT = "swp48"  # the inter-switch link's port on each switch
BOND_NETWORK = "10.89.40.0/24"  # the metal hosts' bonds: one segment over both switches (the inter-switch link)

# QEMU in software emulation (measured: /dev/kvm is present but the CPU has no vmx/svm)
ACCEL = "tcg,tb-size=256"
CPU = "max"
MEMORY_MB = 1024
CPUS = 1
DATA_DISK_MB = 512  # each RAID member and the LUKS disk
LUN_MB = 256  # the multipath LUN
ROOT_DISK_GB = 4  # the base image's ext4 (sparse)


@dataclass(frozen=True)
class Switch:
    """A lab switch: a network namespace with a bridge and its own lldpd, named in the inventory."""

    name: str  # inventory name (tier3_sites[].switches[].name) and LLDP chassis name
    namespace: str
    rack: str

    @property
    def isl(self) -> str:
        """This switch's end of the inter-switch link (a veth)."""
        return f"{LINK_PREFIX}isl-{self.name.rsplit('-', 1)[-1]}"


SWITCHES: tuple[Switch, ...] = (
    Switch("lab-sw-a", f"{LINK_PREFIX}sw-a", "lab-r01"),
    Switch("lab-sw-b", f"{LINK_PREFIX}sw-b", "lab-r02"),
)
FABRICS: tuple[str, ...] = ("lab-fabric-a", "lab-fabric-b")  # one per HBA: tier3_sites[].san_fabrics


def switch(name: str) -> Switch:
    return next(s for s in SWITCHES if s.name == name)


@dataclass(frozen=True)
class Nic:
    """A data NIC of a metal host: a virtio-net on a tap, cabled to one switch port."""

    key: str  # "a" or "b": the QEMU netdev is net-<key>
    slot: int  # PCI slot: the guest names it enp0s<slot>
    switch: str  # the switch it is cabled to (Switch.name)
    port: str  # the switch port (the port id the switch's lldpd advertises)
    mac: str

    @property
    def netdev(self) -> str:
        return f"net-{self.key}"

    @property
    def guest_name(self) -> str:
        """The interface's name in the guest (systemd's predictable name for PCI bus 0)."""
        return f"enp0s{self.slot}"


@dataclass(frozen=True)
class Disk:
    """A virtio-blk disk with a serial: /dev/disk/by-id/virtio-<serial> in the guest."""

    key: str  # raid-a, raid-b, luks
    slot: int
    serial: str  # at most 20 characters (virtio-blk)

    @property
    def by_id(self) -> str:
        return f"/dev/disk/by-id/virtio-{self.serial}"


@dataclass(frozen=True)
class Hba:
    """A virtio-scsi HBA; the LUN is attached to each, the same serial and WWN on both."""

    name: str  # hba-a, hba-b: tier3_host.multipath_luns[].paths[].hba
    slot: int
    fabric: str
    device: str  # the path's SCSI disk in the guest (the HBAs are probed in slot order)

    @property
    def by_path(self) -> str:
        """The path's stable name: the HBA's PCI address, target 0, LUN 0."""
        return f"/dev/disk/by-path/pci-0000:00:{self.slot:02x}.0-scsi-0:0:0:0"


@dataclass(frozen=True)
class Metal:
    """One metal host: its ports on 127.0.0.1, NICs, disks, HBAs, LUN and BMC."""

    name: str
    index: int  # 1, 2: MACs, serials, ports and WWN derive from it
    rack: str
    ssh_port: int  # hostfwd 127.0.0.1:ssh_port -> guest :22 on the management NIC
    redfish_port: int  # sushy-static on 127.0.0.1 (HTTPS)
    ipmi_port: int = 0  # ipmi_sim's LAN port on 127.0.0.1 (UDP); 0: no IPMI emulator
    ipmi_console_port: int = 0

    @property
    def vm(self) -> str:
        return f"{PREFIX}{self.name}"

    @property
    def nics(self) -> tuple[Nic, ...]:
        base = (self.index - 1) * 2
        return tuple(
            Nic(key, 4 + i, sw.name, f"swp{base + i + 1}", f"52:54:00:3a:{self.index:02x}:{i + 1:02x}")
            for i, (key, sw) in enumerate(zip(("a", "b"), SWITCHES, strict=True))
        )

    @property
    def mgmt_mac(self) -> str:
        return f"52:54:00:3a:{self.index:02x}:00"

    @property
    def disks(self) -> tuple[Disk, ...]:
        return tuple(Disk(key, 7 + i, f"{self.name}-{key}") for i, key in enumerate(("raid-a", "raid-b", "luks")))

    def disk(self, key: str) -> Disk:
        return next(d for d in self.disks if d.key == key)

    @property
    def hbas(self) -> tuple[Hba, ...]:
        return tuple(Hba(f"hba-{k}", 10 + i, fabric, f"/dev/sd{'ab'[i]}")
                     for i, (k, fabric) in enumerate(zip(("a", "b"), FABRICS, strict=True)))

    @property
    def lun_wwn(self) -> str:
        """NAA-5 WWN of the host's LUN (QEMU ``scsi-hd,wwn=``): IEEE OUI 00:14:05, one per host."""
        return f"0x5001405{self.index:09x}"

    @property
    def lun_wwid(self) -> str:
        """The LUN's WWID as the guest reports it (udev ID_SERIAL, ``multipath -ll``): 3 + the NAA id."""
        return "3" + self.lun_wwn.removeprefix("0x")

    @property
    def bond_address(self) -> str:
        """The address of the host's bond0 on the segment the two switches make (BOND_NETWORK)."""
        network = ipaddress.ip_network(BOND_NETWORK)
        return f"{network[self.index]}/{network.prefixlen}"

    @property
    def lun_serial(self) -> str:
        return f"{self.name}-lun0"

    def tap(self, nic: Nic) -> str:
        """The tap of ``nic`` on the machine: t3m-<host>-<key> (15 characters at most)."""
        return f"{LINK_PREFIX}{self.name}-{nic.key}"


METAL: tuple[Metal, ...] = (
    Metal("metal1", 1, "lab-r01", ssh_port=22101, redfish_port=8441, ipmi_port=6231, ipmi_console_port=9231),
    Metal("metal2", 2, "lab-r02", ssh_port=22102, redfish_port=8442),
)
BMC_USER = "tier3-lab"  # the emulators' user; the password is the lab secret vault_tier3_bmc_password
RAID_ARRAY = "md0"
LUN_NAME = "lun0"
ENCRYPTED_VOLUME = "data"


def metal(name: str) -> Metal:
    found = next((m for m in METAL if m.name == name), None)
    if found is None:
        from tier3.errors import LabError  # noqa: PLC0415  (keep the table importable on its own)

        raise LabError("tier3 lab", "host", f"{name} is not a metal host of the lab",
                       hint=f"choose from {', '.join(m.name for m in METAL)}")
    return found


# ---- where things live on the machine -----------------------------------------------------------


def image_dir() -> Path:
    """The guest base image and its kernel, kept by ``lab down`` (``--purge`` removes them): the
    container image's cache directory (``$TIER3_CACHE_DIR``, default /var/cache/tier3), ``lab/metal``."""
    return Path(os.environ.get("TIER3_CACHE_DIR", "/var/cache/tier3")) / "lab" / "metal"


def state_dir() -> Path:
    """What the running metal lab holds (overlays, disks, sockets, pid files, keys, BMC mockups): made by
    ``lab up``, removed by ``lab down``; ``$TIER3_STATE_DIR`` (default /var/lib/tier3), ``lab-metal``."""
    return Path(os.environ.get("TIER3_STATE_DIR", "/var/lib/tier3")) / "lab-metal"


@dataclass(frozen=True)
class VmPaths:
    """The files of one VM under the state directory."""

    root: Path

    @property
    def overlay(self) -> Path:
        return self.root / "root.qcow2"

    def disk(self, disk: Disk) -> Path:
        return self.root / f"{disk.key}.qcow2"

    @property
    def lun(self) -> Path:
        return self.root / "lun0.raw"

    @property
    def pidfile(self) -> Path:
        return self.root / "qemu.pid"

    @property
    def qmp(self) -> Path:
        return self.root / "qmp.sock"

    @property
    def console(self) -> Path:
        return self.root / "console.log"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"


def vm_paths(host: Metal, state: Path | None = None) -> VmPaths:
    return VmPaths((state or state_dir()) / host.name)


def ssh_dir(state: Path | None = None) -> Path:
    """The lab's SSH client key and known_hosts (never in the repository)."""
    return (state or state_dir()) / "ssh"


def bmc_dir(host: Metal, state: Path | None = None) -> Path:
    return (state or state_dir()) / "bmc" / host.name
