"""The archive store end to end on a real file system: the real ``age`` encrypting, real immutable and
append-only flags (ext4 under the test's tmp_path; root, as CI runs), and ``verify_snapshot`` naming
what each tamper broke.

Every tamper an issue lists is here, each asserting the exact rule ids and the object or entry named;
and the clean store before it has no finding, so each finding is the tamper's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tier3.archive.attributes import FS_APPEND_FL, FS_IMMUTABLE_FL, get_flags, set_flag
from tier3.archive.store import Store, encrypt
from tier3.archive.verify import Verdict, prove_inclusion, verify_snapshot
from tier3.errors import ArchiveError
from tier3.ledger import heads, log, merkle
from tier3.ledger.examine import Witness
from tier3.ledger.retention import Policy

POLICY = {"default": "30d", "domains": {"fin.example": "1y"}, "mailboxes": {"keep@ex.org": "10y"}}
DAY0 = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A real age identity (the reader's private key: held by the tests, never put in a store)."""
    folder = tmp_path_factory.mktemp("identity")
    key = folder / "identity.txt"
    done = subprocess.run(["age-keygen", "-o", str(key)], capture_output=True, text=True, check=True)
    return key, done.stderr.split("Public key: ")[1].strip()


@pytest.fixture
def store(tmp_path: Path, identity: tuple[Path, str]) -> Iterator[Store]:
    root = tmp_path / "store"
    root.mkdir()
    (root / "recipients.txt").write_text(identity[1] + "\n")
    (root / "policy.json").write_text(json.dumps(POLICY))
    yield Store(root, host="archive1")
    for path in root.rglob("*"):  # pytest must be able to remove its old temporary directories
        if path.is_file():
            unlock(path)


@pytest.fixture
def signing_key() -> bytes:
    return heads.new_private_key()


def message(number: int) -> bytes:
    return f"Message-ID: <m{number}@ex.org>\nSubject: number {number}\n\nbody of message {number}\n".encode()


def fill(store: Store, key: bytes, count: int = 5, start: int = 0) -> list[str]:
    addresses = [store.ingest(message(n), "a@ex.org", ["b@ex.org"], now=DAY0) for n in range(start, start + count)]
    store.seal(key, now=DAY0)
    return addresses


def verify(store: Store, key: bytes, witness: Witness | None = None, since: int = 0,
           policy: Policy | None = None) -> Verdict:
    return verify_snapshot(store.snapshot(since), source="archive1", policy=policy or Policy.from_data(POLICY),
                           witness=witness, trusted_keys={"archive1": heads.public_key_text(key)})


def found(verdict: Verdict) -> set[tuple[str, str]]:
    return {(f.rule_id, f.subject) for f in verdict.findings}


def unlock(path: Path) -> None:
    """What root does first to change a sealed file."""
    set_flag(path, FS_IMMUTABLE_FL, on=False)
    set_flag(path, FS_APPEND_FL, on=False)


def rewrite_log(store: Store, lines: list[bytes]) -> None:
    unlock(store.log_path)
    store.log_path.write_bytes(b"".join(line + b"\n" for line in lines))


def test_a_sealed_store_is_encrypted_immutable_and_verifies_clean(store: Store, signing_key: bytes,
                                                                   identity: tuple[Path, str]) -> None:
    addresses = fill(store, signing_key)
    verdict = verify(store, signing_key)
    assert verdict.findings == ()
    assert verdict.facts.live == 5
    assert verdict.facts.entries == 6  # the policy entry, then five ingests
    for address in addresses:
        path = store.object_path(address)
        assert get_flags(path) & FS_IMMUTABLE_FL
        ciphertext = path.read_bytes()
        assert b"body of message" not in ciphertext
        with pytest.raises(PermissionError):
            path.write_bytes(b"x")
    assert get_flags(store.log_path) & FS_APPEND_FL
    clear = subprocess.run(["age", "--decrypt", "-i", str(identity[0])], input=store.object_path(addresses[2])
                           .read_bytes(), capture_output=True, check=True).stdout
    assert clear == message(2)


def test_each_message_has_its_own_file_key(store: Store, signing_key: bytes) -> None:
    one, two = (store.ingest(message(7), "a@ex.org", ["b@ex.org"], now=DAY0) for _ in range(2))
    assert one != two  # the same message twice: two ciphertexts, two addresses
    header = store.object_path(one).read_bytes().split(b"\n---", 1)[0]
    assert header != store.object_path(two).read_bytes().split(b"\n---", 1)[0]


def test_sealing_twice_signs_no_second_head_and_sets_no_flag_again(store: Store, signing_key: bytes) -> None:
    fill(store, signing_key)
    assert store.seal(signing_key, now=DAY0) is None
    assert len(store.head_lines()) == 1


