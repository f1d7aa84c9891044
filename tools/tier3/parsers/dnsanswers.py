"""The records of ``tier3.probe.dns`` (the authoritative servers asked from the controller) -> facts per
server, zone and question. Pure.

A record per server, as JSON (``tier3 inspect dns-answers saved.json`` reads a saved list of them; the
probe hands the same mappings over live); its shape is in ``tier3.probe.dns``. Each question carries
what the zone generator expects (``expected``: a list, or null when the controller cannot know it) and
the role of the rule that judges its content (``spf``, ``dkim``, ``dmarc``, ``tlsa`` or ""); a TLSA
question also the addresses of its MX name and the certificates to compare with (``source``
``served``: the listener probe saw it; ``inventory``: the inventory gives it). Facts only: the rules
of ``tier3.rules.observed.dns`` judge them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tier3.errors import ParseError
from tier3.parsers._records import field, records

WHAT = "tier3 DNS probe records (a JSON list of objects with server, address, answered, zones, ...)"
ROLES = ("", "spf", "dkim", "dmarc", "tlsa")
MATCHES = ("exact", "contains")
CERTIFICATE_SOURCES = ("served", "inventory")


@dataclass(frozen=True)
class CertificateRef:
    address: str  # where it was served ("" for the inventory's)
    spki_sha256: str
    source: str  # served, inventory


@dataclass(frozen=True)
class Answer:
    """One question to one server and what it said."""

    name: str
    type: str
    role: str
    match: str
    expected: tuple[str, ...] | None  # None: not known on the controller
    rcode: str  # NOERROR, NXDOMAIN, REFUSED...; "" when no answer came
    authoritative: bool
    transport: str  # udp, tcp; "" when no answer came
    data: tuple[str, ...]
    error: str
    addresses: tuple[str, ...]
    certificates: tuple[CertificateRef, ...]
    where: str  # JSON pointer: /0/zones/0/answers/3

    @property
    def label(self) -> str:
        """``_dmarc.lab.tier3.test TXT``: how findings name the record."""
        return f"{self.name} {self.type}"


@dataclass(frozen=True)
class Soa:
    rcode: str
    authoritative: bool
    serial: int | None
    error: str
    where: str


@dataclass(frozen=True)
class ZoneAnswers:
    zone: str
    soa: Soa
    answers: tuple[Answer, ...]
    where: str

    @property
    def served(self) -> bool:
        """The server answers for the zone with authority (NOERROR, AA, a serial)."""
        return (not self.soa.error and self.soa.rcode == "NOERROR" and self.soa.authoritative
                and self.soa.serial is not None)


@dataclass(frozen=True)
class ServerAnswers:
    server: str  # the inventory host
    address: str
    port: int
    queried_at: float
    answered: bool
    error: str
    zones: tuple[ZoneAnswers, ...]
    where: str

    @property
    def name(self) -> str:
        """``dns1 (10.89.30.31)``: how findings name the server."""
        return f"{self.server} ({self.address or 'no address'})"


@dataclass(frozen=True)
class DnsAnswers:
    servers: tuple[ServerAnswers, ...]


def _get(doc: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], source: str, where: str, *,
         optional: bool = False, default: Any = None) -> Any:
    return field(doc, key, kinds, source, where, what=WHAT, optional=optional, default=default)


def _strings(value: Any, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError(source, where, "expected a list of strings")
    return tuple(value)


def _choice(doc: Mapping[str, Any], key: str, choices: tuple[str, ...], source: str, where: str, *,
            default: str = "") -> str:
    value = doc.get(key) or default
    if value not in choices:
        raise ParseError(source, f"{where}/{key}", f"unknown {key} {value!r}; expected one of "
                         f"{', '.join(repr(c) for c in choices)}")
    return str(value)


def _certificates(value: Any, source: str, where: str) -> tuple[CertificateRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ParseError(source, where, "certificates must be a list of {address, spki_sha256, source}")
    out = []
    for i, doc in enumerate(value):
        at = f"{where}/{i}"
        if not isinstance(doc, dict):
            raise ParseError(source, at, "expected {address, spki_sha256, source}")
        out.append(CertificateRef(_get(doc, "address", str, source, at, optional=True, default=""),
                                  _get(doc, "spki_sha256", str, source, at).lower(),
                                  _choice(doc, "source", CERTIFICATE_SOURCES, source, at)))
    return tuple(out)


def _answer(doc: Any, source: str, where: str) -> Answer:
    if not isinstance(doc, dict):
        raise ParseError(source, where, f"expected an object per question: {WHAT}")
    expected = doc.get("expected")
    return Answer(
        name=_get(doc, "name", str, source, where).rstrip(".").lower(), type=_get(doc, "type", str, source, where),
        role=_choice(doc, "role", ROLES, source, where),
        match=_choice(doc, "match", MATCHES, source, where, default="exact"),
        expected=None if expected is None else _strings(expected, source, f"{where}/expected"),
        rcode=_get(doc, "rcode", str, source, where, optional=True, default=""),
        authoritative=_get(doc, "authoritative", bool, source, where, optional=True, default=False),
        transport=_get(doc, "transport", str, source, where, optional=True, default=""),
        data=_strings(doc.get("data", []), source, f"{where}/data"),
        error=_get(doc, "error", str, source, where, optional=True, default=""),
        addresses=_strings(doc.get("addresses", []), source, f"{where}/addresses"),
        certificates=_certificates(doc.get("certificates"), source, f"{where}/certificates"),
        where=where,
    )


def _soa(doc: Any, source: str, where: str) -> Soa:
    if not isinstance(doc, dict):
        raise ParseError(source, where, "soa must be an object {rcode, authoritative, serial, error}")
    serial = _get(doc, "serial", int, source, where, optional=True)
    if serial is not None and not 0 <= serial < 2**32:
        raise ParseError(source, f"{where}/serial", f"not a SOA serial (32 bits): {serial}")
    return Soa(_get(doc, "rcode", str, source, where, optional=True, default=""),
               _get(doc, "authoritative", bool, source, where, optional=True, default=False), serial,
               _get(doc, "error", str, source, where, optional=True, default=""), where)


def _zone(doc: Any, source: str, where: str) -> ZoneAnswers:
    if not isinstance(doc, dict):
        raise ParseError(source, where, "expected an object per zone {zone, soa, answers}")
    answers = _get(doc, "answers", list, source, where, optional=True, default=[])
    return ZoneAnswers(_get(doc, "zone", str, source, where).rstrip(".").lower(),
                       _soa(doc.get("soa"), source, f"{where}/soa"),
                       tuple(_answer(a, source, f"{where}/answers/{i}") for i, a in enumerate(answers)), where)


def _server(doc: Any, source: str, where: str) -> ServerAnswers:
    if not isinstance(doc, dict):
        raise ParseError(source, where, f"expected an object per server: {WHAT}")
    port = _get(doc, "port", int, source, where, optional=True, default=53)
    if not 0 < port < 65536:
        raise ParseError(source, f"{where}/port", f"not a port: {port!r}")
    zones = _get(doc, "zones", list, source, where, optional=True, default=[])
    return ServerAnswers(
        server=_get(doc, "server", str, source, where), address=_get(doc, "address", str, source, where),
        port=port, queried_at=float(_get(doc, "queried_at", (int, float), source, where)),
        answered=_get(doc, "answered", bool, source, where),
        error=_get(doc, "error", str, source, where, optional=True, default=""),
        zones=tuple(_zone(z, source, f"{where}/zones/{i}") for i, z in enumerate(zones)), where=where)


def parse_dns_answers(raw: str | list[Any] | Mapping[str, Any], source: str) -> DnsAnswers:
    """Probe records as JSON text, a list of records, ``{"servers": [...]}`` or one record."""
    value = records(raw, source, WHAT, "servers")
    return DnsAnswers(tuple(_server(doc, source, f"/{i}") for i, doc in enumerate(value)))
