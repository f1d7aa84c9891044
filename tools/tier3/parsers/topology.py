"""What one host really has, read from the outputs it gave for several kinds at once. Facts only. Pure.

Input: kind -> [(item label, text)], the items one ``tier3_evidence`` answer holds for the kinds of
``KINDS`` (whatever the host gave; a kind with an empty list was asked and has nothing: no bond file,
no array). The label names the item: the file (``/proc/net/bonding/bond0``), or the glob match a
command ran for (``/dev/md0``, ``/dev/mapper/cryptmail``, ``/dev/disk/by-uuid/UUID``), or the command.
Each text is read by its kind's own parser; nothing is parsed twice by hand::

    {"bonding": [("/proc/net/bonding/bond0", "Ethernet Channel Bonding Driver: ...")],
     "lldp": [("lldpctl -f json", "{\"lldp\": ...}")],
     "mdstat": [("/proc/mdstat", "Personalities : ...")], "mdadm-detail": [("/dev/md0", "/dev/md0: ...")],
     "multipath": [("multipath -ll", "mpatha (3600...) dm-0 ...")],
     "cryptsetup": [("/dev/mapper/cryptmail", "/dev/mapper/cryptmail is active. ...")],
     "luksdump": [("/dev/disk/by-uuid/8da5...", "{\"keyslots\": ...}")], "lsblk": [("lsblk -J -O", "{...}")]}

The result, ``HostObserved``, is what ``tier3.rules.observed.topology_*`` compare with the host as the
inventory declares it. Names are normalised here so that both sides compare alike (``kernel_name``,
``wwid_key``, ``declared_mode``): these are translations of one spelling into another, not judgements.
``ip-link`` is accepted and not read: ``/proc/net/bonding`` shows every bond and member it would.

Errors: a ParseError from the item's parser, its source naming the kind and the item
(``topology of mx1: mdadm-detail /dev/md0``); an input of another shape names the key.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from tier3.errors import ParseError
from tier3.parsers import bonding, cryptsetup, lldp, lsblk, mdadm, mdstat, multipath

KINDS = ("bonding", "lldp", "ip-link", "mdstat", "mdadm-detail", "multipath", "cryptsetup", "luksdump", "lsblk")
RawItems = Mapping[str, Sequence[tuple[str, str]]]

# /proc/net/bonding's "Bonding Mode:" (the kernel's bond_mode_name) -> the mode as an inventory names it
BOND_MODES: dict[str, str] = {
    "load balancing (round-robin)": "balance-rr",
    "fault-tolerance (active-backup)": "active-backup",
    "load balancing (xor)": "balance-xor",
    "fault-tolerance (broadcast)": "broadcast",
    "IEEE 802.3ad Dynamic link aggregation": "802.3ad",
    "transmit load balancing": "balance-tlb",
    "adaptive load balancing": "balance-alb",
}
# the designator types of SCSI VPD page 83 as multipath prints them (a leading digit) and as names write them
WWID_PREFIXES = {"naa.": "3", "eui.": "2", "t10.": "1"}
_PARTITION = re.compile(r"^(?P<disk>.*?\d)p\d+$|^(?P<plain>.*?\D)\d+$")


def kernel_name(path: str) -> str:
    """A device as the kernel names it: ``/dev/sdb`` -> ``sdb``, ``/dev/mapper/mpatha`` -> ``mpatha``."""
    return path.removeprefix("/dev/").removeprefix("mapper/")


_BY_ID = re.compile(r"^disk/by-id/(?P<kind>virtio|wwn)-(?P<id>.+?)(?:-part(?P<part>\d+))?$")


def resolved(path: str, tree: lsblk.BlockTree | None) -> str:
    """The kernel name of a device path, reading udev's names from lsblk's tree where the path is one:
    ``/dev/disk/by-uuid/UUID`` (the device with that UUID), ``/dev/disk/by-id/virtio-SERIAL`` (the
    virtio-blk disk with that serial), ``/dev/disk/by-id/wwn-WWN`` (the disk with that WWN), each with
    ``-partN`` for its partition N. Any other path is ``kernel_name``'s answer, and so is one lsblk does not
    show: a name still starting with ``disk/`` was not resolved."""
    name = kernel_name(path)
    if tree is None or not name.startswith("disk/"):
        return name
    walked = [d for d, _ in tree.walk()]
    if name.startswith("disk/by-uuid/"):
        uuid = name.removeprefix("disk/by-uuid/").lower()
        return next((d.name for d in walked if d.uuid and d.uuid.lower() == uuid), name)
    m = _BY_ID.match(name)
    if m is None:
        return name
    if m["kind"] == "virtio":
        disk = next((d for d in walked if d.serial == m["id"] and d.subsystems.startswith("block:virtio")), None)
    else:
        disk = next((d for d in walked if d.wwn and d.wwn.lower() == m["id"].lower() and d.type == "disk"), None)
    if disk is None:
        return name
    if m["part"] is None:
        return disk.name
    wanted = {f"{disk.name}{m['part']}", f"{disk.name}p{m['part']}"}
    return next((c.name for c in disk.children if c.name in wanted), name)


def disk_of(name: str) -> str:
    """The name with its partition number taken off (``sdb1`` -> ``sdb``, ``nvme0n1p2`` -> ``nvme0n1``).

    Only the shape of the name is read (``nvme0n1`` itself reads as ``nvme0n``, ``md0`` as ``md``): callers
    compare a member with a declared disk by name first and ask this only when that fails.
    """
    m = _PARTITION.match(name)
    if m is None:
        return name
    return m["disk"] or m["plain"]


def wwid_key(wwid: str) -> str:
    """A WWID as multipath prints it, lower case: ``naa.6001405...`` -> ``36001405...``."""
    low = wwid.strip().lower()
    for prefix, digit in WWID_PREFIXES.items():
        if low.startswith(prefix):
            return digit + low[len(prefix):]
    return low


def declared_mode(printed: str) -> str:
    """The bond mode an inventory writes for what /proc/net/bonding prints; "" for a mode not known here.
    Read as a prefix: active-backup with fail_over_mac prints ``... (active-backup) (fail_over_mac active)``."""
    return next((name for shown, name in BOND_MODES.items() if printed.startswith(shown)), "")


def scsi_host(hctl: str) -> int | None:
    """H of H:C:T:L (the SCSI host: the HBA port a path goes through); None for a gone path."""
    head = hctl.partition(":")[0]
    return int(head) if head.isdigit() else None


@dataclass(frozen=True)
class ObservedArray:
    """One md array as /proc/mdstat and mdadm --detail show it together (mdadm's word wins where both speak)."""

    name: str  # kernel name: md0
    level: str | None  # raid1 ...; None for an inactive array mdstat alone shows
    members: tuple[str, ...]  # kernel names of every member listed (spares and faulty included)
    state: str  # "active", "inactive" (mdstat) or mdadm's State line
    degraded: bool
    where: str  # the item and line (or key) that shows it


@dataclass(frozen=True)
class HostObserved:
    """What a host has, by kind of object, and which kinds it gave (a kind it did not give is not known)."""

    given: frozenset[str]
    bonds: dict[str, bonding.Bond] = field(default_factory=dict)
    neighbours: dict[str, tuple[lldp.Neighbour, ...]] = field(default_factory=dict)  # local interface -> LLDP
    arrays: dict[str, ObservedArray] = field(default_factory=dict)
    maps: dict[str, multipath.Map] = field(default_factory=dict)  # wwid_key -> map
    mappings: dict[str, cryptsetup.CryptStatus] = field(default_factory=dict)  # mapping name -> status
    headers: dict[str, cryptsetup.LuksHeader] = field(default_factory=dict)  # LUKS UUID (lower case) -> header
    tree: lsblk.BlockTree | None = None
    labels: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, object) -> the item it came from

    def knows(self, *kinds: str) -> bool:
        """The host gave every one of ``kinds`` (so an object missing from them is missing on the host)."""
        return all(k in self.given for k in kinds)

    def label(self, kind: str, name: str) -> str:
        return self.labels.get((kind, name), kind)


