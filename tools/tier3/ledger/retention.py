"""How long the archive keeps each message, which legal holds cover it, and what a purge may delete.

The policy comes from the inventory (``tier3_archive.retention``)::

    {"default": "7y", "domains": {"example.net": "10y"}, "mailboxes": {"cfo@example.net": "30y"}}

Periods are whole days (``400d``) or calendar years (``7y``: the same date seven years on; 29 February
becomes 28 February). An address takes its mailbox's period, else its domain's, else the default; a
message takes the longest period of its sender and every recipient, so no party's rule is cut short.
``retain_until`` is the last day a message must be kept (UTC): it may be purged from the day after.

The period a message was given at ingest is in its log entry and never shortens: a purge judges an
object by the later of that date and the one the current policy gives, so lengthening a period
applies to what is already stored and shortening it applies only to mail that arrives afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PERIOD = re.compile(r"^(?P<count>\d{1,5})(?P<unit>[dy])$")


def parse_period(text: str) -> tuple[int, str]:
    """``"7y"`` -> (7, "y"); raises ValueError naming the form on anything else."""
    match = PERIOD.match(text)
    if match is None:
        raise ValueError(f"retention period {text!r} is not a count of days or years (like 3650d or 10y)")
    return int(match["count"]), match["unit"]


def add_period(day: dt.date, period: str) -> dt.date:
    count, unit = parse_period(period)
    if unit == "d":
        return day + dt.timedelta(days=count)
    try:
        return day.replace(year=day.year + count)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + count, day=28)


@dataclass(frozen=True)
class Policy:
    default: str
    domains: Mapping[str, str] = field(default_factory=dict)
    mailboxes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Policy:
        """From the inventory's (or the store's) mapping; raises ValueError naming the bad key."""
        unknown = set(data) - {"default", "domains", "mailboxes"}
        if unknown or "default" not in data:
            raise ValueError(f"retention takes default (required), domains and mailboxes, not {sorted(unknown)}")
        policy = cls(str(data["default"]), {k.lower(): str(v) for k, v in dict(data.get("domains") or {}).items()},
                     {k.lower(): str(v) for k, v in dict(data.get("mailboxes") or {}).items()})
        for key, period in [("default", policy.default), *[(f"domains.{k}", v) for k, v in policy.domains.items()],
                            *[(f"mailboxes.{k}", v) for k, v in policy.mailboxes.items()]]:
            try:
                parse_period(period)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return policy

    def to_data(self) -> dict[str, Any]:
        return {"default": self.default, "domains": dict(sorted(self.domains.items())),
                "mailboxes": dict(sorted(self.mailboxes.items()))}

    def period_of(self, address: str) -> str:
        address = address.lower()
        if address in self.mailboxes:
            return self.mailboxes[address]
        return self.domains.get(address.rpartition("@")[2], self.default)

    def retain_until(self, received: dt.date, addresses: Iterable[str]) -> dt.date:
        """The last day a message received on ``received`` from and to ``addresses`` must be kept."""
        ends = [add_period(received, self.period_of(a)) for a in addresses if a]
        return max(ends, default=add_period(received, self.default))


@dataclass(frozen=True)
class Hold:
    """A legal hold: by name, on objects, mailboxes or domains, from the entry that set it."""

    name: str
    objects: frozenset[str] = frozenset()
    mailboxes: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def from_scope(cls, name: str, scope: Mapping[str, Sequence[str]]) -> Hold:
        return cls(name, frozenset(scope.get("objects", ())), frozenset(a.lower() for a in scope.get("mailboxes", ())),
                   frozenset(d.lower() for d in scope.get("domains", ())))

    def covers(self, address: str, parties: Iterable[str]) -> bool:
        """Whether object ``address`` with these sender and recipients is under this hold."""
        if address in self.objects:
            return True
        lowered = [p.lower() for p in parties]
        return any(p in self.mailboxes or p.rpartition("@")[2] in self.domains for p in lowered)
