"""``doveadm replicator status '*'`` and ``doveadm replicator status`` -> Dovecot's replication state. Pure.

Expected input (Dovecot 2.3): the per-user table of ``doveadm replicator status '*'``::

    username                  priority fast sync full sync success sync failed
    alice@lab.tier3.test      high     00:00:24  00:00:56  00:00:24     -
    bob@lab.tier3.test        none     00:00:00  00:00:00  -            y

(the times are how long ago each last sync was, ``H:MM:SS`` with as many hour digits as needed, ``-``
for never; ``failed`` is ``y`` when the last sync failed), and the summary of ``doveadm replicator
status`` without a mask::

    Queued 'sync' requests        0
    Queued 'high' requests        1
    Queued 'low' requests         0
    Queued 'failed' requests      0
    Queued 'full resync' requests 0
    Waiting 'failed' requests     1
    Total number of known users   2

One text may hold either or both (in any order); ``combine`` joins the facts of two texts. The
summary ends with its ``Total number of known users`` line: a summary without it was cut and is
refused. A user row has exactly six fields (none contains a space); a row cut inside is refused,
a cut between rows cannot be seen.

Facts only: what is lagging or failed is for the observed rules (``tier3.rules.observed.mail``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tier3.errors import ParseError
from tier3.parsers._text import check_text

WHAT = ("doveadm replicator status output (the 'username priority fast sync full sync success sync failed' "
        "table, or the \"Queued 'sync' requests\" summary)")
HEADER = ("username", "priority", "fast sync", "full sync", "success sync", "failed")
PRIORITIES = ("none", "low", "high", "sync")  # Dovecot's enum replication_priority, lowest first
_HEADER = re.compile(r"^username\s+priority\s+fast sync\s+full sync\s+success sync\s+failed\s*$")
_AGO = re.compile(r"^(?P<h>\d+):(?P<m>[0-5]\d):(?P<s>[0-5]\d)$")
_SUMMARY = re.compile(r"^(?P<key>(?:Queued|Waiting|Total)\D*?)\s+(?P<value>\d+)\s*$")
# summary line -> fact name (Dovecot 2.3 prints these, in this order)
SUMMARY_KEYS: dict[str, str] = {
    "Queued 'sync' requests": "queued_sync",
    "Queued 'high' requests": "queued_high",
    "Queued 'low' requests": "queued_low",
    "Queued 'failed' requests": "queued_failed",
    "Queued 'full resync' requests": "queued_full_resync",
    "Waiting 'failed' requests": "waiting_failed",
    "Total number of known users": "known_users",
}
LAST_SUMMARY_KEY = "Total number of known users"


@dataclass(frozen=True)
class ReplicaUser:
    username: str
    priority: str  # none, low, high, sync: the priority of the sync waiting for the user (none: nothing waits)
    fast_sync_ago: int | None  # seconds since the last fast sync (None: never)
    full_sync_ago: int | None
    success_sync_ago: int | None  # seconds since the last successful sync (None: never)
    failed: bool  # the last sync failed
    line: int


@dataclass(frozen=True)
class ReplicatorStatus:
    users: tuple[ReplicaUser, ...] | None = None  # None: the per-user table was not in the text
    summary: dict[str, int] | None = None  # fact name (SUMMARY_KEYS) -> count; None: no summary
    summary_line: int = 0  # the summary's first line
    other: dict[str, int] = field(default_factory=dict)  # summary lines of the same shape not known here

    @property
    def queued(self) -> int | None:
        """Sync requests waiting in the replicator's queues (the failed ones apart), None without a summary."""
        if self.summary is None:
            return None
        return sum(self.summary.get(k, 0) for k in ("queued_sync", "queued_high", "queued_low", "queued_full_resync"))

    def combine(self, other: ReplicatorStatus) -> ReplicatorStatus:
        """The facts of two texts (one with the table, one with the summary) as one."""
        return ReplicatorStatus(
            users=self.users if self.users is not None else other.users,
            summary=self.summary if self.summary is not None else other.summary,
            summary_line=self.summary_line if self.summary is not None else other.summary_line,
            other={**other.other, **self.other},
        )


def _ago(value: str, source: str, where: str, what: str) -> int | None:
    if value == "-":
        return None
    m = _AGO.match(value)
    if m is None:
        raise ParseError(source, where, f"expected H:MM:SS or '-' for {what}, got {value!r}")
    return int(m["h"]) * 3600 + int(m["m"]) * 60 + int(m["s"])


def _user(words: list[str], n: int, source: str) -> ReplicaUser:
    where = f"line {n}"
    if len(words) != len(HEADER):
        raise ParseError(source, where, f"expected {len(HEADER)} fields ({', '.join(HEADER)}), got {len(words)} "
                         "(cut, or a user name with a space?)")
    username, priority, fast, full, success, failed = words
    if priority not in PRIORITIES:
        raise ParseError(source, where, f"unknown priority {priority!r}; expected one of {', '.join(PRIORITIES)}")
    if failed not in ("y", "-"):
        raise ParseError(source, where, f"expected 'y' or '-' for failed, got {failed!r}")
    return ReplicaUser(username, priority, _ago(fast, source, where, "fast sync"),
                       _ago(full, source, where, "full sync"), _ago(success, source, where, "success sync"),
                       failed == "y", n)


def parse_replicator_status(text: str, source: str) -> ReplicatorStatus:
    """Parse the per-user table, the summary, or both, from one text."""
    lines = check_text(text, source, WHAT)
    users: list[ReplicaUser] | None = None
    summary: dict[str, int] | None = None
    other: dict[str, int] = {}
    summary_line = 0
    in_table = False
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        m = _SUMMARY.match(line)
        if _HEADER.match(line):
            if users is not None:
                raise ParseError(source, f"line {n}", "a second user table header")
            users, in_table = [], True
        elif m is not None:
            in_table = False
            if summary is None:
                summary, summary_line = {}, n
            key = " ".join(m["key"].split())
            name = SUMMARY_KEYS.get(key)
            if name is None:
                other[key] = int(m["value"])
            else:
                summary[name] = int(m["value"])
        elif in_table and users is not None:
            users.append(_user(line.split(), n, source))
        else:
            raise ParseError(source, f"line {n}", f"expected {WHAT}, got {line[:60]!r}")
    if summary is not None and "known_users" not in summary:
        raise ParseError(source, f"line {len(lines)}", f"summary without its {LAST_SUMMARY_KEY!r} line (cut?)")
    if users is None and summary is None:
        raise ParseError(source, "line 1", f"expected {WHAT}")
    return ReplicatorStatus(None if users is None else tuple(users), summary, summary_line, other)
