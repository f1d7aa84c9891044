"""The tls-scan rules (T3-OBS-TLS-007..010) and their parser on hand-written scan records: what no server of
this machine can show (SSL 2.0 and 3.0; a policy other than the default), the preconditions that keep one
defect one finding, the catalogue entries, and bad records. The same rules against real servers:
tests/unit/probe/test_tls_scan.py."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tier3.cli import main
from tier3.errors import ParseError
from tier3.model import Severity, Topology, Vip, VipMember
from tier3.model.policy import Policy
from tier3.parsers.tls_scan import parse_tls_scan
from tier3.probe.tls_scan import sslyze_python
from tier3.rules import RULES, Context, judge, rules_for
from tier3.rules.observed.listener import TLS_CONTROLS
from tier3.rules.observed.tls_scan import intermediate

SSLYZE_PROFILE = """\
import json
from sslyze.mozilla_tls_profile.tls_config_checker import MozillaTlsConfiguration, TlsConfigurationEnum
c = MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE)
print(json.dumps({"suites": sorted(c.ciphers.iana), "suites_tls13": sorted(c.ciphersuites),
                  "bits": [c.dh_param_size, c.rsa_key_size]}))
"""

ADDRESS, PORT = "10.89.30.100", 25
SUBJECT = f"{ADDRESS}:{PORT}"
GOOD_1_2 = [{"openssl": "ECDHE-RSA-AES128-GCM-SHA256", "iana": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
             "key_exchange": {"type": "ECDH", "bits": 256, "curve": "secp256r1"}}]
GOOD_1_3 = [{"openssl": "TLS_AES_128_GCM_SHA256", "iana": "TLS_AES_128_GCM_SHA256",
             "key_exchange": {"type": "ECDH", "bits": 253, "curve": "X25519"}}]
SSL3 = [{"openssl": "DES-CBC3-SHA", "iana": "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "key_exchange": None}]
SSL2 = [{"openssl": "RC4-MD5", "iana": "SSL_CK_RC4_128_WITH_MD5", "key_exchange": None}]
DHE_1024 = [{"openssl": "DHE-RSA-AES128-GCM-SHA256", "iana": "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
             "key_exchange": {"type": "DH", "bits": 1024, "curve": None}}]
RSA_CBC = [{"openssl": "AES128-SHA", "iana": "TLS_RSA_WITH_AES_128_CBC_SHA", "key_exchange": None}]
CERT = {"subject": "CN=mail.lab.tier3.test", "issuer": "CN=tier3 CA", "dns_names": ["mail.lab.tier3.test"],
        "ip_addresses": [], "not_before": "2026-12-01T11:00:00Z", "not_after": "2027-11-30T11:00:00Z",
        "spki_sha256": "00" * 32, "public_key": {"type": "rsa", "bits": 2048, "curve": None},
        "signature_hash": "sha256", "chain_sent": 1, "verified": True, "verify_error": ""}


def record(**accepted: list[dict[str, Any]]) -> dict[str, Any]:
    """A scan record as tier3.probe.tls_scan writes it: TLS 1.2 and 1.3 with intermediate suites, and the
    versions given (``TLSv1_2=[...]``) accepting those suites instead."""
    suites = {"TLSv1.2": GOOD_1_2, "TLSv1.3": GOOD_1_3} | {k.replace("_", "."): v for k, v in accepted.items()}
    names = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
    return {"address": ADDRESS, "port": PORT, "kind": "smtp-starttls", "server_hostname": "mail.lab.tier3.test",
            "scanned_at": 1796125135.2, "scanner": "sslyze 6.3.1", "reachable": True, "error": "",
            "took_s": 2.1, "run_took_s": 2.4,
            "versions": {v: {"result": "accepted" if suites.get(v) else "refused", "detail": "",
                             "cipher_suites": copy.deepcopy(suites.get(v, []))} for v in names},
            "certificates": [copy.deepcopy(CERT)], "certificate_error": "",
            "mozilla_intermediate": {"checked": True, "problems": [], "detail": ""}}


def found(*records: dict[str, Any], topology: Topology | None = None, **policy: Any) -> list[tuple[str, str]]:
    facts = parse_tls_scan(list(records), "scan.json")
    context = Context(source="scan.json", policy=Policy(policy), topology=topology)
    return [(f.rule_id, f.subject) for f in judge("tls-scan", facts, context)]


def test_an_intermediate_listener_passes() -> None:
    assert found(record()) == []


def test_no_ssl_3_0_server_can_run_on_this_machine() -> None:
    """Why SSL 2.0/3.0 are shown on hand-written records: Debian's OpenSSL 3 is built without them (and
    sslyze's legacy build is a client only). Should this ever fail, serve SSL 3.0 in tests/unit/probe instead."""
    said = subprocess.run(["openssl", "s_server", "-ssl3", "-help"], capture_output=True, text=True, timeout=10,
                          check=False)
    assert "Unknown option: -ssl3" in said.stderr + said.stdout


