"""What a run of the pair workflow reports: the pair's outcome and, per member, its HA role, what happened to it
(``outcome``) and each step (``events``), as text for the terminal and as JSON (``tier3 fw --json``, the
``tier3_fw`` action's ``report``). No secret is ever in it: the workflow never records a connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class MemberReport:
    name: str
    role: str = "unknown"
    detail: str = ""  # the HA status line the member printed
    sessions: int = 0  # SSH sessions opened to it in this run
    differs: bool = False  # its running policy was not the intended one
    diff: str = ""
    outcome: str = "unchanged"  # unchanged, applied, rolled back, left to its revert timer, unreachable, failed
    events: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "detail": self.detail, "sessions": self.sessions,
                "differs": self.differs, "diff": self.diff, "outcome": self.outcome, "events": list(self.events)}


@dataclass
class PairReport:
    pair: str
    platform: str
    verb: str  # plan, push, rollback
    members: dict[str, MemberReport]
    ok: bool = False
    changed: bool = False  # a member's running policy was changed and kept
    message: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"pair": self.pair, "platform": self.platform, "verb": self.verb, "ok": self.ok,
                "changed": self.changed, "message": self.message, "seconds": round(self.seconds, 3),
                "members": [m.to_dict() for m in self.members.values()]}

    def lines(self) -> list[str]:
        """The report as text: the outcome, then each member's role, outcome and events."""
        out = [f"{self.verb} {self.pair} ({self.platform}): {self.message} [{self.seconds:.1f} s]"]
        for m in self.members.values():
            out.append(f"  {m.name}: {m.role} ({m.detail or 'no HA status'}); {m.outcome}; "
                       f"{m.sessions} SSH session{'s' if m.sessions != 1 else ''}")
            out += [f"    - {event}" for event in m.events]
        return out
