"""Observed md RAID rules (T3-OBS-STO-001..007) over ``/proc/mdstat`` and ``mdadm --detail``.

Both kinds judge the same questions; each rule reads the facts of either parser through
``_arrays``, which gives one ``ArrayState`` per array. Preconditions keep one defect reported
once: an inactive array is blamed by T3-OBS-STO-004 only, raid0/linear by T3-OBS-STO-003 only.
An IMSM or DDF container is not an array to judge (it is inactive by design and holds no data of
its own): ``_arrays`` leaves it out and the volumes inside it are judged as any array. A cut
/proc/mdstat is blamed by T3-OBS-STO-008; the arrays it shows are judged as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tier3.model import Severity
from tier3.parsers.mdadm import MdDetail
from tier3.parsers.mdstat import MdStat
from tier3.rules._registry import Category, Context, Violation, observed

REDUNDANCY_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
KINDS = ("mdstat", "mdadm-detail")
NEVER_REDUNDANT = ("raid0", "linear")
MDADM_SYNCING = ("resyncing", "recovering", "reshaping")


@dataclass(frozen=True)
class ArrayState:
    """One array as both tools show it: what the rules ask, and where in the output it shows."""

    device: str
    active: bool
    level: str | None
    raid_disks: int | None
    working: int | None
    missing_slots: tuple[int, ...]
    faulty: tuple[tuple[str, str], ...]  # (member, where)
    sync: str  # "" or what is running: "recovery 2.2%", "resync PENDING", "resyncing, degraded"
    where: str  # the line (mdstat) or key (mdadm) that shows the array's state
    facts: dict[str, Any] = field(default_factory=dict)
    members: tuple[str, ...] = ()
    sync_facts: dict[str, Any] = field(default_factory=dict)

    @property
    def redundant_level(self) -> bool:
        return self.active and self.level not in NEVER_REDUNDANT


def _from_mdstat(stat: MdStat) -> list[ArrayState]:
    out = []
    for a in stat.arrays:
        if a.container:
            continue
        sync, sync_facts = "", {}
        if a.sync is not None and a.sync.action != "check":
            sync = f"{a.sync.action} {a.sync.waiting or f'{a.sync.percent}%'}"
            sync_facts = {"action": a.sync.action, "percent": a.sync.percent, "waiting": a.sync.waiting,
                          "speed": a.sync.speed, "finish": a.sync.finish}
        degraded = a.working_disks is not None and a.raid_disks is not None and (
            a.working_disks < a.raid_disks or "_" in a.slot_map)
        out.append(ArrayState(
            device=a.device, active=a.active, level=a.level, raid_disks=a.raid_disks,
            working=a.working_disks if degraded or a.working_disks is None else a.raid_disks,
            missing_slots=tuple(i for i, c in enumerate(a.slot_map) if c == "_") if degraded else (),
            faulty=tuple((m.device, f"line {a.line}") for m in a.members if m.faulty), sync=sync,
            where=f"line {a.line}",
            facts={"level": a.level, "slots": f"[{a.raid_disks}/{a.working_disks}] [{a.slot_map}]"},
            members=tuple(m.device for m in a.members), sync_facts=sync_facts,
        ))
    return out


def _from_mdadm(d: MdDetail) -> list[ArrayState]:
    if d.container:
        return []
    facts = {"level": d.level, "state": ", ".join(d.state), "raid_devices": d.raid_devices,
             "active_devices": d.active_devices, "failed_devices": d.failed_devices}
    raid = d.raid_devices or 0
    degraded = "degraded" in d.state or (d.active_devices or 0) < raid
    syncing = [s for s in d.state if s in MDADM_SYNCING]
    return [ArrayState(
        device=d.device, active="inactive" not in d.state, level=d.level, raid_disks=raid,
        working=d.active_devices if degraded else raid,
        missing_slots=tuple(x.slot for x in d.devices if "removed" in x.state and x.slot is not None) if degraded
        else (),
        faulty=tuple((x.device.removeprefix("/dev/"), f"line {x.line}") for x in d.devices if "faulty" in x.state),
        sync=", ".join(d.state) if syncing else "", where="State", facts=facts,
        members=tuple(x.device for x in d.devices if x.device), sync_facts={**facts, "progress": dict(d.progress)},
    )]


def _arrays(facts: MdStat | MdDetail) -> list[ArrayState]:
    return _from_mdstat(facts) if isinstance(facts, MdStat) else _from_mdadm(facts)


H, C, M, L = Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM, Severity.LOW
COMMON: dict[str, Any] = {"kinds": KINDS, "category": Category.STORAGE, "controls": REDUNDANCY_CONTROLS}


@observed("T3-OBS-STO-001", severity=H, title="md array degraded",
          rationale="""A degraded array runs without the copy that would survive the next disk failure:
          one more loss loses the data. Judged on active arrays of a redundant level (inactive:
          T3-OBS-STO-004; raid0/linear: T3-OBS-STO-003).""",
          hint="replace the failed disk and --add it to the array", **COMMON)
def degraded(facts: MdStat | MdDetail, _ctx: Context) -> Iterator[Violation]:
    for a in _arrays(facts):
        if a.redundant_level and a.working is not None and a.raid_disks is not None \
                and (a.working < a.raid_disks or a.missing_slots):
            if isinstance(facts, MdStat):
                message = f"{a.working} of {a.raid_disks} slots working, missing slot(s) {list(a.missing_slots)}"
                evidence = {**a.facts, "missing_slots": list(a.missing_slots)}
            else:
                message = f"{a.working} of {a.raid_disks} devices active"
                evidence = {**a.facts, "removed_slots": list(a.missing_slots)}
            yield Violation(a.device, message, evidence, where=a.where)


@observed("T3-OBS-STO-002", severity=M, title="md array resyncing, recovering or reshaping",
          rationale="""While an array resyncs, recovers or reshapes its members are not in sync: losing the
          member being copied from loses data. A scheduled check (``check``) reads only and is not flagged.""",
          hint="wait for the sync to finish; do not pull another disk meanwhile", **COMMON)
def syncing(facts: MdStat | MdDetail, _ctx: Context) -> Iterator[Violation]:
    for a in _arrays(facts):
        if a.redundant_level and a.sync:
            yield Violation(a.device, f"{a.sync}: members not in sync", a.sync_facts, where=a.where)


@observed("T3-OBS-STO-003", severity=H, title="md level without redundancy (raid0 or linear)",
          rationale="""raid0 and linear keep no copy: losing any member loses the whole array. Nothing else
          is judged on such an array.""",
          hint="rebuild as raid1, raid5, raid6 or raid10", **COMMON)
def no_redundancy(facts: MdStat | MdDetail, _ctx: Context) -> Iterator[Violation]:
    for a in _arrays(facts):
        if a.active and a.level in NEVER_REDUNDANT:
            message = (f"{a.level} keeps no copy: losing any member loses the array" if isinstance(facts, MdStat)
                       else f"{a.level} keeps no copy")
            yield Violation(a.device, message, {"level": a.level} if isinstance(facts, MdStat) else a.facts,
                            where=a.where if isinstance(facts, MdStat) else "Raid Level")


@observed("T3-OBS-STO-004", severity=C, title="md array inactive",
          rationale="""An inactive array is assembled but not started: its filesystem is not mounted and the
          service on it is down. Nothing else is judged on it. An IMSM or DDF container
          (``super external:imsm``) is always inactive by design and is never blamed: its volumes are
          judged instead.""",
          hint="find the missing members, then mdadm --run or reassemble", **COMMON)
def inactive(facts: MdStat | MdDetail, _ctx: Context) -> Iterator[Violation]:
    for a in _arrays(facts):
        if not a.active:
            evidence = {"members": list(a.members)} if isinstance(facts, MdStat) else a.facts
            yield Violation(a.device, "array is inactive: assembled but not started", evidence, where=a.where)


@observed("T3-OBS-STO-005", severity=L, title="md member marked faulty (F)",
          rationale="""A member marked faulty is still listed in the array: the array may run on a spare, but
          the disk must be removed and replaced. Does not by itself break redundancy (the slot count
          does: T3-OBS-STO-001).""",
          hint="mdadm --remove the faulty member and replace the disk", breaks_redundancy=False, **COMMON)
def member_faulty(facts: MdStat | MdDetail, _ctx: Context) -> Iterator[Violation]:
    for a in _arrays(facts):
        if not a.redundant_level:
            continue
        for member, where in a.faulty:
            if isinstance(facts, MdStat):
                message, evidence = f"member {member} is marked faulty (F)", {"flags": ["faulty"], **a.facts}
            else:
                message, evidence = f"/dev/{member} is faulty", {"state": "faulty", **a.facts}
            yield Violation(f"{a.device}:{member}", message, evidence, where=where)


@observed("T3-OBS-STO-006", severity=H, title="md array with fewer member slots than the policy asks",
          rationale="""An array of one member slot has nothing to lose: it is not redundant, whatever its
          level says. The minimum is the policy value ``md_min_members`` (default 2).""",
          hint="grow it to two or more devices", policy=("md_min_members",), **COMMON)
def too_few(facts: MdStat | MdDetail, ctx: Context) -> Iterator[Violation]:
    least = ctx.policy["md_min_members"]
    for a in _arrays(facts):
        if a.redundant_level and a.raid_disks is not None and a.raid_disks < least:
            unit = "member slot" if isinstance(facts, MdStat) else "raid device(s)"
            yield Violation(a.device, f"{a.raid_disks} {unit}: fewer than {least}", {**a.facts, "minimum": least},
                            where=a.where if isinstance(facts, MdStat) else "Raid Devices")


@observed("T3-OBS-STO-007", severity=M, title="no md array assembled", kinds=("mdstat",),
          category=Category.STORAGE, controls=REDUNDANCY_CONTROLS,
          rationale="""A host whose /proc/mdstat lists no array has none of the mirrored disks it is meant to
          run on (or they were never assembled at boot). An IMSM or DDF container alone, with no
          volume started inside it, counts as none. Silent on a cut file, which may have hidden its
          arrays (T3-OBS-STO-008).""",
          hint="assemble the arrays (mdadm --assemble --scan)")
def none_assembled(facts: MdStat, _ctx: Context) -> Iterator[Violation]:
    if not facts.complete or any(not a.container for a in facts.arrays):
        return
    containers = [f"{a.device} ({a.metadata})" for a in facts.arrays]
    if containers:
        yield Violation("/proc/mdstat", f"no md array is assembled: only the container(s) {', '.join(containers)}, "
                        "with no volume started", {"containers": containers})
    else:
        yield Violation("/proc/mdstat", "no md array is assembled")


@observed("T3-OBS-STO-008", severity=M, title="/proc/mdstat cut short (no 'unused devices:' line)",
          kinds=("mdstat",), category=Category.STORAGE, controls=REDUNDANCY_CONTROLS,
          rationale="""The kernel ends /proc/mdstat with an 'unused devices:' line; a file without it was cut
          (a paste, a screen, a head). The arrays it shows are judged as usual, but the arrays and
          lines after the cut are unknown: a cut can hide a failed array or the resync line of the
          last one, so the file cannot be called redundant. T3-OBS-STO-007 stays silent on it.""",
          hint="save the whole of /proc/mdstat (cat /proc/mdstat > file) and inspect that file")
def cut_short(facts: MdStat, _ctx: Context) -> Iterator[Violation]:
    if facts.complete:
        return
    message = f"no 'unused devices:' line after line {facts.last_line}: the output is cut; what follows is unknown"
    evidence: dict[str, Any] = {"last_line": facts.last_line, "arrays_shown": [a.device for a in facts.arrays]}
    if facts.unread is not None:
        line, text = facts.unread
        message += f"; the block at line {line} ({text!r}) is cut too short to read"
        evidence["unread"] = {"line": line, "text": text}
    yield Violation("/proc/mdstat", message, evidence, where=f"line {facts.last_line}")
