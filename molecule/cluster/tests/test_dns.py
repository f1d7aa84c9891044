"""The authoritative DNS of the lab (roles/dns_authoritative, Knot), queried with dnspython from the machine.

Every record the zone generator publishes resolves on both servers (dns1 the primary, dns2 its
secondary) with the same answer and the same serial; the DKIM record holds the public half of the key
the inventory holds and TLSA the digest of the MX certificates; the zone is signed; a transfer without
the TSIG key is refused. Stopping Knot on the primary leaves the secondary answering. A record changed
in the inventory (an SPF address, given with -e) and converged moves the serial once, reaches the
secondary within seconds, and converging again moves nothing. Only the lab's own servers are asked.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.xfr
import dns.zone
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import ROOT, Lab, podman_exec
from tier3.dns.zone import policy_id

TIMEOUT = 3.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SYNC_S = 15  # NOTIFY and IXFR take well under a second; the bound a test waits


def ask(server: str, name: str, rtype: str, want_dnssec: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rtype, want_dnssec=want_dnssec)
    return dns.query.udp_with_fallback(query, server, timeout=TIMEOUT)[0]


def answer(server: str, name: str, rtype: str) -> list[str]:
    response = ask(server, name, rtype)
    assert response.rcode() == dns.rcode.NOERROR, f"{name} {rtype} @{server}: {dns.rcode.to_text(response.rcode())}"
    assert response.flags & dns.flags.AA, f"{name} {rtype} @{server}: not authoritative"
    found = response.find_rrset(response.answer, dns.name.from_text(name), dns.rdataclass.IN,
                                dns.rdatatype.from_text(rtype)) if response.answer else None
    if found is None:
        return []
    if rtype == "TXT":
        return sorted(b"".join(r.strings).decode() for r in found)
    return sorted(r.to_text().lower() for r in found)


def serial(server: str, zone: str) -> int:
    response = ask(server, zone, "SOA")
    return int(response.answer[0][0].serial)


@pytest.fixture(scope="module")
def servers(lab: Lab) -> dict[str, str]:
    if "tier3_dns" not in lab.all_vars:
        pytest.fail("inventory/lab declares no tier3_dns: the lab inventory generator should")
    return {h: lab.address(h) for h in ("dns1", "dns2")}


@pytest.fixture(scope="module")
def zone(lab: Lab) -> str:
    return lab.domain


def public_key(lab: Lab) -> str:
    entry = lab.mail["domains"][0]["dkim"][0]
    key = serialization.load_pem_private_key(lab.resolve(entry["private_key"]).encode(), None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def expected(lab: Lab, zone: str) -> dict[tuple[str, str], list[str]]:
    mail, domain = lab.mail, lab.mail["domains"][0]
    smtp, imap = lab.vip("smtp"), lab.vip("imap")
    service = mail["hostname"].split(".", 1)[1]
    mx = f"mx-lab.{service}"
    selector = domain["dkim"][0]["selector"]
    dmarc = domain.get("dmarc") or {}
    return {
        (zone, "NS"): [f"dns1.{service}.", f"dns2.{service}."],
        (zone, "MX"): [f"10 {mx}."],
        (mx, "A"): [smtp],
        (mail["hostname"], "A"): [smtp],
        (mail["imap_hostname"], "A"): [imap],
        (f"dns1.{service}", "A"): [lab.address("dns1")],
        (f"{selector}._domainkey.{zone}", "TXT"): [f"v=DKIM1; k=rsa; p={public_key(lab)}"],
        (f"_dmarc.{zone}", "TXT"): ["; ".join(["v=DMARC1", f"p={dmarc.get('policy', 'quarantine')}"]
                                              + ([f"rua={dmarc['rua']}"] if dmarc.get("rua") else []))],
        (f"_smtp._tls.{zone}", "TXT"): [f"v=TLSRPTv1; rua={domain['tls_rpt']}"] if domain.get("tls_rpt") else [],
    }


def test_every_record_resolves_on_both_servers_alike(lab: Lab, servers: dict[str, str], zone: str) -> None:
    for (name, rtype), want in expected(lab, zone).items():
        got = {host: answer(address, name, rtype) for host, address in servers.items()}
        want_sorted = sorted(w.lower() if rtype != "TXT" else w for w in want)
        assert got == dict.fromkeys(servers, want_sorted), (name, rtype)
    for host, address in servers.items():
        (spf,) = [t for t in answer(address, zone, "TXT") if t.startswith("v=spf1 ")]
        assert f"ip4:{lab.vip('smtp')}" in spf.split(), (host, spf)
        assert spf.endswith(" -all"), (host, spf)
        (sts,) = answer(address, f"_mta-sts.{zone}", "TXT")
        assert sts.startswith("v=STSv1; id="), (host, sts)
    assert len({serial(a, zone) for a in servers.values()}) == 1


def mx_certificates() -> Iterator[str]:
    for host in ("mx1", "mx2"):
        done = podman_exec(host, "cat", "/etc/tier3/pki/tier3.crt", check=False)
        if done.returncode == 0:
            yield done.stdout


def test_tlsa_is_the_digest_of_the_mx_certificates(lab: Lab, servers: dict[str, str]) -> None:
    certificates = list(mx_certificates())
    if not certificates:
        pytest.fail("no MX certificate on the MX hosts: roles/pki (playbooks/mail.yml) runs before playbooks/dns.yml "
                    "in site.yml, so the zone's TLSA records have nothing to match")
    digests = set()
    for pem in certificates:
        spki = x509.load_pem_x509_certificate(pem.encode()).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        digests.add(f"3 1 1 {hashlib.sha256(spki).hexdigest()}")
    service = lab.mail["hostname"].split(".", 1)[1]
    for address in servers.values():
        assert set(answer(address, f"_25._tcp.mx-lab.{service}", "TLSA")) == digests


def test_the_zone_is_signed_and_transfers_need_the_key(servers: dict[str, str], zone: str) -> None:
    for address in servers.values():
        response = ask(address, zone, "SOA", want_dnssec=True)
        assert any(r.rdtype == dns.rdatatype.RRSIG for r in response.answer), f"@{address}: SOA not signed"
        assert answer(address, zone, "DNSKEY")
        with pytest.raises((dns.xfr.TransferError, dns.exception.FormError, EOFError, ConnectionError)):
            dns.zone.from_xfr(dns.query.xfr(address, zone, timeout=TIMEOUT, lifetime=TIMEOUT))


def wait_serial(address: str, zone: str, want: int) -> float:
    start = time.monotonic()
    while time.monotonic() - start < SYNC_S:
        try:
            if serial(address, zone) == want:
                return time.monotonic() - start
        except dns.exception.DNSException:
            pass
        time.sleep(0.2)
    pytest.fail(f"@{address}: serial of {zone} not {want} within {SYNC_S} s (it is {serial(address, zone)})")


def test_the_secondary_answers_while_the_primary_is_stopped(servers: dict[str, str], zone: str) -> None:
    before = serial(servers["dns2"], zone)
    podman_exec("dns1", "systemctl", "stop", "knot")
    try:
        with pytest.raises(dns.exception.DNSException):
            ask(servers["dns1"], zone, "SOA")
        assert serial(servers["dns2"], zone) == before
        assert answer(servers["dns2"], zone, "MX")
    finally:
        podman_exec("dns1", "systemctl", "start", "knot")
    wait_serial(servers["dns1"], zone, before)


def converge(*extra: str) -> dict[str, Any]:
    """playbooks/dns.yml on the lab; the recap of each host, from the last lines (without colour:
    molecule's verify runs with ANSIBLE_FORCE_COLOR set, which would wrap each host name in escapes)."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_NOCOLOR": "1"}
    argv = ["ansible-playbook", "-i", str(ROOT / "inventory" / "lab"), str(ROOT / "playbooks" / "dns.yml"), *extra]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    recap = ANSI.sub("", done.stdout).split("PLAY RECAP", 1)[1]
    return {line.split()[0]: int(line.split("changed=")[1].split()[0])
            for line in recap.splitlines() if "changed=" in line}


def test_a_changed_record_moves_the_serial_once_and_reaches_the_secondary(
        lab: Lab, servers: dict[str, str], zone: str, tmp_path: Path) -> None:
    mail = json.loads(json.dumps(lab.mail))
    domain = mail["domains"][0]
    domain["spf"] = {**(domain.get("spf") or {}), "ip4": [*((domain.get("spf") or {}).get("ip4") or []), "192.0.2.77"]}
    extra = tmp_path / "changed.json"
    extra.write_text(json.dumps({"tier3_mail": mail}), encoding="utf-8")
    before = serial(servers["dns1"], zone)
    try:
        assert converge("-e", f"@{extra}")["dns1"] > 0
        moved = serial(servers["dns1"], zone)
        assert moved > before
        assert moved == before + 1 or str(moved)[:8] != str(before)[:8]  # dateserial: +1 within a day
        wait_serial(servers["dns2"], zone, moved)
        for address in servers.values():
            assert any("ip4:192.0.2.77" in t.split() for t in answer(address, zone, "TXT"))
        assert converge("-e", f"@{extra}") == {"dns1": 0, "dns2": 0}
        assert serial(servers["dns1"], zone) == moved
    finally:
        converge()  # the inventory's own records again
    restored = serial(servers["dns1"], zone)
    wait_serial(servers["dns2"], zone, restored)
    assert not any("ip4:192.0.2.77" in t.split() for t in answer(servers["dns2"], zone, "TXT"))



def test_the_mta_sts_policy_is_served_over_https_on_the_smtp_vip_and_its_id_is_in_the_zone(
        lab: Lab, servers: dict[str, str], zone: str) -> None:
    """RFC 8461: https://mta-sts.<domain>/.well-known/mta-sts.txt, at the address the zone gives
    mta-sts.<domain> (the SMTP VIP: HAProxy), with a certificate for that name from the lab CA; the id in
    _mta-sts is the hash of exactly the body served."""
    name = f"mta-sts.{zone}"
    server = next(iter(servers.values()))
    (address,) = answer(server, name, "A")
    context = ssl.create_default_context(cafile=lab.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    connection = http.client.HTTPConnection(name, 443, timeout=10)
    connection.sock = context.wrap_socket(socket.create_connection((address, 443), timeout=10), server_hostname=name)
    try:
        connection.request("GET", "/.well-known/mta-sts.txt", headers={"Host": name})
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert (response.status, response.getheader("Content-Type")) == (200, "text/plain"), body
    assert body.startswith("version: STSv1\r\n"), body
    assert "\r\nmx: " in body, body
    assert answer(server, f"_mta-sts.{zone}", "TXT") == [f"v=STSv1; id={policy_id(body)}"]
