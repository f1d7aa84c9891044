"""Probe one mail listener from the controller: does it answer, which TLS versions it accepts, does its
certificate verify and name it, does it offer AUTH before TLS. The socket edge of ``tier3.probe``.

Only the address and port the caller gives are ever contacted, each connection with a timeout
(``timeout`` seconds per connect, read and handshake) and a cap on what is read (``MAX_LINE`` bytes
a line, ``MAX_LINES`` lines a reply). The connections, in order:

1. the facts: the greeting, the capabilities before TLS (EHLO/LHLO, IMAP CAPABILITY), STARTTLS
   (or implicit TLS for ``imaps`` and ``https``) and a handshake that verifies nothing, to read the
   certificate and the version and cipher the defaults negotiate; then QUIT / LOGOUT (``https``: a
   ``HEAD`` of the MTA-STS policy with ``Connection: close``, its status line kept as the banner);
2. with a CA file: the same dialogue and a handshake verifying the chain against it (the name is
   checked apart, on the certificate, by ``dialogue.name_matches``, so that a wrong name and a wrong
   chain are told apart);
3. one per TLS version (1.0, 1.1, 1.2, 1.3), the handshake pinned to it (minimum = maximum) with
   every cipher at OpenSSL security level 0 (``ALL:@SECLEVEL=0``), so that a refusal is the
   server's and not this side's default policy. A version this Python's OpenSSL cannot offer at
   all is ``untested``, with the reason.

The result is a record (a JSON-ready dict, see ``tier3.parsers.tlsprobe``): facts only; the rules
judge them.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tier3.dns.tlsa import spki_sha256
from tier3.errors import Tier3Error
from tier3.probe.dialogue import (
    MTA_STS_PATH,
    PROTOCOLS,
    Protocol,
    has_keyword,
    http_head,
    imap_auth_before_tls,
    imap_capabilities,
    name_matches,
    reply_line,
    smtp_auth,
    smtp_keywords,
)

DEFAULT_TIMEOUT = 5.0
MAX_LINE = 4096
MAX_LINES = 100
PROBE_NAME = "tier3-probe.invalid"  # what EHLO/LHLO says: a name that is nobody's
# name in the records -> the pinned version; "untested" when this Python's ssl lacks it
VERSIONS: dict[str, tuple[ssl.TLSVersion, bool]] = {
    "TLSv1": (ssl.TLSVersion.TLSv1, ssl.HAS_TLSv1),
    "TLSv1.1": (ssl.TLSVersion.TLSv1_1, ssl.HAS_TLSv1_1),
    "TLSv1.2": (ssl.TLSVersion.TLSv1_2, ssl.HAS_TLSv1_2),
    "TLSv1.3": (ssl.TLSVersion.TLSv1_3, ssl.HAS_TLSv1_3),
}
PROBE_CIPHERS = "ALL:@SECLEVEL=0"
# OpenSSL reasons raised on this side before the server said anything: the version was not tried
LOCAL_REASONS = ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM")


class ProbeFailure(Exception):
    """A step of the dialogue went wrong: the server answered something else, or nothing."""


@dataclass(frozen=True)
class Listener:
    """What to probe: an address and port the caller names, the kind of listener, the name to verify."""

    address: str
    port: int
    kind: str
    server_hostname: str = ""  # the name the certificate must carry; "" = the address

    @property
    def protocol(self) -> Protocol:
        return PROTOCOLS[self.kind]

    @property
    def expected_name(self) -> str:
        return self.server_hostname or self.address

    @classmethod
    def from_mapping(cls, doc: Mapping[str, Any], where: str = "listeners") -> Listener:
        """``{address, port, kind, server_hostname}``; a bad entry is a user error naming the key."""
        if not isinstance(doc, Mapping):
            raise Tier3Error(where, "", "a listener must be a mapping {address, port, kind, server_hostname}")
        address, port, kind = doc.get("address"), doc.get("port"), doc.get("kind")
        name = doc.get("server_hostname") or ""
        if not isinstance(address, str) or not address:
            raise Tier3Error(where, "address", "missing or not a string", hint="give the address to probe")
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise Tier3Error(where, "port", f"not a TCP port: {port!r}")
        if kind not in PROTOCOLS:
            raise Tier3Error(where, "kind", f"unknown listener kind {kind!r}",
                             hint=f"use one of {', '.join(PROTOCOLS)}")
        if not isinstance(name, str):
            raise Tier3Error(where, "server_hostname", "must be a string")
        return cls(address, port, str(kind), name)


class _Conversation:
    """Lines over a socket, bounded: CRLF or LF ends a line; more than ``MAX_LINE`` bytes is a failure."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def line(self) -> str:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise ProbeFailure(f"a line longer than {MAX_LINE} bytes")
            chunk = self.sock.recv(MAX_LINE)
            if not chunk:
                raise ProbeFailure("connection closed by the server" + (
                    f" after {self.buffer[:60]!r}" if self.buffer else ""))
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\n")
        return raw.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode("ascii") + b"\r\n")

    def reply(self) -> tuple[int, list[str]]:
        """One SMTP/LMTP reply, every line of it: (code, texts)."""
        texts: list[str] = []
        for _ in range(MAX_LINES):
            line = self.line()
            parsed = reply_line(line)
            if parsed is None:
                raise ProbeFailure(f"not an SMTP reply line: {line[:80]!r}")
            code, more, text = parsed
            texts.append(text)
            if not more:
                return code, texts
        raise ProbeFailure(f"a reply of more than {MAX_LINES} lines")

    def tagged(self, tag: str) -> tuple[str, list[str]]:
        """IMAP: the untagged lines up to the line tagged ``tag``: (its status line, the untagged lines)."""
        untagged: list[str] = []
        for _ in range(MAX_LINES):
            line = self.line()
            if line.startswith(f"{tag} "):
                return line[len(tag) + 1:], untagged
            untagged.append(line)
        raise ProbeFailure(f"no {tag} answer within {MAX_LINES} lines")


