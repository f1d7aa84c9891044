"""Postfix cleanup(8)'s log lines -> which message (Message-ID) entered the queue under which queue id. Pure.

Expected input: the journal of an MX host as ``journalctl -o cat -t postfix/cleanup`` prints it, one line
per message cleanup wrote to the queue (Postfix 3.x)::

    4Fq2Xk1YgPz9vB3: message-id=<arc-1@tier3.test>

With ``-o short-iso`` the timestamp and host come first; everything before the queue id is ignored.
Other cleanup lines (warnings, milter replies, ``reject:``) are not messages the queue accepted and are
skipped. A message without a Message-ID header is logged as ``message-id=`` with nothing after it (or
``<>``): it is kept, with an empty id, so a count still sees it.

Postfix's own notifications (bounces, delay and success notices) enter the queue through cleanup too,
but not "from outside of Postfix", so no journal copy is made of them (recipient_bcc_maps): bounce(8)
logs each as ``QID: sender non-delivery notification: NEWQID``; ``notifications`` returns those NEWQIDs
from the same journal (``-t postfix/cleanup -t postfix/bounce``).

Facts only: which of them the archive must hold is the archive rules' to say (T3-OBS-ARC-010).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tier3.parsers._text import check_text

NOTIFICATION = re.compile(r"notification: (?P<queue_id>[0-9A-Za-z]{10,20})\s*$")
LINE = re.compile(r"(?:^|\s)(?P<queue_id>[0-9A-Za-z]{10,20}): message-id=(?P<message_id>\S*)\s*$")


@dataclass(frozen=True)
class Accepted:
    queue_id: str
    message_id: str  # as logged, angle brackets included; "" when the message had none


def parse_cleanup_log(text: str, source: str) -> tuple[Accepted, ...]:
    """Every message-id line of ``text``, in order; raises ParseError on text that is not a log (binary)."""
    if not text.strip():  # no message in the window
        return ()
    check_text(text, source, "journalctl -t postfix/cleanup output")
    found = []
    for line in text.splitlines():
        match = LINE.search(line)
        if match:
            message_id = match["message_id"]
            found.append(Accepted(match["queue_id"], "" if message_id == "<>" else message_id))
    return tuple(found)


def notifications(text: str) -> frozenset[str]:
    """The queue ids of the notifications Postfix itself made (bounce(8)'s ``... notification: QID`` lines)."""
    return frozenset(m["queue_id"] for line in text.splitlines() if (m := NOTIFICATION.search(line)))
