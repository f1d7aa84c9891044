"""``/proc/mdstat`` -> every md array with its members, slots and sync progress. Facts only. Pure.

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

Member flags: (F) faulty, (S) spare, (W) write-mostly, (R) replacement, (J) journal. The metadata
after ``super`` is kept: Intel IMSM and DDF arrays print ``super external:imsm`` on their
*container* (``MdArray.container``: always inactive, it only holds the disks) and
``super external:/md127/0`` on each volume inside it (``MdArray.in_container``).

Pasted output: a first line that is a shell prompt running the command (``root@host:~# cat
/proc/mdstat``) and a last line that is a bare prompt are skipped and kept in ``prompt_lines``.

Completeness: the kernel always ends the file with ``unused devices:``. Without it the output was
cut (``MdStat.complete`` false): every array block shown whole is read as usual, the last block,
which the cut may have shortened, is read if it parses and otherwise kept in ``unread``. A cut can
hide arrays and lines, never add one, so what is shown stays true; ``complete`` says the rest is
not known.
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
_SUPER = re.compile(r"\bsuper (?P<metadata>\S+)")
_PROMPT = re.compile(r"^(?:\S.*?)?[#$%>]\s+\S.*\bmdstat\b.*$")  # root@host:~# cat /proc/mdstat
_BARE_PROMPT = re.compile(r"^(?:\S.*?)?[#$%>]\s*$")  # root@host:~#
PROMPT_MAX = 200  # a longer line is never taken for a prompt (and the patterns stay linear)


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
    metadata: str = ""  # after "super": "1.2", "external:imsm", "external:/md127/0"; "" when none (0.90)

    @property
    def device(self) -> str:
        return f"/dev/{self.name}"

    @property
    def container(self) -> bool:
        """An IMSM or DDF container (``super external:imsm``): it holds the disks, its volumes the data."""
        kind = self.metadata.removeprefix("external:")
        return kind != self.metadata and not kind.startswith(("/", "-"))

    @property
    def in_container(self) -> str:
        """The container a volume lives in (``external:/md127/0`` -> ``/dev/md127``), "" for others."""
        kind = self.metadata.removeprefix("external:")
        if kind == self.metadata or not kind.startswith(("/", "-")):
            return ""
        return f"/dev/{kind[1:].partition('/')[0]}"


@dataclass(frozen=True)
class MdStat:
    personalities: tuple[str, ...]
    arrays: tuple[MdArray, ...]
    unused_devices: tuple[str, ...] | None  # None when the output was cut before that line
    complete: bool = True  # the 'unused devices:' line that ends the file was seen
    last_line: int = 0  # the last non-blank line read
    unread: tuple[int, str] | None = None  # (line, text) of a last block cut too short to read
    prompt_lines: tuple[tuple[int, str], ...] = ()  # shell prompt lines skipped


Block = list[tuple[int, str]]  # (line number, text): an 'mdN : ...' line and its indented lines


def parse_mdstat(text: str, source: str) -> MdStat:
    """Parse the whole of ``/proc/mdstat``."""
    lines = check_text(text, source, WHAT)
    prompts: list[tuple[int, str]] = []
    first = 0
    if len(lines) > 1 and _is_prompt(lines[0], _PROMPT):
        prompts.append((1, lines[0].strip()))
        first = 1
    if not lines[first].startswith("Personalities :"):
        raise ParseError(source, f"line {first + 1}", f"expected {WHAT}, got {lines[first].strip()[:60]!r}")
    personalities = tuple(re.findall(r"\[([\w-]+)\]", lines[first]))
    arrays: list[MdArray] = []
    block: Block = []
    unused: tuple[str, ...] | None = None
    last = first + 1
    for n, raw in enumerate(lines[first + 1:], start=first + 2):
        text_ = raw.strip()
        if not text_:
            continue
        if unused is not None:
            if _is_prompt(raw, _BARE_PROMPT) and not any(t.strip() for t in lines[n:]):
                prompts.append((n, text_))
                continue
            raise ParseError(source, f"line {n}", "text after the 'unused devices:' line, which ends /proc/mdstat")
        last = n
        if raw.startswith("unused devices:"):
            rest = raw.partition(":")[2].strip()
            unused = () if rest in ("<none>", "") else tuple(rest.split())
        elif raw[:1] in (" ", "\t"):
            if not block:
                raise ParseError(source, f"line {n}", "indented line before any 'mdN : ...' line")
            block.append((n, text_))
            continue
        if block:
            arrays.append(_block(block, source))
        block = [(n, raw)] if unused is None else []
    unread = None
    if block:  # only when the output was cut: the last block may be short
        try:
            arrays.append(_block(block, source))
        except ParseError:
            unread = (block[0][0], block[0][1].strip()[:80])
    return MdStat(personalities=personalities, arrays=tuple(arrays), unused_devices=unused,
                  complete=unused is not None, last_line=last, unread=unread, prompt_lines=tuple(prompts))


def _is_prompt(line: str, shape: re.Pattern[str]) -> bool:
    return len(line) <= PROMPT_MAX and shape.match(line) is not None


def _block(block: Block, source: str) -> MdArray:
    (n, raw), details = block[0], block[1:]
    cur = _header(raw, source, n)
    for m, text in details:
        _detail(cur, text, source, m)
    return _array(cur, source)


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
        if (sup := _SUPER.search(b["rest"])) is not None:
            cur["metadata"] = sup["metadata"]
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
                   slot_map=smap, sync=sync if isinstance(sync, SyncProgress) else None, line=int(str(cur["line"])),
                   metadata=str(cur.get("metadata", "")))
