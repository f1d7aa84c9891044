"""QEMU for the metal hosts: the command lines (pure builders, from the table in ``tier3.lab.metal``)
and a small QMP client for fault injection (``set_link``).

One VM: software emulation (``-accel tcg``), the kernel and initramfs of the guest image booted
directly (``root=LABEL=root``), a qcow2 overlay of the base image, a management NIC on QEMU's user
network with SSH forwarded from 127.0.0.1, two data NICs on taps (the switches' ports), two virtio
disks for md RAID1 and one for LUKS (serials: /dev/disk/by-id/virtio-*), and one LUN file attached
twice, as ``scsi-hd`` on two virtio-scsi HBAs with the same serial and WWN (``share-rw=on``,
``file.locking=off``): dm-multipath sees two paths. Devices sit at fixed PCI slots, so the guest's
names (enp0s4, the HBAs' by-path names) never move.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from tier3.errors import LabError
from tier3.lab.guest_image import GuestImage
from tier3.lab.metal import ACCEL, CPU, CPUS, MEMORY_MB, MGMT_SLOT, Metal, VmPaths

SOURCE = "tier3 lab metal"
QEMU = "qemu-system-x86_64"
QEMU_IMG = "qemu-img"
ROOT_SLOT = 6
RNG_SLOT = 12
KERNEL_ARGS = "root=LABEL=root rw console=ttyS0,115200 mitigations=off panic=10"
FW_CFG_PREFIX = "opt/tier3"  # what tier3-metal-firstboot reads (metal_files/)


def _pci(slot: int) -> str:
    return f"bus=pcie.0,addr={slot:#x}"


def qemu_argv(host: Metal, paths: VmPaths, image: GuestImage, authorized_keys: Path) -> list[str]:
    """The ``qemu-system-x86_64`` command line of one metal host (it daemonizes, writing its pid file)."""
    argv = [
        QEMU, "-name", f"{host.vm},process={host.vm}",
        "-machine", "q35", "-accel", ACCEL, "-cpu", CPU, "-smp", str(CPUS), "-m", str(MEMORY_MB),
        "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
        "-serial", f"file:{paths.console}",
        "-kernel", str(image.kernel), "-initrd", str(image.initrd), "-append", KERNEL_ARGS,
        "-qmp", f"unix:{paths.qmp},server=on,wait=off",
        "-daemonize", "-pidfile", str(paths.pidfile),
        "-fw_cfg", f"name={FW_CFG_PREFIX}/hostname,string={host.name}",
        "-fw_cfg", f"name={FW_CFG_PREFIX}/authorized_keys,file={authorized_keys}",
        "-fw_cfg", f"name={FW_CFG_PREFIX}/ssh_host_ed25519_key,file={paths.host_key}",
        # the data NICs come up (link only: no address) so LLDP tells their switches before any bond exists
        "-fw_cfg", f"name={FW_CFG_PREFIX}/data_nics,string={' '.join(n.guest_name for n in host.nics)}",
        "-device", f"virtio-rng-pci,{_pci(RNG_SLOT)}",
        # management: QEMU's user network, SSH from 127.0.0.1 only
        "-netdev", f"user,id=mgmt,hostfwd=tcp:127.0.0.1:{host.ssh_port}-:22",
        "-device", f"virtio-net-pci,netdev=mgmt,mac={host.mgmt_mac},{_pci(MGMT_SLOT)}",
    ]
    for nic in host.nics:
        argv += ["-netdev", f"tap,id={nic.netdev},ifname={host.tap(nic)},script=no,downscript=no",
                 "-device", f"virtio-net-pci,netdev={nic.netdev},id={nic.netdev}-nic,mac={nic.mac},{_pci(nic.slot)}"]
    argv += ["-drive", f"if=none,id=root,file={paths.overlay},format=qcow2,discard=unmap",
             "-device", f"virtio-blk-pci,drive=root,serial={host.name}-root,{_pci(ROOT_SLOT)}"]
    for disk in host.disks:
        argv += ["-drive", f"if=none,id={disk.key},file={paths.disk(disk)},format=qcow2",
                 "-device", f"virtio-blk-pci,drive={disk.key},serial={disk.serial},{_pci(disk.slot)}"]
    for hba in host.hbas:
        drive = f"lun-{hba.name}"
        argv += ["-device", f"virtio-scsi-pci,id={hba.name},{_pci(hba.slot)}",
                 "-drive", f"if=none,id={drive},file={paths.lun},format=raw,file.locking=off",
                 "-device", f"scsi-hd,bus={hba.name}.0,channel=0,scsi-id=0,lun=0,drive={drive},"
                            f"serial={host.lun_serial},wwn={host.lun_wwn},share-rw=on"]
    return argv


def overlay_argv(paths: VmPaths, image: GuestImage) -> list[str]:
    """A qcow2 overlay of the base image: the VM writes there, the base is never written."""
    return [QEMU_IMG, "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(image.base), str(paths.overlay)]


def blank_disk_argv(path: Path, megabytes: int, fmt: str = "qcow2") -> list[str]:
    return [QEMU_IMG, "create", "-q", "-f", fmt, str(path), f"{megabytes}M"]


# ---- QMP ---------------------------------------------------------------------------------------


def qmp(socket_path: Path, command: str, arguments: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
    """Run one QMP command on a VM's monitor socket; its ``return`` value. An ``error`` answer, or no
    answer, is a LabError naming the socket and the command."""
    request = {"execute": command, **({"arguments": arguments} if arguments else {})}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(socket_path))
            reader = sock.makefile("r", encoding="utf-8")
            _answer(reader)  # the greeting
            sock.sendall(json.dumps({"execute": "qmp_capabilities"}).encode() + b"\n")
            _answer(reader)
            sock.sendall(json.dumps(request).encode() + b"\n")
            answer = _answer(reader)
    except OSError as exc:
        raise LabError(SOURCE, str(socket_path), f"QMP {command}: {exc}",
                       hint="is the VM running? `tier3 lab status`; `tier3 lab up --metal` starts it") from None
    if "error" in answer:
        raise LabError(SOURCE, str(socket_path), f"QMP {command} {arguments or ''}: {answer['error'].get('desc')}",
                       hint="see QEMU's QMP reference for the command")
    return answer.get("return")


def _answer(reader: Any) -> dict[str, Any]:
    """The next line that is a greeting, a return or an error (events are skipped)."""
    for line in reader:
        message = json.loads(line)
        if isinstance(message, dict) and ("QMP" in message or "return" in message or "error" in message):
            return message
    raise OSError("the monitor closed the connection")
