"""``multipath -ll`` -> maps, path groups and paths. Pure.

Expected input (multipath-tools 0.9.4)::

    mpatha (35000c5001ea71ac0) dm-0 QEMU,QEMU HARDDISK
    size=256M features='0' hwhandler='0' wp=rw
    |-+- policy='service-time 0' prio=0 status=enabled
    | `- 6:0:0:0 sda 8:0  failed faulty offline
    `-+- policy='service-time 0' prio=1 status=active
      `- 7:0:0:0 sdb 8:16 active ready  running

A map without a user-friendly name starts with its WWID (``3600... dm-1 VENDOR,PRODUCT``).
Completeness: the tree marks the last path group of a map with ``` `-+- ``` and the last path of a
group with ``` `- ```; a map whose last group or path is drawn ``|-`` is cut and refused. A cut
exactly between two maps cannot be seen (the file then holds fewer maps, each one whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError
from tier3.parsers._text import Issue, check_text

WHAT = "multipath -ll output ('NAME (WWID) dm-N VENDOR,PRODUCT' first)"
_MAP = re.compile(r"^(?:(?:create|reload|switchpg|rename): )?(?P<name>\S+)\s+(?:\((?P<wwid>[^()\s]+)\)\s+)?"
                  r"(?P<dm>dm-\d+)\s+(?P<vp>\S.*?)\s*$")
_SIZE = re.compile(r"^size=(?P<size>\S+)\s+features='(?P<features>[^']*)'\s+hwhandler='(?P<hw>[^']*)'"
                   r"(?:\s+wp=(?P<wp>\S+))?\s*$")
_GROUP = re.compile(r"^(?P<tree>[|`])-\+- policy='(?P<policy>[^']*)' prio=(?P<prio>-?\d+) status=(?P<status>\S+)\s*$")
_PATH = re.compile(r"^(?P<outer>[| ]) (?P<tree>[|`])- (?P<hctl>\d+:\d+:\d+:\d+) (?P<dev>\S+)\s+(?P<mm>\d+:\d+)\s+"
                   r"(?P<dm>active|failed|undef)\s+(?P<chk>i/o pending|i/o timeout|\S+)\s+(?P<online>\S+)"
                   r"(?:\s+(?P<marginal>marginal))?\s*$")
CHECKER_STATES = ("ready", "ghost", "faulty", "shaky", "i/o pending", "i/o timeout", "delayed", "undef",
                  "unknown", "disconnected")
GROUP_STATES = ("active", "enabled", "disabled", "undef")


@dataclass(frozen=True, slots=True)
class Path:
    hctl: str
    device: str
    major_minor: str
    dm_state: str  # active, failed, undef
    checker: str  # ready, ghost, faulty, shaky, ...
    online: str  # running, offline, blocked, ...
    line: int

    @property
    def active_ready(self) -> bool:
        return self.dm_state == "active" and self.checker == "ready" and self.online == "running"

    @property
    def healthy(self) -> bool:
        """Carries I/O now or stands by healthy (ALUA ghost)."""
        return self.dm_state == "active" and self.checker in ("ready", "ghost") and self.online == "running"


@dataclass(frozen=True, slots=True)
class PathGroup:
    policy: str
    prio: int
    status: str  # active, enabled
    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Map:
    name: str
    wwid: str
    dm: str
    vendor: str
    product: str
    size: str
    features: str
    hwhandler: str
    write_protect: str
    groups: tuple[PathGroup, ...]
    line: int

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(p for g in self.groups for p in g.paths)

    def issues(self) -> list[Issue]:
        """What stops this map from being redundant (docs/inspect.md, kind multipath)."""
        out: list[Issue] = []
        for p in self.paths:
            if not p.healthy:
                out.append(Issue("mpath-path-failed", f"{self.name}:{p.device}",
                                 f"path {p.hctl} {p.device} is {p.dm_state} {p.checker} {p.online}", f"line {p.line}",
                                 {"hctl": p.hctl, "dm_state": p.dm_state, "checker": p.checker, "online": p.online}))
        ready = [p.device for p in self.paths if p.active_ready]
        facts = {"paths": len(self.paths), "active_ready": ready, "features": self.features}
        if not ready:
            out.append(Issue("mpath-no-path", self.name, "no path is active and ready: I/O "
                             f"{'queues' if 'queue_if_no_path' in self.features else 'fails'}", f"line {self.line}",
                             facts))
        elif len(ready) < 2:
            out.append(Issue("mpath-too-few", self.name, f"{len(ready)} path active and ready: fewer than two",
                             f"line {self.line}", facts))
        return out


@dataclass(frozen=True, slots=True)
class Multipath:
    maps: tuple[Map, ...]

    def issues(self) -> list[Issue]:
        out = [i for m in self.maps for i in m.issues()]
        if not self.maps:
            out.append(Issue("mpath-none", "multipath", "no multipath map"))
        return out

    @property
    def redundant(self) -> bool:
        return not any(i.breaks_redundancy for i in self.issues())


def parse_multipath_ll(text: str, source: str) -> Multipath:  # noqa: PLR0912  one branch per line shape of the tree
    """Parse ``multipath -ll`` (every map). Empty output (no map at all) is refused as empty input."""
    lines = check_text(text, source, WHAT)
    maps: list[Map] = []
    cur: dict[str, object] | None = None
    groups: list[dict[str, object]] = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if (p := _PATH.match(raw)) is not None:  # the commonest line first
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
        elif (g := _GROUP.match(raw)) is not None:
            if cur is None or "size" not in cur:
                raise ParseError(source, f"line {n}", "path group before a map's 'size=' line")
            if groups and groups[-1]["tree"] == "`":
                raise ParseError(source, f"line {n}", "path group after the map's last one (drawn '`-+-')")
            _close_group(groups, source, n)
            if g["status"] not in GROUP_STATES:
                raise ParseError(source, f"line {n}", f"path group status {g['status']!r}: expected one of "
                                 f"{', '.join(GROUP_STATES)}")
            groups.append({"tree": g["tree"], "policy": g["policy"], "prio": int(g["prio"]), "status": g["status"],
                           "paths": [], "last": None, "line": n})
        elif (s := _SIZE.match(raw)) is not None:
            if cur is None or "size" in cur:
                raise ParseError(source, f"line {n}", "'size=' line not right after a map line")
            cur.update(size=s["size"], features=s["features"], hw=s["hw"], wp=s["wp"] or "")
        elif (m := _MAP.match(raw)) is not None and not raw.startswith((" ", "|", "`")):
            if cur is not None:
                maps.append(_map(cur, groups, source, n))
            cur, groups = {"name": m["name"], "wwid": m["wwid"] or m["name"], "dm": m["dm"], "vp": m["vp"],
                           "line": n}, []
        else:
            raise ParseError(source, f"line {n}", f"expected a map line, 'size=...', a path group "
                             f"('-+- policy=...') or a path ('- H:C:T:L dev M:m dm checker online'), "
                             f"got {raw.strip()[:60]!r}")
    if cur is None:
        raise ParseError(source, "line 1", f"no map: expected {WHAT}")
    maps.append(_map(cur, groups, source, len(lines)))
    return Multipath(tuple(maps))


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
    if not groups:
        raise ParseError(source, f"line {n}", f"map {cur['name']} has no path group (truncated?)")
    _close_group(groups, source, n)
    if groups[-1]["tree"] != "`":
        raise ParseError(source, f"line {n}", f"map {cur['name']} ends with a path group drawn '|-+-' (truncated?)")
    vendor, _, product = str(cur["vp"]).partition(",")
    return Map(
        name=str(cur["name"]), wwid=str(cur["wwid"]), dm=str(cur["dm"]), vendor=vendor, product=product,
        size=str(cur["size"]), features=str(cur["features"]), hwhandler=str(cur["hw"]), write_protect=str(cur["wp"]),
        groups=tuple(PathGroup(str(g["policy"]), int(str(g["prio"])), str(g["status"]),
                               tuple(p for p in g["paths"] if isinstance(p, Path)) if isinstance(g["paths"], list)
                               else ()) for g in groups),
        line=int(str(cur["line"])),
    )
