"""Observed multipath rules (T3-OBS-STO-010..014) over ``multipath -ll`` (and ``multipath -l``).

Every path falls in one of four states (``path_state``): *ready* (dm ``active``, checker
``ready``, ``running``), *standby* (checker ``ghost``: an ALUA standby path, healthy but not
carrying I/O), *unknown* (checker ``undef``: ``multipath -l`` does not run the checkers), and
*failed* (anything else, or a path whose device has gone, ``#:#:#:# -``). Preconditions keep one
defect reported once: a failed path is blamed by T3-OBS-STO-010, a path of unknown state by
T3-OBS-STO-014 only; a map without a usable path by T3-OBS-STO-012 only, never also by 011.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.model import Severity
from tier3.parsers.multipath import Map, Multipath, Path
from tier3.rules._registry import Category, Context, Violation, observed

REDUNDANCY_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
READY, STANDBY, UNKNOWN, FAILED = "ready", "standby", "unknown", "failed"
UNCHECKED = ("undef", "unknown")  # checker states that say nothing about the path


def path_state(p: Path) -> str:
    """ready, standby, unknown or failed: what the three state columns say together."""
    if p.gone or p.dm_state == "failed" or p.online not in ("running", "unknown"):
        return FAILED
    if p.checker in UNCHECKED or p.dm_state == "undef" or p.online == "unknown":
        return UNKNOWN
    return {"ready": READY, "ghost": STANDBY}.get(p.checker, FAILED)


def _subject(m: Map, p: Path) -> str:
    return f"{m.name}:(gone, line {p.line})" if p.gone else f"{m.name}:{p.device}"


def _counts(m: Map) -> tuple[list[str], list[str]]:
    """The devices of the map's ready paths, and those of its paths of unknown state."""
    ready = [p.device for p in m.paths if path_state(p) == READY]
    unknown = [p.device for p in m.paths if path_state(p) == UNKNOWN]
    return ready, unknown


def _map_facts(m: Map, **more: Any) -> dict[str, Any]:
    ready, unknown = _counts(m)
    facts: dict[str, Any] = {"paths": len(m.paths), "active_ready": ready, "features": m.features, **more}
    if unknown:
        facts["unknown_state"] = unknown
    return facts


def _io(m: Map) -> str:
    return "queues" if "queue_if_no_path" in m.features else "fails"


H, C, M = Severity.HIGH, Severity.CRITICAL, Severity.MEDIUM
COMMON: dict[str, Any] = {"kinds": ("multipath",), "category": Category.STORAGE, "controls": REDUNDANCY_CONTROLS}


@observed("T3-OBS-STO-010", severity=H, title="multipath path failed",
          rationale="""A failed path is one the kernel or the path checker took out of service, or one whose
          device has gone (``#:#:#:# -``): the map runs on what is left, and one more fault on the
          remaining path stops I/O. Each such path is blamed once, by name. A path whose checker did
          not run (``undef``, ``multipath -l``) is not called failed: T3-OBS-STO-014 names it.""",
          hint="check the HBA, the fabric and the array port of that path", **COMMON)
def path_failed(facts: Multipath, _ctx: Context) -> Iterator[Violation]:
    for m in facts.maps:
        for p in m.paths:
            if path_state(p) != FAILED:
                continue
            evidence: dict[str, Any] = {"hctl": p.hctl, "dm_state": p.dm_state, "checker": p.checker,
                                        "online": p.online}
            if p.gone:
                message = (f"a path has gone ('{p.hctl} {p.device}': no device behind it); the map still lists "
                           f"it {p.dm_state} {p.checker} {p.online}")
                evidence["gone"] = True
            else:
                message = f"path {p.hctl} {p.device} is {p.dm_state} {p.checker} {p.online}"
            yield Violation(_subject(m, p), message, evidence, where=f"line {p.line}")