@pytest.mark.parametrize(("versions", "message"), [
    ({"SSLv3": SSL3}, "smtp-starttls accepts SSLv3 (SSLv3: DES-CBC3-SHA)"),
    ({"SSLv2": SSL2, "SSLv3": SSL3}, "smtp-starttls accepts SSLv2, SSLv3 (SSLv2: RC4-MD5; SSLv3: DES-CBC3-SHA)"),
])
def test_ssl_is_critical_and_its_suites_are_not_judged_again(versions: dict[str, Any], message: str) -> None:
    facts = parse_tls_scan([record(**versions)], "scan.json")
    (finding,) = judge("tls-scan", facts, Context(source="scan.json"))
    assert (finding.rule_id, finding.severity, finding.message) == ("T3-OBS-TLS-008", Severity.CRITICAL, message)
    assert finding.evidence["at"] == f"/0/versions/{next(iter(versions))}"


def test_the_versions_judged_follow_the_policy() -> None:
    legacy = record(TLSv1=RSA_CBC, TLSv1_2=[*GOOD_1_2, *RSA_CBC])
    assert found(legacy) == []  # TLS 1.0 open: T3-OBS-TLS-001's one finding
    assert found(record(TLSv1=RSA_CBC)) == []  # TLS 1.0 alone: T3-OBS-TLS-001's
    assert found(record(TLSv1=RSA_CBC), tls_refused_versions=["TLSv1.1"]) == [("T3-OBS-TLS-007", SUBJECT)]
    assert found(legacy, tls_refused_versions=["TLSv1.1"]) == [("T3-OBS-TLS-007", SUBJECT)]
    # a policy refusing TLS 1.2 too judges TLS 1.3 only (and TLS 1.2 accepted is T3-OBS-TLS-001's)
    assert found(record(TLSv1_2=RSA_CBC), tls_refused_versions=["TLSv1", "TLSv1.1", "TLSv1.2"]) == []


def test_a_listener_opened_to_tls_1_0_is_one_finding_not_two() -> None:
    """OpenSSL has one cipher list for TLS 1.0-1.2: opening TLS 1.0 brings its CBC suites to TLS 1.2 as well (as on
    the lab's Postfix with tls_medium_cipherlist=DEFAULT:@SECLEVEL=0). That is T3-OBS-TLS-001's one finding (the
    probe's); with TLS 1.0 closed again and the CBC suite left on TLS 1.2, this rule finds it."""
    opened = record(TLSv1=RSA_CBC, TLSv1_2=GOOD_1_2 + RSA_CBC)
    assert found(opened) == []
    closed = record(TLSv1_2=GOOD_1_2 + RSA_CBC)
    assert found(closed) == [("T3-OBS-TLS-007", f"{ADDRESS}:{PORT}")]


def test_a_small_dh_group_is_judged_on_the_profile_s_suites_only() -> None:
    assert found(record(TLSv1_2=DHE_1024)) == [("T3-OBS-TLS-009", SUBJECT)]
    anonymous = [{"openssl": "ADH-AES128-SHA", "iana": "TLS_DH_anon_WITH_AES_128_CBC_SHA",
                  "key_exchange": {"type": "DH", "bits": 1024, "curve": None}}]
    assert found(record(TLSv1_2=[*GOOD_1_2, *anonymous])) == [("T3-OBS-TLS-007", SUBJECT)]
    big = copy.deepcopy(DHE_1024)
    big[0]["key_exchange"]["bits"] = 2048
    assert found(record(TLSv1_2=big)) == []


def test_only_rsa_certificate_keys_are_weighed_by_size() -> None:
    small = record()
    small["certificates"][0]["public_key"]["bits"] = 1024
    assert found(small) == [("T3-OBS-TLS-010", SUBJECT)]
    ecdsa = record()
    ecdsa["certificates"].append({**CERT, "public_key": {"type": "ecdsa", "bits": 256, "curve": "secp256r1"}})
    assert found(ecdsa) == []


def test_an_unreachable_listener_has_nothing_to_judge() -> None:
    lost = {**record(), "reachable": False, "error": "Connection to the server timed out", "versions": {},
            "certificates": [], "mozilla_intermediate": None}
    assert found(lost) == []


