"""What a drill's probe log says: pure functions over the transactions and the fault time.

A transaction is one attempt of the client probe: one SMTP message (``ok`` = 250 after DATA) or one
IMAP poll (``ok`` = logged in and selected the mailbox). The probe runs them one after the other,
so they never overlap. Times are seconds since the epoch (``time.time()``), the clock keepalived's
notify log uses too.

- **takeover**: from the fault to the end of the first undisrupted transaction after the last
  disrupted one (the service is back for good; a disruption in between restarts the wait). A
  transaction is disrupted when it failed, or when it succeeded only after ``slow`` seconds (a SYN
  lost to the dead node and retransmitted a second later: the client waited). Transactions that
  ended before the fault are lead-in noise and do not count. No disruption after the fault: a zero
  gap, takeover 0.0. No undisrupted transaction after the last disruption: ``None`` (never back).
- **first success**: the end of the first successful transaction after the fault, for comparison
  (with round robin, a success may come from the survivor while the dead node still gets some).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Transaction:
    """One attempt of the probe: when it started and ended, whether it worked, where it stopped."""

    t_start: float
    t_end: float
    ok: bool
    stage: str  # the last step reached: connect, banner, starttls, mail, rcpt, data, accepted; login, select, ok
    message_id: str = ""  # the token of the message sent ("" for an IMAP poll)
    detail: str = ""  # the error, when it failed

    def to_dict(self) -> dict[str, Any]:
        return {"t_start": self.t_start, "t_end": self.t_end, "ok": self.ok, "stage": self.stage,
                "message_id": self.message_id, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transaction:
        return cls(float(data["t_start"]), float(data["t_end"]), bool(data["ok"]), str(data["stage"]),
                   str(data.get("message_id", "")), str(data.get("detail", "")))


def _after(transactions: Iterable[Transaction], fault_at: float) -> list[Transaction]:
    """The transactions that ended at or after the fault, by start time."""
    return sorted((t for t in transactions if t.t_end >= fault_at), key=lambda t: t.t_start)


def disrupted(t: Transaction, slow: float | None = None) -> bool:
    """Failed, or succeeded only after ``slow`` seconds (a SYN the dead node swallowed, retransmitted 1 s
    later to the survivor: the client waited although nothing failed)."""
    return not t.ok or (slow is not None and t.t_end - t.t_start > slow)


def takeover(transactions: Iterable[Transaction], fault_at: float, slow: float | None = None) -> float | None:
    """Seconds from the fault until the service was back for good: the end of the first undisrupted
    transaction after the last disrupted one; 0.0 for a zero gap; None if never."""
    after = _after(transactions, fault_at)
    hit = [i for i, t in enumerate(after) if disrupted(t, slow)]
    if not hit:
        return 0.0
    back = next((t for t in after[hit[-1] + 1:] if not disrupted(t, slow)), None)
    return None if back is None else round(max(0.0, back.t_end - fault_at), 3)


def slow_after(transactions: Iterable[Transaction], fault_at: float, slow: float) -> int:
    """Successful transactions after the fault that took longer than ``slow`` seconds."""
    return sum(1 for t in _after(transactions, fault_at) if t.ok and t.t_end - t.t_start > slow)


def first_success(transactions: Iterable[Transaction], fault_at: float) -> float | None:
    """Seconds from the fault to the end of the first successful transaction after it (None: none)."""
    ok = [t.t_end for t in transactions if t.ok and t.t_end >= fault_at]
    return round(min(ok) - fault_at, 3) if ok else None


def outage(transactions: Iterable[Transaction], fault_at: float) -> tuple[float, float] | None:
    """(start, end) in seconds after the fault of the failed transactions after it, None without one."""
    failed = [t for t in _after(transactions, fault_at) if not t.ok]
    if not failed:
        return None
    return round(max(0.0, failed[0].t_start - fault_at), 3), round(failed[-1].t_end - fault_at, 3)


@dataclass(frozen=True)
class Counts:
    """The messages of one drill: sent, accepted, where they could be read, what is missing."""

    sent: int
    accepted: int
    failed_before_fault: int
    failed_after_fault: int
    readable_on_survivor: int
    readable_after_rejoin: int
    delayed: int  # accepted, not readable on the survivor, readable after the rejoin
    lost: int  # accepted, and not readable after the rejoin (whatever the survivor showed)
    readable_not_accepted: int  # the client saw a failure but the message arrived (a retry would duplicate it)
    lost_tokens: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent, "accepted": self.accepted, "failed_before_fault": self.failed_before_fault,
            "failed_after_fault": self.failed_after_fault, "readable_on_survivor": self.readable_on_survivor,
            "readable_after_rejoin": self.readable_after_rejoin, "delayed": self.delayed, "lost": self.lost,
            "readable_not_accepted": self.readable_not_accepted, "lost_tokens": list(self.lost_tokens),
        }


def counts(
    sent: Sequence[Transaction], fault_at: float, on_survivor: Iterable[str], after_rejoin: Iterable[str],
) -> Counts:
    """Count the messages of ``sent`` (the SMTP transactions) against the tokens each read found."""
    accepted = {t.message_id for t in sent if t.ok}
    refused = {t.message_id for t in sent if not t.ok}
    survivor, rejoined = set(on_survivor), set(after_rejoin)
    lost = sorted(accepted - rejoined)
    return Counts(
        sent=len(sent),
        accepted=len(accepted),
        failed_before_fault=sum(1 for t in sent if not t.ok and t.t_end < fault_at),
        failed_after_fault=sum(1 for t in sent if not t.ok and t.t_end >= fault_at),
        readable_on_survivor=len(accepted & survivor),
        readable_after_rejoin=len(accepted & rejoined),
        delayed=len((accepted & rejoined) - survivor),
        lost=len(lost),
        readable_not_accepted=len(refused & (survivor | rejoined)),
        lost_tokens=tuple(lost),
    )


@dataclass(frozen=True)
class Transition:
    """One line of keepalived's notify log (/var/log/tier3/keepalived-transitions.log)."""

    ts: float
    host: str
    instance: str
    state: str


def parse_transitions(text: str) -> list[Transition]:
    """The JSON lines of a notify log; a line that is not one (cut by a kill mid-write) is skipped."""
    out = []
    for line in text.splitlines():
        try:
            data = json.loads(line)
            out.append(Transition(float(data["ts"]), str(data["host"]), str(data["instance"]), str(data["state"])))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def master_after(transitions: Iterable[Transition], instance: str, fault_at: float,
                 killed: str) -> Transition | None:
    """The first MASTER transition of ``instance`` on another host than ``killed`` at or after the fault."""
    found = sorted((t for t in transitions if t.instance == instance and t.state == "MASTER"
                    and t.host != killed and t.ts >= fault_at), key=lambda t: t.ts)
    return found[0] if found else None


def cross_check(takeover_s: float | None, master_s: float | None, slack: float = 0.05) -> str:
    """What keepalived's notify log says about the probe's takeover (when a VIP moved)."""
    if master_s is None:
        return "no VIP moved (no MASTER transition after the fault)"
    if takeover_s is None:
        return f"keepalived MASTER at +{master_s:.2f} s, but the probe never got through"
    if takeover_s + slack < master_s:
        return (f"the probe was back at +{takeover_s:.2f} s, before keepalived's MASTER at +{master_s:.2f} s: "
                "the stream did not go through the moved VIP, or the clocks disagree")
    return f"consistent: keepalived MASTER at +{master_s:.2f} s, the probe back at +{takeover_s:.2f} s"
