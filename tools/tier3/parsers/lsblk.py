"""``lsblk -J -O`` (or ``lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT,...``) -> the block device tree. Pure.

Expected input (util-linux 2.38)::

    {"blockdevices": [
       {"name": "vde", "type": "disk", "fstype": "linux_raid_member", "mountpoint": null,
        "children": [
          {"name": "md1", "type": "raid1", "fstype": "crypto_LUKS", "mountpoint": null,
           "children": [{"name": "cryptmd", "type": "crypt", "fstype": "ext4", "mountpoint": "/srv/mail"}]}
        ]}
    ]}

A device under several parents (an md array over two disks, a multipath map over two paths) is
listed once under each; ``stacks`` names it once. ``mountpoints`` (a list, util-linux >= 2.37) is
read when present. Errors carry a JSON pointer (``/blockdevices/3/children/0/type``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from tier3.errors import ParseError
from tier3.parsers._text import load_json

WHAT = "lsblk -J output ({\"blockdevices\": [...]})"
RAID_TYPES = ("raid0", "raid1", "raid4", "raid5", "raid6", "raid10", "linear", "md")


@dataclass(frozen=True)
class BlockDevice:
    name: str
    type: str  # disk, part, raid1, linear, mpath, crypt, lvm, ...
    fstype: str | None
    mountpoints: tuple[str, ...]
    path: str
    pointer: str
    children: tuple[BlockDevice, ...]
    uuid: str | None = None  # the filesystem or LUKS UUID (lsblk -O), None when not shown
    serial: str | None = None  # the disk's serial (lsblk -O): udev's /dev/disk/by-id/virtio-SERIAL
    wwn: str | None = None  # the disk's WWN (lsblk -O): udev's /dev/disk/by-id/wwn-WWN
    subsystems: str = ""  # "block:virtio:pci" (a virtio-blk disk), "block:scsi:virtio:pci", ... (lsblk -O)


@dataclass(frozen=True)
class Stack:
    """One top device and what it sits on: e.g. ext4 on crypt cryptmd on raid1 md1 on disks vde, vdf."""

    device: str
    type: str
    fstype: str | None
    mountpoints: tuple[str, ...]
    chain: tuple[tuple[str, str], ...]  # (name, type) from the device down to one disk, the device first
    crypt: str | None  # the dm-crypt device in the chain (the device itself or one below)
    md: str | None  # the md array in the chain
    mpath: str | None  # the multipath map in the chain
    disks: tuple[str, ...] = ()  # every disk under the device


@dataclass(frozen=True)
class BlockTree:
    devices: tuple[BlockDevice, ...]

    def walk(self) -> list[tuple[BlockDevice, tuple[BlockDevice, ...]]]:
        """Every device with its ancestors (nearest first), depth first, in lsblk's order."""
        out: list[tuple[BlockDevice, tuple[BlockDevice, ...]]] = []
        todo: list[tuple[BlockDevice, tuple[BlockDevice, ...]]] = [(d, ()) for d in reversed(self.devices)]
        while todo:
            dev, up = todo.pop()
            out.append((dev, up))
            todo.extend((c, (dev, *up)) for c in reversed(dev.children))
        return out

    def stacks(self) -> list[Stack]:
        """One entry per device that holds a filesystem, a mount, or is crypt/md/mpath; each named once,
        with every disk it rests on (an md array over two disks lists both)."""
        seen: dict[str, Stack] = {}
        for dev, up in self.walk():
            if not (dev.fstype or dev.mountpoints or dev.type in ("crypt", "mpath", *RAID_TYPES)):
                continue
            if dev.type == "disk" and dev.fstype in ("linux_raid_member", "mpath_member"):
                continue
            chain = (dev, *up)
            if dev.name in seen:
                old = seen[dev.name]
                if chain[-1].name not in old.disks:
                    seen[dev.name] = replace(old, disks=(*old.disks, chain[-1].name))
                continue

            def first(types: tuple[str, ...], chain: tuple[BlockDevice, ...] = chain) -> str | None:
                return next((d.name for d in chain if d.type in types), None)

            seen[dev.name] = Stack(dev.name, dev.type, dev.fstype, dev.mountpoints,
                                   tuple((d.name, d.type) for d in chain), first(("crypt",)), first(RAID_TYPES),
                                   first(("mpath",)), (chain[-1].name,))
        return list(seen.values())

    def filesystem_on(self, name: str) -> str | None:
        """The fstype of device ``name`` (e.g. what sits on crypt ``cryptmd``), None when unknown."""
        return next((d.fstype for d, _ in self.walk() if d.name == name), None)


def _str(node: dict[str, Any], key: str, source: str, ptr: str, *, required: bool) -> str | None:
    value = node.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise ParseError(source, f"{ptr}/{key}", f"expected a {'non-empty ' if required else ''}string for "
                         f"{key!r}, got {json.dumps(value)[:40]}")
    return value


def _device(node: Any, source: str, ptr: str, depth: int) -> BlockDevice:
    if not isinstance(node, dict):
        raise ParseError(source, ptr, "expected a device object")
    if depth > 64:
        raise ParseError(source, ptr, "devices nested more than 64 deep")
    name = _str(node, "name", source, ptr, required=True) or ""
    dtype = _str(node, "type", source, ptr, required=True) or ""
    fstype = _str(node, "fstype", source, ptr, required=False)
    mounts: list[str] = []
    raw_mounts = node.get("mountpoints")
    if raw_mounts is not None:
        if not isinstance(raw_mounts, list):
            raise ParseError(source, f"{ptr}/mountpoints", "expected a list")
        for i, m in enumerate(raw_mounts):
            if m is not None and not isinstance(m, str):
                raise ParseError(source, f"{ptr}/mountpoints/{i}", "expected a string or null")
            if m:
                mounts.append(m)
    single = _str(node, "mountpoint", source, ptr, required=False)
    if single and single not in mounts:
        mounts.append(single)
    children = node.get("children", [])
    if not isinstance(children, list):
        raise ParseError(source, f"{ptr}/children", "expected a list of devices")
    return BlockDevice(name=name, type=dtype, fstype=fstype, mountpoints=tuple(mounts),
                       path=_str(node, "path", source, ptr, required=False) or f"/dev/{name}", pointer=ptr,
                       children=tuple(_device(c, source, f"{ptr}/children/{i}", depth + 1)
                                      for i, c in enumerate(children)),
                       uuid=_str(node, "uuid", source, ptr, required=False),
                       serial=_str(node, "serial", source, ptr, required=False),
                       wwn=_str(node, "wwn", source, ptr, required=False),
                       subsystems=_str(node, "subsystems", source, ptr, required=False) or "")


def parse_lsblk_json(text: str, source: str) -> BlockTree:
    """Parse ``lsblk -J`` output (any column set that includes NAME and TYPE)."""
    doc = load_json(text, source, WHAT)
    if not isinstance(doc, dict) or "blockdevices" not in doc:
        raise ParseError(source, "", f"expected {WHAT}")
    devices = doc["blockdevices"]
    if not isinstance(devices, list):
        raise ParseError(source, "/blockdevices", "expected a list of devices")
    return BlockTree(tuple(_device(d, source, f"/blockdevices/{i}", 0) for i, d in enumerate(devices)))
