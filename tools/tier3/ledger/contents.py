"""What a log says its store holds: the live objects, the holds in force, what was purged.

One replay of the entries for both sides: the store asks it what a purge may delete, the verifier
what must be on disk. Malformed entries (a verifier's chain finding) are skipped, never fatal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tier3.ledger import log
from tier3.ledger.retention import Hold, Policy


@dataclass
class Contents:
    live: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # address -> its ingest entry
    holds: dict[str, Hold] = field(default_factory=dict)  # in force, by name
    hold_entries: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # the entry that set each
    purged: set[str] = field(default_factory=set)

    def parties(self, address: str) -> list[str]:
        item = self.live[address]
        return [str(item["sender"]), *map(str, item["recipients"])]

    def effective_retain_until(self, address: str, policy: Policy) -> dt.date:
        """The later of the date logged at ingest and the one the current policy gives."""
        item = self.live[address]
        received = dt.date.fromisoformat(str(item["time"])[:10])
        logged = dt.date.fromisoformat(str(item["retain_until"]))
        return max(logged, policy.retain_until(received, self.parties(address)))

    def purge_refusal(self, address: str, policy: Policy, today: dt.date) -> str:
        """Why ``address`` may not be purged today ('' when it may)."""
        if address not in self.live:
            return "already purged" if address in self.purged else "no such object in the log"
        held = sorted(h.name for h in self.holds.values() if h.covers(address, self.parties(address)))
        if held:
            return f"under legal hold {', '.join(held)}"
        keep = self.effective_retain_until(address, policy)
        return f"retained until {keep.isoformat()}" if today <= keep else ""


def _well_formed(record: log.Record) -> bool:
    data = record.data
    if record.kind in (log.INGEST, log.PURGE):
        return isinstance(data.get("object"), str)
    if record.kind == log.HOLD:
        return isinstance(data.get("hold"), str) and isinstance(data.get("scope"), dict)
    return record.kind == log.RELEASE and isinstance(data.get("hold"), str)


def contents(records: Iterable[log.Record]) -> Contents:
    found = Contents()
    for record in filter(_well_formed, records):
        data = record.data
        if record.kind == log.INGEST:
            found.live[data["object"]] = data
        elif record.kind == log.HOLD:
            found.holds[data["hold"]] = Hold.from_scope(data["hold"], data["scope"])
            found.hold_entries[data["hold"]] = data
        elif record.kind == log.RELEASE:
            found.holds.pop(data["hold"], None)
            found.hold_entries.pop(data["hold"], None)
        else:
            found.live.pop(data["object"], None)
            found.purged.add(data["object"])
    return found
