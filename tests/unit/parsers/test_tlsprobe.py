"""parse_tls_listeners on the records of real probes (tests/fixtures/real/mail/tls_listener_probe_*.json) and
on records it must refuse."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tier3.errors import ParseError
from tier3.parsers.tlsprobe import parse_tls_listeners

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"


def records(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((REAL / name).read_text(encoding="utf-8"))
    return loaded


def test_real_postfix_and_dovecot_listeners() -> None:
    facts = parse_tls_listeners((REAL / "tls_listener_probe_legacy.json").read_text(encoding="utf-8"), "x")
    smtp, submission, imap, imaps, lmtp, vip = facts.listeners
    assert (smtp.name, smtp.kind, smtp.banner) == ("10.89.44.11:25", "smtp-starttls",
                                                   "220 mx1.lab.tier3.test ESMTP Postfix (Debian/GNU)")
    assert {k: v.result for k, v in smtp.versions.items()} == dict.fromkeys(
        ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"), "accepted")
    assert {k: v.result for k, v in submission.versions.items()}["TLSv1"] == "refused"
    assert imap.auth_before_tls == ("PLAIN", "LOGIN")
    assert (imaps.starttls_offered, imaps.tls_version) == (None, "TLSv1.3")
    assert lmtp.banner == "220 imap1 Dovecot (Debian) ready."
    assert smtp.certificate is not None
    assert smtp.certificate.dns_names == ("imap1", "mail.lab.tier3.test", "imap.lab.tier3.test")
    assert 19 < (smtp.certificate.not_after - smtp.probed_at) / 86400 < 20
    assert (smtp.chain_verified, smtp.name_matches) == (True, True)
    assert (vip.answered, vip.error, vip.certificate, vip.versions) == (False, "timed out", None, {})
    assert vip.where == "/5"


def test_a_mapping_with_listeners_or_one_record() -> None:
    one = records("tls_listener_probe_submission_auth_before_tls.json")
    assert [x.port for x in parse_tls_listeners({"listeners": one}, "x").listeners] == [587]
    assert [x.port for x in parse_tls_listeners(one[0], "x").listeners] == [587]


def test_an_ipv6_listener_is_named_in_brackets() -> None:
    record = {**records("tls_listener_probe_submission_auth_before_tls.json")[0], "address": "2001:db8::25"}
    assert parse_tls_listeners([record], "x").listeners[0].name == "[2001:db8::25]:587"


def _broken(change: dict[str, Any], drop: str = "") -> list[dict[str, Any]]:
    record = copy.deepcopy(records("tls_listener_probe_submission_auth_before_tls.json")[0])
    record.update(change)
    if drop:
        del record[drop]
    return [record]


@pytest.mark.parametrize(("raw", "where", "message"), [
    ("", "line 1", "empty input"),
    ("[", "line 1 column 2", "invalid JSON"),
    ("[]", "", "expected a non-empty list"),
    (_broken({"kind": "pop3"}), "/0/kind", "unknown listener kind 'pop3'"),
    (_broken({"port": 0}), "/0/port", "not a TCP port"),
    (_broken({"port": True}), "/0/port", "wrong type"),
    (_broken({}, drop="answered"), "/0/answered", "missing 'answered'"),
    (_broken({"versions": {"SSLv3": {"result": "accepted"}}}), "/0/versions/SSLv3", "unknown TLS version"),
    (_broken({"versions": {"TLSv1": {"result": "maybe"}}}), "/0/versions/TLSv1", "expected {result"),
    (_broken({"certificate": {"subject": "CN=x", "issuer": "CN=y", "dns_names": [], "ip_addresses": [],
                              "not_before": "yesterday", "not_after": "2027-01-01T00:00:00Z"}}),
     "/0/certificate/not_before", "not an ISO 8601 time"),
    (_broken({"capabilities": "STARTTLS"}), "/0/capabilities", "wrong type"),
])
def test_bad_records_are_refused_with_the_pointer(raw: Any, where: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_tls_listeners(raw, "probe.json")
    assert raised.value.where == where
    assert message in raised.value.message
