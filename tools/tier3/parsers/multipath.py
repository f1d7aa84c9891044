"""``multipath -ll`` (and ``multipath -l``) -> maps, path groups and paths. Facts only. Pure.

Expected input (multipath-tools 0.4.9 to 0.9.x)::

    mpatha (35000c5001ea71ac0) dm-0 QEMU,QEMU HARDDISK
    size=256M features='0' hwhandler='0' wp=rw
    |-+- policy='service-time 0' prio=0 status=enabled
    | `- 6:0:0:0 sda 8:0  failed faulty offline
    `-+- policy='service-time 0' prio=1 status=active
      `- 7:0:0:0 sdb 8:16 active ready  running

Shapes seen on other machines, all read here:

- a map without a user-friendly name starts with its WWID (``3600... dm-1 VENDOR,PRODUCT``); an
  iSCSI (IET) WWID holds spaces (``mpathb (1IET     00080001) dm-2 IET,VIRTUAL-DISK``);
- columns are padded to the widest value of the map (``9:0:0:1  sdc`` beside ``10:0:0:1 sdd``);
- NVMe namespaces under dm-multipath (``22:8209:1:1 nvme22n1 259:5 active ready running``);
- a path whose device has gone prints ``#:#:#:# - #:#`` (``Path.gone``);
- a map whose every path has gone prints its map line and its ``size=`` line and no path group
  (vendor and product then read ``##,##``);
- ``multipath -l`` does not run the path checkers: the checker column reads ``undef``.

Refused: the bracket format of multipath-tools before 0.4.9 (``[size=...][features=...]``,
``\\_ round-robin 0 [prio=...]``), which the parser does not read.

Completeness: the tree marks the last path group of a map with ``` `-+- ``` and the last path of a
group with ``` `- ```; a map whose last group or path is drawn ``|-`` is cut and refused, and so is a
map line without its ``size=`` line. A cut right after a ``size=`` line reads as a map without a
path group; a cut exactly between two maps cannot be seen (the file then holds fewer maps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError
from tier3.parsers._text import acyclic, check_text

WHAT = "multipath -ll output ('NAME (WWID) dm-N VENDOR,PRODUCT' first)"
_MAP = re.compile(r"^(?:(?:create|reload|switchpg|rename): )?(?P<head>\S(?:.*?\S)?)\s+(?P<dm>dm-\d+)"
                  r"(?:\s+(?P<vp>\S.*))?$")
_ALIAS = re.compile(r"^(?P<name>\S+)\s+\((?P<wwid>[^()]+)\)$")
_SIZE = re.compile(r"^size=(?P<size>\S+)\s+features='(?P<features>[^']*)'\s+hwhandler='(?P<hw>[^']*)'"
                   r"(?:\s+wp=(?P<wp>\S+))?\s*$")
_GROUP = re.compile(r"^(?P<tree>[|`])-\+- policy='(?P<policy>[^']*)' prio=(?P<prio>-?\d+) status=(?P<status>\S+)\s*$")
_PATH = re.compile(r"^(?P<outer>[| ]) (?P<tree>[|`])- (?P<hctl>\d+:\d+:\d+:\d+|#:#:#:#)\s+(?P<dev>\S+)\s+"
                   r"(?P<mm>\d+:\d+|#:#)\s+(?P<dm>active|failed|undef)\s+(?P<chk>i/o pending|i/o timeout|\S+)\s+"
                   r"(?P<online>\S+)(?:\s+(?P<marginal>marginal))?\s*$")
_OLD = re.compile(r"^(?:\[size=|\s*\\_ )")  # multipath-tools before 0.4.9
GONE_HCTL, GONE_DEV = "#:#:#:#", "-"
CHECKER_STATES = ("ready", "ghost", "faulty", "shaky", "i/o pending", "i/o timeout", "delayed", "undef",
                  "unknown", "disconnected")
GROUP_STATES = ("active", "enabled", "disabled", "undef")


@dataclass(frozen=True, slots=True)
class Path:
    hctl: str  # H:C:T:L, "#:#:#:#" once the device has gone
    device: str  # sda, nvme22n1, "-" once the device has gone
    major_minor: str  # 8:16, "#:#" once the device has gone
    dm_state: str  # active, failed, undef
    checker: str  # ready, ghost, faulty, shaky, i/o pending, ..., undef (multipath -l)
    online: str  # running, offline, blocked, unknown, ...
    line: int

    @property
    def gone(self) -> bool:
        """The device under this path no longer exists (``#:#:#:# - #:#``)."""
        return self.hctl == GONE_HCTL or self.device == GONE_DEV


@dataclass(frozen=True, slots=True)
class PathGroup:
    policy: str
    prio: int
    status: str  # active, enabled, disabled, undef
    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Map:
    name: str  # the alias, or the WWID when there is none (may hold spaces: iSCSI IET)
    wwid: str
    dm: str
    vendor: str  # "##" when no path is left to ask
    product: str
    size: str
    features: str
    hwhandler: str
    write_protect: str
    groups: tuple[PathGroup, ...]  # () when every path has gone
    line: int

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(p for g in self.groups for p in g.paths)


@dataclass(frozen=True, slots=True)
class Multipath:
    maps: tuple[Map, ...]


@acyclic
def parse_multipath_ll(text: str, source: str) -> Multipath:
    """Parse ``multipath -ll`` (every map). Empty output (no map at all) is refused as empty input."""
    lines = check_text(text, source, WHAT)
    maps: list[Map] = []
    cur: dict[str, object] | None = None
    groups: list[dict[str, object]] = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if (p := _PATH.match(raw)) is not None:  # the commonest line first
            _add_path(groups, p, source, n)
        elif (g := _GROUP.match(raw)) is not None:
            if cur is None or "size" not in cur:
                raise ParseError(source, f"line {n}", "path group before a map's 'size=' line")
            _add_group(groups, g, source, n)
        elif (s := _SIZE.match(raw)) is not None:
            if cur is None or "size" in cur:
                raise ParseError(source, f"line {n}", "'size=' line not right after a map line")
            cur.update(size=s["size"], features=s["features"], hw=s["hw"], wp=s["wp"] or "")
        elif (m := _MAP.match(raw)) is not None and not raw.startswith((" ", "|", "`")):
            if cur is not None:
                maps.append(_map(cur, groups, source, n))
            cur, groups = _map_line(m, source, n), []
        elif _OLD.match(raw):
            raise ParseError(source, f"line {n}", "the bracket format of multipath-tools before 0.4.9 "
                             "('[size=...][features=...]', '\\_ round-robin 0 [prio=...]'): not supported",
                             hint="run multipath -ll from multipath-tools 0.4.9 or later")
        else:
            raise ParseError(source, f"line {n}", f"expected a map line, 'size=...', a path group "
                             f"('-+- policy=...') or a path ('- H:C:T:L dev M:m dm checker online'), "
                             f"got {raw.strip()[:60]!r}")
    if cur is None:
        raise ParseError(source, "line 1", f"no map: expected {WHAT}")
    maps.append(_map(cur, groups, source, len(lines)))
    return Multipath(tuple(maps))


def _map_line(m: re.Match[str], source: str, n: int) -> dict[str, object]:
    head = m["head"]
    if (alias := _ALIAS.match(head)) is not None and alias["wwid"].strip():
        name, wwid = alias["name"], alias["wwid"]
    elif "(" in head or ")" in head:
        raise ParseError(source, f"line {n}", f"expected 'NAME (WWID)' or 'WWID' before {m['dm']}, got {head[:60]!r}")
    else:
        name = wwid = head
    return {"name": name, "wwid": wwid, "dm": m["dm"], "vp": (m["vp"] or "").rstrip(), "line": n}


def _add_group(groups: list[dict[str, object]], g: re.Match[str], source: str, n: int) -> None:
    if groups and groups[-1]["tree"] == "`":
        raise ParseError(source, f"line {n}", "path group after the map's last one (drawn '`-+-')")
    _close_group(groups, source, n)
    if g["status"] not in GROUP_STATES:
        raise ParseError(source, f"line {n}", f"path group status {g['status']!r}: expected one of "
                         f"{', '.join(GROUP_STATES)}")
    groups.append({"tree": g["tree"], "policy": g["policy"], "prio": int(g["prio"]), "status": g["status"],
                   "paths": [], "last": None, "line": n})


def _add_path(groups: list[dict[str, object]], p: re.Match[str], source: str, n: int) -> None:
    if not groups:
        raise ParseError(source, f"line {n}", "path line before any path group")
    grp = groups[-1]
    paths = grp["paths"]
    assert isinstance(paths, list)
    if grp["last"] == "`":
        raise ParseError(source, f"line {n}", "path after the group's last one (drawn '`-')")
    if (p["outer"] == "|") != (grp["tree"] == "|"):
        raise ParseError(source, f"line {n}", "path line drawn for another path group (tree columns differ)")
    if p["chk"] not in CHECKER_STATES:
        raise ParseError(source, f"line {n}", f"checker state {p['chk']!r}: expected one of "
                         f"{', '.join(CHECKER_STATES)}")
    paths.append(Path(p["hctl"], p["dev"], p["mm"], p["dm"], p["chk"], p["online"], n))
    grp["last"] = p["tree"]


def _close_group(groups: list[dict[str, object]], source: str, n: int) -> None:
    if not groups:
        return
    g = groups[-1]
    if g["last"] != "`":
        what = "no path" if not g["paths"] else "its last path drawn '|-'"
        raise ParseError(source, f"line {n}", f"path group at line {g['line']} ends with {what} (truncated?)")


def _map(cur: dict[str, object], groups: list[dict[str, object]], source: str, n: int) -> Map:
    if "size" not in cur:
        raise ParseError(source, f"line {n}", f"map {cur['name']} has no 'size=... features=...' line (truncated?)")
    if groups:
        _close_group(groups, source, n)
        if groups[-1]["tree"] != "`":
            raise ParseError(source, f"line {n}", f"map {cur['name']} ends with a path group drawn '|-+-' "
                             "(truncated?)")
    vendor, _, product = str(cur["vp"]).partition(",")
    return Map(
        name=str(cur["name"]), wwid=str(cur["wwid"]), dm=str(cur["dm"]), vendor=vendor, product=product,
        size=str(cur["size"]), features=str(cur["features"]), hwhandler=str(cur["hw"]), write_protect=str(cur["wp"]),
        groups=tuple(PathGroup(str(g["policy"]), int(str(g["prio"])), str(g["status"]),
                               tuple(p for p in g["paths"] if isinstance(p, Path)) if isinstance(g["paths"], list)
                               else ()) for g in groups),
        line=int(str(cur["line"])),
    )
