"""What the mail protocols say before TLS, and what a certificate names: pure functions, no sockets.

- SMTP/LMTP replies (RFC 5321 4.2): ``250-first`` ... ``250 last``; EHLO/LHLO keywords after the first line;
  ``AUTH PLAIN LOGIN`` (and the old ``AUTH=PLAIN LOGIN``) names the mechanisms offered.
- IMAP (RFC 9051/3501): ``* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN LOGINDISABLED] ready`` or a
  ``* CAPABILITY ...`` line; a server lets a client log in before TLS when it lists an ``AUTH=``
  mechanism, or when it does not list ``LOGINDISABLED`` (the LOGIN command is then allowed).
- HTTPS (the MTA-STS policy host, RFC 8461 3.3): TLS from the first byte, then ``HEAD
  /.well-known/mta-sts.txt`` for the name probed; the status line (``HTTP/1.1 200 OK``) is what it says.
- Certificate names (RFC 6125, as OpenSSL checks them for a client): a DNS name matches a
  subjectAltName dNSName case-insensitively, a ``*`` only as the whole left-most label matching one
  label; an IP address matches an iPAddress entry; the subject CN is not used.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

_REPLY = re.compile(r"^(?P<code>[2-5]\d\d)(?P<sep>[ -]|$)(?P<text>.*)$")
_IMAP_CAPS = re.compile(r"^\*\s+(?:OK\s+\[CAPABILITY\s+(?P<ok>[^\]]*)\]|CAPABILITY\s+(?P<caps>.*))", re.IGNORECASE)


@dataclass(frozen=True)
class Protocol:
    """How one listener kind talks before TLS: a row of ``PROTOCOLS``."""

    family: str  # "smtp" (SMTP, submission, LMTP), "imap" or "http"
    implicit_tls: bool  # TLS from the first byte (imaps, https)
    hello: str = ""  # EHLO or LHLO (smtp family)
    checks_auth: bool = True  # whether AUTH before TLS is a question (not for LMTP)


PROTOCOLS: dict[str, Protocol] = {
    "smtp-starttls": Protocol("smtp", implicit_tls=False, hello="EHLO"),
    "submission": Protocol("smtp", implicit_tls=False, hello="EHLO"),
    "lmtp-starttls": Protocol("smtp", implicit_tls=False, hello="LHLO", checks_auth=False),
    "imap-starttls": Protocol("imap", implicit_tls=False),
    "imaps": Protocol("imap", implicit_tls=True, checks_auth=False),
    "https": Protocol("http", implicit_tls=True, checks_auth=False),
}
MTA_STS_PATH = "/.well-known/mta-sts.txt"  # where an MTA-STS policy host serves the policy (RFC 8461 3.2)


def http_head(path: str, host: str) -> str:
    """The request an ``https`` probe sends once TLS is up: HEAD of ``path`` for ``host``, then close."""
    return f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tier3-probe\r\nConnection: close\r\n\r\n"


def reply_line(line: str) -> tuple[int, bool, str] | None:
    """``250-SIZE 10240000`` -> (250, more lines follow, ``SIZE 10240000``); None when not a reply line."""
    m = _REPLY.match(line)
    if m is None:
        return None
    return int(m["code"]), m["sep"] == "-", m["text"]


def smtp_keywords(reply: Sequence[str]) -> tuple[str, ...]:
    """The EHLO/LHLO keywords (with their parameters) of a whole reply; its first line is the greeting."""
    return tuple(" ".join(text.split()) for text in reply[1:] if text.strip())


def smtp_auth(keywords: Sequence[str]) -> tuple[str, ...]:
    """The SASL mechanisms an ``AUTH`` (or old ``AUTH=``) keyword offers, upper case, in order, once."""
    found: list[str] = []
    for keyword in keywords:
        head, _, rest = keyword.replace("=", " ", 1).partition(" ")
        if head.upper() == "AUTH":
            found += [m.upper() for m in rest.split()]
    return tuple(dict.fromkeys(found))


def has_keyword(keywords: Sequence[str], name: str) -> bool:
    return any(k.split(" ", 1)[0].upper() == name for k in keywords)


def imap_capabilities(line: str) -> tuple[str, ...] | None:
    """The capabilities an IMAP greeting or ``* CAPABILITY`` line lists; None when the line lists none."""
    m = _IMAP_CAPS.match(line.strip())
    if m is None:
        return None
    return tuple((m["ok"] if m["ok"] is not None else m["caps"]).split())


def imap_auth_before_tls(capabilities: Sequence[str]) -> tuple[str, ...]:
    """What a client may log in with before TLS: each ``AUTH=`` mechanism, and ``LOGIN`` unless ``LOGINDISABLED``."""
    upper = [c.upper() for c in capabilities]
    offered = [c.split("=", 1)[1] for c in upper if c.startswith("AUTH=")]
    if "LOGINDISABLED" not in upper:
        offered.append("LOGIN")
    return tuple(dict.fromkeys(offered))


def _dns_match(pattern: str, name: str) -> bool:
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    head, dot, rest = pattern.partition(".")
    if head != "*" or not dot or "*" in rest or rest.count(".") < 1:  # "*" alone or "*.com" match nothing
        return False
    first, dot, tail = name.partition(".")
    return bool(first) and bool(dot) and tail == rest


def name_matches(server_name: str, dns_names: Sequence[str], ip_addresses: Sequence[str]) -> bool:
    """Whether a certificate naming ``dns_names``/``ip_addresses`` is valid for ``server_name`` (a name or address)."""
    try:
        wanted = ipaddress.ip_address(server_name)
    except ValueError:
        return any(_dns_match(p, server_name) for p in dns_names)
    for entry in ip_addresses:
        try:
            if ipaddress.ip_address(entry) == wanted:
                return True
        except ValueError:
            continue
    return False
