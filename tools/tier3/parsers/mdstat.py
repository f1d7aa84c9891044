"""``/proc/mdstat`` -> every md array with its members, slots and sync progress. Pure.

Expected input (Linux 6.1)::

    Personalities : [raid1] [raid6] [raid5] [raid4]
    md0 : active raid5 vdl[5](R) vdm[4] vdb[0] vdd[3] vdc[1]
          608256 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/4] [UUUU]
          [>....................]  recovery =  2.2% (4608/202752) finish=2.1min speed=1536K/sec
          bitmap: 0/1 pages [0KB], 65536KB chunk

    md5 : active (auto-read-only) raid1 vdj2[0] vdk2[1]
          91136 blocks super 1.2 [2/2] [UU]
            resync=PENDING

    md1 : inactive vde[0](S)
          203776 blocks super 1.2

    unused devices: <none>

Member flags: (F) faulty, (S) spare, (W) write-mostly, (R) replacement, (J) journal. Completeness:
the kernel always ends the file with ``unused devices:``; without it the input is truncated and
refused, so a cut file can never look healthy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError
from tier3.parsers._text import check_text

WHAT = "/proc/mdstat ('Personalities :' first, 'unused devices:' last)"
SLOTTED = ("raid1", "raid4", "raid5", "raid6", "raid10")  # levels whose status line carries [n/m] [UU]
LEVELS = ("linear", "multipath", "raid0", "raid1", "raid4", "raid5", "raid6", "raid10", "faulty")
SYNC_ACTIONS = ("resync", "recovery", "reshape", "check", "repair")
FLAGS = {"F": "faulty", "S": "spare", "W": "write-mostly", "R": "replacement", "J": "journal"}
_ARRAY = re.compile(r"^(?P<name>md[\w/]+)\s+:\s+(?P<state>active|inactive)\b(?P<rest>.*)$")
_MEMBER = re.compile(r"^(?P<dev>[^\s\[\]]+)\[(?P<role>\d+)\](?P<flags>(?:\([A-Z]\))*)$")
_BLOCKS = re.compile(r"^(?P<blocks>\d+) blocks\b(?P<rest>.*)$")
_SLOTS = re.compile(r"\[(?P<n>\d+)/(?P<m>\d+)\]\s+\[(?P<map>[U_]+)\]\s*$")
_PROGRESS = re.compile(
    r"^\[[=>.]*\]\s+(?P<action>\w+)\s*=\s*(?P<pct>\d+(?:\.\d+)?)%\s+\((?P<done>\d+)/(?P<total>\d+)\)"
    r"\s+finish=(?P<finish>\S+)\s+speed=(?P<speed>\S+)$"
)
_WAITING = re.compile(r"^(?P<action>\w+)=(?P<state>DELAYED|PENDING|REMOTE)$")
_BITMAP = re.compile(r"^bitmap: ")


@dataclass(frozen=True)
class Member:
    device: str
    role: int
    flags: tuple[str, ...]  # "faulty", "spare", "write-mostly", "replacement", "journal"

    @property
    def faulty(self) -> bool:
        return "faulty" in self.flags


@dataclass(frozen=True)
class SyncProgress:
    action: str  # resync, recovery, reshape, check, repair
    percent: float | None  # None while DELAYED or PENDING
    speed: str = ""
    finish: str = ""
    waiting: str = ""  # DELAYED, PENDING, REMOTE


@dataclass(frozen=True)
class MdArray:
    name: str
    active: bool
    read_only: str  # "", "auto-read-only" or "read-only"
    level: str | None  # None for an inactive array (mdstat does not print it)
    members: tuple[Member, ...]
    blocks: int | None
    raid_disks: int | None  # n of [n/m]; None when mdstat prints no slot map (raid0, linear, inactive)
    working_disks: int | None  # m of [n/m]
    slot_map: str  # "UU_", "" when absent
    sync: SyncProgress | None
    line: int

    @property
    def device(self) -> str:
        return f"/dev/{self.name}"


@dataclass(frozen=True)
class MdStat:
    personalities: tuple[str, ...]
    arrays: tuple[MdArray, ...]
    unused_devices: tuple[str, ...]


def parse_mdstat(text: str, source: str) -> MdStat:
    """Parse the whole of ``/proc/mdstat``."""
    lines = check_text(text, source, WHAT)
    if not lines[0].startswith("Personalities :"):
        raise ParseError(source, "line 1", f"expected {WHAT}, got {lines[0].strip()[:60]!r}")
    personalities = tuple(re.findall(r"\[([\w-]+)\]", lines[0]))
    arrays: list[MdArray] = []
    current: dict[str, object] | None = None
    unused: tuple[str, ...] | None = None
    for n, raw in enumerate(lines[1:], start=2):
        text_ = raw.strip()
        if not text_:
            continue
        if unused is not None:
            raise ParseError(source, f"line {n}", "text after the 'unused devices:' line, which ends /proc/mdstat")
        if raw.startswith("unused devices:"):
            rest = raw.partition(":")[2].strip()
            unused = () if rest in ("<none>", "") else tuple(rest.split())
        elif raw[:1] in (" ", "\t"):
            if current is None:
                raise ParseError(source, f"line {n}", "indented line before any 'mdN : ...' line")
            _detail(current, text_, source, n)
        else:
            if current is not None:
                arrays.append(_array(current, source))
            current = _header(raw, source, n)
    if unused is None:
        raise ParseError(source, f"line {len(lines)}", "no 'unused devices:' line at the end: the output is "
                         "truncated", hint="save the whole of /proc/mdstat")
    if current is not None:
        arrays.append(_array(current, source))
    return MdStat(personalities=personalities, arrays=tuple(arrays), unused_devices=unused)


def _header(raw: str, source: str, n: int) -> dict[str, object]:
    m = _ARRAY.match(raw)
    if not m:
        raise ParseError(source, f"line {n}", f"expected 'mdN : active|inactive [level] dev[role]...', "
                         f"got {raw.strip()[:60]!r}")
    tokens = m["rest"].split()
    read_only = ""
    if tokens and tokens[0] in ("(auto-read-only)", "(read-only)"):
        read_only = tokens.pop(0)[1:-1]
    level = tokens.pop(0) if tokens and tokens[0] in LEVELS else None
    if m["state"] == "active" and level is None:
        raise ParseError(source, f"line {n}", f"active array {m['name']} without a RAID level "
                         f"(one of {', '.join(LEVELS)})")
    members = []
    for tok in tokens:
        mm = _MEMBER.match(tok)
        if not mm:
            raise ParseError(source, f"line {n}", f"expected a member 'dev[role](flags)', got {tok!r}")
        letters = re.findall(r"\(([A-Z])\)", mm["flags"])
        unknown = [c for c in letters if c not in FLAGS]
        if unknown:
            raise ParseError(source, f"line {n}", f"unknown member flag ({unknown[0]}) on {tok!r}; "
                             f"expected one of {', '.join(f'({c})' for c in FLAGS)}")
        members.append(Member(mm["dev"], int(mm["role"]), tuple(FLAGS[c] for c in letters)))
    return {"name": m["name"], "active": m["state"] == "active", "read_only": read_only, "level": level,
            "members": tuple(members), "line": n}


def _detail(cur: dict[str, object], text: str, source: str, n: int) -> None:
    if (b := _BLOCKS.match(text)) is not None:
        if "blocks" in cur:
            raise ParseError(source, f"line {n}", f"second 'blocks' line for {cur['name']}")
        cur["blocks"] = int(b["blocks"])
        if (s := _SLOTS.search(b["rest"])) is not None:
            cur["slots"] = (int(s["n"]), int(s["m"]), s["map"])
            if len(s["map"]) != int(s["n"]):
                raise ParseError(source, f"line {n}", f"slot map [{s['map']}] does not have {s['n']} slots")
    elif (p := _PROGRESS.match(text)) is not None:
        if p["action"] not in SYNC_ACTIONS:
            raise ParseError(source, f"line {n}", f"unknown sync action {p['action']!r}; expected one of "
                             f"{', '.join(SYNC_ACTIONS)}")
        cur["sync"] = SyncProgress(p["action"], float(p["pct"]), p["speed"], p["finish"])
    elif (w := _WAITING.match(text)) is not None:
        if w["action"] not in SYNC_ACTIONS:
            raise ParseError(source, f"line {n}", f"unknown sync action {w['action']!r}")
        cur["sync"] = SyncProgress(w["action"], None, waiting=w["state"])
    elif _BITMAP.match(text):
        return
    else:
        raise ParseError(source, f"line {n}", "expected a 'N blocks ...', progress, 'resync=PENDING' or "
                         f"'bitmap:' line, got {text[:60]!r}")


def _array(cur: dict[str, object], source: str) -> MdArray:
    if "blocks" not in cur:
        raise ParseError(source, f"line {cur['line']}", f"array {cur['name']} has no 'N blocks' line (truncated?)")
    slots = cur.get("slots")
    n, m, smap = slots if isinstance(slots, tuple) else (None, None, "")
    if cur["active"] and cur["level"] in SLOTTED and n is None:
        raise ParseError(source, f"line {cur['line']}", f"{cur['level']} array {cur['name']} without its "
                         "'[n/m] [UU]' slot map")
    sync = cur.get("sync")
    members = cur["members"]
    blocks = cur["blocks"]
    level = cur["level"]
    return MdArray(name=str(cur["name"]), active=bool(cur["active"]), read_only=str(cur["read_only"]),
                   level=level if isinstance(level, str) else None,
                   members=members if isinstance(members, tuple) else (),
                   blocks=blocks if isinstance(blocks, int) else None, raid_disks=n, working_disks=m,
                   slot_map=smap, sync=sync if isinstance(sync, SyncProgress) else None, line=int(str(cur["line"])))
