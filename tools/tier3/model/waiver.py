"""``tier3_waivers``: accepted risks, each one rule on one subject, with who accepted it, why, and until when.

A waiver turns a failed finding of exactly that rule on exactly that subject into ``waived``, shown with
its justification in every report, until its expiry date; from the day after, the finding fails again
and says that its waiver expired. A waiver names one finding: no wildcards, so an accepted risk never
hides a new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tier3.model.finding import Location


@dataclass(frozen=True)
class Waiver:
    rule_id: str
    subject: str
    justification: str
    owner: str
    expires: dt.date
    location: Location | None = None
    ticket: str = ""  # the change or risk ticket that approved it, when there is one

    def expired(self, today: dt.date) -> bool:
        """A waiver holds through its expiry date and fails the day after."""
        return today > self.expires

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "subject": self.subject, "justification": self.justification,
                "owner": self.owner, "expires": self.expires.isoformat(), "ticket": self.ticket,
                "location": None if self.location is None else {"file": self.location.file, "key": self.location.key}}
