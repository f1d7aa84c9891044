"""tier3.probe.tls_scan (sslyze) against real TLS servers on 127.0.0.1, judged as ``tier3 inspect tls-scan`` and
``tier3 check`` judge them.

The servers, all started by the test with certificates of a CA made for it (cryptography):
- ``openssl s_server`` (Debian's OpenSSL 3) with the protocol, cipher, key and DH settings of each case,
  TLS from the first byte (scanned as ``imaps``);
- for STARTTLS, the small SMTP and IMAP servers of mailservers.py, stand-ins for Postfix and Dovecot
  (EHLO/STARTTLS, CAPABILITY/STARTTLS, then Python's ssl with the context each case gives). The real
  services are scanned in the lab (molecule/cluster), not here.

SSL 2.0 and 3.0 cannot be served on this machine (its OpenSSL is built without them, and sslyze's legacy
build is a client only): T3-OBS-TLS-008 is shown on hand-written records in tests/unit/rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import ssl
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dh, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from mailservers import HOST, SERVICE_NAME, Issued, MailServer, ThrowawayCA

from tier3.check import SCAN_KIND, check_report, judge_site, scan_gaps
from tier3.cli import main
from tier3.errors import Tier3Error
from tier3.model import Status, Topology, Vip, VipMember
from tier3.model.mail import MailConfig
from tier3.model.policy import Policy
from tier3.parsers.tls_scan import parse_tls_scan
from tier3.probe import Listener, probe_listeners
from tier3.probe.tls_scan import scan_listeners
from tier3.rules import Context, judge

TIMEOUT = 3.0
# Mozilla's intermediate TLS 1.2 list, as roles/postfix and roles/dovecot set it
INTERMEDIATE = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305")
INTERMEDIATE_GROUPS = "X25519:P-256:P-384"
# RFC 2409 section 6.2, the second Oakley group: 1024-bit MODP, generator 2 (what Logjam precomputed)
OAKLEY_GROUP_2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A43"
    "1B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B"
    "1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)
ONLY_1_2_AND_1_3 = {"SSLv2": "refused", "SSLv3": "refused", "TLSv1": "refused", "TLSv1.1": "refused",
                    "TLSv1.2": "accepted", "TLSv1.3": "accepted"}


# ---- the servers ------------------------------------------------------------------------------------

def issue_rsa(ca: ThrowawayCA, name: str, bits: int) -> Issued:
    """An RSA server certificate of ``bits`` for SERVICE_NAME and 127.0.0.1, signed by the test CA."""
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVICE_NAME)])).issuer_name(ca.name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=300))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVICE_NAME),
                                                        x509.IPAddress(ipaddress.ip_address(HOST))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
            .sign(ca.key, hashes.SHA256()))
    issued = Issued(ca.home / f"{name}.pem", ca.home / f"{name}.key")
    issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    issued.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    return issued


@dataclasses.dataclass
class OpenSslServer:
    """``openssl s_server`` on a free port of 127.0.0.1 (``-accept :0``; the port read from its ACCEPT line)."""

    args: list[str]
    log: Path
    port: int = 0

    def start(self) -> OpenSslServer:
        # stdin stays an open pipe: at end of input s_server would end each session it serves
        self.output = self.log.open("w")
        self.process = subprocess.Popen(["openssl", "s_server", "-accept", f"{HOST}:0", *self.args],
                                        stdin=subprocess.PIPE, stdout=self.output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.process.poll() is None:
            said = self.log.read_text(errors="replace")
            if "ACCEPT " in said:
                self.port = int(said.split("ACCEPT ", 1)[1].split()[0].rsplit(":", 1)[1])
                return self
            time.sleep(0.02)
        self.stop()
        raise AssertionError(f"openssl s_server {' '.join(self.args)} did not start: {self.log.read_text()[-400:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.output.close()


def python_tls(issued: Issued, ciphers: str = INTERMEDIATE, oldest: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
               newest: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED) -> ssl.SSLContext:
    """The server side of a stand-in: its certificate, versions and TLS 1.2 cipher list."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(issued.cert, issued.key)
    with warnings.catch_warnings():  # TLSVersion.TLSv1 is deprecated: serving it is the point of some cases
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version, context.maximum_version = oldest, newest
    context.set_ciphers(ciphers)
    return context


