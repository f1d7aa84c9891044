"""The archive log: one canonical JSON entry per line, each chained to the one before it.

Every change to an archive is an entry, and an entry is never rewritten: a message stored
(``ingest``), the retention policy that applied from then on (``policy``), a legal hold set or
released (``hold``, ``release``), an object deleted past its retention (``purge``). So the log is the
archive's manifest and its audit trail at once, and the audit trail is chained like the rest.

An entry's bytes are its canonical JSON (keys sorted, no spaces, ASCII), so two implementations
that agree on the fields agree on the hash. Each entry names its position (``seq``, from 0) and the
SHA-256 of the previous entry's line (``prev``; 64 zeros for the first). The lines are also the
leaves of the Merkle tree (tier3.ledger.merkle) whose signed heads prove that no entry was changed,
dropped or reordered since a head was signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

GENESIS: Final = "0" * 64  # the ``prev`` of entry 0
INGEST, POLICY, HOLD, RELEASE, PURGE = "ingest", "policy", "hold", "release", "purge"
# kind -> the fields an entry of that kind carries besides seq, prev, time and kind
FIELDS: Final[Mapping[str, frozenset[str]]] = {
    INGEST: frozenset({"object", "size", "sender", "recipients", "message_id", "retain_until"}),
    POLICY: frozenset({"policy", "by"}),
    HOLD: frozenset({"hold", "scope", "by", "reason"}),
    RELEASE: frozenset({"hold", "by", "reason"}),
    PURGE: frozenset({"object", "retain_until", "by", "reason"}),
}
COMMON: Final = frozenset({"seq", "prev", "time", "kind"})


def canonical(value: Mapping[str, Any]) -> bytes:
    """The one byte form of an entry (or a head): what is hashed, signed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def line_hash(line: bytes) -> str:
    """The SHA-256 of one entry's line, as the next entry's ``prev`` names it."""
    return hashlib.sha256(line).hexdigest()


def entry(seq: int, prev: str, time: str, kind: str, **fields: Any) -> bytes:
    """The line (without its newline) of a new entry; raises ValueError on a kind's wrong fields."""
    if kind not in FIELDS:
        raise ValueError(f"unknown log entry kind {kind!r} (one of {', '.join(FIELDS)})")
    if set(fields) != FIELDS[kind]:
        raise ValueError(f"a {kind} entry takes exactly {sorted(FIELDS[kind])}, not {sorted(fields)}")
    return canonical({"seq": seq, "prev": prev, "time": time, "kind": kind, **fields})


@dataclass(frozen=True)
class Record:
    """One line of a log as read: its bytes, what it says, and what is wrong with it (``problems``)."""

    number: int  # position in the file, from 0: what its seq must be
    line: bytes
    data: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def hash(self) -> str:
        return line_hash(self.line)


def _problems(number: int, line: bytes, data: Any, prev: str) -> Iterator[str]:
    """What is wrong with line ``number`` given the hash of the line before it."""
    if not isinstance(data, dict):
        yield "not a JSON object"
        return
    if canonical(data) != line:
        yield "not in canonical form (rewritten by something other than tier3)"
    if data.get("seq") != number:
        yield f"seq is {data.get('seq')!r} at position {number} (an entry dropped, added or moved)"
    if data.get("prev") != prev:
        yield "prev does not name the hash of the entry before it (the chain is broken here)"
    kind = str(data.get("kind"))
    if kind not in FIELDS:
        yield f"unknown kind {kind!r}"
    elif set(data) != COMMON | FIELDS[kind]:
        yield f"a {kind} entry with fields {sorted(set(data) - COMMON)}, expected {sorted(FIELDS[kind])}"


def read(lines: Sequence[bytes], start: int = 0, prev: str = GENESIS) -> list[Record]:
    """The records of ``lines`` (without newlines), numbered from ``start`` and chained from ``prev``.

    Each record's problems are judged against the line before it as written, so one changed entry
    shows as that entry's problem (its hash moved) and the next one's (its prev no longer matches).
    """
    records = []
    for offset, line in enumerate(lines):
        number = start + offset
        try:
            data = json.loads(line)
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError
            records.append(Record(number, line, {}, (f"not JSON: {exc}",)))
        else:
            problems = tuple(_problems(number, line, data, prev))
            records.append(Record(number, line, data if isinstance(data, dict) else {}, problems))
        prev = line_hash(line)
    return records


def split(text: bytes) -> list[bytes]:
    """The lines of a log file; a last line without its newline (a torn append) is kept, and judged."""
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines
