"""``ipmitool sdr type "Power Supply"`` / ``sdr type "Power Unit"`` output -> supply and group sensors. Pure.

Each line is ``name | id | status | entity | state``, e.g.::

    PS2 Status       | 02h | ok  | 10.2 | Presence detected, Failure detected, Power Supply AC lost
    PS Redundancy    | 03h | ok  | 19.1 | Redundancy Lost

The state is the list of asserted offsets that ipmitool prints (some contain a comma themselves,
"AC out-of-range, but present", so phrases are matched, not split). A sensor is a group sensor
when it states one of ``GROUP_STATES`` (the offsets of generic reading type 0Bh, which reports the
state of a group of units such as the supplies), a supply when it states one of
``SUPPLY_PHRASES`` or sits on entity 10 (power supply); anything else is kept as ``other``. Both
outputs may be given concatenated.

Facts only: which phrases each sensor asserts, and its reading status. The rules of
``tier3.rules.observed.power`` judge them; bad output raises ``ParseError`` naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.errors import ParseError

# the sensor-specific offsets of a Power Supply sensor (type 08h), as ipmitool prints them
PRESENT = "Presence detected"
FAILURE = "Failure detected"
CONFIG_ERROR = "Config Error"
PREDICTIVE = "Predictive failure"
AC_LOST = "Power Supply AC lost"
AC_LOST_OR_OUT_OF_RANGE = "AC lost or out-of-range"
AC_OUT_OF_RANGE = "AC out-of-range, but present"
AC_LOST_SHORT = "AC lost"  # the shorter wording of some vendors' ipmitool builds
SUPPLY_PHRASES = (
    PRESENT, FAILURE, CONFIG_ERROR, PREDICTIVE, AC_LOST, AC_LOST_OR_OUT_OF_RANGE, AC_OUT_OF_RANGE, AC_LOST_SHORT,
)
# the offsets of generic reading type 0Bh, as ipmitool prints them (device strings, quoted as printed)
FULL_STATE = "Fully Redundant"
GROUP_STATES = (
    FULL_STATE,
    "Redundancy Lost",
    "Redundancy Degraded from Fully Redundant",
    "Redundancy Degraded from Non-redundant",
    "Redundancy Degraded",
    "Non-Redundant: Sufficient from Redundant",
    "Non-Redundant: Sufficient from Insufficient",
    "Non-Redundant: Insufficient Resources",
)
NO_READING = "ns"  # the status column of a sensor the BMC has no reading for
POWER_SUPPLY_ENTITY = 10
SUPPLY, GROUP, OTHER = "supply", "group", "other"
_LINE = re.compile(
    r"^(?P<name>[^|]*?)\s*\|\s*(?P<id>[0-9A-Fa-f]{2,4}h)\s*\|\s*(?P<status>[a-z]{1,3})\s*\|"
    r"\s*(?P<entity>\d+\.\d+)\s*\|\s?(?P<state>.*?)\s*$"
)


@dataclass(frozen=True)
class Sensor:
    name: str
    sensor_id: str
    status: str  # ok, ns (no reading), cr, nr...
    entity: str
    states: tuple[str, ...]  # the phrases found, in the order of the known phrase lists
    other: str  # text left after the known phrases (OEM states), or ""
    kind: str  # SUPPLY, GROUP or OTHER
    line: int

    @property
    def present(self) -> bool:
        """The BMC reads the sensor and asserts "Presence detected"."""
        return PRESENT in self.states and self.status != NO_READING


@dataclass(frozen=True)
class IpmiPower:
    source: str
    sensors: tuple[Sensor, ...]

    @property
    def supplies(self) -> tuple[Sensor, ...]:
        return tuple(s for s in self.sensors if s.kind == SUPPLY)

    @property
    def groups(self) -> tuple[Sensor, ...]:
        return tuple(s for s in self.sensors if s.kind == GROUP)


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
        states, other = _phrases(state, GROUP_STATES)
        kind = GROUP
        if not states:
            states, other = _phrases(state, SUPPLY_PHRASES)
            on_psu = int(match["entity"].split(".")[0]) == POWER_SUPPLY_ENTITY
            kind = SUPPLY if states or on_psu else OTHER
        sensors.append(Sensor(match["name"].strip(), match["id"], match["status"], match["entity"], states,
                              other, kind, number))
    if not sensors:
        raise ParseError(source, "line 1", "no sensor lines: expected ipmitool sdr type output",
                         hint="check that ipmitool reached the BMC and that it has Power Supply sensors")
    return IpmiPower(source, tuple(sensors))
