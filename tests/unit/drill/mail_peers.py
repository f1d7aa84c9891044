"""Small SMTP and IMAPS servers on 127.0.0.1 for the probe tests: real sockets and real TLS, the protocol
subset the drill speaks (SMTP with optional STARTTLS; IMAP4rev1 LOGIN, SELECT/EXAMINE, UID SEARCH HEADER,
UID FETCH of one header field, UID STORE, EXPUNGE, LOGOUT), and a CA issuing their certificate."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import ipaddress
import re
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path


def make_pki(directory: Path, names: tuple[str, ...] = ("mail.drill.test", "imap.drill.test")) -> Pki:
    """A CA and a server certificate for ``names`` and 127.0.0.1."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tier3 drill test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    out = Pki(directory / "ca.crt", directory / "tier3.crt", directory / "tier3.key")
    out.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return out


def server_context(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.cert, pki.key)
    return ctx


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class Mailbox:
    """What the servers share: the accepted messages, by UID."""

    user: str
    password: str
    messages: dict[int, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_uid: int = 1
    deleted: set[int] = field(default_factory=set)  # flagged \\Deleted, gone at EXPUNGE
    refuse_rcpt: str = ""  # an SMTP reply for RCPT TO instead of 250 (e.g. "450 4.2.0 try again")

    def add(self, raw: bytes) -> None:
        with self.lock:
            self.messages[self.next_uid] = raw
            self.next_uid += 1


class SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 mail.drill.test ESMTP test")
        tls = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip()
            upper = verb.upper()
            if upper.startswith(("EHLO", "HELO")):
                offer = self.server.tls is not None and not tls
                self.reply("250-mail.drill.test" if offer else "250 mail.drill.test")
                if offer:
                    self.reply("250 STARTTLS")
            elif upper == "STARTTLS" and self.server.tls is not None:
                self.reply("220 2.0.0 Ready to start TLS")
                self.rfile.close()
                self.wfile.close()
                try:
                    self.connection = self.server.tls.wrap_socket(self.connection, server_side=True)
                except (OSError, ValueError):
                    return  # the client refused the certificate: what the test wants to see
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")
                tls = True
            elif upper.startswith("MAIL FROM"):
                self.reply("250 2.1.0 Ok")
            elif upper.startswith("RCPT TO"):
                self.reply(self.server.mailbox.refuse_rcpt or "250 2.1.5 Ok")
            elif upper == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.mailbox.add(b"".join(body))
                self.reply("250 2.0.0 Ok: queued")
            elif upper == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.close()  # the server closes only the plain socket it accepted


class _SmtpServer(_Server):
    mailbox: Mailbox
    tls: ssl.SSLContext | None


FETCH_FIELD = re.compile(r"HEADER\.FIELDS \(([^)]+)\)", re.IGNORECASE)


class ImapHandler(socketserver.StreamRequestHandler):
    """One IMAP session; each command is a method of ``COMMANDS`` taking (tag, arguments)."""

    server: _ImapServer
    logged_in = False
    done = False

    def out(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self) -> None:
        self.out("* OK [CAPABILITY IMAP4rev1] test ready")
        self.wfile.flush()
        while not self.done and (line := self.rfile.readline()):
            tag, _, rest = line.decode(errors="replace").rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            if command.upper() == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub}"
            method = COMMANDS.get(command.upper())
            if method is None:
                self.out(f"{tag} BAD unknown command")
            elif not self.logged_in and command.upper() not in OPEN_COMMANDS:
                self.out(f"{tag} BAD log in first")
            else:
                method(self, tag, args)
            self.wfile.flush()

    def capability(self, tag: str, _args: str) -> None:
        self.out("* CAPABILITY IMAP4rev1")
        self.out(f"{tag} OK done")

    def login(self, tag: str, args: str) -> None:
        user, _, password = args.partition(" ")
        box = self.server.mailbox
        self.logged_in = user.strip('"') == box.user and password.strip('"') == box.password
        self.out(f"{tag} OK logged in" if self.logged_in else f"{tag} NO [AUTHENTICATIONFAILED] Authentication failed.")

    def logout(self, tag: str, _args: str) -> None:
        self.out("* BYE")
        self.out(f"{tag} OK bye")
        self.done = True

    def select(self, tag: str, _args: str) -> None:
        self.out(f"* {len(self.server.mailbox.messages)} EXISTS")
        self.out(f"{tag} OK selected")

    def search(self, tag: str, args: str) -> None:
        header, _, value = args.partition(" ")[2].partition(" ")  # HEADER <field> <value>
        found = [str(uid) for uid, raw in sorted(self.server.mailbox.messages.items())
                 if value.strip('"') in str(email.message_from_bytes(raw).get(header, ""))]
        self.out("* SEARCH" + "".join(f" {u}" for u in found))
        self.out(f"{tag} OK search done")

    def _uids(self, text: str) -> list[int]:
        return [int(u) for u in text.split(",") if u.isdigit() and int(u) in self.server.mailbox.messages]

    def fetch(self, tag: str, args: str) -> None:
        uids, _, what = args.partition(" ")
        match = FETCH_FIELD.search(what)
        field_name = match.group(1) if match else ""
        for seq, uid in enumerate(self._uids(uids), 1):
            value = email.message_from_bytes(self.server.mailbox.messages[uid]).get(field_name, "")
            literal = f"{field_name}: {value}\r\n\r\n".encode()
            self.out(f"* {seq} FETCH (UID {uid} BODY[HEADER.FIELDS ({field_name})] {{{len(literal)}}}".encode())
            self.wfile.write(literal)
            self.out(")")
        self.out(f"{tag} OK fetch done")

    def store(self, tag: str, args: str) -> None:
        with self.server.mailbox.lock:
            self.server.mailbox.deleted.update(self._uids(args.partition(" ")[0]))
        self.out(f"{tag} OK stored")

    def expunge(self, tag: str, _args: str) -> None:
        box = self.server.mailbox
        with box.lock:
            for uid in box.deleted:
                box.messages.pop(uid, None)
            box.deleted.clear()
        self.out(f"{tag} OK expunged")


COMMANDS: dict[str, Callable[[ImapHandler, str, str], None]] = {
    "CAPABILITY": ImapHandler.capability, "LOGIN": ImapHandler.login, "LOGOUT": ImapHandler.logout,
    "SELECT": ImapHandler.select, "EXAMINE": ImapHandler.select, "UID SEARCH": ImapHandler.search,
    "UID FETCH": ImapHandler.fetch, "UID STORE": ImapHandler.store, "EXPUNGE": ImapHandler.expunge,
}
OPEN_COMMANDS = frozenset({"CAPABILITY", "LOGIN", "LOGOUT"})


class _ImapServer(_Server):
    mailbox: Mailbox

    def __init__(self, address: tuple[str, int], tls: ssl.SSLContext) -> None:
        super().__init__(address, ImapHandler)
        self.tls = tls

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        return self.tls.wrap_socket(sock, server_side=True), address


@contextmanager
def smtp_server(mailbox: Mailbox, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    server = _SmtpServer(("127.0.0.1", 0), SmtpHandler)
    server.mailbox, server.tls = mailbox, tls
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def imaps_server(mailbox: Mailbox, tls: ssl.SSLContext) -> Iterator[int]:
    server = _ImapServer(("127.0.0.1", 0), tls)
    server.mailbox = mailbox
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