StartOpenSsl = Callable[..., OpenSslServer]
StartStandIn = Callable[..., MailServer]


@pytest.fixture
def openssl_server(ca: ThrowawayCA, good_cert: Issued, tmp_path: Path) -> Iterator[StartOpenSsl]:
    """``openssl_server(*args, cert=good_cert)``: started, with the certificate and key given."""
    started: list[OpenSslServer] = []

    def start(*args: str, cert: Issued | None = None) -> OpenSslServer:
        issued = cert or good_cert
        server = OpenSslServer(["-cert", str(issued.cert), "-key", str(issued.key), *args],
                               tmp_path / f"s_server{len(started)}.log").start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def stand_in() -> Iterator[StartStandIn]:
    """``stand_in(protocol, context)``: a mailservers.py server (a stand-in for Postfix or Dovecot), started."""
    started: list[MailServer] = []

    def start(protocol: str, context: ssl.SSLContext | None) -> MailServer:
        server = MailServer(protocol, context).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def rsa_cert(ca: ThrowawayCA) -> Issued:
    return issue_rsa(ca, "rsa2048", 2048)


@pytest.fixture(scope="module")
def dh_1024(ca: ThrowawayCA) -> Path:
    path = ca.home / "dh1024.pem"
    with warnings.catch_warnings():  # cryptography deprecates finite-field DH: a weak group is the point here
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        params = dh.DHParameterNumbers(OAKLEY_GROUP_2, 2).parameters()
    path.write_bytes(params.parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3))
    return path


def scan(port: int, kind: str = "imaps", ca_file: Path | None = None, name: str = SERVICE_NAME,
         timeout: float = TIMEOUT) -> dict[str, Any]:
    (record,) = scan_listeners([Listener(HOST, port, kind, name)], str(ca_file) if ca_file else None, timeout)
    return record


def found(records: list[dict[str, Any]], **policy: Any) -> list[tuple[str, str]]:
    facts = parse_tls_scan(records, "scan")
    return [(f.rule_id, f.subject) for f in judge(SCAN_KIND, facts, Context(source="scan", policy=Policy(policy)))]


def versions(record: dict[str, Any]) -> dict[str, str]:
    return {k: v["result"] for k, v in record["versions"].items()}


def suites(record: dict[str, Any], version: str) -> list[str]:
    return [s["openssl"] for s in record["versions"][version]["cipher_suites"]]


# ---- openssl s_server, TLS from the first byte ------------------------------------------------------

def test_a_clean_intermediate_server_passes(openssl_server: StartOpenSsl, ca_file: Path) -> None:
    server = openssl_server("-cipher", INTERMEDIATE, "-groups", INTERMEDIATE_GROUPS, "-no_tls1", "-no_tls1_1")
    record = scan(server.port, ca_file=ca_file)
    assert (record["reachable"], record["error"], record["scanner"]) == (True, "", "sslyze 6.3.1")
    assert versions(record) == ONLY_1_2_AND_1_3
    # the EC certificate of the CA: only the ECDSA suites of the list can be negotiated
    assert sorted(suites(record, "TLSv1.2")) == ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                                 "ECDHE-ECDSA-CHACHA20-POLY1305"]
    assert sorted(suites(record, "TLSv1.3")) == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                                 "TLS_CHACHA20_POLY1305_SHA256"]
    (cert,) = record["certificates"]
    assert (cert["subject"], cert["issuer"], cert["verified"], cert["verify_error"]) == (
        f"CN={SERVICE_NAME}", "CN=tier3 probe test CA", True, "")
    assert cert["public_key"] == {"type": "ecdsa", "bits": 256, "curve": "secp256r1"}
    # sslyze's own Mozilla check needs scans that load a listener too much (tier3.probe.sslyze_scan): not run
    assert record["mozilla_intermediate"]["checked"] is False
    assert record["mozilla_intermediate"]["detail"].startswith("not run")
    assert 0 < record["took_s"] <= record["run_took_s"]
    assert found([record]) == []


