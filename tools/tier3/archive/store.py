"""One archive store on disk, as an archive host keeps it: the only code that writes it.

Layout under the store's root (``/var/lib/tier3-archive`` on a host)::

    objects/ab/cdef...   each message, age-encrypted, named by the SHA-256 of its ciphertext; immutable
    log.jsonl            the chained log (tier3.ledger.log); append-only (chattr +a) once sealed by root
    heads.jsonl          the signed tree heads, one per sealed batch; append-only
    policy.json          the retention policy from the inventory (roles/archive writes it)
    recipients.txt       the age public keys every message is encrypted to (never a private key)
    state.json           a cache of the log's tip (size, chain, Merkle frontier); rebuilt from the log
                         whenever it disagrees with the log's length, never trusted by a verifier
    lock                 flock(2): one writer of the log at a time

``ingest`` runs as the unprivileged user Postfix's pipe(8) starts, so it can encrypt and append but
not set the immutable flag; ``seal`` (root, from a timer) makes the batch's objects immutable, the log
append-only, and signs a head over the batch. Standard library only, plus the ``age`` binary: the same
file runs on the hosts (roles/archive installs it) and in tier3's tests and benchmarks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.parser
import email.policy
import fcntl
import getpass
import hashlib
import json
import os
import socket
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tier3.archive.attributes import FS_APPEND_FL, FS_IMMUTABLE_FL, describe_flags, set_flag
from tier3.errors import ArchiveError
from tier3.ledger import heads, log, merkle
from tier3.ledger.contents import Contents, contents
from tier3.ledger.retention import Policy

AGE_MAGIC: Final = b"age-encryption.org/v1\n"
AGE_ARMOR: Final = b"-----BEGIN AGE ENCRYPTED FILE-----"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- encryption -----------------------------------------------------------------------------------------------------


def encrypt(message: bytes, recipients_file: Path, age: str = "age") -> bytes:
    """``message`` encrypted with a fresh file key to every public key in ``recipients_file``."""
    try:
        done = subprocess.run([age, "--encrypt", "-R", str(recipients_file)], input=message, capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise ArchiveError(age, "", "the age binary is not installed", hint="apt-get install age") from None
    if done.returncode != 0 or not done.stdout.startswith(AGE_MAGIC):
        raise ArchiveError(str(recipients_file), "", f"age refused to encrypt: {done.stderr.decode(errors='replace')}",
                           hint="the file must hold age public keys (age1...), one per line")
    return done.stdout


def message_id(message: bytes) -> str:
    parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(message)
    return str(parsed.get("Message-ID", "") or "").strip()


# --- the store ------------------------------------------------------------------------------------------------------


@dataclass
class Tip:
    """The log's end as the writer needs it: next seq, last hash, Merkle frontier, and what is sealed."""

    size: int = 0
    chain: str = log.GENESIS
    frontier: tuple[bytes, ...] = ()
    log_bytes: int = 0
    sealed_size: int = 0
    sealed_bytes: int = 0
    policy_sha256: str = ""

    def to_data(self) -> dict[str, Any]:
        return {**self.__dict__, "frontier": [h.hex() for h in self.frontier]}


