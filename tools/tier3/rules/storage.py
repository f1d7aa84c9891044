"""Storage: RAID levels with redundancy and enough devices, multipath over two paths, fabrics, HBAs and
array controllers, one LUN per WWID."""

from __future__ import annotations

from collections.abc import Iterator

from tier3.model import Host, MultipathLun, RaidArray, Severity, Topology
from tier3.rules._lookup import at, both, key_of, names
from tier3.rules._registry import Category, Violation, rule

STORAGE_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")

# RAID level -> fewest active devices for it to survive one failure (raid0 and linear never do)
MIN_DEVICES: dict[str, int] = {"raid1": 2, "raid4": 3, "raid5": 3, "raid6": 4, "raid10": 4}
NO_REDUNDANCY = frozenset({"raid0", "linear"})


def _level(array: RaidArray) -> str:
    return array.level.strip().lower()


def _device(name: str) -> str:
    """``/dev/sdb`` and ``sdb`` name the same device."""
    return name.removeprefix("/dev/")


def _raid_evidence(array: RaidArray) -> dict[str, object]:
    return {"array": array.name, "level": array.level, "devices": list(array.devices), "spares": list(array.spares)}


def _paths(lun: MultipathLun) -> list[str]:
    return list(dict.fromkeys(_device(p.device) for p in lun.paths))


def _lun_evidence(lun: MultipathLun) -> dict[str, object]:
    return {"lun": lun.name, "wwid": lun.wwid, "paths": {p.device: p.fabric for p in lun.paths}}