def _items(raw: Any, source: str) -> dict[str, list[tuple[str, str]]]:
    if not isinstance(raw, Mapping):
        raise ParseError(source, "", f"expected kind -> [(item, text)], got {type(raw).__name__}")
    out: dict[str, list[tuple[str, str]]] = {}
    for kind, items in raw.items():
        if kind not in KINDS:
            raise ParseError(source, str(kind), f"not a kind the topology is read from; one of {', '.join(KINDS)}")
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise ParseError(source, kind, "expected a list of (item, text) pairs")
        pairs = []
        for i, pair in enumerate(items):
            if not (isinstance(pair, Sequence) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
                raise ParseError(source, f"{kind}[{i}]", "expected an (item label, text) pair of strings")
            pairs.append((pair[0], pair[1]))
        out[kind] = pairs
    return out


def _bonds(items: list[tuple[str, str]], source: str, out: HostObserved) -> None:
    for label, text in items:
        name = PurePath(label).name
        bond = bonding.parse_proc_net_bonding(text, f"{source}: bonding {label}", name)
        out.bonds[name] = bond
        out.labels[("bonding", name)] = label


def _neighbours(items: list[tuple[str, str]], source: str, out: HostObserved) -> None:
    for label, text in items:
        for n in lldp.parse_lldpctl(text, f"{source}: lldp {label}"):
            out.neighbours[n.interface] = (*out.neighbours.get(n.interface, ()), n)
            out.labels[("lldp", n.interface)] = f"{label} {n.where}"


def _from_mdstat(items: list[tuple[str, str]], source: str, out: HostObserved) -> None:
    for label, text in items:
        stat = mdstat.parse_mdstat(text, f"{source}: mdstat {label}")
        for a in stat.arrays:
            if a.container:
                continue
            degraded = a.working_disks is not None and a.raid_disks is not None and (
                a.working_disks < a.raid_disks or "_" in a.slot_map)
            out.arrays[a.name] = ObservedArray(a.name, a.level, tuple(m.device for m in a.members),
                                               "active" if a.active else "inactive", degraded,
                                               f"{label} line {a.line}")


def _from_mdadm(items: list[tuple[str, str]], source: str, out: HostObserved) -> None:
    for label, text in items:
        d = mdadm.parse_mdadm_detail(text, f"{source}: mdadm-detail {label}")
        if d.container:
            continue
        name = kernel_name(d.device)
        degraded = "degraded" in d.state or (d.active_devices or 0) < (d.raid_devices or 0)
        out.arrays[name] = ObservedArray(name, d.level, tuple(kernel_name(x.device) for x in d.devices if x.device),
                                         ", ".join(d.state) or "inactive", degraded, f"{label} State")


def _maps(items: list[tuple[str, str]], source: str, out: HostObserved) -> None:
    for label, text in items:
        for m in multipath.parse_multipath_ll(text, f"{source}: multipath {label}").maps:
            out.maps[wwid_key(m.wwid)] = m
            out.labels[("multipath", wwid_key(m.wwid))] = label


def _mappings(items: list[tuple[str, str]], source: str, out: HostObserved) -> None:
    for label, text in items:
        st = cryptsetup.parse_cryptsetup_status(text, f"{source}: cryptsetup {label}")
        name = kernel_name(st.device)
        out.mappings[name] = st
        out.labels[("cryptsetup", name)] = label


def _headers(items: list[tuple[str, str]], source: str, out: HostObserved) -> None:
    for label, text in items:
        h = cryptsetup.parse_luks_header(text, f"{source}: luksdump {label}", label if label.startswith("/") else "")
        key = h.uuid.lower() or label
        out.headers[key] = h
        out.labels[("luksdump", key)] = label


def _tree(items: list[tuple[str, str]], source: str) -> lsblk.BlockTree | None:
    trees = [lsblk.parse_lsblk_json(text, f"{source}: lsblk {label}") for label, text in items]
    if len(trees) > 1:
        raise ParseError(source, "lsblk", f"{len(trees)} lsblk items: expected one tree of the host")
    return trees[0] if trees else None


Reader = Callable[[list[tuple[str, str]], str, HostObserved], None]
_READERS: dict[str, Reader] = {"bonding": _bonds, "lldp": _neighbours, "mdstat": _from_mdstat,
                               "mdadm-detail": _from_mdadm, "multipath": _maps, "cryptsetup": _mappings,
                               "luksdump": _headers}


def parse_host_observed(raw: Any, source: str) -> HostObserved:
    """Read every item of ``raw`` (kind -> [(label, text)]) with its kind's parser into one ``HostObserved``."""
    items = _items(raw, source)
    out = HostObserved(given=frozenset(items))
    for kind, read in _READERS.items():  # mdstat before mdadm-detail: mdadm's word wins
        if kind in items:
            read(items[kind], source, out)
    return dataclasses.replace(out, tree=_tree(items.get("lsblk", []), source))
