"""``ipmitool sdr type "Power Supply"`` / ``sdr type "Power Unit"`` output -> supplies, redundancy, verdict. Pure.

Each line is ``name | id | status | entity | state``, e.g.::

    PS2 Status       | 02h | ok  | 10.2 | Presence detected, Failure detected, Power Supply AC lost
    PS Redundancy    | 03h | ok  | 19.1 | Redundancy Lost

The state is the list of asserted offsets that ipmitool prints (some contain a comma themselves,
"AC out-of-range, but present", so phrases are matched, not split). A sensor is a redundancy
sensor when it states a redundancy phrase (generic reading type 0Bh), a supply when it states a
power-supply phrase or sits on entity 10 (power supply); anything else is kept as ``other``.
Both outputs may be given concatenated. ``Issue`` has the same fields as the Redfish parser's, so
``tier3.inspect.bmc`` turns both into findings through one table (parsers import only model and
errors, hence the twin rather than an import).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tier3.errors import ParseError

PRESENT = "Presence detected"
SUPPLY_FAULTS = ("Failure detected", "Config Error")
SUPPLY_WARNINGS = ("Predictive failure",)
INPUT_LOST = ("Power Supply AC lost", "AC lost or out-of-range", "AC out-of-range, but present", "AC lost")
SUPPLY_PHRASES = (PRESENT, *SUPPLY_FAULTS, *SUPPLY_WARNINGS, *INPUT_LOST)
FULLY_REDUNDANT = "Fully Redundant"
REDUNDANCY_PHRASES = (
    FULLY_REDUNDANT,
    "Redundancy Lost",
    "Redundancy Degraded from Fully Redundant",
    "Redundancy Degraded from Non-redundant",
    "Redundancy Degraded",
    "Non-Redundant: Sufficient from Redundant",
    "Non-Redundant: Sufficient from Insufficient",
    "Non-Redundant: Insufficient Resources",
)
POWER_SUPPLY_ENTITY = 10
_LINE = re.compile(
    r"^(?P<name>[^|]*?)\s*\|\s*(?P<id>[0-9A-Fa-f]{2,4}h)\s*\|\s*(?P<status>[a-z]{1,3})\s*\|"
    r"\s*(?P<entity>\d+\.\d+)\s*\|\s?(?P<state>.*?)\s*$"
)


@dataclass(frozen=True)
class Issue:
    code: str  # supply, input, count, group, or warning (predictive failure: does not break redundancy)
    chassis: str  # always "": ipmitool sdr has no chassis
    subject: str  # the sensor blamed
    message: str
    where: str  # the line of the sdr output
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sensor:
    name: str
    sensor_id: str
    status: str  # ok, ns (no reading), cr, nr...
    entity: str
    states: tuple[str, ...]  # the phrases found, in the order of the known phrase lists
    other: str  # text left after the known phrases (OEM states), or ""
    kind: str  # "supply", "redundancy" or "other"
    line: int

    @property
    def present(self) -> bool:
        return PRESENT in self.states and self.status != "ns"


@dataclass(frozen=True)
class IpmiPower:
    source: str
    sensors: tuple[Sensor, ...]
    issues: tuple[Issue, ...]

    @property
    def supplies(self) -> tuple[Sensor, ...]:
        return tuple(s for s in self.sensors if s.kind == "supply")

    @property
    def redundancy(self) -> tuple[Sensor, ...]:
        return tuple(s for s in self.sensors if s.kind == "redundancy")

    @property
    def redundant(self) -> bool:
        return not any(i.code != "warning" for i in self.issues)


def _phrases(text: str, known: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """Known phrases in ``text`` (longest first, each once) and what is left over."""
    found = []
    rest = text
    for phrase in sorted(known, key=len, reverse=True):
        pattern = re.compile(rf"(?:^|(?<=, )){re.escape(phrase)}(?=, |$)")
        if pattern.search(rest):
            found.append(phrase)
            rest = pattern.sub("", rest, count=1)
    left = ", ".join(p.strip() for p in rest.split(",") if p.strip())
    return tuple(p for p in known if p in found), left


def parse_ipmi_sdr(text: str, source: str) -> IpmiPower:
    sensors = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            raise ParseError(
                source, f"line {number}",
                f"expected 'name | id | status | entity | state' (ipmitool sdr type), got {raw.strip()[:80]!r}",
                hint='save the output of ipmitool sdr type "Power Supply" and sdr type "Power Unit" unchanged',
            )
        state = match["state"]
        states, other = _phrases(state, REDUNDANCY_PHRASES)
        kind = "redundancy"
        if not states:
            states, other = _phrases(state, SUPPLY_PHRASES)
            on_psu = int(match["entity"].split(".")[0]) == POWER_SUPPLY_ENTITY
            kind = "supply" if states or on_psu else "other"
        sensors.append(Sensor(match["name"].strip(), match["id"], match["status"], match["entity"], states,
                              other, kind, number))
    if not sensors:
        raise ParseError(source, "line 1", "no sensor lines: expected ipmitool sdr type output",
                         hint="check that ipmitool reached the BMC and that it has Power Supply sensors")
    return IpmiPower(source, tuple(sensors), tuple(judge(sensors)))


def judge(sensors: list[Sensor]) -> list[Issue]:
    issues: list[Issue] = []
    supplies = [s for s in sensors if s.kind == "supply"]
    for s in supplies:
        where = f"line {s.line}"
        evidence = {"sensor": s.name, "id": s.sensor_id, "status": s.status, "entity": s.entity,
                    "states": list(s.states)}
        if not s.present:
            said = "no reading (ns)" if s.status == "ns" else "presence not detected (absent)"
            issues.append(Issue("supply", "", s.name, f"power supply {s.name}: {said}", where, evidence))
        faults = [p for p in s.states if p in SUPPLY_FAULTS]
        if faults:
            issues.append(Issue("supply", "", s.name, f"power supply {s.name}: {', '.join(faults)}", where, evidence))
        lost = [p for p in s.states if p in INPUT_LOST]
        if lost:
            issues.append(Issue("input", "", s.name, f"power supply {s.name}: {', '.join(lost)}", where, evidence))
        warned = [p for p in s.states if p in SUPPLY_WARNINGS]
        if warned:
            issues.append(Issue("warning", "", s.name, f"power supply {s.name}: {', '.join(warned)}", where, evidence))
    if len(supplies) < 2:
        issues.append(Issue("count", "", "power supplies", f"{len(supplies)} power supply sensor(s); redundancy "
                            "needs at least 2", "line 1", {"supplies": [s.name for s in supplies]}))
    for r in sensors:
        if r.kind == "redundancy" and (r.states != (FULLY_REDUNDANT,) or r.status == "ns"):
            issues.append(Issue("group", "", r.name, f"redundancy sensor {r.name}: {', '.join(r.states)}",
                                f"line {r.line}", {"sensor": r.name, "status": r.status, "states": list(r.states)}))
    return issues
