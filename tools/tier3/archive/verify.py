"""Judge one archive store: its snapshot examined (tier3.ledger.examine), then the T3-OBS-ARC rules.

The one function the CLI, the Ansible action and the tests call, so they agree on every verdict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tier3.errors import ArchiveError
from tier3.ledger import log, merkle
from tier3.ledger.examine import ArchiveFacts, Witness, examine
from tier3.ledger.heads import Head, signature_valid
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


def prove_inclusion(address: str, snapshot: dict[str, Any], host: str) -> tuple[int, int]:
    """(the entry's position, the head's size) once the object's entry is proved included under the newest
    head, whose signature verifies; raises ArchiveError naming what does not hold."""
    lines = [line.encode("latin-1") for line in snapshot["log"]]
    entries = [n for n, line in enumerate(lines) if json.loads(line).get("object") == address
               and json.loads(line).get("kind") == log.INGEST]
    if not entries:
        raise ArchiveError(host, address, "no ingest entry names this object", hint="check the address")
    if not snapshot["heads"]:
        raise ArchiveError(host, "heads.jsonl", "no signed head yet", hint="wait for the seal timer, then fetch")
    head = Head.from_line(snapshot["heads"][-1].encode("latin-1"))
    if not signature_valid(head):
        raise ArchiveError(host, "heads.jsonl", "the newest head's signature does not verify",
                           hint="run tier3 archive verify")
    index = entries[0]
    if index >= head.size:
        raise ArchiveError(host, address, f"entry {index} is not sealed yet (the newest head covers {head.size})",
                           hint="wait for the seal timer (archive_seal_interval), then fetch")
    tree = merkle.MerkleTree(merkle.leaf_hash(line) for line in lines[: head.size])
    proof = tree.inclusion_proof(index, head.size)
    if not merkle.verify_inclusion(merkle.leaf_hash(lines[index]), index, head.size, proof, bytes.fromhex(head.root)):
        raise ArchiveError(host, address, "the entry is not included under the newest signed head",
                           hint="run tier3 archive verify: the log was changed")
    return index, head.size
