"""tier3.probe against real listeners on 127.0.0.1 (tests/unit/probe/mailservers.py): Python ssl servers
speaking SMTP, LMTP and IMAP with STARTTLS, and IMAPS, with certificates of a CA made for the test. The
records are then read by tier3.parsers.tlsprobe and judged by the catalogue, as `tier3 inspect
tls-listener` does.

This machine's OpenSSL serves TLS 1.0 and 1.1 at security level 0 (``test_the_machine_can_serve_tls_1_0``
says so before the TLS 1.0 cases rely on it)."""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path
from typing import Any

import pytest
from mailservers import HOST, SERVICE_NAME, StartServer, ThrowawayCA, server_context

from tier3.cli import main
from tier3.errors import Tier3Error
from tier3.model.policy import Policy
from tier3.parsers.tlsprobe import parse_tls_listeners
from tier3.probe import Listener, probe_listener, probe_listeners
from tier3.rules import Context, judge

TIMEOUT = 3.0
ALL_REFUSED_BELOW_1_2 = {"TLSv1": "refused", "TLSv1.1": "refused", "TLSv1.2": "accepted", "TLSv1.3": "accepted"}


def probe(port: int, kind: str, ca_file: Path | None = None, name: str = SERVICE_NAME,
          timeout: float = TIMEOUT) -> dict[str, Any]:
    return probe_listener(Listener(HOST, port, kind, name), str(ca_file) if ca_file else None, timeout)


def found(record: dict[str, Any], **policy: Any) -> list[tuple[str, str]]:
    facts = parse_tls_listeners([record], "probe")
    return [(f.rule_id, f.subject) for f in judge("tls-listener", facts, Context(source="probe",
                                                                                 policy=Policy(policy)))]


def versions(record: dict[str, Any]) -> dict[str, str]:
    return {k: v["result"] for k, v in record["versions"].items()}


def test_the_machine_can_serve_tls_1_0(good_cert: Any) -> None:
    """The premise of the TLS 1.0 cases: this OpenSSL builds a server context that allows TLS 1.0."""
    context = server_context(good_cert, ssl.TLSVersion.TLSv1)
    assert context.minimum_version == ssl.TLSVersion.TLSv1
    assert ssl.HAS_TLSv1
    assert ssl.HAS_TLSv1_1