@dataclass
class _Plain:
    """What the listener said before TLS."""

    connected: bool = False
    banner: str = ""
    refused: bool = False  # it greeted with a refusal (SMTP 4xx/5xx, IMAP other than * OK)
    capabilities: tuple[str, ...] = ()
    starttls_offered: bool | None = None
    auth_before_tls: tuple[str, ...] = ()


def _smtp_before_tls(talk: _Conversation, proto: Protocol, plain: _Plain) -> None:
    code, greeting = talk.reply()
    plain.banner = f"{code} {greeting[-1]}".strip()
    if code != 220:
        plain.refused = True
        raise ProbeFailure(f"greeting {code} {' '.join(greeting)[:80]}: the server refuses the session")
    talk.send(f"{proto.hello} {PROBE_NAME}")
    code, lines = talk.reply()
    if code != 250:
        raise ProbeFailure(f"{proto.hello} answered {code} {' '.join(lines)[:80]}")
    plain.capabilities = smtp_keywords(lines)
    plain.starttls_offered = has_keyword(plain.capabilities, "STARTTLS")
    plain.auth_before_tls = smtp_auth(plain.capabilities) if proto.checks_auth else ()


def _imap_before_tls(talk: _Conversation, proto: Protocol, plain: _Plain) -> None:
    greeting = talk.line()
    plain.banner = greeting.strip()
    if not greeting.upper().startswith("* OK"):
        plain.refused = True
        raise ProbeFailure(f"greeting {greeting[:80]!r}: not '* OK'")
    caps = imap_capabilities(greeting)
    if caps is None:
        talk.send("t3a CAPABILITY")
        status, untagged = talk.tagged("t3a")
        if not status.upper().startswith("OK"):
            raise ProbeFailure(f"CAPABILITY answered {status[:80]!r}")
        caps = next((c for c in map(imap_capabilities, untagged) if c is not None), ())
    plain.capabilities = caps
    plain.starttls_offered = "STARTTLS" in (c.upper() for c in caps)
    plain.auth_before_tls = imap_auth_before_tls(caps) if proto.checks_auth else ()


