"""``mdadm --detail /dev/mdN`` -> level, state, device counts and each device's role and state. Pure.

Expected input (mdadm 4.2)::

    /dev/md0:
               Version : 1.2
            Raid Level : raid5
          Raid Devices : 3
         Total Devices : 3
                 State : clean, degraded
        Active Devices : 2
       Working Devices : 2
        Failed Devices : 1
         Spare Devices : 0
        Rebuild Status : 2% complete

        Number   Major   Minor   RaidDevice State
           0     254       16        0      active sync   /dev/vdb
           1     254       32        1      active sync   /dev/vdc
           -       0        0        2      removed

           2     254       48        -      faulty   /dev/vdd

An inactive array prints fewer keys and a table without the State column, and so does an Intel
IMSM or DDF *container* (``Raid Level : container``, ``Version : imsm``: no ``State`` line, the
disks listed with RaidDevice ``-``); a volume inside one names it (``Container : /dev/md/imsm0,
member 0``). Completeness: the table must list as many devices (``removed`` slots aside) as
``Total Devices`` says; a cut table is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError
from tier3.parsers._text import check_text, to_int

WHAT = "mdadm --detail output ('/dev/mdN:' first)"
_TITLE = re.compile(r"^(/dev/\S+):\s*$")
_KEY = re.compile(r"^\s*(?P<key>[A-Z][\w ]*?)\s+:\s?(?P<value>.*?)\s*$")
_TABLE = re.compile(r"^\s*Number\s+Major\s+Minor\s+RaidDevice(?:\s+State)?\s*$")
_ROW = re.compile(
    r"^\s*(?P<number>\d+|-)\s+(?P<major>\d+)\s+(?P<minor>\d+)\s+(?P<slot>\d+|-)"
    r"(?:\s+(?P<state>[a-z][\w -]*?))?(?:\s+(?P<device>/\S+))?\s*$"
)
COUNTS = ("Raid Devices", "Total Devices", "Active Devices", "Working Devices", "Failed Devices", "Spare Devices")


@dataclass(frozen=True)
class Device:
    number: int | None
    slot: int | None  # RaidDevice; None for spares, faulty and inactive members
    state: tuple[str, ...]  # e.g. ("active", "sync"), ("spare", "rebuilding"), ("faulty",), ("removed",)
    device: str  # /dev/vdb, "" for a removed slot
    line: int


@dataclass(frozen=True)
class MdDetail:
    device: str
    level: str
    state: tuple[str, ...]  # "clean", "degraded", "recovering", "inactive", ... ; "(PENDING)" kept as a token
    raid_devices: int | None
    total_devices: int
    active_devices: int | None
    working_devices: int | None
    failed_devices: int | None
    spare_devices: int | None
    progress: dict[str, str]  # {"Rebuild Status": "2% complete"}
    devices: tuple[Device, ...]
    version: str = ""  # metadata: "1.2", "imsm", "ddf"
    container_of: str = ""  # a volume's container: "/dev/md/imsm0, member 0"

    @property
    def container(self) -> bool:
        """An IMSM or DDF container: it holds the disks, its volumes hold the data."""
        return self.level == "container"


def parse_mdadm_detail(text: str, source: str) -> MdDetail:
    """Parse the output of ``mdadm --detail`` for one array."""
    lines = check_text(text, source, WHAT)
    first = next(i for i, raw in enumerate(lines) if raw.strip())
    title = _TITLE.match(lines[first])
    if not title:
        raise ParseError(source, f"line {first + 1}", f"expected {WHAT}, got {lines[first].strip()[:60]!r}")
    keys: dict[str, tuple[str, int]] = {}
    devices: list[Device] = []
    in_table = False
    for n, raw in enumerate(lines[first + 1:], start=first + 2):
        if not raw.strip():
            continue
        if in_table:
            devices.append(_row(raw, source, n))
        elif _TABLE.match(raw):
            in_table = True
        elif (m := _KEY.match(raw)) is not None:
            keys.setdefault(m["key"], (m["value"], n))
        else:
            raise ParseError(source, f"line {n}", "expected 'Key : value' or the device table, "
                             f"got {raw.strip()[:60]!r}")
    if not in_table:
        raise ParseError(source, f"line {len(lines)}", "no device table ('Number Major Minor RaidDevice State'): "
                         "the output is truncated")
    container = keys.get("Raid Level", ("", 0))[0] == "container"
    for key in ("Raid Level", "Total Devices") if container else ("Raid Level", "State", "Total Devices"):
        if key not in keys:
            raise ParseError(source, f"line {len(lines)}", f"no {key!r} line")

    def count(key: str) -> int | None:
        if key not in keys:
            return None
        value, n = keys[key]
        return to_int(value, source, f"line {n}", key)

    total = count("Total Devices") or 0
    listed = [d for d in devices if "removed" not in d.state]
    if len(listed) != total:
        raise ParseError(source, f"line {len(lines)}", f"the device table lists {len(listed)} device(s), Total "
                         f"Devices says {total}: the output is truncated or mixed")
    state = tuple(t for t in re.split(r"[,\s]+", keys.get("State", ("", 0))[0]) if t)
    return MdDetail(
        device=title[1], level=keys["Raid Level"][0], state=state, raid_devices=count("Raid Devices"),
        total_devices=total, active_devices=count("Active Devices"), working_devices=count("Working Devices"),
        failed_devices=count("Failed Devices"), spare_devices=count("Spare Devices"),
        progress={k: v for k, (v, _) in keys.items() if k.endswith(" Status")}, devices=tuple(devices),
        version=keys.get("Version", ("", 0))[0], container_of=keys.get("Container", ("", 0))[0],
    )


def _row(raw: str, source: str, n: int) -> Device:
    m = _ROW.match(raw)
    if not m:
        raise ParseError(source, f"line {n}", f"expected a device row 'Number Major Minor RaidDevice State /dev/X', "
                         f"got {raw.strip()[:60]!r}")
    state = tuple((m["state"] or "").split())
    if not m["device"] and "removed" not in state:
        raise ParseError(source, f"line {n}", "device row without a /dev path (only 'removed' rows have none)")
    return Device(number=None if m["number"] == "-" else int(m["number"]),
                  slot=None if m["slot"] == "-" else int(m["slot"]), state=state, device=m["device"] or "", line=n)