def test_smtp_tls_1_2_and_later_only_is_clean(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("smtp")
    record = probe(server.port, "smtp-starttls", ca_file)
    assert record["answered"] is True
    assert record["banner"] == f"220 {SERVICE_NAME} ESMTP tier3-test"
    assert (record["starttls_offered"], record["auth_before_tls"]) == (True, [])
    assert "STARTTLS" in record["capabilities"]
    assert versions(record) == ALL_REFUSED_BELOW_1_2
    assert record["tls"]["version"] == "TLSv1.3"
    assert (record["chain_verified"], record["name_matches"], record["verify_error"]) == (True, True, "")
    assert record["certificate"]["dns_names"] == [SERVICE_NAME]
    assert record["certificate"]["ip_addresses"] == [HOST]
    assert found(record) == []
    # the facts, the chain, then one connection per version: every one of them reached the handshake
    assert server.settled().connections == 6
    assert sorted(server.handshakes) == ["TLSv1.2", "TLSv1.3", "TLSv1.3", "TLSv1.3"]


def test_smtp_that_allows_tls_1_0_is_found(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("smtp", oldest=ssl.TLSVersion.TLSv1)
    record = probe(server.port, "smtp-starttls", ca_file)
    assert versions(record) == dict.fromkeys(("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"), "accepted")
    assert record["versions"]["TLSv1"]["detail"].startswith("TLSv1 ")
    assert found(record) == [("T3-OBS-TLS-001", f"{HOST}:{server.port}")]
    facts = parse_tls_listeners([record], "probe")
    (finding,) = judge("tls-listener", facts, Context(source="probe"))
    assert finding.message == "smtp-starttls accepts TLSv1, TLSv1.1"
    assert finding.evidence["at"] == "/0/versions/TLSv1"
    # a site that refuses only TLS 1.0 is told about 1.0 only
    assert found(record, tls_refused_versions=["TLSv1"]) == [("T3-OBS-TLS-001", f"{HOST}:{server.port}")]


def test_submission_offering_auth_before_starttls(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("smtp", auth_before_tls=True)
    record = probe(server.port, "submission", ca_file)
    assert record["auth_before_tls"] == ["PLAIN", "LOGIN"]
    assert found(record) == [("T3-OBS-TLS-005", f"{HOST}:{server.port}")]


def test_submission_offering_auth_after_starttls_only(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("smtp")
    record = probe(server.port, "submission", ca_file)
    assert "AUTH PLAIN LOGIN" not in record["capabilities"]
    assert found(record) == []


def test_imap_starttls_with_logindisabled_is_clean(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("imap")
    record = probe(server.port, "imap-starttls", ca_file)
    assert record["capabilities"] == ["IMAP4rev1", "SASL-IR", "STARTTLS", "LOGINDISABLED"]
    assert (record["starttls_offered"], record["auth_before_tls"]) == (True, [])
    assert versions(record) == ALL_REFUSED_BELOW_1_2
    assert found(record) == []


def test_imap_offering_login_before_starttls(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("imap", auth_before_tls=True)
    record = probe(server.port, "imap-starttls", ca_file)
    assert record["auth_before_tls"] == ["PLAIN", "LOGIN"]  # AUTH=PLAIN, and LOGIN (no LOGINDISABLED)
    assert found(record) == [("T3-OBS-TLS-005", f"{HOST}:{server.port}")]


def test_imaps_reads_the_greeting_after_the_handshake(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("imaps", oldest=ssl.TLSVersion.TLSv1_1)
    record = probe(server.port, "imaps", ca_file)
    assert record["banner"] == "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] tier3-test ready."
    assert (record["starttls_offered"], record["auth_before_tls"]) == (None, [])
    assert versions(record) == {"TLSv1": "refused", "TLSv1.1": "accepted", "TLSv1.2": "accepted",
                                "TLSv1.3": "accepted"}
    assert found(record) == [("T3-OBS-TLS-001", f"{HOST}:{server.port}")]


def test_https_policy_host_asks_for_the_policy_of_the_name(mail_server: StartServer, ca: ThrowawayCA,
                                                           ca_file: Path) -> None:
    """An MTA-STS policy host: TLS from the first byte, then a HEAD of the policy for the name; its certificate
    must carry mta-sts.<domain>, and findings name the listener with that name (one address serves each
    domain's)."""
    policy_host = "mta-sts.test.invalid"
    server = mail_server("https", cert=ca.issue("mta-sts", dns=(policy_host,)))
    record = probe(server.port, "https", ca_file, name=policy_host)
    assert (record["answered"], record["error"], record["banner"]) == (True, "", "HTTP/1.1 200 OK")
    assert (record["starttls_offered"], record["auth_before_tls"], record["capabilities"]) == (None, [], [])
    assert versions(record) == ALL_REFUSED_BELOW_1_2
    assert (record["chain_verified"], record["name_matches"]) == (True, True)
    assert found(record) == []
    # the facts' connection asked once; the chain's and the versions' only shook hands
    assert server.settled().requests == [f"HEAD /.well-known/mta-sts.txt HTTP/1.1 Host={policy_host}"]
    # the service name's certificate does not name the policy host
    wrong = mail_server("https")
    assert found(probe(wrong.port, "https", ca_file, name=policy_host)) == [
        ("T3-OBS-TLS-003", f"{HOST}:{wrong.port}/{policy_host}")]


def test_https_policy_host_that_allows_tls_1_0_is_found(mail_server: StartServer, ca: ThrowawayCA,
                                                        ca_file: Path) -> None:
    server = mail_server("https", cert=ca.issue("mta-sts-old", dns=("mta-sts.test.invalid",)),
                         oldest=ssl.TLSVersion.TLSv1)
    record = probe(server.port, "https", ca_file, name="mta-sts.test.invalid")
    assert versions(record)["TLSv1"] == "accepted"
    assert found(record) == [("T3-OBS-TLS-001", f"{HOST}:{server.port}/mta-sts.test.invalid")]


def test_lmtp_speaks_lhlo(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("lmtp")
    record = probe(server.port, "lmtp-starttls", ca_file)
    assert (record["answered"], record["starttls_offered"]) == (True, True)
    assert record["tls"]["version"] == "TLSv1.3"
    assert found(record) == []


def test_starttls_not_offered(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("smtp", tls=False)
    record = probe(server.port, "smtp-starttls", ca_file)
    assert (record["answered"], record["starttls_offered"], record["error"]) == (True, False, "STARTTLS not offered")
    assert set(versions(record).values()) == {"untested"}
    assert record["certificate"] is None
    assert server.settled().connections == 1  # nothing to try once STARTTLS is not there
    assert found(record) == [("T3-OBS-TLS-006", f"{HOST}:{server.port}")]


def test_closed_port_does_not_answer(closed_port: int) -> None:
    record = probe(closed_port, "smtp-starttls")
    assert (record["answered"], record["error"]) == (False, "Connection refused")
    assert record["versions"] == {}
    assert found(record) == [("T3-OBS-MAL-006", f"{HOST}:{closed_port}")]


def test_a_greeting_that_refuses_the_session(mail_server: StartServer) -> None:
    server = mail_server("smtp", refuse=True)
    record = probe(server.port, "smtp-starttls")
    assert (record["answered"], record["banner"]) == (False, f"554 5.3.2 {SERVICE_NAME} no SMTP service here")
    assert record["error"].startswith("greeting 554 5.3.2")
    assert (record["versions"], server.settled().connections) == ({}, 1)
    assert found(record) == [("T3-OBS-MAL-006", f"{HOST}:{server.port}")]


def test_silent_port_times_out_within_the_timeout(silent_port: int) -> None:
    started = time.monotonic()
    record = probe(silent_port, "imap-starttls", timeout=0.5)
    assert time.monotonic() - started < 3
    assert (record["answered"], record["error"]) == (False, "timed out")
    assert found(record) == [("T3-OBS-MAL-006", f"{HOST}:{silent_port}")]


def test_wrong_name(mail_server: StartServer, ca: ThrowawayCA, ca_file: Path) -> None:
    server = mail_server("smtp", cert=ca.issue("other", dns=("other.test.invalid",), ips=()))
    record = probe(server.port, "smtp-starttls", ca_file)
    assert (record["chain_verified"], record["name_matches"]) == (True, False)
    assert found(record) == [("T3-OBS-TLS-003", f"{HOST}:{server.port}")]
    # the address as the name: the certificate does not carry it either
    assert probe(server.port, "smtp-starttls", ca_file, name="")["name_matches"] is False


def test_the_address_matches_an_ip_subject_alternative_name(mail_server: StartServer, ca_file: Path) -> None:
    server = mail_server("smtp")
    assert probe(server.port, "smtp-starttls", ca_file, name="")["name_matches"] is True


def test_certificate_of_another_ca(mail_server: StartServer, ca: ThrowawayCA, ca_file: Path) -> None:
    server = mail_server("imap", cert=ca.issue("selfsigned", self_signed=True))
    record = probe(server.port, "imap-starttls", ca_file)
    assert record["chain_verified"] is False
    assert record["verify_error"] == "self-signed certificate"
    assert found(record) == [("T3-OBS-TLS-002", f"{HOST}:{server.port}")]


def test_without_a_ca_file_the_chain_is_not_known(mail_server: StartServer, ca: ThrowawayCA) -> None:
    server = mail_server("imap", cert=ca.issue("selfsigned2", self_signed=True))
    record = probe(server.port, "imap-starttls")
    assert record["chain_verified"] is None
    assert found(record) == []


def test_certificate_expiring_soon(mail_server: StartServer, ca: ThrowawayCA, ca_file: Path) -> None:
    server = mail_server("smtp", cert=ca.issue("soon", days=11))  # from a day ago: 10 days left
    record = probe(server.port, "smtp-starttls", ca_file)
    assert record["chain_verified"] is True
    facts = parse_tls_listeners([record], "probe")
    (finding,) = judge("tls-listener", facts, Context(source="probe"))
    assert (finding.rule_id, finding.message) == ("T3-OBS-TLS-004", "certificate expires in 9 day(s) (window 30 days)")
    assert found(record, tls_expiry_warn_days=5) == []


def test_expired_certificate_is_the_chain_rule_s(mail_server: StartServer, ca: ThrowawayCA, ca_file: Path) -> None:
    server = mail_server("smtp", cert=ca.issue("expired", days=5, starts_days_ago=10))
    record = probe(server.port, "smtp-starttls", ca_file)
    assert (record["chain_verified"], record["verify_error"]) == (False, "certificate has expired")
    assert found(record) == [("T3-OBS-TLS-002", f"{HOST}:{server.port}")]
    # probed without the CA, the expiry is the expiry rule's
    assert found(probe(server.port, "smtp-starttls")) == [("T3-OBS-TLS-004", f"{HOST}:{server.port}")]


def test_several_listeners_in_order(mail_server: StartServer, closed_port: int, ca_file: Path) -> None:
    smtp, imap = mail_server("smtp"), mail_server("imap", oldest=ssl.TLSVersion.TLSv1)
    records = probe_listeners([Listener(HOST, smtp.port, "smtp-starttls", SERVICE_NAME),
                               Listener(HOST, imap.port, "imap-starttls", SERVICE_NAME),
                               Listener(HOST, closed_port, "submission")], str(ca_file), TIMEOUT)
    assert [r["port"] for r in records] == [smtp.port, imap.port, closed_port]
    facts = parse_tls_listeners(records, "probe")
    assert [(f.rule_id, f.subject) for f in judge("tls-listener", facts, Context(source="probe"))] == [
        ("T3-OBS-MAL-006", f"{HOST}:{closed_port}"), ("T3-OBS-TLS-001", f"{HOST}:{imap.port}")]


@pytest.mark.parametrize(("doc", "where", "message"), [
    ({"address": "10.0.0.1", "port": 25, "kind": "pop3"}, "kind", "unknown listener kind 'pop3'"),
    ({"address": "10.0.0.1", "port": 70000, "kind": "imaps"}, "port", "not a TCP port: 70000"),
    ({"port": 25, "kind": "imaps"}, "address", "missing or not a string"),
])
def test_a_bad_listener_is_a_user_error(doc: dict[str, Any], where: str, message: str) -> None:
    with pytest.raises(Tier3Error) as raised:
        Listener.from_mapping(doc, "listeners[0]")
    assert (raised.value.where, raised.value.message) == (where, message)


def test_an_unreadable_ca_file_is_a_user_error(tmp_path: Path, closed_port: int) -> None:
    with pytest.raises(Tier3Error, match="cannot load the CA file"):
        probe(closed_port, "imaps", tmp_path / "missing.pem")


def test_tier3_inspect_probes_a_listener_url(mail_server: StartServer, ca_file: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    server = mail_server("smtp", auth_before_tls=True)
    url = f"submission://{HOST}:{server.port}/{SERVICE_NAME}"
    assert main(["inspect", "tls-listener", url, "--ca-file", str(ca_file), "--timeout", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (listener,) = report["listeners"]
    assert (listener["listener"], listener["chain_verified"], listener["name_matches"]) == (
        f"{HOST}:{server.port}", True, True)
    assert [(f["rule_id"], f["evidence"]["read"]) for f in report["findings"]] == [
        ("T3-OBS-TLS-005", "tier3 probe submission from the controller")]
    # the records of the live run, saved, are a SOURCE of their own: the same findings
    saved = tmp_path / "records.json"
    saved.write_text(json.dumps(report["records"]), encoding="utf-8")
    assert main(["inspect", "tls-listener", str(saved), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [f["rule_id"] for f in again["findings"]] == ["T3-OBS-TLS-005"]
