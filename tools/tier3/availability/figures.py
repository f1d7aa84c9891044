"""Reliability figures: the built-in defaults per component kind, with their sources, and the parsers
of the figures an inventory writes (``"150000 h"``, ``"2 /year"``, ``"1.5 %/year"``, ``"99.99 %"``).

A figure is an MTBF and an MTTR in hours; its steady-state unavailability is MTTR / (MTBF + MTTR).
Every figure in an inventory carries its unit; a bare number, an unknown unit or an impossible value
(zero or negative, an availability outside 0..100 %) is an ``InventoryError`` naming the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

from tier3.errors import InventoryError
from tier3.model import Figure, Location, Reliability

HOURS_PER_YEAR: Final = 8766.0  # 365.25 days

# unit -> hours
DURATION_UNITS: Final[Mapping[str, float]] = {
    "s": 1 / 3600, "sec": 1 / 3600, "second": 1 / 3600, "seconds": 1 / 3600,
    "min": 1 / 60, "minute": 1 / 60, "minutes": 1 / 60,
    "h": 1.0, "hour": 1.0, "hours": 1.0,
    "d": 24.0, "day": 24.0, "days": 24.0,
    "y": HOURS_PER_YEAR, "year": HOURS_PER_YEAR, "years": HOURS_PER_YEAR,
}
# "per" unit of a failure rate -> hours
RATE_UNITS: Final[Mapping[str, float]] = {"h": 1.0, "hour": 1.0, "d": 24.0, "day": 24.0,
                                          "y": HOURS_PER_YEAR, "year": HOURS_PER_YEAR}
_NUMBER = r"(?P<value>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)"
_DURATION = re.compile(rf"^\s*{_NUMBER}\s*(?P<unit>[A-Za-z]+)\s*$")
_RATE = re.compile(rf"^\s*{_NUMBER}\s*(?P<percent>%)?\s*/\s*(?P<unit>[A-Za-z]+)\s*$")
_PERCENT = re.compile(rf"^\s*{_NUMBER}\s*%\s*$")


def _fail(location: Location, key: str, message: str, fix: str) -> InventoryError:
    where = f"{location.key}.{key}" if location.key else key
    return InventoryError(location.file, where, message, hint=fix)


def duration_hours(value: object, location: Location, key: str) -> float:
    """``"4 h"``, ``"30 min"``, ``"2 d"`` -> hours (> 0)."""
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None or found["unit"] not in DURATION_UNITS:
        raise _fail(location, key, f"{value!r} is not a duration with a unit",
                    "write a number and a unit, e.g. '4 h', '30 min', '2 d' (units: s, min, h, d, y)")
    hours = float(found["value"]) * DURATION_UNITS[found["unit"]]
    if not (math.isfinite(hours) and hours > 0):
        raise _fail(location, key, f"{value!r} is not a positive duration",
                    "a repair or a lifetime takes some time: > 0")
    return hours


def rate_per_hour(value: object, location: Location, key: str) -> float:
    """``"2 /year"`` (failures per year), ``"1.5 %/year"`` (annualised failure rate) -> failures per hour."""
    found = _RATE.match(value) if isinstance(value, str) else None
    if found is None or found["unit"] not in RATE_UNITS:
        raise _fail(location, key, f"{value!r} is not a failure rate with a unit",
                    "write failures per period, e.g. '2 /year', '0.5 /year', or an annualised rate '1.5 %/year'")
    rate = float(found["value"]) / (100.0 if found["percent"] else 1.0)
    if found["percent"] and rate > 1.0:
        raise _fail(location, key, f"{value!r}: an annualised failure rate above 100 %",
                    "write a rate above once per period as '2 /year'")
    per_hour = rate / RATE_UNITS[found["unit"]]
    if not (math.isfinite(per_hour) and per_hour > 0):
        raise _fail(location, key, f"{value!r} is not a positive failure rate", "every component fails some day: > 0")
    return per_hour


def availability_fraction(value: object, location: Location, key: str) -> float:
    """``"99.99 %"`` -> 0.9999 (strictly between 0 and 100 %)."""
    found = _PERCENT.match(value) if isinstance(value, str) else None
    if found is None:
        raise _fail(location, key, f"{value!r} is not an availability in percent",
                    "write it with its unit, e.g. '99.99 %'")
    fraction = float(found["value"]) / 100.0
    if not 0.0 < fraction < 1.0:
        raise _fail(location, key, f"{value!r} is not an availability between 0 and 100 % (exclusive)",
                    "no design reaches 100 %: write e.g. '99.999 %'")
    return fraction


def nines(unavailability: float) -> float:
    """-log10(unavailability): 99.99 % is 4 nines."""
    return math.inf if unavailability <= 0 else -math.log10(unavailability)


def percent(availability: float) -> str:
    """An availability with enough digits to show its nines: 99.9999966 %."""
    if availability >= 1.0:
        return "100 %"
    digits = max(2, math.ceil(nines(1.0 - availability)) + 1)
    return f"{100.0 * availability:.{digits}f} %"


def target_percent(value: float) -> str:
    """A target as written: 99.999 %."""
    return f"{100.0 * value:.10g} %"


def downtime(minutes: float) -> str:
    """Minutes down a year as people read them: 97.9 min, 3.6 h, 2.8 s."""
    if minutes >= 120:
        return f"{minutes / 60:.1f} h"
    if minutes >= 1:
        return f"{minutes:.1f} min"
    seconds = minutes * 60
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2g} s"


def figure(doc: Mapping[str, object], location: Location, source: str) -> Figure:
    """One figure document: ``mttr`` and exactly one of ``mtbf`` or ``rate``."""
    has_mtbf, has_rate = "mtbf" in doc, "rate" in doc
    if has_mtbf == has_rate:
        raise _fail(location, "mtbf" if not has_mtbf else "rate", "a figure needs exactly one of mtbf and rate",
                    "write mtbf: '150000 h' or rate: '2 /year', not both")
    if has_mtbf:
        mtbf = duration_hours(doc["mtbf"], location, "mtbf")
    else:
        mtbf = 1.0 / rate_per_hour(doc["rate"], location, "rate")
    mttr = duration_hours(doc.get("mttr"), location, "mttr")
    return Figure(mtbf, mttr, str(doc.get("source") or source), location)


def _year(per_year: float, mttr: float, source: str) -> Figure:
    return Figure(HOURS_PER_YEAR / per_year, mttr, source)


# kind -> (what it stands for, its built-in figure). The figures are planning defaults, not
# measurements of anyone's hardware: override them with the vendor's MTBF and the repair time
# of the support contract (docs/availability.md explains each choice).
KINDS: Final[Mapping[str, tuple[str, Figure]]] = {
    "site": ("a whole site lost: building, cooling, core network, a major incident", _year(
        1.0, 1.6, "the availability commonly quoted for an Uptime Institute Tier III site, 99.982 % "
        "(about 1.6 h down a year), as one outage a year")),
    "feed": ("one power distribution path of a site (utility, UPS, generator, switchgear)", _year(
        2.0, 4.0, "planning assumption: a concurrently maintainable (Tier III) site takes each path down for "
        "maintenance about twice a year; 4 h per window")),
    "pdu": ("a rack PDU or its breaker", Figure(250_000.0, 4.0,
            "rack PDU datasheets quote MTBFs of 200,000 h and more; 4 h to swap it with a spare on site")),
    "psu": ("a server power supply", Figure(150_000.0, 4.0,
            "server PSU datasheets quote 100,000-250,000 h at 25 C; 4 h: a 4-hour on-site support contract")),
    "host": ("a server itself (board, CPU, memory, firmware), without its supplies, disks and NICs",
             Figure(40_000.0, 8.0, "planning assumption: a server fails about once in 4.5 years; 8 h to repair "
                    "or replace it and put it back in service")),
    "disk": ("a disk", _year(0.015, 24.0, "Backblaze Drive Stats (2023-2024): annualised failure rates "
                                          "around 1.5 %; 24 h to replace it and rebuild")),
    "nic": ("a NIC port with its cable and optics (a bond member)", Figure(
        300_000.0, 4.0, "planning assumption for a port, cable and transceiver; 4 h to replace")),
    "card": ("a NIC card (all its ports)", Figure(300_000.0, 4.0, "NIC datasheets quote 300,000 h and more; 4 h")),
    "switch": ("a top-of-rack switch", Figure(100_000.0, 4.0,
               "switch datasheets quote 100,000-300,000 h; 100,000 h leaves room for firmware faults; 4 h")),
    "stack": ("a switch stack's shared control plane", _year(
        0.2, 2.0, "planning assumption: a stack-wide fault (firmware, split) once in 5 years; 2 h to recover")),
    "fabric": ("a whole SAN fabric (zoning error, firmware)", _year(
        0.2, 2.0, "planning assumption: a fabric-wide outage once in 5 years; 2 h to back out the change")),
    "hba": ("a host bus adapter", Figure(300_000.0, 4.0, "HBA datasheets quote 300,000 h and more; 4 h")),
    "controller": ("a storage array controller", Figure(150_000.0, 4.0,
                   "array controller MTBFs of 100,000-200,000 h; 4 h")),
    "uplink": ("one internet circuit (the local loop and its termination)", _year(
        4.0, 2.0, "a business internet SLA of 99.9 % per circuit: four outages a year of about 2 h")),
    "carrier": ("a carrier's whole network (backbone, routing, a DDoS on it)", _year(
        1.0, 2.0, "planning assumption: one carrier-wide incident a year, 2 h")),
    "entry": ("a building entry or duct (a cable cut by digging)", _year(
        0.1, 24.0, "planning assumption: a duct cut once in 10 years; 24 h to splice")),
    "router": ("an edge router an uplink lands on", Figure(100_000.0, 4.0, "router datasheets; 4 h")),
}


def figure_for(reliability: Reliability, kind: str, name: str, site: str = "") -> Figure:
    """The figure in force for one component: the object's override, its site's for the kind, the
    inventory's for the kind, the built-in."""
    found = reliability.objects.get(f"{kind}:{name}")
    if found is None and site:
        found = reliability.sites.get(site, {}).get(kind)
    if found is None:
        found = reliability.kinds.get(kind)
    return found if found is not None else KINDS[kind][1]
