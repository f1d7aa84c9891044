"""Declared versus observed storage (T3-OBS-STO-020..028): md arrays and multipath LUNs against tier3_host.

Judged on the ``topology`` kind (``HostObserved``) with the declared host of the context; silent
without one, and on what the host did not give (no ``mdstat`` nor ``mdadm-detail``: nothing of md; no
``multipath``: nothing of LUNs).

Names are compared as the kernel writes them: ``/dev/`` (and ``/dev/mapper/``) taken off, so the
declared ``/dev/md0`` is the observed ``md0`` and ``/dev/sdb`` is ``sdb``; a declared udev path
(``/dev/disk/by-id/virtio-SERIAL``, ``wwn-WWN``, ``/dev/disk/by-uuid/UUID``) is the device lsblk shows
with that serial, WWN or UUID (``tier3.parsers.topology.resolved``), and an array with a declared
device that cannot be resolved so (no lsblk evidence, another by-id form) is not compared by member. A member that is a
partition of a declared disk counts as that disk (``sdb1`` on a declared ``/dev/sdb``; ``nvme0n1p2``
on ``/dev/nvme0n1``), so arrays built on partitions compare with disks as operators declare them.
A declared ``/dev/md/NAME`` (a udev alias) is compared as ``md/NAME`` and so matches no kernel name:
declare arrays by kernel name. WWIDs compare without case, ``naa.``/``eui.``/``t10.`` written as the
digit multipath prints (3, 2, 1). An observed path is the declared one with the same device, or,
failing that, the one whose ``hba`` names its SCSI host (``host7``, ``scsi7`` or ``7``: the H of
H:C:T:L), each declared path standing for one observed path; for its fabric, any declared path on
its SCSI host will do (an HBA port sits on one fabric). A path matched neither way has no known fabric.

Preconditions keep one defect reported once: an absent array or LUN (020, 024) is judged no further;
a degraded array's missing member is T3-OBS-STO-001's finding (022 blames members only when one is
there that was not declared, or when a declared one is missing from an array that is not degraded);
paths all on one fabric (027) are not also counted (025) nor named (026); fewer paths than declared
(025) is not also blamed path by path (026 names declared paths absent while the count is whole: a
path replaced by another), and a LUN down to one path is not also blamed for its fabrics (027).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tier3.model import MultipathLun, MultipathPath, RaidArray, Severity
from tier3.parsers.lsblk import BlockTree
from tier3.parsers.multipath import Map, Path
from tier3.parsers.topology import HostObserved, ObservedArray, disk_of, kernel_name, resolved, scsi_host, wwid_key
from tier3.rules._registry import Category, Context, Violation, observed
from tier3.rules.observed.topology_network import REDUNDANCY_CONTROLS, declared_host

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
COMMON: dict[str, Any] = {"kinds": ("topology",), "category": Category.STORAGE, "controls": REDUNDANCY_CONTROLS}
MD_KINDS = ("mdstat", "mdadm-detail")
_HBA = re.compile(r"^(?:host|scsi)?(\d+)$")


# ---- md -----------------------------------------------------------------------------------------

def _array_pairs(facts: HostObserved, ctx: Context) -> Iterator[tuple[RaidArray, ObservedArray | None]]:
    host = declared_host(ctx)
    if host is None or not any(k in facts.given for k in MD_KINDS):
        return
    for a in host.raid_arrays:
        yield a, facts.arrays.get(kernel_name(a.name))


def _declared_array(a: RaidArray) -> dict[str, Any]:
    return {"array": a.name, "level": a.level, "devices": list(a.devices), "spares": list(a.spares),
            "declared_at": str(a.location)}


def _observed_array(o: ObservedArray) -> dict[str, Any]:
    return {"array": o.name, "level": o.level, "members": list(o.members), "state": o.state, "degraded": o.degraded}


def _same_device(member: str, declared: str) -> bool:
    return member == declared or disk_of(member) == declared


def member_difference(a: RaidArray, o: ObservedArray, tree: BlockTree | None = None,
                      ) -> tuple[list[str], list[str]] | None:
    """(declared devices not among the members, members not declared), by kernel name; None when a declared
    device is a udev path the lsblk tree (``tree``) does not resolve."""
    declared = [resolved(d, tree) for d in (*a.devices, *a.spares)]
    if any(d.startswith("disk/") for d in declared):
        return None
    missing = [d for d in declared if not any(_same_device(m, d) for m in o.members)]
    extra = [m for m in o.members if not any(_same_device(m, d) for d in declared)]
    return missing, extra


@observed("T3-OBS-STO-020", severity=H, title="declared md array absent on the host",
          rationale="""The inventory declares an md array the host does not have assembled: the data meant to be
          mirrored sits on a single disk, or nowhere. Its level and members are not judged further.""",
          hint="assemble the array (mdadm --assemble), or correct tier3_host.raid_arrays", **COMMON)
def array_absent(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for a, o in _array_pairs(facts, ctx):
        if o is None:
            shown = ", ".join(sorted(facts.arrays)) or "no array"
            yield Violation(f"/dev/{kernel_name(a.name)}", f"declared {a.name} ({a.level} over "
                            f"{', '.join(a.devices) or 'no devices'}), observed {shown}",
                            {"declared": _declared_array(a), "observed": {"arrays": sorted(facts.arrays)}},
                            where=", ".join(k for k in MD_KINDS if k in facts.given))


@observed("T3-OBS-STO-021", severity=M, title="md array level differs from the declared level",
          breaks_redundancy=False,
          rationale="""The array runs at another RAID level than declared: the declared capacity and the number
          of disks it may lose are not the host's. Whether the observed level is redundant at all is the
          md rules' finding (T3-OBS-STO-003); an inactive array that shows no level is not judged here.""",
          hint="rebuild the array at the declared level, or correct tier3_host.raid_arrays[].level", **COMMON)
