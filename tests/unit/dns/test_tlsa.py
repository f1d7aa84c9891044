"""tier3.dns.tlsa: the ``3 1 1`` digest is the SHA-256 of the certificate's public key, so it survives a
re-signing of the same key and moves with a new key."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tier3.dns.tlsa import spki_sha256


def certificate(key: ec.EllipticCurvePrivateKey, days: int) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mx1")])
    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(days).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def test_the_digest_is_of_the_public_key_and_survives_re_signing() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    first, renewed = certificate(key, 397), certificate(key, 30)
    assert first != renewed
    assert spki_sha256(first) == spki_sha256(renewed) == hashlib.sha256(spki).hexdigest()
    assert spki_sha256(certificate(ec.generate_private_key(ec.SECP256R1()), 397)) != spki_sha256(first)


def test_no_certificate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"asn1|PEM|certificate"):
        spki_sha256("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
