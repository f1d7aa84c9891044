"""The alert thresholds of ``tier3_monitoring.thresholds``: their names, fields, units and defaults,
and the parsers of what an inventory writes (``30m``, ``15%``, ``500``).

Every field has one kind of value, and a value of a kind with a unit must carry it: a duration is
written in Prometheus's syntax (``90s``, ``30m``, ``1h30m``, ``21d``), a share of a disk as a percent
(``15%``), a number of messages or events as a whole number. A bare number where a unit applies,
an unknown unit or an impossible value is an ``InventoryError`` naming the key and the fix: a
threshold that silently means seconds where the writer meant minutes would alert thirty times
too late.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from tier3.errors import InventoryError
from tier3.model.finding import Location
from tier3.model.monitoring import Threshold

DURATION: Final = "duration"
PERCENT: Final = "percent"
COUNT: Final = "count"
# Prometheus duration units, largest first, in seconds (milliseconds are below any interval here)
DURATION_UNITS: Final[Mapping[str, int]] = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60,
                                            "s": 1}
# how durations are written back: days and below, so `21d` stays `21d` (Prometheus would say `3w`)
FORMAT_UNITS: Final = ("d", "h", "m", "s")
_DURATION = re.compile(r"^(?:(?P<y>\d+)y)?(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?"
                       r"(?:(?P<s>\d+)s)?$")
_PERCENT = re.compile(r"^\s*(?P<value>[0-9]+(?:\.[0-9]+)?)\s*%\s*$")
DURATION_FIX: Final = "write a Prometheus duration with its unit, e.g. 90s, 30m, 1h30m, 21d (units: s, m, h, d, w, y)"


@dataclass(frozen=True)
class Field:
    """One field of a threshold: what kind of value it holds and its default (as an inventory writes it)."""

    kind: str  # DURATION, PERCENT or COUNT
    default: str | int | None


@dataclass(frozen=True)
class Spec:
    """One threshold: the field that holds its limit (``above``, ``below``), an optional counting
    window or horizon (``within``), and ``for``; what it means, for the docs and the errors."""

    means: str
    limit: tuple[str, Field] | None = None
    within: Field | None = None
    hold: str = "0s"  # the default of `for`


# name -> spec; the order is the docs' and the rule file's
THRESHOLDS: Final[Mapping[str, Spec]] = {
    "queue_depth": Spec("messages in the active, incoming and deferred queues of an MX",
                        ("above", Field(COUNT, 500)), hold="10m"),
    "deferred": Spec("messages in the deferred queue of an MX", ("above", Field(COUNT, 200)), hold="15m"),
    "delivery_latency": Spec("age of the oldest message in the active or deferred queue of an MX",
                             ("above", Field(DURATION, "30m")), hold="5m"),
    "replication_lag": Spec("longest time since a user with pending dsync requests last synced",
                            ("above", Field(DURATION, "5m")), hold="5m"),
    "replication_failed": Spec("users whose dsync replication failed (any)", hold="10m"),
    "disk_free": Spec("free share of a filesystem", ("below", Field(PERCENT, "15%")), hold="10m"),
    "certificate_expiry": Spec("time left before a certificate's notAfter", within=Field(DURATION, "21d")),
    "restarts": Spec("systemd restarts of a unit (NRestarts) within a window: a crash loop",
                     ("above", Field(COUNT, 3)), within=Field(DURATION, "15m")),
    "unit_down": Spec("a unit with a restart policy is not active", hold="2m"),
    "vrrp_changes": Spec("takeovers of a VIP within a window: flapping (a single one is info)",
                         ("above", Field(COUNT, 2)), within=Field(DURATION, "10m")),
    "split_brain": Spec("a VIP held by more than one host", hold="1m"),
    "vip_unheld": Spec("a VIP held by no host", hold="1m"),
    "lb_backend_down": Spec("an HAProxy backend with no active server", hold="1m"),
    "lb_server_down": Spec("an HAProxy server DOWN (not in maintenance)", hold="2m"),
    "target_down": Spec("a scrape target does not answer", hold="2m"),
    "metrics_stale": Spec("a host's tier3-metrics writer has not run for 5 minutes", hold="2m"),
    "redundancy_lost": Spec("tier3 check observes a finding that breaks redundancy", hold="0s"),
}
FIELDS: Final = ("above", "below", "within", "for")


def parse_duration(value: object, location: Location, key: str, *, positive: bool = True) -> int:
    """``"1h30m"`` -> 5400 (seconds); a bare number or a wrong unit is an error naming ``key``."""
    text = value.strip() if isinstance(value, str) else None
    found = _DURATION.match(text) if text else None
    if found is None or not any(found.groupdict().values()):
        bare = isinstance(value, int | float) and not isinstance(value, bool)
        message = f"{value!r} has no unit" if bare else f"{value!r} is not a Prometheus duration"
        raise _error(location, key, message, DURATION_FIX)
    seconds = sum(int(n) * DURATION_UNITS[unit] for unit, n in found.groupdict().items() if n)
    if positive and seconds == 0:
        raise _error(location, key, f"{value!r} is zero", "write a duration above zero, e.g. 15s")
    return seconds


def format_duration(seconds: int) -> str:
    """5400 -> ``"1h30m"``, 0 -> ``"0s"``: Prometheus syntax, days and below."""
    out, left = "", int(seconds)
    for unit in FORMAT_UNITS:
        count, left = divmod(left, DURATION_UNITS[unit])
        if count:
            out += f"{count}{unit}"
    return out or "0s"


def parse_percent(value: object, location: Location, key: str) -> float:
    """``"15%"`` -> 15.0, strictly between 0 and 100."""
    found = _PERCENT.match(value) if isinstance(value, str) else None
    if found is None:
        bare = isinstance(value, int | float) and not isinstance(value, bool)
        raise _error(location, key, f"{value!r} has no unit" if bare else f"{value!r} is not a percent",
                     "write a share with its unit, e.g. 15%")
    percent = float(found["value"])
    if not 0.0 < percent < 100.0:
        raise _error(location, key, f"{value!r} is not between 0 and 100 % (exclusive)", "write e.g. 15%")
    return percent


def parse_count(value: object, location: Location, key: str) -> int:
    """A whole number of messages or events, 0 or more (``above: 0``: any at all)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(location, key, f"{value!r} is not a count",
                     "write a whole number, 0 or more, without quotes or unit (e.g. 500)")
    return value