def level_differs(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for a, o in _array_pairs(facts, ctx):
        if o is not None and o.level is not None and o.level != a.level:
            yield Violation(f"/dev/{o.name}", f"declared {a.name} {a.level}, observed {o.level}",
                            {"declared": _declared_array(a), "observed": _observed_array(o)}, where=o.where)


@observed("T3-OBS-STO-022", severity=M, title="md array members differ from the declared devices",
          breaks_redundancy=False,
          rationale="""The array's members are not the declared devices (spares included; compared by kernel
          name, a partition counting as its disk, a declared by-id or by-uuid path as the device lsblk
          shows for it): a disk was replaced by another, or the array was built on other disks than the
          design's, whose bays, controllers and power the declared rules never judged. A declared member
          missing from a degraded array is T3-OBS-STO-001's finding alone; an array with a declared path
          that lsblk does not resolve is not judged.""",
          hint="correct tier3_host.raid_arrays[].devices to the disks the array is on (or rebuild it on the "
               "declared ones)", **COMMON)
def members_differ(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for a, o in _array_pairs(facts, ctx):
        if o is None:
            continue
        difference = member_difference(a, o, facts.tree)
        if difference is None:
            continue
        missing, extra = difference
        if extra or (missing and not o.degraded):
            said = "; ".join(part for part in (f"{', '.join(missing)} missing" if missing else "",
                                               f"{', '.join(extra)} not declared" if extra else "") if part)
            yield Violation(f"/dev/{o.name}", f"declared {a.name} devices {', '.join(a.devices) or 'none'}"
                            f"{' spares ' + ', '.join(a.spares) if a.spares else ''}, observed members "
                            f"{', '.join(o.members) or 'none'} ({said})",
                            {"declared": _declared_array(a), "observed": _observed_array(o),
                             "missing": missing, "not_declared": extra}, where=o.where)


@observed("T3-OBS-STO-023", severity=L, title="md array on the host not declared", breaks_redundancy=False,
          rationale="""The host has an md array the inventory does not declare: its level and disks were never
          judged by the declared rules. Drift between the inventory and the host.""",
          hint="declare the array in tier3_host.raid_arrays, or stop it", **COMMON)
def array_undeclared(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    host = declared_host(ctx)
    if host is None or not any(k in facts.given for k in MD_KINDS):
        return
    declared = {kernel_name(a.name) for a in host.raid_arrays}
    for name, o in facts.arrays.items():
        if name not in declared:
            yield Violation(f"/dev/{name}", f"declared arrays {', '.join(sorted(declared)) or 'none'}, observed "
                            f"{name} ({o.level or o.state}) too",
                            {"declared": {"arrays": sorted(declared)}, "observed": _observed_array(o)}, where=o.where)


# ---- multipath ----------------------------------------------------------------------------------

def _lun_pairs(facts: HostObserved, ctx: Context) -> Iterator[tuple[MultipathLun, Map | None]]:
    host = declared_host(ctx)
    if host is None or not facts.knows("multipath"):
        return
    for lun in host.multipath_luns:
        yield lun, facts.maps.get(wwid_key(lun.wwid))


def _present(m: Map) -> list[Path]:
    return [p for p in m.paths if not p.gone]


def _hba_host(p: MultipathPath) -> int | None:
    found = _HBA.match(p.hba)
    return int(found[1]) if found else None


def matched_paths(lun: MultipathLun, m: Map) -> dict[int, Path]:
    """Declared path index -> the observed path it is: same device first, then same SCSI host (its hba)."""
    free = _present(m)
    out: dict[int, Path] = {}
    for how in ("device", "hba"):
        for i, p in enumerate(lun.paths):
            if i in out:
                continue
            hit = next((o for o in free if (kernel_name(p.device) == o.device if how == "device"
                                            else _hba_host(p) is not None and _hba_host(p) == scsi_host(o.hctl))),
                       None)
            if hit is not None:
                out[i] = hit
                free.remove(hit)
    return out


def path_fabric(lun: MultipathLun, o: Path) -> str | None:
    """The fabric an observed path is on: that of the declared path with its device, else that of a declared
    path whose HBA is its SCSI host (an HBA port sits on one fabric); None when neither says."""
    same = next((p for p in lun.paths if kernel_name(p.device) == o.device), None)
    if same is None:
        same = next((p for p in lun.paths if _hba_host(p) is not None and _hba_host(p) == scsi_host(o.hctl)), None)
    return None if same is None else same.fabric


def one_fabric(lun: MultipathLun, m: Map) -> dict[str, str | None] | None:
    """Each present path's fabric when two or more paths all run through one of the two or more declared
    fabrics and no path of unknown fabric could be on another; None otherwise."""
    present = _present(m)
    if len(present) < 2 or len({p.fabric for p in lun.paths}) < 2:
        return None
    on = {o.device: path_fabric(lun, o) for o in present}
    known = {f for f in on.values() if f is not None}
    unknown = sum(1 for f in on.values() if f is None)
    return on if known and len(known) + unknown < 2 else None


def _declared_lun(lun: MultipathLun) -> dict[str, Any]:
    return {"lun": lun.name, "wwid": lun.wwid, "declared_at": str(lun.location),
            "paths": [{"device": p.device, "fabric": p.fabric, "hba": p.hba or None} for p in lun.paths]}


def _observed_map(m: Map) -> dict[str, Any]:
    return {"map": m.name, "wwid": m.wwid, "paths": [{"device": p.device, "hctl": p.hctl, "state": f"{p.dm_state} "
                                                      f"{p.checker} {p.online}"} for p in _present(m)]}


def _where_map(facts: HostObserved, m: Map, line: int | None = None) -> str:
    return f"{facts.label('multipath', wwid_key(m.wwid))} line {line if line is not None else m.line}"


def _paths(paths: list[Path]) -> str:
    return ", ".join(f"{p.device} ({p.hctl})" for p in paths) or "none"


@observed("T3-OBS-STO-024", severity=H, title="declared multipath LUN absent on the host",
          rationale="""No multipath map carries the WWID the inventory declares for the LUN: the host does not
          see it (masking, zoning) or reaches it over a bare SCSI device with one path. Its paths and
          fabrics are not judged further.""",
          hint="present the LUN to the host and check multipathd, or correct tier3_host.multipath_luns[].wwid",
          **COMMON)
def lun_absent(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for lun, m in _lun_pairs(facts, ctx):
        if m is None:
            shown = ", ".join(f"{x.name} ({x.wwid})" for x in facts.maps.values()) or "no map"
            yield Violation(lun.name, f"declared {lun.name} WWID {lun.wwid}, observed {shown}",
                            {"declared": _declared_lun(lun),
                             "observed": {"maps": [x.wwid for x in facts.maps.values()]}}, where="multipath")


@observed("T3-OBS-STO-025", severity=M, title="multipath LUN has fewer paths than declared", breaks_redundancy=False,
          rationale="""The map shows fewer paths (any state; gone ones not counted) than the inventory declares:
          an HBA, a cable or a zone is missing, and the failover the design counts on is thinner than
          declared. Whether enough paths are ready is T3-OBS-STO-011's finding; the declared paths not
          seen are named in the evidence, not one finding each. Silent when the paths left all run
          through one fabric (T3-OBS-STO-027 says so).""",
          hint="restore the missing path (zoning, cabling, HBA), or correct the LUN's paths", **COMMON)
def fewer_paths(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for lun, m in _lun_pairs(facts, ctx):
        if m is None or len(_present(m)) >= len(lun.paths) or one_fabric(lun, m) is not None:
            continue
        seen = matched_paths(lun, m)
        absent = [p.device for i, p in enumerate(lun.paths) if i not in seen]
        yield Violation(lun.name, f"declared {lun.name} {len(lun.paths)} paths "
                        f"({', '.join(p.device for p in lun.paths)}), observed {len(_present(m))}: "
                        f"{_paths(_present(m))}", {"declared": _declared_lun(lun), "observed": _observed_map(m),
                                                   "absent": absent}, where=_where_map(facts, m))


@observed("T3-OBS-STO-026", severity=M, title="declared multipath path absent", breaks_redundancy=False,
          rationale="""A declared path (its device, or the SCSI host its HBA names) is not among the map's paths
          although the map has as many paths as declared: a path runs elsewhere than declared (another
          HBA, a renamed device), through a fabric nobody declared for it. Fewer paths than declared is
          T3-OBS-STO-025's finding instead, paths all on one fabric T3-OBS-STO-027's.""",
          hint="correct the LUN's path (device, fabric, hba) to what multipath -ll shows, or recable it", **COMMON)
def path_absent(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for lun, m in _lun_pairs(facts, ctx):
        if m is None or len(_present(m)) < len(lun.paths) or one_fabric(lun, m) is not None:
            continue
        seen = matched_paths(lun, m)
        for i, p in enumerate(lun.paths):
            if i not in seen:
                hba = f" (hba {p.hba})" if p.hba else ""
                yield Violation(f"{lun.name}:{kernel_name(p.device)}", f"declared {lun.name} path {p.device}{hba} on "
                                f"{p.fabric}, observed paths {_paths(_present(m))}",
                                {"declared": _declared_lun(lun), "observed": _observed_map(m)},
                                where=_where_map(facts, m))


@observed("T3-OBS-STO-027", severity=H, title="multipath paths on fewer than two declared fabrics",
          rationale="""The inventory puts the LUN's paths on two SAN fabrics, but the paths the host has all run
          through one: that fabric's failure stops the LUN. A path is on the fabric of the declared path
          with its device, else of a declared path whose HBA is its SCSI host; a path neither names has no
          known fabric and is not counted against the LUN (the rule fires only when it could not make up
          the second). Silent on a LUN down to one path (T3-OBS-STO-025, T3-OBS-STO-011) and on one whose
          declaration has one fabric (the declared rule T3-STO-004); when it fires, T3-OBS-STO-025 and
          026 stay silent on the LUN.""",
          hint="connect a path through the other fabric, as declared", **COMMON)
def paths_one_fabric(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    for lun, m in _lun_pairs(facts, ctx):
        on = None if m is None else one_fabric(lun, m)
        if m is None or on is None:
            continue
        fabrics = sorted({f for f in on.values() if f is not None})
        yield Violation(lun.name, f"declared {lun.name} paths on {', '.join(sorted({p.fabric for p in lun.paths}))}"
                        f", observed paths {', '.join(f'{d} -> {f}' for d, f in on.items())}: all on "
                        f"{', '.join(fabrics)}",
                        {"declared": _declared_lun(lun), "observed": {**_observed_map(m), "fabrics": on}},
                        where=_where_map(facts, m))


@observed("T3-OBS-STO-028", severity=L, title="multipath map on the host not declared", breaks_redundancy=False,
          rationale="""The host has a multipath map whose WWID no declared LUN carries: a LUN presented to it
          that the inventory does not know (and whose fabrics no declared rule judged). Drift between the
          inventory and the host.""",
          hint="declare the LUN in tier3_host.multipath_luns, or unmap it from the host", **COMMON)
def map_undeclared(facts: HostObserved, ctx: Context) -> Iterator[Violation]:
    host = declared_host(ctx)
    if host is None or not facts.knows("multipath"):
        return
    declared = {wwid_key(lun.wwid) for lun in host.multipath_luns}
    for key, m in facts.maps.items():
        if key not in declared:
            yield Violation(m.name, f"declared LUNs {', '.join(lun.name for lun in host.multipath_luns) or 'none'}, "
                            f"observed {m.name} ({m.wwid}) too",
                            {"declared": {"wwids": sorted(declared)}, "observed": _observed_map(m)},
                            where=_where_map(facts, m))
