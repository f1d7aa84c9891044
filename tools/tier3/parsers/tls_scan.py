"""The records of ``tier3.probe.tls_scan`` (a mail listener scanned with sslyze from the controller) -> facts
per listener. Pure.

A record is what the scan saw, as JSON (``tier3 inspect tls-scan saved.json`` reads a saved list of
them; ``tier3 check`` hands the same mapping over live)::

    {"address": "10.89.30.100", "port": 25, "kind": "smtp-starttls", "server_hostname": "mail.lab.tier3.test",
     "scanned_at": 1796125135.2, "scanner": "sslyze 6.3.1", "reachable": true, "error": "",
     "took_s": 2.1, "run_took_s": 2.4,
     "versions": {"SSLv2": {"result": "refused", "detail": "", "cipher_suites": []}, ...,
                  "TLSv1.2": {"result": "accepted", "detail": "", "cipher_suites": [
                      {"openssl": "ECDHE-RSA-AES128-GCM-SHA256", "iana": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                       "key_exchange": {"type": "ECDH", "bits": 256, "curve": "secp256r1"}}, ...]}, ...},
     "certificates": [{"subject": "CN=mx1", "issuer": "CN=tier3 CA", "dns_names": [...], "ip_addresses": [...],
                       "not_before": "2026-12-01T11:00:00Z", "not_after": "2027-12-01T11:00:00Z",
                       "public_key": {"type": "rsa", "bits": 2048, "curve": null}, "signature_hash": "sha256",
                       "chain_sent": 2, "verified": true, "verify_error": ""}],
     "certificate_error": "",
     "mozilla_intermediate": {"checked": true, "problems": ["tls_curves: TLS curves {...} are supported, ..."],
                              "detail": ""}}

A version's ``result`` is ``accepted`` (at least one suite completed a handshake), ``refused`` or
``error`` (sslyze could not test it: ``detail`` says why); ``key_exchange`` is null for RSA key
transport; ``verified`` is null when no CA file was given; ``took_s`` counts from the start of the run
to this listener's result, ``run_took_s`` the whole run (every listener at once). A record with
``reachable: false`` has only its ``error``. ``mozilla_intermediate`` is sslyze's own check, in its
words: reported, not judged (``tier3.rules.observed.tls_scan`` judges the suites and keys themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.parsers._records import field, iso_time, records
from tier3.parsers.tlsprobe import LISTENER_KINDS, listener_name

WHAT = "tier3 TLS scan records (a JSON list of objects with address, port, kind, reachable, versions, ...)"
VERSIONS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
RESULTS = ("accepted", "refused", "error")


@dataclass(frozen=True)
class KeyExchange:
    type: str  # DH, ECDH
    bits: int
    curve: str | None


@dataclass(frozen=True)
class CipherSuite:
    openssl: str
    iana: str
    key_exchange: KeyExchange | None  # None: RSA key transport (no ephemeral key)


@dataclass(frozen=True)
class VersionScan:
    result: str  # accepted, refused, error
    detail: str
    cipher_suites: tuple[CipherSuite, ...]


@dataclass(frozen=True)
class ServedCertificate:
    subject: str
    issuer: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_before: float  # seconds since the epoch
    not_after: float
    key_type: str  # rsa, ecdsa, ed25519...
    key_bits: int | None
    key_curve: str | None
    signature_hash: str | None
    chain_sent: int
    verified: bool | None  # against the CA file given; None: none given
    verify_error: str


@dataclass(frozen=True)
class MozillaCheck:
    checked: bool
    problems: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class ScannedListener:
    address: str
    port: int
    kind: str
    server_hostname: str
    scanned_at: float
    scanner: str
    reachable: bool
    error: str
    took_s: float | None
    run_took_s: float | None
    versions: dict[str, VersionScan]
    certificates: tuple[ServedCertificate, ...]
    certificate_error: str
    mozilla_intermediate: MozillaCheck | None
    where: str  # the record's JSON pointer: /0

    @property
    def name(self) -> str:
        """How findings name the listener, as the probe's do (``tlsprobe.listener_name``)."""
        return listener_name(self.address, self.port, self.kind, self.server_hostname)

    def accepted(self, version: str) -> tuple[CipherSuite, ...]:
        """The suites accepted on ``version`` (none when it was refused, not tested or not scanned)."""
        scan = self.versions.get(version)
        return scan.cipher_suites if scan is not None and scan.result == "accepted" else ()


@dataclass(frozen=True)
class TlsScan:
    listeners: tuple[ScannedListener, ...]


def _get(doc: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], source: str, where: str, *,
         optional: bool = False, default: Any = None) -> Any:
    return field(doc, key, kinds, source, where, what=WHAT, optional=optional, default=default)