@rule(
    "T3-STO-001",
    severity=Severity.HIGH,
    category=Category.STORAGE,
    title="RAID level has redundancy (never raid0 or linear)",
    rationale="""raid0 and linear lose the whole array with any one disk. Levels with redundancy are
    raid1, raid4, raid5, raid6 and raid10; any other declared level is blamed too, naming it. Arrays
    blamed here are not also judged on their device count (T3-STO-002).""",
    controls=STORAGE_CONTROLS,
    hint="rebuild the array as raid1 (two disks), raid6 or raid10, and update its level",
)
def raid_level(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        for array in host.raid_arrays:
            level = _level(array)
            if level in MIN_DEVICES:
                continue
            why = "has no redundancy" if level in NO_REDUNDANCY else "is not a RAID level with redundancy"
            yield Violation(
                f"{host.name}:{array.name}",
                f"{array.name} is {array.level}, which {why}",
                _raid_evidence(array),
                key_of(array.location, "level", at(host.location, "raid_arrays")),
            )


@rule(
    "T3-STO-002",
    severity=Severity.HIGH,
    category=Category.STORAGE,
    title="RAID array has enough devices for its level",
    rationale="""An array built with fewer active devices than its level needs (raid1 2, raid4 and
    raid5 3, raid6 and raid10 4) is degraded from day one: the next disk failure loses data. Spares
    do not count, and a device listed twice counts once. Judged on levels with redundancy only (the
    others: T3-STO-001).""",
    controls=STORAGE_CONTROLS,
    hint="add active devices to the array (spares do not count) or choose a level that fits them",
)
def raid_devices(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        for array in host.raid_arrays:
            needed = MIN_DEVICES.get(_level(array))
            devices = list(dict.fromkeys(_device(d) for d in array.devices))
            if needed is None or len(devices) >= needed:
                continue
            listed = f" ({names(devices)})" if devices else ""
            yield Violation(
                f"{host.name}:{array.name}",
                f"{array.name} is {array.level} with {len(devices)} active device"
                f"{'' if len(devices) == 1 else 's'}{listed}; {array.level} needs at least {needed}",
                _raid_evidence(array),
                key_of(array.location, "devices", at(host.location, "raid_arrays")),
            )


@rule(
    "T3-STO-003",
    severity=Severity.HIGH,
    category=Category.STORAGE,
    title="multipath LUN has at least two paths",
    rationale="""A LUN reached through one path (HBA, cable, SAN switch port, controller port) goes
    away with it. A device listed twice counts once. Fabric diversity (T3-STO-004) is judged only on
    LUNs with two paths.""",
    controls=STORAGE_CONTROLS,
    hint="zone the LUN to a second HBA and declare that path under the LUN's paths",
)
def lun_paths(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        for lun in host.multipath_luns:
            paths = _paths(lun)
            if len(paths) < 2:
                listed = f" ({names(paths)})" if paths else ""
                yield Violation(
                    f"{host.name}:{lun.name}",
                    f"LUN {lun.name} has {len(paths)} path{'' if len(paths) == 1 else 's'}{listed}; needs at least 2",
                    _lun_evidence(lun),
                    key_of(lun.location, "paths", at(host.location, "multipath_luns")),
                )


@rule(
    "T3-STO-004",
    severity=Severity.HIGH,
    category=Category.STORAGE,
    title="multipath paths span at least two SAN fabrics",
    rationale="""Paths through one fabric fail together when that fabric's switch, zoning or firmware
    fails; two independent fabrics (A and B) are the point of multipath. Judged on LUNs with two or
    more paths (fewer: T3-STO-003).""",
    controls=STORAGE_CONTROLS,
    hint="connect one HBA to the other fabric and update that path's fabric",
)
def lun_fabrics(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        for lun in host.multipath_luns:
            paths = _paths(lun)
            fabrics = list(dict.fromkeys(p.fabric for p in lun.paths))
            if len(paths) >= 2 and len(fabrics) < 2:
                yield Violation(
                    f"{host.name}:{lun.name}",
                    f"paths {names(paths)} {both(len(paths))} go through fabric {fabrics[0]}",
                    _lun_evidence(lun),
                    key_of(lun.location, "paths", at(host.location, "multipath_luns")),
                )


@rule(
    "T3-STO-005",
    severity=Severity.MEDIUM,
    category=Category.STORAGE,
    title="a block device is used by at most one array or LUN path on a host",
    rationale="""A disk counted in two arrays, as a member and a spare, or as an array member and a
    multipath path, is one failure that takes out both: the redundancy each claims is shared.
    ``/dev/sdb`` and ``sdb`` are the same device. A device listed twice in one array's members or one
    LUN's paths is counted once there (T3-STO-002/003 judge what remains). Blamed as host:device.""",
    controls=STORAGE_CONTROLS,
    hint="give each array member, spare and LUN path its own block device",
)
def one_use_per_device(topology: Topology) -> Iterator[Violation]:
    for host in topology.hosts:
        users: dict[str, dict[str, None]] = {}  # device -> its users, in declared order, once each
        for array in host.raid_arrays:
            for device in array.devices:
                users.setdefault(_device(device), {})[f"array {array.name}"] = None
            for device in array.spares:
                users.setdefault(_device(device), {})[f"array {array.name} (spare)"] = None
        for lun in host.multipath_luns:
            for path in lun.paths:
                users.setdefault(_device(path.device), {})[f"LUN {lun.name}"] = None
        for device, used_by in users.items():
            if len(used_by) > 1:
                first = next(iter(used_by))
                yield Violation(
                    f"{host.name}:{device}",
                    f"device {device} is used by {names(used_by)}",
                    {"device": device, "used_by": list(used_by)},
                    at(host.location, "raid_arrays" if first.startswith("array") else "multipath_luns"),
                )


def _one_component(topology: Topology, component: str) -> Iterator[Violation]:
    """LUNs of two or more paths that all declare ``component`` (hba, controller), all the same one."""
    what = "HBA" if component == "hba" else "array controller"
    for host in topology.hosts:
        for lun in host.multipath_luns:
            paths = _paths(lun)
            if len(paths) < 2 or not all(getattr(p, component) for p in lun.paths):
                continue
            used = list(dict.fromkeys(getattr(p, component) for p in lun.paths))
            if len(used) < 2:
                yield Violation(
                    f"{host.name}:{lun.name}",
                    f"paths {names(paths)} {both(len(paths))} go through {what} {used[0]}",
                    {**_lun_evidence(lun), f"{component}s": {p.device: getattr(p, component) for p in lun.paths}},
                    key_of(lun.location, "paths", at(host.location, "multipath_luns")),
                    hint=(f"zone one path of {lun.name} through another HBA than {used[0]} and update its hba"
                          if component == "hba" else
                          f"map {lun.name} through the array's other controller than {used[0]} and update "
                          "that path's controller"),
                )


@rule(
    "T3-STO-006",
    severity=Severity.HIGH,
    category=Category.STORAGE,
    title="multipath paths go through at least two HBAs",
    rationale="""Two paths on the ports of one HBA fail together with that card, its PCIe slot, its
    driver or its firmware, even when its two ports reach two fabrics. Judged only on LUNs with two
    or more paths (fewer: T3-STO-003) that declare the ``hba`` of every path: inventories that do not
    model HBAs are not guessed at. Independent of fabric diversity (T3-STO-004): one HBA on one
    fabric is two faults, each with its own fix.""",
    controls=STORAGE_CONTROLS,
    hint="zone one path through the host's other HBA and update that path's hba",
)
def lun_hbas(topology: Topology) -> Iterator[Violation]:
    return _one_component(topology, "hba")


@rule(
    "T3-STO-007",
    severity=Severity.HIGH,
    category=Category.STORAGE,
    title="multipath paths reach at least two array controllers",
    rationale="""Paths that all end on one controller (storage processor) of the array lose the LUN
    when that controller fails, reboots for a firmware upgrade or fails over late. Judged only on
    LUNs with two or more paths (fewer: T3-STO-003) that declare the ``controller`` of every path.
    Independent of the HBA and fabric rules (T3-STO-004/006): each names another component.""",
    controls=STORAGE_CONTROLS,
    hint="map the LUN through both array controllers and update each path's controller",
)
def lun_controllers(topology: Topology) -> Iterator[Violation]:
    return _one_component(topology, "controller")


@rule(
    "T3-STO-008",
    severity=Severity.MEDIUM,
    category=Category.STORAGE,
    title="a WWID belongs to one LUN, unless every LUN declaring it is shared",
    rationale="""A WWID names one LUN on the array. Two LUNs declaring it are either a copied
    host_vars file (one of them is not the LUN the host really mounts, so its paths and fabrics were
    judged on fiction) or one LUN mounted by two hosts, which corrupts a filesystem that is not a
    cluster filesystem. Medium: the inventory is wrong, not yet the data. Declare ``shared: true`` on
    every LUN of a WWID several hosts mount on purpose (GFS2, OCFS2, a VMFS-like datastore). WWIDs
    compare case-insensitively. Blamed as wwid:WWID, naming the LUNs.""",
    controls=STORAGE_CONTROLS,
    hint="correct the wwid of the copied LUN (multipath -ll on the host shows it), or declare shared: true on "
    "every LUN of a cluster filesystem",
)
def one_lun_per_wwid(topology: Topology) -> Iterator[Violation]:
    declared: dict[str, list[tuple[Host, MultipathLun]]] = {}
    for host in topology.hosts:
        for lun in host.multipath_luns:
            declared.setdefault(lun.wwid.strip().lower(), []).append((host, lun))
    for wwid, luns in declared.items():
        unshared = [(h, lun) for h, lun in luns if not lun.shared]
        if len(luns) < 2 or not unshared:
            continue
        listed = [f"{h.name}:{lun.name}" for h, lun in luns]
        message = f"WWID {wwid} is declared by LUNs {names(listed)}"
        if len(unshared) < len(luns):
            message += f"; not declared shared: {names(f'{h.name}:{lun.name}' for h, lun in unshared)}"
        host, lun = unshared[-1] if len(unshared) < len(luns) else luns[1]
        yield Violation(
            f"wwid:{wwid}",
            message,
            {"wwid": wwid, "luns": listed, "shared": {f"{h.name}:{x.name}": x.shared for h, x in luns}},
            key_of(lun.location, "wwid", at(host.location, "multipath_luns")),
            hint=f"correct the wwid of {host.name}:{lun.name} (multipath -ll shows it), or declare shared: true on "
            f"{names(listed)} if they are one cluster filesystem",
        )
