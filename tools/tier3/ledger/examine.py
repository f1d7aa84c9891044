"""What a snapshot of an archive store shows: the facts the T3-OBS-ARC rules judge, no verdicts.

A snapshot (``tier3.archive.store.Store.snapshot``, one answer per host) carries the log, the heads,
the objects with their hashes and flags, and the policy file. ``examine`` replays it:

- the chain: every entry's problems (tier3.ledger.log.read);
- the heads: each signature, and each head's root and chain against the log's own tree at its size;
  the Merkle consistency proof between the last two heads, verified against their signed roots;
- the witness (a head kept outside the host, with its Merkle frontier): the log must extend it,
  whatever the host signed since; with a witness, a snapshot from the witness's size on is enough
  (incremental: only the newest batch is read and hashed);
- the objects: every live object present, of its logged size, hashing to its address, an age file,
  immutable once sealed; every purged object gone; no file the log does not name;
- retention: each live object's ``retain_until`` against the inventory's policy, and the holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tier3.errors import ParseError
from tier3.ledger import log, merkle
from tier3.ledger.contents import contents
from tier3.ledger.heads import Head, signature_valid
from tier3.ledger.retention import Policy


@dataclass(frozen=True)
class Witness:
    """A head verified before, kept away from the host: its size, root, chain and Merkle frontier."""

    size: int
    root: str
    chain: str
    frontier: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"size": self.size, "root": self.root, "chain": self.chain, "frontier": list(self.frontier)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Witness:
        return cls(int(data["size"]), str(data["root"]), str(data["chain"]), tuple(data.get("frontier", ())))


@dataclass(frozen=True)
class HeadCheck:
    number: int  # position in heads.jsonl
    size: int
    time: str
    signature_valid: bool
    root_matches: bool | None  # None: not evaluated (an incremental snapshot does not reach that far back)
    chain_matches: bool | None
    problem: str = ""  # a malformed head line


@dataclass(frozen=True)
class ObjectProblem:
    address: str
    problem: str  # missing, size, hash, plaintext, mutable, unlisted, purged_present
    detail: str


@dataclass(frozen=True)
class ArchiveFacts:
    host: str
    taken: str
    since: int
    entries: int  # the log's size
    chain_problems: tuple[tuple[int, str], ...] = ()
    heads: tuple[HeadCheck, ...] = ()
    consistency: tuple[int, int, bool] | None = None  # between the last two heads: sizes and verdict
    witness: tuple[int, bool, str] | None = None  # the witness's size, extended or not, why not
    unsealed: int = 0  # entries after the last head
    objects: tuple[ObjectProblem, ...] = ()
    live: int = 0
    files: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    retention_short: tuple[tuple[str, str, str], ...] = ()  # address, retain_until logged, wanted by the policy
    policy_file: Mapping[str, Any] = field(default_factory=dict)
    policy_expected: dict[str, Any] | None = None  # the inventory's policy, as the role writes policy.json
    holds: tuple[Mapping[str, Any], ...] = ()
    message_ids: tuple[str, ...] = ()  # of the live objects (replication and reconciliation)
    newest: Witness | None = None  # what to keep as the next witness (the last head, with its frontier)


def _lines(snapshot: Mapping[str, Any], key: str, source: str) -> list[bytes]:
    value = snapshot.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError(source, f"/{key}", "expected a list of lines", hint="take the snapshot with tier3-archive")
    return [v.encode("latin-1") for v in value]


def _heads(lines: Sequence[bytes]) -> list[tuple[int, Head | None, str]]:
    out: list[tuple[int, Head | None, str]] = []
    for number, line in enumerate(lines):
        try:
            out.append((number, Head.from_line(line), ""))
        except ValueError as exc:
            out.append((number, None, str(exc)))
    return out


def examine(snapshot: Mapping[str, Any], *, source: str, policy: Policy | None = None,
            witness: Witness | None = None, trusted_keys: Mapping[str, str] | None = None) -> ArchiveFacts:
    """The facts of one store's snapshot; raises ParseError on a snapshot that is not one."""
    if snapshot.get("format") != 1:
        raise ParseError(source, "/format", f"unknown snapshot format {snapshot.get('format')!r}",
                         hint="the host runs another tier3-archive version: run playbooks/archive.yml")
    since = int(snapshot.get("since", 0))
    if since and (witness is None or witness.size != since):
        raise ParseError(source, "/since", f"an incremental snapshot from entry {since} needs the witness of that size",
                         hint="take a full snapshot (since 0)")
    lines = _lines(snapshot, "log", source)
    records = log.read(lines, start=since, prev=witness.chain if since and witness else log.GENESIS)
    leaves = [merkle.leaf_hash(line) for line in lines]
    size = since + len(lines)
    tree = merkle.MerkleTree(leaves) if not since else None
    base = list(witness.frontier) if since and witness else []

    def root_at(n: int) -> str | None:
        if tree is not None:
            return tree.root(n).hex()
        if n < since:
            return None
        frontier = merkle.extend_frontier([bytes.fromhex(h) for h in base], since, leaves[: n - since])
        return merkle.root_of_frontier(frontier).hex()

    def chain_at(n: int) -> str | None:
        if n == 0:
            return log.GENESIS
        if n - 1 < since:
            return witness.chain if witness and n == since else None
        return records[n - 1 - since].hash

    head_checks, signed = [], []
    for number, head, problem in _heads(_lines(snapshot, "heads", source)):
        if head is None:
            head_checks.append(HeadCheck(number, -1, "", False, False, False, problem))
            continue
        if head.size > size:
            head_checks.append(HeadCheck(number, head.size, head.time, signature_valid(head, trusted_keys), False,
                                         False, f"covers {head.size} entries, the log has {size}"))
            continue
        root, chain = root_at(head.size), chain_at(head.size)
        head_checks.append(HeadCheck(number, head.size, head.time, signature_valid(head, trusted_keys),
                                     None if root is None else root == head.root,
                                     None if chain is None else chain == head.chain))
        signed.append(head)
    consistency = _consistency(signed, tree)
    witness_fact = _witness(witness, since, root_at, chain_at, size)
    newest = None
    if signed and tree is not None:
        last = signed[-1]
        newest = Witness(last.size, last.root, last.chain, tuple(h.hex() for h in tree.frontier(last.size)))
    elif signed:
        last = signed[-1]
        frontier = merkle.extend_frontier([bytes.fromhex(h) for h in base], since, leaves[: last.size - since])
        newest = Witness(last.size, last.root, last.chain, tuple(h.hex() for h in frontier))
    sealed = max((h.size for h in signed), default=0)
    found = contents(records)
    live, purged = found.live, found.purged
    holds = [{k: entry.get(k) for k in ("hold", "scope", "by", "reason", "time")}
             for entry in found.hold_entries.values()]
    objects = _objects(snapshot, live, purged, records=records, sealed=sealed, since=since, source=source)
    short = _short(live, policy)
    return ArchiveFacts(
        host=str(snapshot.get("host", "")), taken=str(snapshot.get("taken", "")), since=since, entries=size,
        chain_problems=tuple((r.number, p) for r in records for p in r.problems), heads=tuple(head_checks),
        consistency=consistency, witness=witness_fact, unsealed=size - sealed, objects=tuple(objects),
        live=len(live), files=dict(snapshot.get("files") or {}), retention_short=tuple(short),
        policy_file=dict(snapshot.get("policy") or {}), holds=tuple(holds),
        policy_expected=policy.to_data() if policy is not None else None,
        message_ids=tuple(sorted(str(e.get("message_id", "")) for e in live.values())), newest=newest,
    )


