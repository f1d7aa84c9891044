"""The client side of a drill, run on the controller: an SMTP sender, an IMAP poller, a mailbox reader.

- ``send_one``: one small message over SMTP (port 25 of the smtp VIP) carrying a unique token in an
  ``X-Tier3-Drill`` header and the Subject; STARTTLS when offered, the certificate verified against
  the site's CA and the MX service name. ``ok`` only on a 250 after DATA.
- ``poll_once``: one IMAPS login and SELECT of the drill mailbox through the IMAP VIP.
- ``read_tokens``: which tokens of a run the mailbox holds (``SEARCH HEADER X-Tier3-Drill RUN``);
  ``delete_tokens`` removes a run's messages at the end.
- ``Stream``: a thread repeating one of them every 1/rate seconds, recording each ``Transaction``.

Short socket timeouts (2 s by default) make a dead path show as failures rather than hangs.
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from tier3.drill.analysis import Transaction

HEADER = "X-Tier3-Drill"
SMTP_PORT = 25
IMAPS_PORT = 993
TOKEN = re.compile(rb"X-Tier3-Drill:\s*(\S+)", re.IGNORECASE)
# what reading the mailbox raises when the path, the TLS or the server fails (ssl.SSLError is an OSError)
READ_ERRORS: tuple[type[Exception], ...] = (OSError, imaplib.IMAP4.error, EOFError)


@dataclass(frozen=True)
class Endpoint:
    """Where a probe connects, and the name its certificate must carry."""

    address: str
    port: int
    tls_name: str  # a host name, or the address itself (checked against the certificate's IP SAN)
    ca_file: str = ""  # "" = the system's trust store

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_file or None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def __str__(self) -> str:
        return f"{self.address}:{self.port}"


@dataclass(frozen=True)
class Account:
    user: str
    password: str = field(repr=False)


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def message(token: str, drill: str, mailbox: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mailbox
    msg["To"] = mailbox
    msg["Subject"] = f"tier3 drill {drill} {token}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=token, domain=mailbox.rsplit("@", 1)[-1])
    msg[HEADER] = token
    msg.set_content(f"tier3 failover drill {drill}: message {token}. Deleted by the drill once counted.\n")
    return msg


class _SMTP(smtplib.SMTP):
    """smtplib's client, its STARTTLS checking the certificate for ``tls_name`` (not the VIP's address)."""

    def __init__(self, endpoint: Endpoint, helo: str, timeout: float) -> None:
        self.tls_name = endpoint.tls_name
        super().__init__(local_hostname=helo, timeout=timeout)

    def starttls_verified(self, context: ssl.SSLContext) -> None:
        self._host = self.tls_name  # smtplib passes _host as server_hostname to wrap_socket
        self.starttls(context=context)


def send_one(endpoint: Endpoint, token: str, drill: str, mailbox: str, timeout: float) -> Transaction:
    """One SMTP transaction; the stage says how far it got."""
    start = time.time()
    stage = "connect"
    helo = f"tier3-drill.{mailbox.rsplit('@', 1)[-1]}"
    client = _SMTP(endpoint, helo, timeout)
    try:
        code, text = client.connect(endpoint.address, endpoint.port)
        stage = "banner"
        if code != 220:
            return _done(start, False, stage, token, f"{code} {text.decode(errors='replace')}")
        stage = "ehlo"
        client.ehlo()
        if client.has_extn("starttls"):
            stage = "starttls"
            client.starttls_verified(endpoint.context())
            client.ehlo()
        stage = "mail"
        client.send_message(message(token, drill, mailbox), from_addr=mailbox, to_addrs=[mailbox])
        stage = "accepted"  # send_message returns only after 250 to DATA (it raises otherwise)
        ok = True
        detail = ""
    except smtplib.SMTPRecipientsRefused as exc:
        stage, ok, detail = "rcpt", False, _refusal(exc.recipients)
    except smtplib.SMTPResponseException as exc:
        stage = "data" if isinstance(exc, smtplib.SMTPDataError) else stage
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        ok, detail = False, f"{exc.smtp_code} {said}"
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    finally:
        _close(client)
    return _done(start, ok, stage, token, detail)


def _refusal(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{r}: {code} {text.decode(errors='replace')}" for r, (code, text) in recipients.items())


def _done(start: float, ok: bool, stage: str, token: str, detail: str) -> Transaction:
    return Transaction(start, time.time(), ok, stage, token, detail[:300])


def _close(client: smtplib.SMTP) -> None:
    try:
        if client.sock is not None:
            client.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        client.close()


class _IMAP(imaplib.IMAP4_SSL):
    """imaplib's IMAPS client checking the certificate for ``tls_name`` while connecting to the VIP."""

    def __init__(self, endpoint: Endpoint, timeout: float) -> None:
        self.tls_name = endpoint.tls_name
        self.verified_context = endpoint.context()
        super().__init__(endpoint.address, endpoint.port, ssl_context=self.verified_context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> ssl.SSLSocket:
        """imaplib's own step (3.11-3.13), with the name to verify instead of the address connected to."""
        sock = socket.create_connection((self.host, self.port), timeout)
        return self.verified_context.wrap_socket(sock, server_hostname=self.tls_name)


def _logout(client: imaplib.IMAP4 | None) -> None:
    if client is None:
        return
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        client.shutdown()


def poll_once(endpoint: Endpoint, account: Account, timeout: float) -> Transaction:
    """One IMAPS poll: connect, log in, SELECT INBOX read-only."""
    start = time.time()
    stage = "connect"
    client: _IMAP | None = None
    try:
        client = _IMAP(endpoint, timeout)
        stage = "login"
        client.login(account.user, account.password)
        stage = "select"
        status, data = client.select("INBOX", readonly=True)
        if status != "OK":
            return _done(start, False, stage, "", repr(data))
        stage = "ok"
        return _done(start, True, stage, "", "")
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        return _done(start, False, stage, "", f"{type(exc).__name__}: {exc}")
    finally:
        _logout(client)


def tokens_in(fetched: list[object]) -> set[str]:
    """The X-Tier3-Drill tokens in an imaplib FETCH answer (tuples of (envelope, header bytes))."""
    out: set[str] = set()
    for part in fetched:
        if isinstance(part, tuple):
            for piece in part:
                if isinstance(piece, bytes):
                    out |= {m.decode(errors="replace") for m in TOKEN.findall(piece)}
    return out


def _run_uids(client: imaplib.IMAP4, run_id: str) -> list[bytes]:
    status, data = client.uid("SEARCH", "HEADER", HEADER, run_id)
    if status != "OK" or not data or not data[0]:
        return []
    return [u for u in data[0].split() if u.isdigit()]


def read_tokens(endpoint: Endpoint, account: Account, run_id: str, timeout: float = 10.0) -> set[str]:
    """The tokens of run ``run_id`` in the drill mailbox (raises OSError or imaplib's error when unreadable)."""
    client = _IMAP(endpoint, timeout)
    try:
        client.login(account.user, account.password)
        client.select("INBOX", readonly=True)
        uids = _run_uids(client, run_id)
        if not uids:
            return set()
        status, fetched = client.uid("FETCH", b",".join(uids).decode(), f"(BODY.PEEK[HEADER.FIELDS ({HEADER})])")
        return tokens_in(list(fetched)) if status == "OK" else set()
    finally:
        _logout(client)


def delete_run(endpoint: Endpoint, account: Account, run_id: str, timeout: float = 10.0) -> int:
    """Delete the messages of run ``run_id`` from the drill mailbox; the number deleted."""
    client = _IMAP(endpoint, timeout)
    try:
        client.login(account.user, account.password)
        client.select("INBOX")
        uids = _run_uids(client, run_id)
        if uids:
            client.uid("STORE", b",".join(uids).decode(), "+FLAGS.SILENT", r"(\Deleted)")
            client.expunge()
        return len(uids)
    finally:
        _logout(client)


class Stream(threading.Thread):
    """Repeats ``attempt(seq)`` every ``interval`` seconds (or right after a slow one) until stopped."""

    def __init__(self, name: str, attempt: Callable[[int], Transaction], interval: float) -> None:
        super().__init__(name=f"tier3-drill-{name}", daemon=True)
        self.attempt = attempt
        self.interval = interval
        self.log: list[Transaction] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        seq = 0
        next_at = time.monotonic()
        while not self.stop.is_set():
            seq += 1
            done = self.attempt(seq)
            with self._lock:
                self.log.append(done)
            next_at += self.interval
            wait = next_at - time.monotonic()
            if wait < 0:
                next_at = time.monotonic()  # behind: go on at once, without a burst to catch up
            elif self.stop.wait(wait):
                break

    def snapshot(self) -> list[Transaction]:
        with self._lock:
            return list(self.log)

    def finish(self, timeout: float) -> list[Transaction]:
        self.stop.set()
        self.join(timeout)
        return self.snapshot()
