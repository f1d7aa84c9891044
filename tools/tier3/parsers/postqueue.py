"""``postqueue -j`` -> the messages in Postfix's queue, per queue, with their age. Pure.

Expected input (Postfix 3.1 or later; one JSON object per line, one line per queued message)::

    {"queue_name": "deferred", "queue_id": "E36E019238C", "arrival_time": 1796125135, "message_size": 290,
     "forced_expire": false, "sender": "alice@lab.tier3.test",
     "recipients": [{"address": "dave@outside.test", "delay_reason": "connect to ...: No route to host"}]}

An empty queue prints nothing: empty text (or blank lines) is an empty queue, not an error. With
the mail system down postqueue reads the queue directly and warns on standard error only: its
standard output is the same. ``delay_reason`` is there for a recipient that was deferred; fields
Postfix may add later are ignored. postqueue(1) warns that a message moved from one queue to
another while it was listed may show twice: each queue id is kept once (its last listing) and the
repeats are named in ``listed_twice``.

Facts only: how deep is too deep, and how old is too old, are the observed rules' to say
(``tier3.rules.observed.mail``). ``read_at`` is when the output was read (seconds since the epoch),
given by the caller; the rules measure ages from it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.parsers._text import check_text

WHAT = "postqueue -j output (one JSON object per line with queue_name, queue_id, arrival_time, recipients)"
# field -> (type, required): what Postfix 3.x prints for each message
_FIELDS: dict[str, tuple[type | tuple[type, ...], bool]] = {
    "queue_name": (str, True),
    "queue_id": (str, True),
    "arrival_time": (int, True),
    "message_size": (int, True),
    "sender": (str, True),
    "recipients": (list, True),
    "forced_expire": (bool, False),
}


@dataclass(frozen=True)
class Recipient:
    address: str
    delay_reason: str = ""  # "" when Postfix gave none (not yet tried, or active)


@dataclass(frozen=True)
class QueuedMessage:
    queue_name: str  # maildrop, incoming, active, deferred, hold, ...
    queue_id: str
    arrival_time: int  # seconds since the epoch
    message_size: int
    sender: str  # "" for a bounce (the null sender)
    recipients: tuple[Recipient, ...]
    forced_expire: bool
    line: int


@dataclass(frozen=True)
class PostQueue:
    messages: tuple[QueuedMessage, ...]  # in the order listed, each queue id once
    listed_twice: tuple[str, ...] = ()  # queue ids listed more than once (moved while listed)
    read_at: float | None = None  # when the output was read; None: not known

    def counts(self) -> dict[str, int]:
        """Messages per queue name, in the order the queues first appear."""
        return dict(Counter(m.queue_name for m in self.messages))

    def oldest(self, queue_name: str | None = None) -> QueuedMessage | None:
        """The message that arrived first (in ``queue_name``, or in any queue)."""
        pool = [m for m in self.messages if queue_name is None or m.queue_name == queue_name]
        return min(pool, key=lambda m: m.arrival_time) if pool else None


def _checked(value: Any, n: int, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(source, f"line {n}", f"expected a JSON object per line, got {type(value).__name__}: "
                         f"not {WHAT}")
    for name, (kind, required) in _FIELDS.items():
        if name not in value:
            if required:
                raise ParseError(source, f"line {n}", f"no {name!r}: expected {WHAT}")
            continue
        field = value[name]
        if not isinstance(field, kind) or (kind is int and isinstance(field, bool)):
            raise ParseError(source, f"line {n}", f"{name} must be {getattr(kind, '__name__', kind)}, got "
                             f"{type(field).__name__} {field!r:.40}")
    if not value["queue_id"] or not value["queue_name"]:
        raise ParseError(source, f"line {n}", "empty queue_name or queue_id")
    return value


def _recipients(items: list[Any], n: int, source: str) -> tuple[Recipient, ...]:
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("address"), str):
            raise ParseError(source, f"line {n}", f"recipients[{i}] must be an object with an 'address' string")
        reason = item.get("delay_reason", "")
        if not isinstance(reason, str):
            raise ParseError(source, f"line {n}", f"recipients[{i}].delay_reason must be a string")
        out.append(Recipient(item["address"], reason))
    if not out:
        raise ParseError(source, f"line {n}", "a queued message without recipients")
    return tuple(out)


def parse_postqueue_json(text: str, source: str, read_at: float | None = None) -> PostQueue:
    """Parse ``postqueue -j``; empty output is an empty queue."""
    if isinstance(text, str) and not text.strip():
        return PostQueue((), (), read_at)
    lines = check_text(text, source, WHAT)
    by_id: dict[str, QueuedMessage] = {}
    twice: list[str] = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ParseError(source, f"line {n} column {exc.colno}", f"invalid JSON ({exc.msg}; cut?): expected "
                             f"{WHAT}") from None
        except RecursionError:
            raise ParseError(source, f"line {n}", "JSON nested too deeply") from None
        doc = _checked(value, n, source)
        message = QueuedMessage(
            queue_name=doc["queue_name"], queue_id=doc["queue_id"], arrival_time=doc["arrival_time"],
            message_size=doc["message_size"], sender=doc["sender"],
            recipients=_recipients(doc["recipients"], n, source), forced_expire=bool(doc.get("forced_expire")),
            line=n)
        if message.queue_id in by_id:
            twice.append(message.queue_id)
            del by_id[message.queue_id]  # keep the last listing, in its own place in the order
        by_id[message.queue_id] = message
    return PostQueue(tuple(by_id.values()), tuple(dict.fromkeys(twice)), read_at)
