"""tier3.probe.dialogue: the protocol text and certificate names, without sockets. The greetings and
capability lines are the ones Postfix 3.7 and Dovecot 2.3 printed (tests/fixtures/real/mail/tls_*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tier3.parsers.tlsprobe import LISTENER_KINDS
from tier3.probe.dialogue import (
    MTA_STS_PATH,
    PROTOCOLS,
    has_keyword,
    http_head,
    imap_auth_before_tls,
    imap_capabilities,
    name_matches,
    reply_line,
    smtp_auth,
    smtp_keywords,
)

MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"


def test_reply_lines() -> None:
    assert reply_line("250-PIPELINING") == (250, True, "PIPELINING")
    assert reply_line("250 CHUNKING") == (250, False, "CHUNKING")
    assert reply_line("220") == (220, False, "")
    assert reply_line("* OK ready") is None
    assert reply_line("2500 x") is None


def test_ehlo_keywords_and_auth() -> None:
    reply = ["mx1.lab.tier3.test", "PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN LOGIN", "AUTH=LOGIN",
             "8BITMIME"]
    keywords = smtp_keywords(reply)
    assert keywords[0] == "PIPELINING"
    assert has_keyword(keywords, "STARTTLS")
    assert not has_keyword(keywords, "SMTPUTF8")
    assert smtp_auth(keywords) == ("PLAIN", "LOGIN")
    assert smtp_auth(["auth=cram-md5 plain"]) == ("CRAM-MD5", "PLAIN")
    assert smtp_auth(["AUTHX PLAIN"]) == ()


def test_real_capability_lines() -> None:
    records = json.loads((MAIL / "tls_listener_probe_legacy.json").read_text(encoding="utf-8"))
    imap = next(r for r in records if r["port"] == 143)
    caps = imap_capabilities(imap["banner"])
    assert caps == tuple(imap["capabilities"])
    assert imap_auth_before_tls(caps or ()) == ("PLAIN", "LOGIN")
    hardened = json.loads((MAIL / "tls_listener_probe_hardened.json").read_text(encoding="utf-8"))
    caps = imap_capabilities(next(r for r in hardened if r["port"] == 143)["banner"])
    assert caps is not None
    assert "LOGINDISABLED" in caps
    assert imap_auth_before_tls(caps) == ()


def test_capability_response_and_lines_without_any() -> None:
    assert imap_capabilities("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED") == (
        "IMAP4rev1", "STARTTLS", "LOGINDISABLED")
    assert imap_capabilities("* OK Dovecot ready.") is None
    assert imap_auth_before_tls(["IMAP4rev1", "STARTTLS"]) == ("LOGIN",)  # no LOGINDISABLED: LOGIN allowed


@pytest.mark.parametrize(("name", "dns", "ips", "matches"), [
    ("mail.lab.tier3.test", ["mail.lab.tier3.test"], [], True),
    ("MAIL.lab.tier3.test.", ["mail.lab.tier3.test"], [], True),
    ("mail.lab.tier3.test", ["*.lab.tier3.test"], [], True),
    ("a.mail.lab.tier3.test", ["*.lab.tier3.test"], [], False),  # one label only
    ("lab.tier3.test", ["*.lab.tier3.test"], [], False),
    ("mail.test", ["*.test"], [], False),  # no wildcard over a single-label parent
    ("mail.lab.tier3.test", ["m*.lab.tier3.test"], [], False),  # partial wildcards are not matched
    ("imap.lab.tier3.test", ["mail.lab.tier3.test"], ["10.89.30.100"], False),
    ("10.89.30.100", ["10.89.30.100"], [], False),  # an address needs an iPAddress entry
    ("10.89.30.100", [], ["10.89.30.100"], True),
    ("2001:db8::1", [], ["2001:DB8:0::1"], True),
])
def test_certificate_names(name: str, dns: list[str], ips: list[str], matches: bool) -> None:
    assert name_matches(name, dns, ips) is matches


def test_every_listener_kind_is_a_row() -> None:
    assert sorted(PROTOCOLS) == ["https", "imap-starttls", "imaps", "lmtp-starttls", "smtp-starttls", "submission"]
    assert [k for k, p in PROTOCOLS.items() if p.implicit_tls] == ["imaps", "https"]
    assert {k for k, p in PROTOCOLS.items() if not p.checks_auth} == {"imaps", "lmtp-starttls", "https"}


def test_the_parsers_read_every_kind_the_probe_speaks() -> None:
    assert sorted(LISTENER_KINDS) == sorted(PROTOCOLS)


def test_an_https_probe_asks_for_the_policy_of_the_name_and_closes() -> None:
    assert http_head(MTA_STS_PATH, "mta-sts.example.net") == (
        "HEAD /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.net\r\nUser-Agent: tier3-probe\r\n"
        "Connection: close\r\n\r\n")