class Store:
    def __init__(self, root: Path, host: str | None = None, age: str = "age") -> None:
        self.root = root
        self.host = host or socket.gethostname()
        self.age = age
        self.objects = root / "objects"
        self.log_path = root / "log.jsonl"
        self.heads_path = root / "heads.jsonl"
        self.policy_path = root / "policy.json"
        self.recipients_path = root / "recipients.txt"
        self.state_path = root / "state.json"
        self.flags_set = 0  # immutable or append-only flags the last seal set

    def object_path(self, address: str) -> Path:
        return self.objects / address[:2] / address[2:]

    # -- reading ------------------------------------------------------------------------------------------------------

    def log_lines(self) -> list[bytes]:
        return log.split(self.log_path.read_bytes()) if self.log_path.exists() else []

    def head_lines(self) -> list[bytes]:
        return log.split(self.heads_path.read_bytes()) if self.heads_path.exists() else []

    def policy(self) -> Policy:
        try:
            return Policy.from_data(json.loads(self.policy_path.read_text()))
        except FileNotFoundError:
            raise ArchiveError(str(self.policy_path), "", "no retention policy", hint="set tier3_archive.retention "
                               "in the inventory and run playbooks/archive.yml") from None
        except ValueError as exc:
            raise ArchiveError(str(self.policy_path), "", str(exc), hint="fix tier3_archive.retention") from None

    @contextlib.contextmanager
    def locked(self) -> Iterator[Tip]:
        """The tip, under the store's lock; rebuilt from the log when the cache disagrees with it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            tip = self._cached_tip()
            if tip is None or tip.log_bytes != (self.log_path.stat().st_size if self.log_path.exists() else 0):
                tip = self._rebuilt_tip()
            yield tip

    def _cached_tip(self) -> Tip | None:
        try:
            data = json.loads(self.state_path.read_text())
            return Tip(**{**data, "frontier": tuple(bytes.fromhex(h) for h in data["frontier"])})
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _rebuilt_tip(self) -> Tip:
        lines = self.log_lines()
        tip = Tip(size=len(lines), log_bytes=self.log_path.stat().st_size if lines else 0)
        tip.frontier = tuple(merkle.extend_frontier([], 0, (merkle.leaf_hash(line) for line in lines)))
        tip.chain = log.line_hash(lines[-1]) if lines else log.GENESIS
        sealed, offset = self._sealed_size(), 0
        for number, line in enumerate(lines):
            with contextlib.suppress(ValueError, TypeError, KeyError):  # a damaged line is the verifier's finding
                data = json.loads(line)
                if data.get("kind") == log.POLICY:
                    tip.policy_sha256 = hashlib.sha256(log.canonical(data["policy"])).hexdigest()
            offset += len(line) + 1
            if number + 1 == sealed:
                tip.sealed_size, tip.sealed_bytes = number + 1, offset
        return tip

    def _sealed_size(self) -> int:
        lines = self.head_lines()
        return heads.Head.from_line(lines[-1]).size if lines else 0

    def _save(self, tip: Tip) -> None:
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(tip.to_data()))
        os.replace(temporary, self.state_path)

    def _append(self, tip: Tip, kind: str, moment: dt.datetime, **fields: Any) -> bytes:
        line = log.entry(tip.size, tip.chain, stamp(moment), kind, **fields)
        with open(self.log_path, "ab") as out:
            out.write(line + b"\n")
            out.flush()
            os.fsync(out.fileno())
        tip.frontier = tuple(merkle.extend_frontier(tip.frontier, tip.size, [merkle.leaf_hash(line)]))
        tip.size, tip.chain = tip.size + 1, log.line_hash(line)
        tip.log_bytes += len(line) + 1
        self._save(tip)
        return line

    def _record_policy(self, tip: Tip, policy: Policy, moment: dt.datetime, by: str) -> None:
        digest = hashlib.sha256(log.canonical(policy.to_data())).hexdigest()
        if digest != tip.policy_sha256:
            self._append(tip, log.POLICY, moment, policy=policy.to_data(), by=by)
            tip.policy_sha256 = digest
            self._save(tip)

    # -- writing ------------------------------------------------------------------------------------------------------

    def ingest(self, message: bytes, sender: str, recipients: Sequence[str], now: dt.datetime | None = None) -> str:
        """Encrypt, store once under its address, and log one message; returns the object's address."""
        moment = now or utc_now()
        policy = self.policy()
        ciphertext = encrypt(message, self.recipients_path, self.age)
        address = hashlib.sha256(ciphertext).hexdigest()
        path = self.object_path(address)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            temporary = path.with_name(f".{path.name}.tmp")
            with open(temporary, "wb") as out:
                out.write(ciphertext)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o440)
            os.replace(temporary, path)
        keep = policy.retain_until(moment.date(), [sender, *recipients])
        with self.locked() as tip:
            self._record_policy(tip, policy, moment, by=f"{getpass.getuser()}@{self.host} (policy.json changed)")
            self._append(tip, log.INGEST, moment, object=address, size=len(ciphertext), sender=sender,
                         recipients=sorted(set(recipients)), message_id=message_id(message),
                         retain_until=keep.isoformat())
        return address

    def seal(self, private_pem: bytes, now: dt.datetime | None = None, sweep: bool = False) -> heads.Head | None:
        """Make the unsealed batch immutable, the log and heads append-only, and sign a head over the whole
        log; None when nothing is new. ``sweep`` sets the flag on every object, not only the batch's (what
        a converge does: an object whose flag root removed gets it back; ``flags_set`` counts them)."""
        with self.locked() as tip:
            batch = [self.object_path(json.loads(line)["object"]) for line in self._lines_from(tip.sealed_bytes)
                     if b'"kind":"ingest"' in line]
            everything = [p for p in self.objects.glob("*/*") if not p.name.startswith(".")] if sweep else []
            self.flags_set = sum(set_flag(path, FS_IMMUTABLE_FL) for path in {*batch, *everything} if path.exists())
            self.heads_path.touch()  # the log is the ingest user's (roles/archive creates it): never root's
            for path in (self.log_path, self.heads_path):
                if path.exists():
                    self.flags_set += set_flag(path, FS_APPEND_FL)
            if tip.size == tip.sealed_size and self.head_lines():
                return None
            head = heads.sign(heads.Head(self.host, tip.size, merkle.root_of_frontier(tip.frontier).hex(), tip.chain,
                                         stamp(now or utc_now()), ""), private_pem)
            with open(self.heads_path, "ab") as out:
                out.write(head.line() + b"\n")
                out.flush()
                os.fsync(out.fileno())
            tip.sealed_size, tip.sealed_bytes = tip.size, tip.log_bytes
            self._save(tip)
            return head

    def _lines_from(self, offset: int) -> list[bytes]:
        if not self.log_path.exists():
            return []
        with open(self.log_path, "rb") as source:
            source.seek(offset)
            return log.split(source.read())

    def hold(self, name: str, scope: Mapping[str, Sequence[str]], by: str, reason: str,
             now: dt.datetime | None = None) -> None:
        if not name or not reason or not by or not any(scope.values()):
            raise ArchiveError("hold", name or "(no name)", "a hold needs a name, who sets it, why, and what it covers",
                               hint="--name, --by, --reason and at least one --object, --mailbox or --domain")
        state = self.state()
        if name in state.holds:
            raise ArchiveError("hold", name, "a hold of that name is already in force", hint="choose another name")
        with self.locked() as tip:
            self._append(tip, log.HOLD, now or utc_now(), hold=name, scope={k: sorted(v) for k, v in scope.items()},
                         by=by, reason=reason)

    def release(self, name: str, by: str, reason: str, now: dt.datetime | None = None) -> None:
        if name not in self.state().holds:
            raise ArchiveError("release", name, "no hold of that name is in force",
                               hint="`tier3-archive holds` lists the holds in force")
        if not by or not reason:
            raise ArchiveError("release", name, "a release needs who releases it and why", hint="--by and --reason")
        with self.locked() as tip:
            self._append(tip, log.RELEASE, now or utc_now(), hold=name, by=by, reason=reason)

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """What a verifier needs, in one answer: the log (from entry ``since``), every head, the objects
        (all of them, or only those the entries from ``since`` name) with their hash, size, flags and
        whether they are age files, the flags of the log files, and the policy file.

        Lines travel as latin-1 text, so every byte of a damaged line reaches the verifier as it is.
        """
        lines = self.log_lines()
        if since > len(lines):
            raise ArchiveError(str(self.log_path), f"entry {since}", f"the log has only {len(lines)} entries",
                               hint="the witness is ahead of this store: it was rewritten or replaced")
        if since:
            named = {json.loads(line).get("object") for line in lines[since:] if line.startswith(b"{")}
            paths = [self.object_path(a) for a in sorted(n for n in named if isinstance(n, str) and len(n) == 64)]
        else:
            paths = sorted(p for p in self.objects.glob("*/*")) if self.objects.exists() else []
        try:
            policy: Any = json.loads(self.policy_path.read_text())
        except (OSError, ValueError) as exc:
            policy = {"unreadable": str(exc)}
        return {
            "format": 1, "host": self.host, "root": str(self.root), "taken": stamp(utc_now()), "since": since,
            "log": [line.decode("latin-1") for line in lines[since:]],
            "heads": [line.decode("latin-1") for line in self.head_lines()],
            "objects": [describe(path, self.objects) for path in paths],
            "files": {p.name: describe_flags(p) for p in (self.log_path, self.heads_path) if p.exists()},
            "policy": policy,
        }

    def state(self) -> Contents:
        return contents(log.read(self.log_lines()))

    def purge(self, by: str, objects: Iterable[str] = (), now: dt.datetime | None = None) -> list[str]:
        """Delete what is past retention and under no hold: ``objects`` (all or none), else every such object.

        Each deletion is logged before the file goes, so an interrupted purge is finished by the next one
        (an object logged as purged and still present is deleted again, never reported deleted twice).
        """
        moment = now or utc_now()
        policy, state = self.policy(), self.state()
        asked = list(objects)
        refused = [f"{a}: {why}" for a in asked if (why := state.purge_refusal(a, policy, moment.date()))]
        if refused:
            raise ArchiveError("purge", refused[0].split(":")[0], "refused, nothing deleted: " + "; ".join(refused),
                               hint="a purge deletes only objects past retention and under no legal hold")
        chosen = asked or [a for a in state.live if not state.purge_refusal(a, policy, moment.date())]
        with self.locked() as tip:
            for address in chosen:
                keep = state.effective_retain_until(address, policy)
                self._append(tip, log.PURGE, moment, object=address, retain_until=keep.isoformat(), by=by,
                             reason=f"retention ended {keep.isoformat()}, no legal hold")
        for address in [*chosen, *(a for a in sorted(state.purged) if self.object_path(a).exists())]:
            path = self.object_path(address)
            if path.exists():
                with contextlib.suppress(FileNotFoundError):
                    set_flag(path, FS_IMMUTABLE_FL, on=False)
                path.unlink()
        return chosen


def describe(path: Path, objects: Path) -> dict[str, Any]:
    """One object file as a verifier sees it (absent when it is not there)."""
    name = "".join(path.relative_to(objects).parts)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {"name": name, "present": False}
    return {"name": name, "present": True, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "encrypted": data.startswith((AGE_MAGIC, AGE_ARMOR)), **describe_flags(path)}
