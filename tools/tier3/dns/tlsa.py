"""The TLSA data of a certificate (RFC 6698): DANE-EE, the SubjectPublicKeyInfo, SHA-256 (``3 1 1``).

Usage 3 (the end-entity certificate itself, no CA path checked) with selector 1 (its public key, not
the whole certificate) is what RFC 7672 recommends for SMTP: the record stays true when the internal
CA re-signs the host's key (roles/pki keeps the key and renews the certificate), and no public CA is
involved. Pure: PEM text in, hex digest out.
"""

from __future__ import annotations

import hashlib


def spki_sha256(certificate_pem: str) -> str:
    """SHA-256 (hex, lower case) of the DER SubjectPublicKeyInfo of the first certificate in the PEM text.
    ``ValueError`` when the text holds no certificate."""
    from cryptography import x509  # noqa: PLC0415  (only when a certificate is given)
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415

    certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    spki = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()
