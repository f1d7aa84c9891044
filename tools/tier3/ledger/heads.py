"""Signed tree heads: what an archive host vouches for at the end of each sealed batch.

A head names the host, how many log entries it covers (``size``), the Merkle root of those entries
(``root``), the hash of the last of them (``chain``), when it was signed, and the public key that
signed it; ``signature`` is Ed25519 over the head's canonical JSON without the signature, prefixed
with ``DOMAIN`` so a head signature can never be mistaken for a signature of anything else.

The key that signs is on the archive host (it must sign without a person present), so a head alone
proves which host signed, not that the host was honest: the proof against root on that host is that
an earlier head, kept elsewhere (the other archive host, the auditor's witness file), must still be
consistent with every later one (tier3.ledger.merkle's consistency proofs). See docs/archive.md.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from tier3.ledger.log import canonical

DOMAIN: Final = b"tier3-archive-head-v1\n"
FIELDS: Final = frozenset({"host", "size", "root", "chain", "time", "key", "signature"})


@dataclass(frozen=True)
class Head:
    host: str
    size: int
    root: str  # hex
    chain: str  # hex: the hash of entry size-1 (the log's GENESIS for an empty log)
    time: str
    key: str  # base64 of the raw 32-byte Ed25519 public key
    signature: str = ""  # base64

    def unsigned(self) -> bytes:
        return DOMAIN + canonical({"host": self.host, "size": self.size, "root": self.root, "chain": self.chain,
                                   "time": self.time, "key": self.key})

    def line(self) -> bytes:
        return canonical({"host": self.host, "size": self.size, "root": self.root, "chain": self.chain,
                          "time": self.time, "key": self.key, "signature": self.signature})

    @classmethod
    def from_line(cls, line: bytes) -> Head:
        """A head as stored; raises ValueError saying what is malformed."""
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or set(data) != FIELDS:
            raise ValueError(f"a head has exactly the fields {sorted(FIELDS)}")
        if not isinstance(data["size"], int) or not all(isinstance(data[k], str) for k in FIELDS - {"size"}):
            raise ValueError("a head's size is an integer and its other fields strings")
        return cls(**data)

    def to_data(self) -> dict[str, Any]:
        return dict(json.loads(self.line()))


def public_key_text(private_pem: bytes) -> str:
    """The base64 raw public key of a PEM Ed25519 private key (what heads and inventories name)."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - only where heads are signed

    key = serialization.load_pem_private_key(private_pem, password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def new_private_key() -> bytes:
    """A new Ed25519 private key, PEM (PKCS#8, unencrypted: the host signs unattended)."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def sign(head: Head, private_pem: bytes) -> Head:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415

    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the head signing key is not an Ed25519 key")
    signed = Head(head.host, head.size, head.root, head.chain, head.time, public_key_text(private_pem))
    return Head(**{**signed.__dict__, "signature": base64.b64encode(key.sign(signed.unsigned())).decode()})


def signature_valid(head: Head, trusted_keys: Mapping[str, str] | None = None) -> bool:
    """Whether the head's signature verifies under its key and (when given) that key is the host's."""
    from cryptography.exceptions import InvalidSignature  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415

    if trusted_keys is not None and trusted_keys.get(head.host) != head.key:
        return False
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(head.key, validate=True))
        public.verify(base64.b64decode(head.signature, validate=True), head.unsigned())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
