"""The metal hosts' QEMU command lines, built from the table in tools/tier3/lab/metal.py (no VM is started:
the end-to-end run is reported in docs/lab.md, "Metal hosts")."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tier3.errors import LabError
from tier3.lab import qemu
from tier3.lab.guest_image import GuestImage
from tier3.lab.metal import FABRICS, METAL, SWITCHES, Metal, metal, vm_paths

STATE = Path("/srv/state")
IMAGE = GuestImage("0123456789ab", Path("/srv/cache"))
KEYS = Path("/srv/state/ssh/id_ed25519.pub")


def argv(host: Metal) -> list[str]:
    return qemu.qemu_argv(host, vm_paths(host, STATE), IMAGE, KEYS)


def values(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg == option]


@pytest.mark.parametrize("host", METAL, ids=lambda m: m.name)
def test_software_emulation_direct_boot_and_a_monitor(host: Metal) -> None:
    args = argv(host)
    assert args[0] == "qemu-system-x86_64"
    assert values(args, "-name") == [f"tier3-metal-{host.name},process=tier3-metal-{host.name}"]
    assert values(args, "-accel") == ["tcg,tb-size=256"]  # /dev/kvm is unusable here: no vmx/svm
    assert values(args, "-cpu") == ["max"]
    assert values(args, "-kernel") == [f"/srv/cache/vmlinuz-{IMAGE.digest}"]
    assert values(args, "-initrd") == [f"/srv/cache/initrd-{IMAGE.digest}"]
    assert values(args, "-append")[0].startswith("root=LABEL=root ")  # the root disk is one of several
    assert values(args, "-qmp") == [f"unix:{STATE}/{host.name}/qmp.sock,server=on,wait=off"]
    assert values(args, "-pidfile") == [f"{STATE}/{host.name}/qemu.pid"]
    assert "-daemonize" in args


@pytest.mark.parametrize("host", METAL, ids=lambda m: m.name)
def test_ssh_on_loopback_and_the_keys_by_fw_cfg(host: Metal) -> None:
    args = argv(host)
    assert f"user,id=mgmt,hostfwd=tcp:127.0.0.1:{host.ssh_port}-:22" in values(args, "-netdev")
    assert values(args, "-fw_cfg") == [
        f"name=opt/tier3/hostname,string={host.name}",
        f"name=opt/tier3/authorized_keys,file={KEYS}",
        f"name=opt/tier3/ssh_host_ed25519_key,file={STATE}/{host.name}/ssh_host_ed25519_key",
        "name=opt/tier3/data_nics,string=enp0s4 enp0s5",
    ]


@pytest.mark.parametrize("host", METAL, ids=lambda m: m.name)
def test_two_data_nics_on_taps_one_per_switch(host: Metal) -> None:
    args = argv(host)
    taps = [n for n in values(args, "-netdev") if n.startswith("tap,")]
    assert taps == [f"tap,id=net-{k},ifname=t3m-{host.name}-{k},script=no,downscript=no" for k in "ab"]
    assert [n.switch for n in host.nics] == [s.name for s in SWITCHES]
    assert [n.guest_name for n in host.nics] == ["enp0s4", "enp0s5"]
    nics = [d for d in values(args, "-device") if d.startswith("virtio-net-pci")]
    assert [d.split(",")[1] for d in nics] == ["netdev=mgmt", "netdev=net-a", "netdev=net-b"]
    assert all(len(host.tap(n)) <= 15 for n in host.nics)  # IFNAMSIZ


@pytest.mark.parametrize("host", METAL, ids=lambda m: m.name)
def test_raid_and_luks_disks_by_serial_and_one_lun_on_two_hbas(host: Metal) -> None:
    args = argv(host)
    devices = values(args, "-device")
    blk = [d for d in devices if d.startswith("virtio-blk-pci")]
    assert [d.split("serial=")[1].split(",")[0] for d in blk] == [
        f"{host.name}-root", f"{host.name}-raid-a", f"{host.name}-raid-b", f"{host.name}-luks"]
    assert all(len(d.serial) <= 20 for d in host.disks)  # virtio-blk's limit
    hbas = [d for d in devices if d.startswith("virtio-scsi-pci")]
    assert [d.split(",")[1] for d in hbas] == ["id=hba-a", "id=hba-b"]
    luns = [d for d in devices if d.startswith("scsi-hd")]
    assert [d.split(",")[1] for d in luns] == ["bus=hba-a.0", "bus=hba-b.0"]
    for lun in luns:  # the same LUN: same serial and WWN on both, written by both
        assert f"serial={host.name}-lun0" in lun
        assert f"wwn={host.lun_wwn}" in lun
        assert lun.endswith("share-rw=on")
    lun_drives = [d for d in values(args, "-drive") if d.startswith("if=none,id=lun-")]
    assert len(lun_drives) == 2
    assert all(f"file={STATE}/{host.name}/lun0.raw,format=raw,file.locking=off" in d for d in lun_drives)
    assert [h.fabric for h in host.hbas] == list(FABRICS)


@pytest.mark.parametrize("host", METAL, ids=lambda m: m.name)
def test_every_device_has_its_own_pci_slot(host: Metal) -> None:
    slots = [d.split("addr=")[1] for d in values(argv(host), "-device") if "addr=" in d]
    assert len(slots) == 10  # rng, 3 NICs, root, 3 disks, 2 HBAs
    assert [s for s, n in Counter(slots).items() if n > 1] == []
    assert f"{host.hbas[0].slot:#x}" in slots
    assert host.hbas[0].by_path == f"/dev/disk/by-path/pci-0000:00:{host.hbas[0].slot:02x}.0-scsi-0:0:0:0"


def test_hosts_differ_in_ports_macs_and_wwn() -> None:
    for attribute in ("ssh_port", "redfish_port", "lun_wwn", "mgmt_mac"):
        assert len({getattr(m, attribute) for m in METAL}) == len(METAL), attribute
    macs = [n.mac for m in METAL for n in m.nics]
    ports = [(n.switch, n.port) for m in METAL for n in m.nics]
    assert len(set(macs)) == len(macs)
    assert len(set(ports)) == len(ports)  # one switch port per NIC
    assert [m.name for m in METAL if m.ipmi_port] == ["metal1"]  # ipmi_sim for one of the two


def test_the_wwid_is_what_the_guest_reports_for_the_naa_wwn() -> None:
    host = metal("metal1")
    assert host.lun_wwn == "0x5001405000000001"
    assert host.lun_wwid == "35001405000000001"  # udev's ID_SERIAL of a NAA designator: "3" + the id


def test_an_unknown_metal_host_is_a_lab_error() -> None:
    with pytest.raises(LabError, match="metal9 is not a metal host of the lab"):
        metal("metal9")


def test_disk_images_are_made_with_qemu_img() -> None:
    paths = vm_paths(metal("metal2"), STATE)
    assert qemu.overlay_argv(paths, IMAGE) == [
        "qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(IMAGE.base), f"{STATE}/metal2/root.qcow2"]
    assert qemu.blank_disk_argv(paths.lun, 256, fmt="raw") == [
        "qemu-img", "create", "-q", "-f", "raw", f"{STATE}/metal2/lun0.raw", "256M"]