def _starttls(talk: _Conversation, proto: Protocol) -> None:
    if proto.family == "smtp":
        talk.send("STARTTLS")
        code, lines = talk.reply()
        if code != 220:
            raise ProbeFailure(f"STARTTLS answered {code} {' '.join(lines)[:80]}")
    else:
        talk.send("t3b STARTTLS")
        status, _ = talk.tagged("t3b")
        if not status.upper().startswith("OK"):
            raise ProbeFailure(f"STARTTLS answered {status[:80]!r}")
    if talk.buffer:
        raise ProbeFailure("the server sent data after its STARTTLS answer, before the handshake")


@contextmanager
def _tls_session(listener: Listener, context: ssl.SSLContext, timeout: float,
                 plain: _Plain | None = None) -> Iterator[ssl.SSLSocket]:
    """Connect, speak up to STARTTLS (noting what was said in ``plain``), hand over the TLS socket, say goodbye."""
    proto = listener.protocol
    said = plain if plain is not None else _Plain()
    with socket.create_connection((listener.address, listener.port), timeout=timeout) as raw:
        raw.settimeout(timeout)
        said.connected = True
        if not proto.implicit_tls:
            talk = _Conversation(raw)
            (_smtp_before_tls if proto.family == "smtp" else _imap_before_tls)(talk, proto, said)
            if not said.starttls_offered:
                raise ProbeFailure("STARTTLS not offered")
            _starttls(talk, proto)
        sni = listener.server_hostname or None
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            if proto.implicit_tls and plain is not None:
                talk = _Conversation(tls)
                if proto.family == "http":  # HTTP waits for the client: ask for the policy, read the status line
                    tls.sendall(http_head(MTA_STS_PATH, listener.server_hostname or listener.address).encode("ascii"))
                    plain.banner = talk.line().strip()
                else:
                    greeting = talk.line()
                    plain.banner = greeting.strip()
                    plain.capabilities = imap_capabilities(greeting) or ()
            yield tls
            _goodbye(tls, proto)


def _goodbye(tls: ssl.SSLSocket, proto: Protocol) -> None:
    """QUIT or LOGOUT, best effort: the server may already be gone. HTTP was asked to close."""
    if proto.family == "http":
        return
    try:
        tls.sendall(b"QUIT\r\n" if proto.family == "smtp" else b"t3z LOGOUT\r\n")
    except OSError:
        return


def _no_verify_context(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """Verifies nothing; pinned to ``version``, or (None) any version from TLS 1.0 on, every cipher at level 0."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # TLSVersion.TLSv1/TLSv1_1 are deprecated: probing for them is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        if version is None:
            oldest = next((v for v, available in VERSIONS.values() if available), ssl.TLSVersion.TLSv1_2)
            context.minimum_version = oldest
        else:
            context.minimum_version = version
            context.maximum_version = version
    context.set_ciphers(PROBE_CIPHERS)
    return context


def verify_context(ca_file: str) -> ssl.SSLContext:
    """Verifies the chain against ``ca_file`` as a client with Python's defaults would (TLS 1.2 on, security
    level 2); the name is checked on the certificate apart. An unreadable CA file is the caller's error."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        context.load_verify_locations(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise Tier3Error(ca_file, "", f"cannot load the CA file: {_error(exc)}",
                         hint="give a PEM file of the CA that signs the listeners' certificates") from None
    return context


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def certificate_facts(der: bytes) -> dict[str, Any]:
    """Subject, issuer, names and validity of a DER certificate (cryptography, which ansible-core requires)."""
    from cryptography import x509  # noqa: PLC0415  (only when a certificate was received)

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        ips = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        dns, ips = [], []
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(), "dns_names": dns,
            "ip_addresses": ips, "not_before": _iso(cert.not_valid_before_utc),
            "not_after": _iso(cert.not_valid_after_utc),
            "spki_sha256": spki_sha256(ssl.DER_cert_to_PEM_cert(der))}  # what TLSA 3 1 1 must match (T3-OBS-DNS-007)


