"""Judge one archive store: its snapshot examined (tier3.ledger.examine), then the T3-OBS-ARC rules.

The one function the CLI, the Ansible action and the tests call, so they agree on every verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tier3.ledger.examine import ArchiveFacts, Witness, examine
from tier3.ledger.retention import Policy
from tier3.model import Finding
from tier3.rules import RULES, Context
from tier3.rules.observed.archive import KIND


@dataclass(frozen=True)
class Verdict:
    facts: ArchiveFacts
    findings: tuple[Finding, ...]  # failed ones only: a clean store has none

    @property
    def clean(self) -> bool:
        return not self.findings


def verify_snapshot(snapshot: Mapping[str, Any], *, source: str, policy: Policy | None = None,
                    witness: Witness | None = None, trusted_keys: Mapping[str, str] | None = None) -> Verdict:
    facts = examine(snapshot, source=source, policy=policy, witness=witness, trusted_keys=trusted_keys)
    context = Context(source=source, read="tier3-archive snapshot", host=facts.host or None)
    findings = [f for r in RULES.values() if KIND in r.kinds for f in r.findings(facts, context)]
    return Verdict(facts, tuple(findings))
