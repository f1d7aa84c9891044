"""Archive rules: T3-OBS-ARC-001..009 over what one store's snapshot shows (tier3.ledger.examine), and
T3-OBS-ARC-010 over the MX pair's accepted messages against every replica (tier3.ledger.reconcile).

Each finding names the object, log entry or head it is about, so an auditor can go from the report
straight to the file. The facts come from ``examine`` on the controller: the host only answered with
its log, heads and object listing (``tier3-archive snapshot``), so a host that lies must lie
consistently with the heads the witness kept, which is what these rules test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from tier3.ledger.examine import ArchiveFacts
from tier3.ledger.reconcile import Reconciliation
from tier3.ledger.retention import Policy
from tier3.model import Severity
from tier3.rules._registry import Category, Context, Violation, observed

KIND = "archive"  # one store's snapshot, examined
INTEGRITY = ("SEC-17A-4:f(2)(i)(A)", "SEC-17A-4:f(2)(ii)", "FINRA:4511(c)", "HIPAA:164.312(c)(1)",
             "NIST-800-53:AU-9", "NIST-800-53:SI-7", "ISO27001:A.5.33", "GDPR:32(1)(b)")
WORM = ("SEC-17A-4:f(2)(i)(B)", "FINRA:4511(c)", "HIPAA:164.312(c)(1)", "NIST-800-53:SI-7", "ISO27001:A.5.33")
AT_REST = ("HIPAA:164.312(a)(2)(iv)", "PCI-DSS:3.5.1", "NIST-800-53:SC-28", "ISO27001:A.8.24", "GDPR:32(1)(a)")
RETENTION = ("SEC-17A-4:f(2)(i)(A)", "FINRA:4511(c)", "NIST-800-53:SI-12", "ISO27001:A.5.33")
C, H = Severity.CRITICAL, Severity.HIGH
COMMON: dict[str, Any] = {"category": Category.ARCHIVE, "kinds": (KIND,), "breaks_redundancy": False}


def _object_violations(facts: ArchiveFacts, *problems: str) -> Iterator[Violation]:
    for item in facts.objects:
        if item.problem in problems:
            yield Violation(f"{facts.host}:object:{item.address}", f"object {item.address}: {item.detail}",
                            {"object": item.address, "problem": item.problem}, where=f"objects/{item.address}")


@observed("T3-OBS-ARC-001", severity=C, title="log entries canonical and chained",
          rationale="""Every entry of the archive's log names its position and the SHA-256 of the entry before
          it, in canonical JSON. An entry changed, dropped, inserted or moved breaks the chain at that point,
          so the audit trail of every ingest, hold, release and purge is complete and in order only while no
          entry has a problem.""",
          hint="restore log.jsonl from a backup of this store (the witness's head proves which copy is right); the "
               "other archive host holds the same messages in a chain of its own; investigate who had root here",
          controls=INTEGRITY, **COMMON)
def log_chained(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    for seq, problem in facts.chain_problems:
        yield Violation(f"{facts.host}:log[{seq}]", f"log entry {seq}: {problem}", {"entry": seq},
                        where=f"log.jsonl line {seq + 1}")


@observed("T3-OBS-ARC-002", severity=C, title="every signed head verifies and matches the log",
          rationale="""A head is the host's signature over the Merkle root of the first N entries. A head whose
          signature fails, whose key is not the host's, or whose root or chain the log no longer produces
          means the log was changed after it was sealed. A log with entries and no head at all proves
          nothing.""",
          hint="restore log.jsonl from a backup of this store; if the key changed, find out why before trusting "
               "any head signed with it", controls=INTEGRITY, **COMMON)
def heads_match(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    if facts.entries and not facts.heads:
        yield Violation(f"{facts.host}:heads", f"{facts.entries} log entries and no signed head",
                        {"entries": facts.entries}, where="heads.jsonl")
    for head in facts.heads:
        wrong = [what for what, ok in (("the signature does not verify under the host's key", head.signature_valid),
                                       ("its root is not the log's", head.root_matches),
                                       ("its chain is not the log's", head.chain_matches)) if ok is False]
        if head.problem or wrong:
            yield Violation(f"{facts.host}:head[{head.number}]",
                            f"head {head.number} (size {head.size}, {head.time}): "
                            + "; ".join([head.problem, *wrong] if head.problem else wrong),
                            {"head": head.number, "size": head.size}, where=f"heads.jsonl line {head.number + 1}")


@observed("T3-OBS-ARC-003", severity=C, title="the last two signed heads are Merkle-consistent",
          rationale="""The consistency proof (RFC 9162) between the previous and the newest head shows that the
          newer tree contains the older one unchanged: nothing sealed before was rewritten when the newest
          batch was added.""",
          hint="restore log.jsonl and heads.jsonl from a backup of this store", controls=INTEGRITY, **COMMON)
def heads_consistent(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    if facts.consistency and not facts.consistency[2]:
        old, new, _ = facts.consistency
        yield Violation(f"{facts.host}:heads", f"the head of size {new} is not consistent with the head of size {old}",
                        {"old_size": old, "new_size": new}, where="heads.jsonl")


@observed("T3-OBS-ARC-004", severity=C, title="the log extends the head the witness kept",
          rationale="""The signing key is on the archive host, so root there can rewrite the log and sign new,
          valid-looking heads. What root cannot change is the head an auditor kept from an earlier
          verification (the witness): the log must still produce that head's root and chain at its size.""",
          hint="the history before the witnessed head was rewritten: treat the host as compromised, restore the store "
               "from a backup the witness's head verifies, and read the other replica meanwhile", controls=INTEGRITY,
          **COMMON)
