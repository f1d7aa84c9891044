"""Real mail listeners on 127.0.0.1 for the probe tests: a throwaway CA (cryptography) and small threaded
servers speaking the first steps of SMTP, LMTP and IMAP, with STARTTLS (or implicit TLS) on Python's ssl.

Each server listens on a free port of 127.0.0.1, answers each connection in a daemon thread with
timeouts, and is stopped (socket closed, threads joined) by the fixture that started it. What they
speak, per protocol:

- smtp / lmtp: ``220 mail.test.invalid ESMTP tier3-test``; EHLO (LHLO) -> PIPELINING, SIZE, STARTTLS
  (when the server has a TLS context), AUTH PLAIN LOGIN (before TLS only with ``auth_before_tls``;
  always after it); STARTTLS -> 220 and the handshake; QUIT -> 221.
- imap: ``* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED] ...`` (``AUTH=PLAIN`` and no
  LOGINDISABLED with ``auth_before_tls``); CAPABILITY, STARTTLS, LOGOUT.
- imaps: the handshake first, then ``* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ...``.
- https (an MTA-STS policy host): the handshake first, then one HTTP/1.1 request: ``200 OK`` and a policy
  for ``GET``/``HEAD /.well-known/mta-sts.txt`` with ``Host: mta-sts.<anything>``, ``404`` for anything else;
  the request lines are kept in ``requests``.

With ``proxy_protocol`` a server first reads a PROXY protocol v2 header (as Postfix's
``smtpd_upstream_proxy_protocol = haproxy`` listeners do), records the client it names in ``proxied``, and
closes a connection that does not start with one, before any greeting.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import struct
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVICE_NAME = "mail.test.invalid"
HOST = "127.0.0.1"
IO_TIMEOUT = 5.0
PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


@dataclass
class ThrowawayCA:
    """A CA made at test time (EC P-256) that issues server certificates into ``home``."""

    home: Path
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        now = dt.datetime.now(dt.UTC)
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tier3 probe test CA")])
        self.cert = (
            x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=400))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256()))
        self.ca_file = self.home / "ca.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, name: str, *, dns: tuple[str, ...] = (SERVICE_NAME,), ips: tuple[str, ...] = (HOST,),
              days: float = 365, starts_days_ago: float = 1, self_signed: bool = False) -> Issued:
        """A server certificate for ``dns`` and ``ips``, valid from ``starts_days_ago`` ago for ``days``."""
        now = dt.datetime.now(dt.UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0] if dns else name)])
        issuer, signer = (subject, key) if self_signed else (self.name, self.key)
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
        start = now - dt.timedelta(days=starts_days_ago)
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        if not self_signed:
            builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                                            critical=False)
        cert = builder.sign(signer, hashes.SHA256())
        issued = Issued(self.home / f"{name}.pem", self.home / f"{name}.key")
        issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        issued.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
        return issued


def server_context(issued: Issued, oldest: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2) -> ssl.SSLContext:
    """A server context from ``oldest`` on; below TLS 1.2 at security level 0 (OpenSSL 3 refuses it otherwise)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.cert, issued.key)
    with warnings.catch_warnings():  # TLSVersion.TLSv1 is deprecated: serving it is the point of the test
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = oldest
    if oldest < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def _exactly(sock: socket.socket, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class _Lines:
    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def line(self) -> str | None:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\n")
        return raw.rstrip(b"\r").decode()

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(f"{line}\r\n" for line in lines).encode())


