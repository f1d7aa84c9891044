"""The records of ``tier3.probe`` (a mail listener probed from the controller) -> facts per listener. Pure.

A record is what the probe saw, as JSON (``tier3 inspect tls-listener saved.json`` reads a saved
list of them; the probe hands the same mapping over live)::

    {"address": "10.89.30.100", "port": 25, "kind": "smtp-starttls", "server_hostname": "mail.lab.tier3.test",
     "probed_at": 1796125135.2, "answered": true, "error": "", "banner": "220 mx1.lab.tier3.test ESMTP Postfix",
     "capabilities": ["PIPELINING", "STARTTLS", ...], "starttls_offered": true, "auth_before_tls": [],
     "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"},
     "versions": {"TLSv1": {"result": "refused", "detail": "..."}, ..., "TLSv1.3": {"result": "accepted", ...}},
     "certificate": {"subject": "CN=mx1", "issuer": "CN=tier3 CA", "dns_names": [...], "ip_addresses": [...],
                     "not_before": "2026-12-01T11:00:00Z", "not_after": "2027-12-01T11:00:00Z"},
     "chain_verified": true, "verify_error": "", "name_matches": true}

``starttls_offered`` is null for implicit TLS (``imaps``; ``https`` too, whose ``banner`` is the HTTP
status line); ``tls`` null when no handshake was made; a version's ``result`` is ``accepted``,
``refused`` (the server would not) or ``untested`` (the probe could not try it: ``detail`` says why);
``chain_verified``/``name_matches`` null when not known (no CA given, no handshake, or the chain failed
before the name was checked).
Facts only: the rules of ``tier3.rules.observed.listener`` judge them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.parsers._records import field, iso_time, records

WHAT = "tier3 TLS listener probe records (a JSON list of objects with address, port, kind, answered, ...)"
TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
RESULTS = ("accepted", "refused", "untested")
LISTENER_KINDS = ("smtp-starttls", "submission", "imap-starttls", "imaps", "lmtp-starttls", "https")
NAMED_KINDS = ("https",)  # one address and port serves several names (each domain's mta-sts.<domain>)


def listener_name(address: str, port: int, kind: str, server_hostname: str) -> str:
    """How findings name a listener: ``address:port``, and ``/server_hostname`` after it for a kind whose
    address and port serve several names (``NAMED_KINDS``), as ``tier3 inspect`` URLs write it."""
    host = f"[{address}]" if ":" in address else address
    named = f"/{server_hostname}" if kind in NAMED_KINDS and server_hostname else ""
    return f"{host}:{port}{named}"


@dataclass(frozen=True)
class VersionResult:
    result: str  # accepted, refused, untested
    detail: str = ""


@dataclass(frozen=True)
class Certificate:
    subject: str
    issuer: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    not_before: float  # seconds since the epoch
    not_after: float


@dataclass(frozen=True)
class ListenerFacts:
    address: str
    port: int
    kind: str
    server_hostname: str
    probed_at: float
    answered: bool
    error: str
    banner: str
    capabilities: tuple[str, ...]
    starttls_offered: bool | None
    auth_before_tls: tuple[str, ...]
    tls_version: str | None
    tls_cipher: str | None
    versions: dict[str, VersionResult]
    certificate: Certificate | None
    chain_verified: bool | None
    verify_error: str
    name_matches: bool | None
    where: str  # the record's JSON pointer: /0

    @property
    def name(self) -> str:
        """How findings name the listener (``listener_name``)."""
        return listener_name(self.address, self.port, self.kind, self.server_hostname)


@dataclass(frozen=True)
class TlsListeners:
    listeners: tuple[ListenerFacts, ...]


def _get(doc: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], source: str, where: str, *,
         optional: bool = False) -> Any:
    return field(doc, key, kinds, source, where, what=WHAT, optional=optional)


def _strings(doc: Mapping[str, Any], key: str, source: str, where: str) -> tuple[str, ...]:
    value = _get(doc, key, list, source, where)
    if not all(isinstance(v, str) for v in value):
        raise ParseError(source, f"{where}/{key}", f"{key} must be a list of strings")
    return tuple(value)


def _certificate(doc: Any, source: str, where: str) -> Certificate | None:
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise ParseError(source, where, "certificate must be an object or null")
    return Certificate(
        subject=_get(doc, "subject", str, source, where), issuer=_get(doc, "issuer", str, source, where),
        dns_names=_strings(doc, "dns_names", source, where), ip_addresses=_strings(doc, "ip_addresses", source, where),
        not_before=iso_time(doc.get("not_before"), source, f"{where}/not_before"),
        not_after=iso_time(doc.get("not_after"), source, f"{where}/not_after"))


def _versions(doc: Any, source: str, where: str) -> dict[str, VersionResult]:
    if not isinstance(doc, dict):
        raise ParseError(source, where, "versions must be an object: TLS version -> {result, detail}")
    out = {}
    for name, entry in doc.items():
        if name not in TLS_VERSIONS:
            raise ParseError(source, f"{where}/{name}", f"unknown TLS version {name!r}; expected {TLS_VERSIONS}")
        if not isinstance(entry, dict) or entry.get("result") not in RESULTS:
            raise ParseError(source, f"{where}/{name}", f"expected {{result: one of {', '.join(RESULTS)}}}")
        detail = entry.get("detail", "")
        out[name] = VersionResult(entry["result"], detail if isinstance(detail, str) else str(detail))
    return out


def _listener(doc: Any, source: str, where: str) -> ListenerFacts:
    if not isinstance(doc, dict):
        raise ParseError(source, where, f"expected an object per listener: {WHAT}")
    kind = _get(doc, "kind", str, source, where)
    if kind not in LISTENER_KINDS:
        raise ParseError(source, f"{where}/kind", f"unknown listener kind {kind!r}; expected one of "
                         f"{', '.join(LISTENER_KINDS)}")
    port = _get(doc, "port", int, source, where)
    if isinstance(port, bool) or not 0 < port < 65536:
        raise ParseError(source, f"{where}/port", f"not a TCP port: {port!r}")
    tls = _get(doc, "tls", dict, source, where, optional=True)
    return ListenerFacts(
        address=_get(doc, "address", str, source, where), port=port, kind=kind,
        server_hostname=_get(doc, "server_hostname", str, source, where, optional=True) or "",
        probed_at=float(_get(doc, "probed_at", (int, float), source, where)),
        answered=_get(doc, "answered", bool, source, where),
        error=_get(doc, "error", str, source, where, optional=True) or "",
        banner=_get(doc, "banner", str, source, where, optional=True) or "",
        capabilities=_strings(doc, "capabilities", source, where) if "capabilities" in doc else (),
        starttls_offered=_get(doc, "starttls_offered", bool, source, where, optional=True),
        auth_before_tls=_strings(doc, "auth_before_tls", source, where) if "auth_before_tls" in doc else (),
        tls_version=None if tls is None else str(tls.get("version", "")),
        tls_cipher=None if tls is None else str(tls.get("cipher", "")),
        versions=_versions(doc.get("versions", {}), source, f"{where}/versions"),
        certificate=_certificate(doc.get("certificate"), source, f"{where}/certificate"),
        chain_verified=_get(doc, "chain_verified", bool, source, where, optional=True),
        verify_error=_get(doc, "verify_error", str, source, where, optional=True) or "",
        name_matches=_get(doc, "name_matches", bool, source, where, optional=True),
        where=where,
    )


def parse_tls_listeners(raw: str | list[Any] | Mapping[str, Any], source: str) -> TlsListeners:
    """Probe records as JSON text, a list of records, ``{"listeners": [...]}`` or one record."""
    value = records(raw, source, WHAT, "listeners")
    return TlsListeners(tuple(_listener(doc, source, f"/{i}") for i, doc in enumerate(value)))