@observed("T3-OBS-STO-011", severity=H, title="fewer multipath paths active and ready than the policy asks",
          rationale="""A map with fewer paths active and ready than the policy value ``mpath_min_paths``
          (default 2) has no path to fail over to: the next HBA, cable or switch fault stops its I/O.
          A standby (ghost) path does not count. Paths of unknown state are counted as if ready, so
          this rule fires only when even they could not make up the number (T3-OBS-STO-014 blames
          them); it stays silent when no path is usable at all (T3-OBS-STO-012).""",
          hint="restore the second path (zoning, cabling, HBA)", policy=("mpath_min_paths",), **COMMON)
def too_few(facts: Multipath, ctx: Context) -> Iterator[Violation]:
    least = ctx.policy["mpath_min_paths"]
    for m in facts.maps:
        ready, unknown = _counts(m)
        if (ready or unknown) and len(ready) + len(unknown) < least:
            message = f"{len(ready)} path(s) active and ready: fewer than {least}"
            if unknown:
                message = (f"{len(ready)} path(s) active and ready and {len(unknown)} of unknown state: fewer "
                           f"than {least} even if all are ready")
            yield Violation(m.name, message, _map_facts(m, minimum=least), where=f"line {m.line}")


@observed("T3-OBS-STO-012", severity=C, title="multipath map has no usable path",
          rationale="""With no path active and ready the map cannot reach its LUN: I/O fails now, or queues
          (``queue_if_no_path``) until a path returns, hanging whatever writes to it. A map whose every
          path has gone prints no path group at all and is judged the same. It does not fire while a
          path of unknown state (``multipath -l``) might be ready (T3-OBS-STO-014); the failed paths
          are still named one by one (T3-OBS-STO-010).""",
          hint="restore a path now", **COMMON)
def no_path(facts: Multipath, _ctx: Context) -> Iterator[Violation]:
    for m in facts.maps:
        ready, unknown = _counts(m)
        if ready or unknown:
            continue
        if m.groups:
            message = f"no path is active and ready: I/O {_io(m)}"
        else:
            message = (f"no path group: every path has gone (or the output was cut after this map's 'size=' "
                       f"line): I/O {_io(m)}")
        yield Violation(m.name, message, _map_facts(m), where=f"line {m.line}")


@observed("T3-OBS-STO-013", severity=M, title="no multipath map",
          rationale="""A host meant to reach its LUNs over dm-multipath that shows no map uses the bare SCSI
          devices (one path each) or none at all: multipathd is down or the LUNs are not presented.""",
          hint="check multipathd and the LUN masking", **COMMON)
def no_map(facts: Multipath, _ctx: Context) -> Iterator[Violation]:
    if not facts.maps:
        yield Violation("multipath", "no multipath map")


@observed("T3-OBS-STO-014", severity=M, title="multipath path state unknown (checker not run)",
          rationale="""``multipath -l`` reads the maps without running the path checkers, so each path's
          checker reads ``undef``: that is no evidence of a failed path, and none of a healthy one. A
          map with such a path cannot be called redundant; the fix is to read ``multipath -ll``. One
          finding per map, naming its paths; T3-OBS-STO-010 and 012 stay silent on what is unknown,
          and 011 fires only when the count falls short even if every unknown path is ready.""",
          hint="read the paths with multipath -ll (it runs the path checkers) and inspect that output", **COMMON)
def state_unknown(facts: Multipath, _ctx: Context) -> Iterator[Violation]:
    for m in facts.maps:
        unknown = [p for p in m.paths if path_state(p) == UNKNOWN]
        if unknown:
            shown = ", ".join(f"{p.device} {p.dm_state} {p.checker} {p.online}" for p in unknown)
            yield Violation(m.name, f"{len(unknown)} of {len(m.paths)} path(s) in unknown state ({shown}): the "
                            "path checker did not run (multipath -l prints undef)",
                            _map_facts(m), where=f"line {unknown[0].line}")