def test_tls_1_0_alone_is_the_version_rule_s_not_this_one(openssl_server: StartOpenSsl) -> None:
    """A server of TLS 1.0 only, every cipher: its suites are all outside the profile, but TLS 1.0 is refused
    by the policy, so it is T3-OBS-TLS-001's finding (the probe's: the check test below) and this kind says
    nothing."""
    server = openssl_server("-tls1", "-cipher", "ALL:@SECLEVEL=0")
    record = scan(server.port)
    assert versions(record) == {**dict.fromkeys(ONLY_1_2_AND_1_3, "refused"), "TLSv1": "accepted"}
    assert "ECDHE-ECDSA-AES128-SHA" in suites(record, "TLSv1")
    assert found([record]) == []
    # a site whose policy allows TLS 1.0 has its suites judged: outside the profile, every one
    assert found([record], tls_refused_versions=[]) == [("T3-OBS-TLS-007", f"{HOST}:{server.port}")]


def test_tls_1_0_to_1_3_at_every_cipher_is_judged_on_1_2_and_1_3_only(openssl_server: StartOpenSsl) -> None:
    server = openssl_server("-cipher", "ALL:@SECLEVEL=0")
    record = scan(server.port)
    assert {versions(record)[v] for v in ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")} == {"accepted"}
    anonymous = [s for s in record["versions"]["TLSv1.2"]["cipher_suites"] if s["openssl"].startswith("ADH-")]
    assert {s["key_exchange"]["bits"] for s in anonymous} & {1024}  # outside the profile: not T3-OBS-TLS-009's too
    facts = parse_tls_scan([record], "scan")
    # TLS 1.0 and 1.1 open: the one finding is T3-OBS-TLS-001's (the probe's), the CBC suites on TLS 1.2 came
    # with them (one OpenSSL cipher list for TLS 1.0-1.2)
    assert judge(SCAN_KIND, facts, Context(source="scan")) == []
    # judged as if TLS 1.0 and 1.1 were closed again with the cipher list left as it is
    closed = dataclasses.replace(facts, listeners=tuple(
        dataclasses.replace(x, versions={v: r for v, r in x.versions.items() if v not in ("TLSv1", "TLSv1.1")})
        for x in facts.listeners))
    (finding,) = judge(SCAN_KIND, closed, Context(source="scan"))
    assert (finding.rule_id, finding.subject) == ("T3-OBS-TLS-007", f"{HOST}:{server.port}")
    assert set(finding.evidence["outside"]) == {"TLSv1.2"}  # TLS 1.3's three suites are the profile's
    assert finding.evidence["judged_versions"] == ["TLSv1.2", "TLSv1.3"]
    assert "ECDHE-ECDSA-AES128-SHA" in finding.evidence["openssl_names"]["TLSv1.2"]
    assert "ECDHE-ECDSA-AES128-GCM-SHA256" not in finding.evidence["openssl_names"]["TLSv1.2"]
    assert finding.evidence["at"] == "/0/versions/TLSv1.2/cipher_suites"


def test_aes128_sha_on_tls_1_2_is_outside_the_profile(openssl_server: StartOpenSsl, rsa_cert: Issued,
                                                       ca_file: Path) -> None:
    server = openssl_server("-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", "-no_tls1_3", cert=rsa_cert)
    record = scan(server.port, ca_file=ca_file)
    assert versions(record) == {**ONLY_1_2_AND_1_3, "TLSv1.3": "refused"}
    assert sorted(suites(record, "TLSv1.2")) == ["AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]
    rsa_suite = next(s for s in record["versions"]["TLSv1.2"]["cipher_suites"] if s["openssl"] == "AES128-SHA")
    assert rsa_suite == {"openssl": "AES128-SHA", "iana": "TLS_RSA_WITH_AES_128_CBC_SHA", "key_exchange": None}
    facts = parse_tls_scan([record], "scan")
    (finding,) = judge(SCAN_KIND, facts, Context(source="scan"))
    assert (finding.rule_id, finding.message) == (
        "T3-OBS-TLS-007", "imaps accepts 1 cipher suite(s) outside Mozilla intermediate: TLSv1.2: AES128-SHA")
    assert finding.evidence["outside"] == {"TLSv1.2": ["TLS_RSA_WITH_AES_128_CBC_SHA"]}


def test_an_https_policy_host_is_scanned_from_the_first_byte_and_named_with_its_name(
        openssl_server: StartOpenSsl, rsa_cert: Issued, ca_file: Path) -> None:
    """The MTA-STS policy host (kind https): TLS from the first byte as imaps; one address serves each domain's
    mta-sts name, so its findings carry the name after the address."""
    server = openssl_server("-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", "-no_tls1_3", cert=rsa_cert)
    record = scan(server.port, kind="https", ca_file=ca_file, name="mta-sts.test.invalid")
    assert (record["reachable"], record["error"], record["kind"]) == (True, "", "https")
    assert versions(record) == {**ONLY_1_2_AND_1_3, "TLSv1.3": "refused"}
    assert found([record]) == [("T3-OBS-TLS-007", f"{HOST}:{server.port}/mta-sts.test.invalid")]


def test_a_1024_bit_dh_group_is_found_on_a_suite_of_the_profile(openssl_server: StartOpenSsl, rsa_cert: Issued,
                                                                 dh_1024: Path) -> None:
    server = openssl_server("-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
                            "-dhparam", str(dh_1024), "-no_tls1_3", cert=rsa_cert)
    record = scan(server.port)
    dhe = next(s for s in record["versions"]["TLSv1.2"]["cipher_suites"] if s["openssl"].startswith("DHE-"))
    assert dhe["key_exchange"] == {"type": "DH", "bits": 1024, "curve": None}
    facts = parse_tls_scan([record], "scan")
    (finding,) = judge(SCAN_KIND, facts, Context(source="scan"))
    assert (finding.rule_id, finding.message) == (
        "T3-OBS-TLS-009", "imaps uses a 1024-bit DH group (TLSv1.2: DHE-RSA-AES128-GCM-SHA256); "
        "Mozilla intermediate wants 2048 bits at least")


def test_a_1024_bit_rsa_certificate_is_found(openssl_server: StartOpenSsl, ca: ThrowawayCA, ca_file: Path) -> None:
    server = openssl_server("-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", cert=issue_rsa(ca, "rsa1024", 1024))
    record = scan(server.port, ca_file=ca_file)
    (cert,) = record["certificates"]
    assert cert["public_key"] == {"type": "rsa", "bits": 1024, "curve": None}
    assert found([record]) == [("T3-OBS-TLS-010", f"{HOST}:{server.port}")]


def test_nothing_listening_is_a_record_with_the_error(closed_port: int) -> None:
    record = scan(closed_port)
    assert (record["reachable"], record["error"], record["versions"]) == (False, "Server rejected the connection", {})
    assert found([record]) == []  # nothing to judge: the probe's T3-OBS-MAL-006 says it does not answer
    (gap,) = scan_gaps([record])
    assert (gap.status, gap.subject, gap.message) == (
        Status.ERROR, f"{HOST}:{closed_port}", f"tls-scan of {HOST}:{closed_port}: Server rejected the connection")


def test_a_silent_port_ends_within_the_timeout(silent_port: int) -> None:
    started = time.monotonic()
    record = scan(silent_port, timeout=1)
    # sslyze's connectivity test falls back from TLS 1.3 to SSL 2.0, a try and a retry of 1 s each at most
    assert time.monotonic() - started < 6 * 2 * 1 + 3
    assert record["reachable"] is False
    assert "timed out" in record["error"].lower()


def test_lmtp_is_not_scanned_and_says_why(stand_in: StartStandIn, good_cert: Issued) -> None:
    server = stand_in("lmtp", python_tls(good_cert))
    record = scan(server.port, "lmtp-starttls")
    assert record["reachable"] is False
    assert record["error"].startswith("not scanned: sslyze cannot reach TLS on a lmtp-starttls listener")
    assert server.settled().connections == 0  # not even contacted


def test_an_unreadable_ca_file_is_a_user_error(tmp_path: Path, closed_port: int) -> None:
    with pytest.raises(Tier3Error, match="cannot load the CA file"):
        scan(closed_port, ca_file=tmp_path / "missing.pem")


# ---- STARTTLS: the stand-ins for Postfix and Dovecot -------------------------------------------------

def test_smtp_and_imap_starttls_with_the_intermediate_list(stand_in: StartStandIn, good_cert: Issued,
                                                           ca_file: Path) -> None:
    smtp, imap = stand_in("smtp", python_tls(good_cert)), stand_in("imap", python_tls(good_cert))
    records = scan_listeners([Listener(HOST, smtp.port, "smtp-starttls", SERVICE_NAME),
                              Listener(HOST, imap.port, "imap-starttls", SERVICE_NAME)], str(ca_file), TIMEOUT)
    assert [(r["port"], r["reachable"], versions(r)) for r in records] == [
        (smtp.port, True, ONLY_1_2_AND_1_3), (imap.port, True, ONLY_1_2_AND_1_3)]
    assert [r["certificates"][0]["verified"] for r in records] == [True, True]
    assert found(records) == []
    # a connection per suite tried, not one per version
    assert (smtp.settled().connections > 20, imap.settled().connections > 20) == (True, True)


def test_python_s_default_server_ciphers_are_not_the_profile(stand_in: StartStandIn, good_cert: Issued) -> None:
    """A stand-in with Python's default server list (SHA-2 CBC suites beside the AEAD ones) on SMTP."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(good_cert.cert, good_cert.key)
    server = stand_in("smtp", context)
    record = scan(server.port, "submission")
    facts = parse_tls_scan([record], "scan")
    (finding,) = judge(SCAN_KIND, facts, Context(source="scan"))
    assert finding.rule_id == "T3-OBS-TLS-007"
    assert finding.evidence["openssl_names"] == {"TLSv1.2": ["ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256"]}


def test_a_server_without_starttls_is_not_reachable_for_the_scan(stand_in: StartStandIn) -> None:
    server = stand_in("smtp", None)
    record = scan(server.port, "smtp-starttls")
    assert (record["reachable"], record["versions"]) == (False, {})
    assert "STARTTLS" in record["error"]


def test_four_listeners_in_one_run(stand_in: StartStandIn, openssl_server: StartOpenSsl, good_cert: Issued,
                                   rsa_cert: Issued, ca_file: Path) -> None:
    smtp, imap = stand_in("smtp", python_tls(good_cert)), stand_in("imap", python_tls(good_cert))
    clean = openssl_server("-cipher", INTERMEDIATE, "-no_tls1", "-no_tls1_1")
    legacy = openssl_server("-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", "-no_tls1_3", cert=rsa_cert)
    listeners = [Listener(HOST, smtp.port, "smtp-starttls", SERVICE_NAME),
                 Listener(HOST, imap.port, "imap-starttls", SERVICE_NAME),
                 Listener(HOST, clean.port, "imaps", SERVICE_NAME), Listener(HOST, legacy.port, "imaps", SERVICE_NAME)]
    started = time.monotonic()
    records = scan_listeners(listeners, str(ca_file), TIMEOUT)
    wall = time.monotonic() - started
    each = ", ".join(f"{r['kind']} {r['took_s']:.2f} s" for r in records)
    print(f"\nsslyze scan of 4 listeners on 127.0.0.1 in one run: {records[0]['run_took_s']:.2f} s "
          f"(wall {wall:.2f} s); each: {each}")
    assert [r["port"] for r in records] == [x.port for x in listeners]
    assert len({r["run_took_s"] for r in records}) == 1
    assert found(records) == [("T3-OBS-TLS-007", f"{HOST}:{legacy.port}")]


# ---- tier3 inspect tls-scan and tier3 check --------------------------------------------------------

def test_tier3_inspect_scans_a_listener_url_and_reads_the_saved_records(
        openssl_server: StartOpenSsl, rsa_cert: Issued, ca_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    server = openssl_server("-cipher", "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256", "-no_tls1_3", cert=rsa_cert)
    url = f"imaps://{HOST}:{server.port}/{SERVICE_NAME}"
    assert main(["inspect", "tls-scan", url, "--ca-file", str(ca_file), "--timeout", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (listener,) = report["listeners"]
    assert (listener["listener"], listener["reachable"], listener["versions"]["TLSv1.2"]) == (
        f"{HOST}:{server.port}", True, "accepted")
    assert listener["certificates"][0]["verified"] is True
    assert [(f["rule_id"], f["evidence"]["read"]) for f in report["findings"]] == [
        ("T3-OBS-TLS-007", "sslyze scan of imaps from the controller")]
    saved = tmp_path / "scan.json"
    saved.write_text(json.dumps(report["records"]), encoding="utf-8")
    assert main(["inspect", "tls-scan", str(saved), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [f["rule_id"] for f in again["findings"]] == ["T3-OBS-TLS-007"]
    assert again["findings"][0]["evidence"]["read"] == "saved tier3 scan records"


def test_tier3_check_probes_then_scans_the_vip_services(stand_in: StartStandIn, good_cert: Issued,
                                                        rsa_cert: Issued, closed_port: int, ca_file: Path) -> None:
    """judge_site with the real probe and the real scan; the VIP's services listen on free ports of 127.0.0.1
    instead of 25/587/143/993, so both are given the listeners with the port mapped, and nothing else."""
    clean = stand_in("smtp", python_tls(good_cert))
    tls_1_0_only = stand_in("smtp", python_tls(good_cert, "ALL:@SECLEVEL=0", ssl.TLSVersion.TLSv1,
                                               ssl.TLSVersion.TLSv1))
    rsa_cbc = stand_in("imap", python_tls(rsa_cert, "AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256"))
    ports = {25: clean.port, 587: tls_1_0_only.port, 143: rsa_cbc.port, 993: closed_port}
    vip = Vip("mail", HOST, "127.0.0.0/8", 51, (VipMember("lb1", 150),),
              services=("smtp", "submission", "imap", "imaps"))
    topology = Topology(vips=(vip,), mail=MailConfig(SERVICE_NAME, SERVICE_NAME))
    asked: dict[str, list[int]] = {}

    def mapped(name: str, real: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
        def run(listeners: list[Listener], ca: str | None, timeout: float) -> list[dict[str, Any]]:
            asked[name] = [x.port for x in listeners]
            return real([dataclasses.replace(x, port=ports[x.port]) for x in listeners], ca, timeout)
        return run

    findings, facts = judge_site(topology, [], probe=True, ca_file=str(ca_file), timeout=TIMEOUT,
                                 prober=mapped("probe", probe_listeners), scanner=mapped("scan", scan_listeners))
    assert asked == {"probe": [25, 587, 143, 993], "scan": [25, 587, 143]}  # 993 does not answer: not scanned
    assert sorted((f.rule_id, f.subject) for f in findings) == [
        ("T3-OBS-MAL-006", f"{HOST}:{closed_port}"),  # the probe: imaps does not answer
        ("T3-OBS-TLS-001", f"{HOST}:{tls_1_0_only.port}"),  # the probe: TLS 1.0; the scan says nothing more
        ("T3-OBS-TLS-007", f"{HOST}:{rsa_cbc.port}"),  # the scan: AES128-SHA on TLS 1.2
    ]
    assert [f["kind"] for f in facts] == ["tls-listener", "tls-scan"]
    assert [x["listener"] for x in facts[1]["listeners"]] == [f"{HOST}:{p}" for p in ports.values()][:3]
    checks = {c["rule_id"] for c in check_report([], findings, source="test", probed=True).to_dict()["checks"]}
    assert {f"T3-OBS-TLS-00{i}" for i in range(1, 10)} | {"T3-OBS-TLS-010"} <= checks
    unscanned = check_report([], [], source="test", probed=True, scanned=False).to_dict()["checks"]
    assert "T3-OBS-TLS-007" not in {c["rule_id"] for c in unscanned}