def test_a_finding_names_the_vip() -> None:
    vip = Vip("lab-smtp", ADDRESS, "10.89.30.0/24", 51, (VipMember("lb1", 150),), services=("smtp",))
    facts = parse_tls_scan([record(TLSv1_2=RSA_CBC)], "scan.json")
    (finding,) = judge("tls-scan", facts, Context(source="scan.json", topology=Topology(vips=(vip,))))
    assert finding.evidence["vip"] == "lab-smtp"
    assert finding.message == ("smtp-starttls accepts 1 cipher suite(s) outside Mozilla intermediate: "
                               "TLSv1.2: AES128-SHA")


# ---- the catalogue and the profile --------------------------------------------------------------------

def test_the_catalogue_entries() -> None:
    got = {r.id: (r.severity, r.kinds, r.policy, r.breaks_redundancy, r.controls, r.check.__module__)
           for r in rules_for("tls-scan")}
    module = "tier3.rules.observed.tls_scan"
    assert got == {
        "T3-OBS-TLS-007": (Severity.HIGH, ("tls-scan",), ("tls_refused_versions",), False, TLS_CONTROLS, module),
        "T3-OBS-TLS-008": (Severity.CRITICAL, ("tls-scan",), (), False, TLS_CONTROLS, module),
        "T3-OBS-TLS-009": (Severity.HIGH, ("tls-scan",), ("tls_refused_versions",), False, TLS_CONTROLS, module),
        "T3-OBS-TLS-010": (Severity.HIGH, ("tls-scan",), (), False, TLS_CONTROLS, module),
    }
    assert "PCI-DSS:4.2.1" in TLS_CONTROLS
    assert all(len(RULES[i].rationale) > 200 for i in got)


def test_the_profile_is_sslyze_s_intermediate() -> None:
    """The profile written in tier3 is the one the installed sslyze checks against (its own Python)."""
    shipped = subprocess.run([str(sslyze_python()), "-c", SSLYZE_PROFILE], capture_output=True, text=True,
                             timeout=60, check=True)
    theirs = json.loads(shipped.stdout)
    profile = intermediate()
    assert sorted(profile.suites) == theirs["suites"]
    assert sorted(profile.suites_tls13) == theirs["suites_tls13"]
    assert [profile.dh_bits, profile.rsa_bits] == theirs["bits"]
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in profile.suites
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" not in profile.suites
    assert profile.suites_tls13 == {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
    assert (profile.dh_bits, profile.rsa_bits) == (2048, 2048)


# ---- bad records --------------------------------------------------------------------------------------

def _broken(change: dict[str, Any]) -> dict[str, Any]:
    doc = record()
    for key, value in change.items():
        *path, last = key.split("/")
        target: Any = doc
        for part in path:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value
    return doc


@pytest.mark.parametrize(("change", "where", "message"), [
    ({"kind": "pop3"}, "/0/kind", "unknown listener kind 'pop3'"),
    ({"port": True}, "/0/port", "port has the wrong type (bool)"),
    ({"versions/TLSv9": {"result": "accepted"}}, "/0/versions/TLSv9", "unknown protocol version 'TLSv9'"),
    ({"versions/TLSv1.2/result": "maybe"}, "/0/versions/TLSv1.2/result", "expected one of accepted, refused, error"),
    ({"versions/TLSv1.2/cipher_suites": []}, "/0/versions/TLSv1.2/cipher_suites", "accepted, yet no cipher suite"),
    ({"versions": {}}, "/0/versions", "reachable, yet no protocol version scanned"),
    ({"certificates/0/not_after": "soon"}, "/0/certificates/0/not_after", "not an ISO 8601 time: 'soon'"),
    ({"certificates/0/public_key": None}, "/0/certificates/0/public_key", "expected an object"),
])
def test_a_bad_record_names_the_json_pointer(change: dict[str, Any], where: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_tls_scan([_broken(change)], "scan.json")
    assert raised.value.where == where
    assert raised.value.message.startswith(message)


def test_tier3_inspect_refuses_a_bad_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "scan.json"
    bad.write_text(json.dumps([_broken({"kind": "pop3"})]), encoding="utf-8")
    assert main(["inspect", "tls-scan", str(bad), "--json"]) == 2
    out, err = capsys.readouterr()
    assert (out, err.count("\n")) == ("", 1)
    assert err.startswith(f"tier3 inspect: {bad}: /0/kind: unknown listener kind 'pop3'")