def witness_extended(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    if facts.witness and not facts.witness[1]:
        size, _, why = facts.witness
        yield Violation(f"{facts.host}:witness", f"the witnessed head of size {size} is not in this log: {why}",
                        {"witness_size": size}, where="log.jsonl")


@observed("T3-OBS-ARC-005", severity=C, title="every archived object present and unaltered",
          rationale="""Each object is named by the SHA-256 of its ciphertext and logged with its size, so an
          object modified, truncated, deleted, or replaced by another message encrypted to the same keys (a
          forgery) no longer hashes to its name, or is gone.""",
          hint="restore the file from a backup of this store (its name is its hash: the right copy proves itself); "
               "the other archive host holds the same message under its own name (same Message-ID)",
          controls=INTEGRITY, **COMMON)
def objects_intact(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    yield from _object_violations(facts, "missing", "hash")


@observed("T3-OBS-ARC-006", severity=C, title="no object stored unencrypted",
          rationale="""Every message is encrypted on arrival to the archive's age recipients, whose private
          keys are never on an archive host: an object that is not an age file is readable by anyone who can
          read the disk or a backup of it.""",
          hint="check how the object got there (the ingest encrypts before it writes); purge it once a "
               "re-ingested copy exists", controls=AT_REST, **COMMON)
def objects_encrypted(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    yield from _object_violations(facts, "plaintext")


@observed("T3-OBS-ARC-007", severity=H, title="sealed objects immutable, log and heads append-only",
          rationale="""A sealed object carries the immutable flag and the log and heads files the append-only
          flag, so nothing short of root removing the flag can change them (write once, read many on the
          host; the chain and the heads catch what root does).""",
          hint="run tier3-archive seal as root (roles/archive's timer does), on ext4 or xfs", controls=WORM,
          **COMMON)
def write_once(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    yield from _object_violations(facts, "mutable")
    for name, flags in sorted(facts.files.items()):
        if facts.heads and not flags.get("append_only"):
            yield Violation(f"{facts.host}:{name}", f"{name} is not append-only (chattr +a missing)", {"file": name},
                            where=name)


@observed("T3-OBS-ARC-008", severity=H, title="nothing in the store the log does not account for",
          rationale="""Every file under objects/ is named by an ingest entry, and every purged object is gone:
          a file the log does not name was not archived by tier3 (planted, or left by an ingest whose entry was
          removed), and a purged object still present was not deleted as the trail says.""",
          hint="an unlisted file: find where it came from; a purged object still present: rerun "
               "tier3 archive purge, which finishes interrupted purges", controls=INTEGRITY, **COMMON)
def accounted_for(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    yield from _object_violations(facts, "unlisted", "purged_present")


def _normal(policy: Mapping[str, Any]) -> dict[str, Any] | None:
    """A policy file as the inventory's would read (keys lowercased, empty maps filled); None if it is none."""
    try:
        return Policy.from_data(policy).to_data()
    except (ValueError, TypeError, AttributeError):
        return None


@observed("T3-OBS-ARC-009", severity=H, title="every object kept at least as long as the retention policy says",
          rationale="""Each ingest entry records the last day its message must be kept, from the policy in force
          when it arrived (the longest period of its sender and recipients). An entry whose date is earlier
          than the inventory's policy gives would let a purge delete a message the law still requires; a
          policy.json on the host that is not the inventory's would give the mail still to come the wrong
          period.""",
          hint="lengthen the period back in tier3_archive.retention and run playbooks/archive.yml (a purge "
               "keeps the later of the logged date and the policy's)", controls=RETENTION, **COMMON)
def retention_kept(facts: ArchiveFacts, _ctx: Context) -> Iterator[Violation]:
    if facts.policy_expected is not None and _normal(facts.policy_file) != facts.policy_expected:
        yield Violation(f"{facts.host}:policy.json", f"policy.json is {json.dumps(dict(facts.policy_file))}, the "
                        f"inventory's retention is {json.dumps(facts.policy_expected)}",
                        {"policy_file": dict(facts.policy_file), "inventory": facts.policy_expected},
                        where="policy.json")
    for address, logged, wanted in facts.retention_short:
        yield Violation(f"{facts.host}:object:{address}",
                        f"object {address} is logged to be kept until {logged}, the policy wants {wanted}",
                        {"object": address, "retain_until": logged, "policy_until": wanted},
                        where=f"objects/{address}")


RECONCILIATION = "archive-reconciliation"  # the MX pair's accepted messages against every replica


@observed("T3-OBS-ARC-010", severity=C, title="every message Postfix accepted is in every archive replica",
          rationale="""The MX pair logs each message it accepts (cleanup's message-id line); each archive host must
          hold an ingest entry for it, or its copy must still wait in an MX queue (the host was down). A message
          in neither was lost on the way to that replica, or its entry was removed with the object: the chain of
          that host alone cannot show a message that never arrived, so the count is taken against Postfix's own
          log and against every replica.""",
          hint="find the message's queue id in the MX log (journalctl -t postfix/cleanup) and why its journal copy "
               "did not arrive (postqueue -p on the MX, the archive host's Postfix log)",
          controls=INTEGRITY, category=Category.ARCHIVE, kinds=(RECONCILIATION,), breaks_redundancy=False)
def every_message_archived(facts: Reconciliation, _ctx: Context) -> Iterator[Violation]:
    for host, missing in sorted(facts.missing.items()):
        for message_id in missing:
            yield Violation(f"{host}:message:{message_id or '(no Message-ID)'}",
                            f"{message_id or 'a message without Message-ID'} was accepted by the MX pair and is "
                            f"not archived on {host} (nor waiting in an MX queue)",
                            {"host": host, "message_id": message_id, "accepted": facts.accepted,
                             "archived": facts.archived.get(host, 0), "waiting": facts.waiting.get(host, 0)},
                            where=f"{host} log.jsonl")