def test_a_modified_object_is_named(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key)
    path = store.object_path(addresses[1])
    unlock(path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    set_flag(path, FS_IMMUTABLE_FL)
    assert found(verify(store, signing_key)) == {("T3-OBS-ARC-005", f"archive1:object:{addresses[1]}")}


def test_a_truncated_object_is_named(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key)
    path = store.object_path(addresses[0])
    unlock(path)
    path.write_bytes(path.read_bytes()[:40])
    verdict = verify(store, signing_key)
    assert {r for r, _ in found(verdict)} == {"T3-OBS-ARC-005", "T3-OBS-ARC-007"}  # and no longer immutable
    assert all(addresses[0] in s for _, s in found(verdict))
    assert "shorter" in next(f.message for f in verdict.findings if f.rule_id == "T3-OBS-ARC-005")


def test_a_deleted_object_is_named(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key)
    path = store.object_path(addresses[4])
    unlock(path)
    path.unlink()
    assert found(verify(store, signing_key)) == {("T3-OBS-ARC-005", f"archive1:object:{addresses[4]}")}


def test_a_forgery_encrypted_to_the_same_keys_in_place_is_named(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key)
    path = store.object_path(addresses[3])
    unlock(path)
    path.write_bytes(encrypt(b"Subject: forged\n\nnothing happened\n", store.recipients_path))
    set_flag(path, FS_IMMUTABLE_FL)
    assert found(verify(store, signing_key)) == {("T3-OBS-ARC-005", f"archive1:object:{addresses[3]}")}


def test_a_forgery_under_its_own_address_with_the_log_rewritten_breaks_the_chain(store: Store,
                                                                                  signing_key: bytes) -> None:
    fill(store, signing_key)
    forged = encrypt(b"Subject: forged\n\n", store.recipients_path)
    address = hashlib.sha256(forged).hexdigest()
    store.object_path(address).parent.mkdir(exist_ok=True)
    store.object_path(address).write_bytes(forged)
    lines = store.log_lines()
    entry = json.loads(lines[3])
    entry.update(object=address, size=len(forged))
    lines[3] = log.canonical(entry)
    rewrite_log(store, lines)
    rules = {r for r, _ in found(verify(store, signing_key))}
    assert {"T3-OBS-ARC-001", "T3-OBS-ARC-002", "T3-OBS-ARC-008"} <= rules  # the old object is now unlisted
    assert ("T3-OBS-ARC-001", "archive1:log[4]") in found(verify(store, signing_key))  # the next prev broke


@pytest.mark.parametrize("change", ["reorder", "drop"])
def test_reordered_or_dropped_log_entries_are_named(store: Store, signing_key: bytes, change: str) -> None:
    fill(store, signing_key)
    lines = store.log_lines()
    if change == "reorder":
        lines[2], lines[3] = lines[3], lines[2]
    else:
        del lines[2]
    rewrite_log(store, lines)
    verdict = verify(store, signing_key)
    subjects = {s for r, s in found(verdict) if r == "T3-OBS-ARC-001"}
    assert "archive1:log[2]" in subjects
    assert ("T3-OBS-ARC-002", "archive1:head[0]") in found(verdict)


def _rewritten_history(store: Store, key: bytes, keep: int) -> None:
    """Root's thorough attack: truncate the log after ``keep`` entries, append other entries with a
    correct chain, and sign a new valid head with the host's own key, heads file rewritten too."""
    lines = store.log_lines()[:keep]
    rewrite_log(store, lines)
    unlock(store.heads_path)
    store.heads_path.write_bytes(b"")
    store.state_path.unlink()
    store.ingest(message(99), "a@ex.org", ["b@ex.org"], now=DAY0)
    store.seal(key, now=DAY0)


def test_a_rewritten_chain_with_a_valid_new_head_is_caught_by_the_witness(store: Store, signing_key: bytes) -> None:
    fill(store, signing_key)
    witness = verify(store, signing_key).facts.newest
    assert witness is not None
    assert witness.size == 6
    _rewritten_history(store, signing_key, keep=3)
    without = verify(store, signing_key)
    assert {r for r, _ in found(without)} <= {"T3-OBS-ARC-008"}  # alone the store looks consistent...
    with_witness = verify(store, signing_key, witness=witness)
    assert ("T3-OBS-ARC-004", "archive1:witness") in found(with_witness)  # ...the kept head says otherwise


def test_a_rewritten_chain_that_keeps_the_old_heads_fails_them(store: Store, signing_key: bytes) -> None:
    fill(store, signing_key)
    lines = store.log_lines()
    entry = json.loads(lines[1])
    entry["recipients"] = ["someone-else@ex.org"]
    lines[1] = log.canonical(entry)
    for n in range(2, len(lines)):  # re-chain every later entry: the chain alone now checks out
        entry = json.loads(lines[n])
        entry["prev"] = log.line_hash(lines[n - 1])
        lines[n] = log.canonical(entry)
    rewrite_log(store, lines)
    store.state_path.unlink()
    store.ingest(message(50), "a@ex.org", ["b@ex.org"], now=DAY0)
    store.seal(signing_key, now=DAY0)  # a new valid head over the rewritten log
    verdict = verify(store, signing_key)
    assert found(verdict) == {("T3-OBS-ARC-002", "archive1:head[0]"), ("T3-OBS-ARC-003", "archive1:heads")}


def test_a_head_signed_by_another_key_is_named(store: Store, signing_key: bytes) -> None:
    fill(store, signing_key)
    assert found(verify(store, heads.new_private_key())) == {("T3-OBS-ARC-002", "archive1:head[0]")}


def test_a_plaintext_object_is_named(store: Store, signing_key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(store, signing_key)
    monkeypatch.setattr("tier3.archive.store.encrypt", lambda message, *_args: message)  # a broken ingest
    address = store.ingest(message(8), "a@ex.org", ["b@ex.org"], now=DAY0)
    store.seal(signing_key, now=DAY0)
    assert found(verify(store, signing_key)) == {("T3-OBS-ARC-006", f"archive1:object:{address}")}


def test_a_mutable_sealed_object_and_a_log_that_is_not_append_only_are_named(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key)
    set_flag(store.object_path(addresses[2]), FS_IMMUTABLE_FL, on=False)
    set_flag(store.log_path, FS_APPEND_FL, on=False)
    assert found(verify(store, signing_key)) == {("T3-OBS-ARC-007", f"archive1:object:{addresses[2]}"),
                                                 ("T3-OBS-ARC-007", "archive1:log.jsonl")}
    store.seal(signing_key, now=DAY0, sweep=True)  # a converge's seal restores both flags...
    assert store.flags_set == 2
    assert found(verify(store, signing_key)) == set()
    store.seal(signing_key, now=DAY0, sweep=True)  # ...and the next one has nothing to do
    assert store.flags_set == 0


def test_a_planted_file_is_named(store: Store, signing_key: bytes) -> None:
    fill(store, signing_key)
    planted = store.objects / "ff" / ("0" * 62)
    planted.parent.mkdir(exist_ok=True)
    planted.write_bytes(b"age-encryption.org/v1\n")
    assert found(verify(store, signing_key)) == {("T3-OBS-ARC-008", f"archive1:object:ff{'0' * 62}")}


def test_retention_comes_from_the_longest_period_of_every_party(store: Store, signing_key: bytes) -> None:
    store.ingest(message(1), "a@ex.org", ["b@fin.example"], now=DAY0)
    store.ingest(message(2), "keep@ex.org", ["b@ex.org"], now=DAY0)
    store.ingest(message(3), "a@ex.org", ["b@ex.org"], now=DAY0)
    until = [json.loads(line)["retain_until"] for line in store.log_lines()[1:]]
    assert until == ["2027-01-10", "2036-01-10", "2026-02-09"]


def test_a_retention_shorter_than_the_inventory_policy_is_named(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key, count=2)
    longer = Policy.from_data({**POLICY, "default": "90d"})
    assert found(verify(store, signing_key, policy=longer)) == {
        ("T3-OBS-ARC-009", f"archive1:object:{a}") for a in addresses} | {("T3-OBS-ARC-009", "archive1:policy.json")}


def test_a_policy_file_that_is_not_the_inventory_policy_is_named(store: Store, signing_key: bytes) -> None:
    fill(store, signing_key, count=1)
    assert found(verify(store, signing_key)) == set()  # the same policy, however its keys are written
    store.policy_path.write_text(json.dumps({**POLICY, "default": "1d"}))  # root shortens what is to come
    assert found(verify(store, signing_key)) == {("T3-OBS-ARC-009", "archive1:policy.json")}


def test_purge_refuses_what_is_within_retention_naming_the_object(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key, count=2)
    size = len(store.log_lines())
    with pytest.raises(ArchiveError, match=f"{addresses[0]}: retained until 2026-02-09"):
        store.purge("auditor", [addresses[0]], now=DAY0 + dt.timedelta(days=30))
    assert len(store.log_lines()) == size
    assert store.object_path(addresses[0]).exists()


def test_purge_refuses_what_is_under_legal_hold_and_releases_it_afterwards(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key, count=2)
    store.hold("case-17", {"mailboxes": ["b@ex.org"]}, by="legal@ex.org", reason="litigation 2026-17", now=DAY0)
    later = DAY0 + dt.timedelta(days=40)
    with pytest.raises(ArchiveError, match="under legal hold case-17"):
        store.purge("auditor", [addresses[1]], now=later)
    assert store.purge("auditor", now=later) == []  # nothing past retention is free of the hold
    store.release("case-17", by="legal@ex.org", reason="case closed", now=later)
    assert sorted(store.purge("auditor", now=later)) == sorted(addresses)
    trail = [json.loads(line) for line in store.log_lines()]
    assert [e["kind"] for e in trail[-4:]] == ["hold", "release", "purge", "purge"]
    assert (trail[-4]["by"], trail[-4]["reason"]) == ("legal@ex.org", "litigation 2026-17")
    store.seal(signing_key, now=later)
    assert found(verify(store, signing_key)) == set()


def test_purge_past_retention_removes_exactly_the_expired_objects_with_a_trail_entry_each(
        store: Store, signing_key: bytes) -> None:
    old = [store.ingest(message(n), "a@ex.org", ["b@ex.org"], now=DAY0) for n in range(3)]
    kept = store.ingest(message(3), "a@ex.org", ["b@fin.example"], now=DAY0)  # one year
    young = store.ingest(message(4), "a@ex.org", ["b@ex.org"], now=DAY0 + dt.timedelta(days=20))
    store.seal(signing_key, now=DAY0)
    purged = store.purge("ops@ex.org", now=DAY0 + dt.timedelta(days=31))
    assert sorted(purged) == sorted(old)
    assert not any(store.object_path(a).exists() for a in old)
    assert store.object_path(kept).exists()
    assert store.object_path(young).exists()
    trail = [json.loads(line) for line in store.log_lines() if b'"purge"' in line]
    assert sorted(e["object"] for e in trail) == sorted(old)
    assert {e["by"] for e in trail} == {"ops@ex.org"}
    store.seal(signing_key, now=DAY0)
    assert found(verify(store, signing_key)) == set()  # purged and gone is clean


def test_an_interrupted_purge_is_finished_by_the_next(store: Store, signing_key: bytes,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    addresses = fill(store, signing_key, count=1)
    monkeypatch.setattr(Path, "unlink", lambda *_args, **_kwargs: None)  # the purge dies before unlinking
    store.purge("ops", now=DAY0 + dt.timedelta(days=31))
    monkeypatch.undo()
    assert ("T3-OBS-ARC-008", f"archive1:object:{addresses[0]}") in found(verify(store, signing_key))
    assert store.purge("ops", now=DAY0 + dt.timedelta(days=31)) == []
    assert not store.object_path(addresses[0]).exists()
    store.seal(signing_key, now=DAY0)
    assert found(verify(store, signing_key)) == set()


def test_incremental_verification_reads_only_the_new_batch_and_still_catches_it(store: Store,
                                                                               signing_key: bytes) -> None:
    fill(store, signing_key, count=5)
    witness = verify(store, signing_key).facts.newest
    assert witness is not None
    new = fill(store, signing_key, count=3, start=10)
    snapshot = store.snapshot(witness.size)
    assert (len(snapshot["log"]), len(snapshot["objects"])) == (3, 3)
    assert verify(store, signing_key, witness=witness, since=witness.size).findings == ()
    path = store.object_path(new[1])
    unlock(path)
    path.write_bytes(b"age-encryption.org/v1\nforged")
    assert found(verify(store, signing_key, witness=witness, since=witness.size)) == {
        ("T3-OBS-ARC-005", f"archive1:object:{new[1]}"), ("T3-OBS-ARC-007", f"archive1:object:{new[1]}")}


def test_incremental_verification_needs_the_frontier_the_full_one_kept(store: Store, signing_key: bytes) -> None:
    fill(store, signing_key, count=4)
    witness = verify(store, signing_key).facts.newest
    assert witness is not None
    tree = merkle.MerkleTree(merkle.leaf_hash(line) for line in store.log_lines())
    assert merkle.root_of_frontier([bytes.fromhex(h) for h in witness.frontier]) == tree.root()


def test_fetch_proves_the_entry_included_under_the_newest_signed_head(store: Store, signing_key: bytes) -> None:
    addresses = fill(store, signing_key, count=4)
    assert prove_inclusion(addresses[2], store.snapshot(), "archive1") == (3, 5)  # after the policy entry
    unsealed = store.ingest(message(9), "a@ex.org", ["b@ex.org"], now=DAY0)
    with pytest.raises(ArchiveError, match="not sealed yet"):
        prove_inclusion(unsealed, store.snapshot(), "archive1")
    lines = store.log_lines()
    entry = json.loads(lines[3])
    entry["sender"] = "someone@else.example"
    lines[3] = log.canonical(entry)
    rewrite_log(store, lines)
    with pytest.raises(ArchiveError, match="not included under the newest signed head"):
        prove_inclusion(addresses[2], store.snapshot(), "archive1")