@dataclass
class MailServer:
    """One listener: ``protocol`` smtp, lmtp, imap, imaps or https; ``tls`` None means no STARTTLS at all."""

    protocol: str
    tls: ssl.SSLContext | None
    auth_before_tls: bool = False
    refuse: bool = False  # greet with 554 (Postfix when it will not serve: "no SMTP service here")
    proxy_protocol: bool = False  # a PROXY v2 header before anything else, or the connection is closed
    port: int = 0
    connections: int = 0
    handshakes: list[str] = field(default_factory=list)  # the version of each completed handshake
    proxied: list[tuple[str, int]] = field(default_factory=list)  # the source each PROXY v2 header named
    requests: list[str] = field(default_factory=list)  # https: the request line and Host of each request

    def start(self) -> MailServer:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()
        return self

    def settled(self) -> MailServer:
        """Once every connection so far is over (a client may finish its handshake before the server records it)."""
        for thread in list(self._threads):
            thread.join(timeout=IO_TIMEOUT)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._accepting.join(timeout=IO_TIMEOUT)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=IO_TIMEOUT)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _secure(self, conn: socket.socket) -> ssl.SSLSocket | None:
        assert self.tls is not None
        try:
            tls = self.tls.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return None
        self.handshakes.append(tls.version() or "")
        return tls

    def _proxy_header(self, conn: socket.socket) -> bool:
        """Read a PROXY v2 header (PROXY command, TCP over IPv4) and record the source it names."""
        head = _exactly(conn, 16)
        if head is None or head[:12] != PROXY_V2_SIGNATURE or head[12:14] != bytes([0x21, 0x11]):
            return False
        (length,) = struct.unpack("!H", head[14:16])
        addresses = _exactly(conn, length)
        if addresses is None or length < 12:
            return False
        self.proxied.append((socket.inet_ntoa(addresses[:4]), struct.unpack("!H", addresses[8:10])[0]))
        return True

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(IO_TIMEOUT)
        try:
            if self.proxy_protocol and not self._proxy_header(conn):
                return
            if self.protocol in ("smtp", "lmtp"):
                self._smtp(conn)
            elif self.protocol == "https":
                self._https(conn)
            else:
                self._imap(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def _smtp(self, conn: socket.socket) -> None:
        talk, secured = _Lines(conn), False
        try:
            self._smtp_session(talk, conn, secured)
        finally:
            talk.sock.close()

    def _smtp_session(self, talk: _Lines, conn: socket.socket, secured: bool) -> None:
        talk.send(f"554 5.3.2 {SERVICE_NAME} no SMTP service here" if self.refuse
                  else f"220 {SERVICE_NAME} ESMTP tier3-test")
        while (line := talk.line()) is not None:
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "LHLO"):
                keywords = ["PIPELINING", "SIZE 10240000"]
                if self.tls is not None and not secured:
                    keywords.append("STARTTLS")
                if secured or self.auth_before_tls:
                    keywords.append("AUTH PLAIN LOGIN")
                lines = [SERVICE_NAME, *keywords]
                talk.send(*(f"250-{k}" for k in lines[:-1]), f"250 {lines[-1]}")
            elif verb == "STARTTLS" and self.tls is not None and not secured:
                talk.send("220 2.0.0 Ready to start TLS")
                tls = self._secure(conn)
                if tls is None:
                    return
                conn, secured = tls, True
                talk.sock, talk.buffer = tls, b""  # the caller closes talk.sock: the TLS socket from now on
            elif verb == "QUIT":
                talk.send("221 2.0.0 Bye")
                return
            else:
                talk.send("502 5.5.2 Error: command not recognized")

    def _https(self, conn: socket.socket) -> None:
        tls = self._secure(conn)
        if tls is None:
            return
        talk = _Lines(tls)
        try:
            request = talk.line()
            headers = []
            while (line := talk.line()) not in (None, ""):
                headers.append(line)
            if request is None:
                return
            host = next((h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("host:")), "")
            self.requests.append(f"{request} Host={host}")
            method, path = [*request.split(" "), "", ""][:2]
            found = method in ("GET", "HEAD") and path == "/.well-known/mta-sts.txt" and host.startswith("mta-sts.")
            body = "version: STSv1\r\nmode: testing\r\nmx: mx.test.invalid\r\nmax_age: 604800\r\n" if found else ""
            talk.send("HTTP/1.1 200 OK" if found else "HTTP/1.1 404 Not Found", "Content-Type: text/plain",
                      f"Content-Length: {len(body)}", "Connection: close", "")
            if method == "GET":
                tls.sendall(body.encode())
        finally:
            tls.close()

    def _capabilities(self, secured: bool) -> str:
        caps = ["IMAP4rev1", "SASL-IR"]
        if not secured and self.tls is not None:
            caps.append("STARTTLS")
        caps += ["AUTH=PLAIN"] if secured or self.auth_before_tls else ["LOGINDISABLED"]
        return " ".join(caps)

    def _imap(self, conn: socket.socket) -> None:
        secured = self.protocol == "imaps"
        if secured:
            tls = self._secure(conn)
            if tls is None:
                return
            conn = tls
        talk = _Lines(conn)
        try:
            self._imap_session(talk, conn, secured)
        finally:
            talk.sock.close()

    def _imap_session(self, talk: _Lines, conn: socket.socket, secured: bool) -> None:
        talk.send(f"* OK [CAPABILITY {self._capabilities(secured)}] tier3-test ready.")
        while (line := talk.line()) is not None:
            tag, _, command = line.partition(" ")
            verb = command.split(" ", 1)[0].upper()
            if verb == "CAPABILITY":
                talk.send(f"* CAPABILITY {self._capabilities(secured)}", f"{tag} OK Capability completed.")
            elif verb == "STARTTLS" and self.tls is not None and not secured:
                talk.send(f"{tag} OK Begin TLS negotiation now.")
                tls = self._secure(conn)
                if tls is None:
                    return
                conn, secured = tls, True
                talk.sock, talk.buffer = tls, b""  # the caller closes talk.sock: the TLS socket from now on
            elif verb == "LOGOUT":
                talk.send("* BYE Logging out", f"{tag} OK Logout completed.")
                return
            else:
                talk.send(f"{tag} BAD Error in IMAP command.")


StartServer = Callable[..., MailServer]  # the mail_server fixture (conftest.py)
