"""The evidence bundle: every raw item the audit rests on, a manifest of their SHA-256, the manifest signed.

Layout under the audit's directory::

    evidence/items/HOST/NNNN-KIND.txt   each item as the host gave it (command output or file)
    evidence/items/controller/NNNN-KIND.json   what the controller measured (probes, drills), as JSON
    evidence/manifest.json              every item: host, kind, id (command or path), sha256 of the file,
                                        the host's own sha256 of what it read, size, when it was read
    evidence/manifest.json.sig          Ed25519 signature of manifest.json's bytes, base64
    evidence/signing-key.pub            the public key (PEM) that verifies it

``verify_bundle`` recomputes every hash and checks the signature, with the public key in the bundle or
(better: one the auditor keeps) the key given. The signing key is the controller's
(``default_key_path``: made once, mode 0600, never in the bundle or the report).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tier3.errors import Tier3Error

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
PUBLIC_KEY = "signing-key.pub"
MANIFEST_VERSION = 1
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RawItem:
    """One item to keep: who gave it, what it is, its bytes."""

    host: str
    kind: str
    id: str  # the command line, file path or probe
    data: bytes
    host_sha256: str = ""  # the hash the host computed of what it read (tier3_evidence), when it did
    read_at: float | str = ""
    suffix: str = ".txt"


def default_key_path() -> Path:
    """The controller's audit signing key: $XDG_CONFIG_HOME/tier3/audit-signing.key (~/.config/...)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tier3" / "audit-signing.key"


def signing_key(path: Path) -> Any:
    """The Ed25519 private key at ``path``, made (0600, its directory 0700) when there is none."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise Tier3Error(str(path), "", f"not an unencrypted Ed25519 private key (PEM): {exc}",
                         hint="give --signing-key a PEM made by openssl genpkey -algorithm ed25519") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise Tier3Error(str(path), "", "the signing key is not Ed25519",
                         hint="openssl genpkey -algorithm ed25519 -out KEY")
    return loaded


def public_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    pem: bytes = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem


def key_fingerprint(pem: bytes) -> str:
    """SHA-256 of the public key's PEM, hex: what an auditor compares with the one they were given."""
    return hashlib.sha256(pem).hexdigest()


def _name(index: int, kind: str, suffix: str) -> str:
    return f"{index:04d}-{_SAFE.sub('_', kind) or 'item'}{suffix}"


def write_bundle(directory: Path, items: Sequence[RawItem], key: Any) -> list[dict[str, Any]]:
    """Write every item, the manifest and its signature under ``directory`` (made; an earlier bundle there
    is replaced whole). Returns the manifest's entries (what the report lists)."""
    items_dir = directory / "items"
    if items_dir.exists():
        for old in sorted(items_dir.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
    entries: list[dict[str, Any]] = []
    counters: dict[str, int] = {}
    for item in items:
        host = _SAFE.sub("_", item.host) or "unknown"
        counters[host] = counters.get(host, 0) + 1
        relative = Path("items") / host / _name(counters[host], item.kind, item.suffix)
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data)
        entries.append({"file": str(relative), "sha256": hashlib.sha256(item.data).hexdigest(),
                        "size": len(item.data), "host": item.host, "kind": item.kind, "id": item.id,
                        "host_sha256": item.host_sha256, "read_at": item.read_at})
    pem = public_pem(key)
    manifest = {"version": MANIFEST_VERSION, "algorithm": "sha256", "signature": "ed25519",
                "key_sha256": key_fingerprint(pem), "items": entries}
    body = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    (directory / MANIFEST).write_bytes(body)
    (directory / SIGNATURE).write_text(base64.b64encode(key.sign(body)).decode() + "\n", encoding="ascii")
    (directory / PUBLIC_KEY).write_bytes(pem)
    return entries


@dataclass(frozen=True)
class BundleCheck:
    items: int
    problems: tuple[str, ...]
    key_sha256: str

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(directory: Path, public_key: Path | None = None) -> BundleCheck:
    """Every file's hash against the manifest, no file the manifest does not list, the signature with
    ``public_key`` (else the bundle's own, which proves integrity but not who signed)."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    try:
        body = (directory / MANIFEST).read_bytes()
        manifest = json.loads(body)
        signature = base64.b64decode((directory / SIGNATURE).read_text(encoding="ascii").strip(), validate=True)
        pem = (public_key or directory / PUBLIC_KEY).read_bytes()
        key = serialization.load_pem_public_key(pem)
    except (OSError, ValueError) as exc:
        raise Tier3Error(str(directory), "", f"not an evidence bundle: {exc}",
                         hint="give the evidence/ directory of a tier3 audit run") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Tier3Error(str(public_key or directory / PUBLIC_KEY), "", "not an Ed25519 public key",
                         hint="give the signing key's public half (PEM)")
    problems: list[str] = []
    try:
        key.verify(signature, body)
    except InvalidSignature:
        problems.append(f"{MANIFEST}: the signature does not verify with key {key_fingerprint(pem)[:16]}")
    listed = _entries(manifest)
    for entry in listed:
        path = directory / str(entry.get("file", ""))
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            problems.append(f"{entry.get('file')}: cannot be read ({exc.strerror or exc})")
            continue
        if digest != entry.get("sha256"):
            problems.append(f"{entry.get('file')}: SHA-256 {digest[:16]}... is not the manifest's "
                            f"{str(entry.get('sha256'))[:16]}...")
    known = {str(e.get("file")) for e in listed}
    kept = sorted(p for p in (directory / "items").rglob("*") if p.is_file())
    extra = [str(p.relative_to(directory)) for p in kept if str(p.relative_to(directory)) not in known]
    problems.extend(f"{name}: in the bundle but not in the manifest" for name in extra)
    return BundleCheck(len(listed), tuple(problems), key_fingerprint(pem))


def _entries(manifest: Any) -> list[Mapping[str, Any]]:
    items = manifest.get("items") if isinstance(manifest, Mapping) else None
    return [e for e in items if isinstance(e, Mapping)] if isinstance(items, list) else []


def items_from_records(host: str, records: Iterable[Mapping[str, Any]]) -> list[RawItem]:
    """tier3_evidence records (with their text) as raw items; records with nothing read are kept too (an
    empty file), so the manifest lists what was asked and not there."""
    out = []
    for r in records:
        text = r.get("text")
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else b""
        out.append(RawItem(host, str(r.get("kind", "")), str(r.get("id", "")), data, str(r.get("sha256") or ""),
                           r.get("read_at") or ""))
    return out


def json_item(host: str, kind: str, id_: str, value: Any) -> RawItem:
    data = (json.dumps(value, indent=1, sort_keys=True, default=str) + "\n").encode()
    return RawItem(host, kind, id_, data, suffix=".json")