PARSERS: Final[Mapping[str, Callable[[object, Location, str], float]]] = {
    DURATION: parse_duration, PERCENT: parse_percent, COUNT: parse_count}


def parse_thresholds(doc: Mapping[str, Any], location: Location) -> tuple[dict[str, Threshold], list[InventoryError]]:
    """Every threshold, the inventory's values over the defaults (the schema has refused unknown names
    and fields a threshold has no use for)."""
    errors: list[InventoryError] = []
    out: dict[str, Threshold] = {}
    for name, spec in THRESHOLDS.items():
        body = doc.get(name) or {}
        where = Location(location.file, f"{location.key}.{name}")
        try:
            out[name] = _threshold(spec, body, where)
        except InventoryError as error:
            errors.append(error)
    return out, errors


def _threshold(spec: Spec, body: Mapping[str, Any], where: Location) -> Threshold:
    limit = within = None
    if spec.limit:
        field_name, field = spec.limit
        limit = float(PARSERS[field.kind](body.get(field_name, field.default), where, field_name))
    if spec.within:
        within = int(PARSERS[spec.within.kind](body.get("within", spec.within.default), where, "within"))
    hold = parse_duration(body.get("for", spec.hold), where, "for", positive=False)
    return Threshold(limit, within, hold)


def fields(spec: Spec) -> tuple[str, ...]:
    """The fields a threshold takes, in FIELDS order (the schema lists exactly these)."""
    used = {"for", *((spec.limit[0],) if spec.limit else ()), *(("within",) if spec.within else ())}
    return tuple(f for f in FIELDS if f in used)


def defaults() -> dict[str, Threshold]:
    """The thresholds of an inventory that sets none."""
    found, errors = parse_thresholds({}, Location("<defaults>", "thresholds"))
    if errors:  # the defaults above are constants: an error here is a bug in this file
        raise errors[0]
    return found


def _error(location: Location, key: str, message: str, fix: str) -> InventoryError:
    where = f"{location.key}.{key}" if location.key else key
    return InventoryError(location.file, where, message, hint=fix)