def _consistency(signed: Sequence[Head], tree: merkle.MerkleTree | None) -> tuple[int, int, bool] | None:
    if len(signed) < 2 or tree is None or signed[-2].size == 0:
        return None
    old, new = signed[-2], signed[-1]
    if old.size > new.size:
        return (old.size, new.size, False)
    proof = tree.consistency_proof(old.size, new.size)
    return (old.size, new.size, merkle.verify_consistency(old.size, new.size, bytes.fromhex(old.root),
                                                          bytes.fromhex(new.root), proof))


def _witness(witness: Witness | None, since: int, root_at: Callable[[int], str | None],
             chain_at: Callable[[int], str | None], size: int) -> tuple[int, bool, str] | None:
    if witness is None:
        return None
    if witness.size > size:
        return (witness.size, False, f"the log has {size} entries, fewer than the witnessed {witness.size}")
    if since:  # incremental: the new entries chain from the witness (log.read judged prev) and its frontier
        return (witness.size, True, "")
    if root_at(witness.size) != witness.root or chain_at(witness.size) != witness.chain:
        return (witness.size, False, f"the first {witness.size} entries no longer have the witnessed root")
    return (witness.size, True, "")


def _objects(snapshot: Mapping[str, Any], live: Mapping[str, Mapping[str, Any]], purged: set[str], *,
             records: Sequence[log.Record], sealed: int, since: int, source: str) -> list[ObjectProblem]:
    listing = snapshot.get("objects")
    if not isinstance(listing, list):
        raise ParseError(source, "/objects", "expected a list of objects", hint="take the snapshot with tier3-archive")
    seen = {str(o.get("name")): o for o in listing if isinstance(o, dict)}
    sealed_objects = {str(r.data.get("object")) for r in records if r.number < sealed and r.kind == log.INGEST}
    problems = []
    for address, item in sorted(live.items()):
        found = seen.get(address)
        if found is None or not found.get("present"):
            problems.append(ObjectProblem(address, "missing", f"logged at entry {item.get('seq')}, not in the store"))
            continue
        if found.get("sha256") != address:
            what = "shorter" if int(found.get("size", 0)) < int(item.get("size", 0)) else "different"
            problems.append(ObjectProblem(address, "hash", f"its content hashes to {found.get('sha256')} ({what} "
                                          f"than the {item.get('size')} bytes logged at entry {item.get('seq')})"))
        if not found.get("encrypted"):
            problems.append(ObjectProblem(address, "plaintext", "not an age file: stored unencrypted"))
        if address in sealed_objects and not found.get("immutable"):
            problems.append(ObjectProblem(address, "mutable", "sealed but not immutable (chattr +i missing)"))
    for address in sorted(purged):
        if seen.get(address, {}).get("present"):
            problems.append(ObjectProblem(address, "purged_present", "logged as purged, still in the store"))
    if not since:  # only a full snapshot lists every file
        for name in sorted(set(seen) - set(live) - purged):
            problems.append(ObjectProblem(name, "unlisted", "in the store, named by no log entry"))
    return problems


def _short(live: Mapping[str, Mapping[str, Any]], policy: Policy | None) -> list[tuple[str, str, str]]:
    if policy is None:
        return []
    out = []
    for address, item in sorted(live.items()):
        try:
            received = dt.date.fromisoformat(str(item["time"])[:10])
            wanted = policy.retain_until(received, [item["sender"], *item["recipients"]]).isoformat()
        except (KeyError, ValueError, TypeError):
            continue  # a malformed entry: the chain's finding
        if str(item.get("retain_until", "")) < wanted:
            out.append((address, str(item.get("retain_until")), wanted))
    return out


def load_snapshot(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(source, "", f"not JSON: {exc}", hint="take the snapshot with tier3-archive") from None
    if not isinstance(data, dict):
        raise ParseError(source, "", "not a JSON object", hint="take the snapshot with tier3-archive")
    return data