def _error(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc)


def _facts(listener: Listener, timeout: float, record: dict[str, Any]) -> bytes | None:
    """Connection 1: what the listener says, the certificate, what the defaults negotiate. The DER, or None."""
    plain = _Plain()
    der: bytes | None = None
    tls_answered = False  # implicit TLS: a handshake the server answered (even with an alert) is an answer
    try:
        with _tls_session(listener, _no_verify_context(), timeout, plain) as tls:
            tls_answered = True
            der = tls.getpeercert(binary_form=True)
            record["tls"] = {"version": tls.version() or "", "cipher": (tls.cipher() or ("",))[0]}
    except ssl.SSLError as exc:
        record["error"] = _error(exc)
        tls_answered = plain.connected
    except (OSError, ProbeFailure) as exc:
        record["error"] = _error(exc)
    answered = (bool(plain.banner) and not plain.refused) or (listener.protocol.implicit_tls and tls_answered)
    record.update(answered=answered, banner=plain.banner, capabilities=list(plain.capabilities),
                  starttls_offered=None if listener.protocol.implicit_tls else plain.starttls_offered,
                  auth_before_tls=list(plain.auth_before_tls))
    return der


def _version(listener: Listener, name: str, timeout: float) -> dict[str, str]:
    version, available = VERSIONS[name]
    if not available:
        return {"result": "untested", "detail": f"this Python's OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {name}"}
    try:
        with _tls_session(listener, _no_verify_context(version), timeout) as tls:
            return {"result": "accepted", "detail": f"{tls.version()} {(tls.cipher() or ('',))[0]}".strip()}
    except ssl.SSLError as exc:
        if isinstance(exc.reason, str) and exc.reason in LOCAL_REASONS:
            return {"result": "untested", "detail": f"refused on this side: {exc.reason}"}
        return {"result": "refused", "detail": _error(exc)}
    except ProbeFailure as exc:
        return {"result": "untested", "detail": str(exc)}
    except OSError as exc:  # reset or closed during the handshake: the server's refusal
        return {"result": "refused", "detail": _error(exc)}


def probe_listener(listener: Listener, ca_file: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Every fact about one listener, as a record ``tier3.parsers.tlsprobe`` reads."""
    record: dict[str, Any] = {
        "address": listener.address, "port": listener.port, "kind": listener.kind,
        "server_hostname": listener.server_hostname, "probed_at": round(time.time(), 3), "answered": False,
        "error": "", "tls": None, "versions": {}, "certificate": None, "chain_verified": None, "verify_error": "",
        "name_matches": None,
    }
    verifying = verify_context(ca_file) if ca_file else None
    der = _facts(listener, timeout, record)
    if not record["answered"] and not der:
        return record
    if der:
        cert = certificate_facts(der)
        record["certificate"] = cert
        record["name_matches"] = name_matches(listener.expected_name, cert["dns_names"], cert["ip_addresses"])
        if verifying is not None:
            try:
                with _tls_session(listener, verifying, timeout):
                    record["chain_verified"] = True
            except ssl.SSLCertVerificationError as exc:
                record.update(chain_verified=False, verify_error=str(exc.verify_message))
            except (OSError, ProbeFailure) as exc:
                record["verify_error"] = f"not verified: {_error(exc)}"
    if record["starttls_offered"] is False:
        record["versions"] = {name: {"result": "untested", "detail": "STARTTLS not offered"} for name in VERSIONS}
    else:
        record["versions"] = {name: _version(listener, name, timeout) for name in VERSIONS}
    return record


def probe_listeners(listeners: list[Listener], ca_file: str | None = None,
                    timeout: float = DEFAULT_TIMEOUT) -> list[dict[str, Any]]:
    """``probe_listener`` on each, in order."""
    return [probe_listener(listener, ca_file, timeout) for listener in listeners]