def _object(value: Any, source: str, where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(source, where, f"expected an object: {what}")
    return value


def _list(doc: Mapping[str, Any], key: str, source: str, where: str) -> list[Any]:
    value: list[Any] = _get(doc, key, list, source, where, optional=True, default=[])
    return value


def _strings(doc: Mapping[str, Any], key: str, source: str, where: str) -> tuple[str, ...]:
    value = _list(doc, key, source, where)
    if not all(isinstance(v, str) for v in value):
        raise ParseError(source, f"{where}/{key}", f"{key} must be a list of strings")
    return tuple(value)


def _suite(doc: Any, source: str, where: str) -> CipherSuite:
    suite = _object(doc, source, where, "a cipher suite {openssl, iana, key_exchange}")
    kx = suite.get("key_exchange")
    exchange = None
    if kx is not None:
        kx = _object(kx, source, f"{where}/key_exchange", "{type, bits, curve} or null")
        exchange = KeyExchange(_get(kx, "type", str, source, f"{where}/key_exchange"),
                               _get(kx, "bits", int, source, f"{where}/key_exchange"),
                               _get(kx, "curve", str, source, f"{where}/key_exchange", optional=True))
    return CipherSuite(_get(suite, "openssl", str, source, where), _get(suite, "iana", str, source, where), exchange)


def _versions(doc: Any, source: str, where: str) -> dict[str, VersionScan]:
    found = _object(doc, source, where, "versions: protocol version -> {result, detail, cipher_suites}")
    out = {}
    for name, entry in found.items():
        at = f"{where}/{name}"
        if name not in VERSIONS:
            raise ParseError(source, at, f"unknown protocol version {name!r}; expected one of {', '.join(VERSIONS)}")
        scan = _object(entry, source, at, "{result, detail, cipher_suites}")
        result = scan.get("result")
        if result not in RESULTS:
            raise ParseError(source, f"{at}/result", f"expected one of {', '.join(RESULTS)}, not {result!r}")
        suites = tuple(_suite(s, source, f"{at}/cipher_suites/{i}")
                       for i, s in enumerate(_list(scan, "cipher_suites", source, at)))
        if result == "accepted" and not suites:
            raise ParseError(source, f"{at}/cipher_suites", "accepted, yet no cipher suite listed")
        out[name] = VersionScan(result, _get(scan, "detail", str, source, at, optional=True, default=""), suites)
    return out


def _certificate(doc: Any, source: str, where: str) -> ServedCertificate:
    cert = _object(doc, source, where, "a certificate summary {subject, issuer, ..., public_key, verified}")
    key = _object(cert.get("public_key"), source, f"{where}/public_key", "{type, bits, curve}")
    at_key = f"{where}/public_key"
    return ServedCertificate(
        subject=_get(cert, "subject", str, source, where), issuer=_get(cert, "issuer", str, source, where),
        dns_names=_strings(cert, "dns_names", source, where),
        ip_addresses=_strings(cert, "ip_addresses", source, where),
        not_before=iso_time(cert.get("not_before"), source, f"{where}/not_before"),
        not_after=iso_time(cert.get("not_after"), source, f"{where}/not_after"),
        key_type=_get(key, "type", str, source, at_key), key_bits=_get(key, "bits", int, source, at_key, optional=True),
        key_curve=_get(key, "curve", str, source, at_key, optional=True),
        signature_hash=_get(cert, "signature_hash", str, source, where, optional=True),
        chain_sent=_get(cert, "chain_sent", int, source, where, optional=True, default=1),
        verified=_get(cert, "verified", bool, source, where, optional=True),
        verify_error=_get(cert, "verify_error", str, source, where, optional=True, default=""))


def _mozilla(doc: Any, source: str, where: str) -> MozillaCheck | None:
    if doc is None:
        return None
    check = _object(doc, source, where, "{checked, problems, detail} or null")
    return MozillaCheck(_get(check, "checked", bool, source, where), _strings(check, "problems", source, where),
                        _get(check, "detail", str, source, where, optional=True, default=""))


def _seconds(doc: Mapping[str, Any], key: str, source: str, where: str) -> float | None:
    value = _get(doc, key, (int, float), source, where, optional=True)
    return None if value is None else float(value)


def _listener(doc: Any, source: str, where: str) -> ScannedListener:
    rec = _object(doc, source, where, f"one object per listener: {WHAT}")
    kind = _get(rec, "kind", str, source, where)
    if kind not in LISTENER_KINDS:
        raise ParseError(source, f"{where}/kind", f"unknown listener kind {kind!r}; expected one of "
                         f"{', '.join(LISTENER_KINDS)}")
    port = _get(rec, "port", int, source, where)
    if not 0 < port < 65536:
        raise ParseError(source, f"{where}/port", f"not a TCP port: {port!r}")
    reachable = _get(rec, "reachable", bool, source, where)
    versions = _versions(rec.get("versions", {}), source, f"{where}/versions")
    if reachable and not versions:
        raise ParseError(source, f"{where}/versions", "reachable, yet no protocol version scanned")
    return ScannedListener(
        address=_get(rec, "address", str, source, where), port=port, kind=kind,
        server_hostname=_get(rec, "server_hostname", str, source, where, optional=True, default=""),
        scanned_at=float(_get(rec, "scanned_at", (int, float), source, where)),
        scanner=_get(rec, "scanner", str, source, where, optional=True, default=""), reachable=reachable,
        error=_get(rec, "error", str, source, where, optional=True, default=""),
        took_s=_seconds(rec, "took_s", source, where), run_took_s=_seconds(rec, "run_took_s", source, where),
        versions=versions,
        certificates=tuple(_certificate(c, source, f"{where}/certificates/{i}")
                           for i, c in enumerate(_list(rec, "certificates", source, where))),
        certificate_error=_get(rec, "certificate_error", str, source, where, optional=True, default=""),
        mozilla_intermediate=_mozilla(rec.get("mozilla_intermediate"), source, f"{where}/mozilla_intermediate"),
        where=where)


def parse_tls_scan(raw: str | list[Any] | Mapping[str, Any], source: str) -> TlsScan:
    """Scan records as JSON text, a list of records, ``{"listeners": [...]}`` or one record."""
    value = records(raw, source, WHAT, "listeners")
    return TlsScan(tuple(_listener(doc, source, f"/{i}") for i, doc in enumerate(value)))
