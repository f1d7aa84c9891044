"""tier3.probe.dns and its plan against real authoritative servers on loopback, judged by ``judge_site``.

The servers are tests/unit/probe/dnsserver.py's: a small authoritative server written with dnspython,
a stand-in for Knot that speaks the protocol over real UDP and TCP sockets on 127.0.0.1 and 127.0.0.2,
serving the zone file tier3.dns.zone renders from the site's variables as roles/dns_authoritative does
(dnssite.py). The real Knot pair is asked by molecule/cluster and by ``tier3 check`` on the lab.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from dnsserver import ZoneServer, serving, silent_server
from dnssite import DOMAIN, SMTP_VIP, private_key_pem, public_key, rendered, site
from mailservers import Issued, StartServer

from tier3.check import DNS_KIND, check_report, judge_site
from tier3.model import Finding, Topology
from tier3.probe.dns import probe_dns, served_certificates, with_served_certificates
from tier3.probe.dns_expected import DnsPlan, NameServer, dkim_public_key, host_addresses, plan_from_vars
from tier3.probe.listener import Listener, probe_listener

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def dkim_pem() -> str:
    return private_key_pem()


@pytest.fixture
def good(dkim_pem: str) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], str]:
    hostvars, groups = site(dkim_pem)
    return hostvars, groups, rendered(hostvars, groups)


@pytest.fixture
def pair() -> Iterator[Any]:
    """``pair(zone1, zone2, **faults_of_dns2)``: two servers (dns1 127.0.0.1, dns2 127.0.0.2) on one port."""
    started: list[ZoneServer] = []

    def start(first: str, second: str, **faults: Any) -> int:
        one = ZoneServer({DOMAIN: first}, address="127.0.0.1").start()
        started.append(one)
        started.append(ZoneServer({DOMAIN: second}, address="127.0.0.2", port=one.port, **faults).start())
        return one.port

    yield start
    for server in started:
        server.stop()


def judged(plan: DnsPlan | None) -> list[Finding]:
    assert plan is not None
    findings, facts = judge_site(Topology(), [], probe=False, dns=plan, dns_timeout=TIMEOUT)
    assert facts[-1]["kind"] == DNS_KIND
    return findings


def ids(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule_id, f.subject) for f in findings)


def test_the_plan_asks_every_record_the_zone_publishes_with_the_generated_answer(good: Any, dkim_pem: str) -> None:
    hostvars, groups, text = good
    plan = plan_from_vars(hostvars, groups)
    assert plan is not None
    assert [(s.host, s.address, s.port) for s in plan.servers] == [("dns1", "127.0.0.1", 53), ("dns2", "127.0.0.2", 53)]
    (zone,) = plan.zones
    asked = {(q.name, q.type) for q in zone.questions}
    in_file = {(("" if o == "@" else o + ".") + DOMAIN, t) for o, _, _, t, *_ in
               (line.split() for line in text.splitlines()[4:])}
    assert asked == in_file | {(f"_25._tcp.mx-lab.{DOMAIN}", "TLSA")}  # TLSA: the role reads the MX certificates
    by = {(q.name, q.type): q for q in zone.questions}
    assert by[(f"lab2026._domainkey.{DOMAIN}", "TXT")].expected == (f"v=DKIM1; k=rsa; p={public_key(dkim_pem)}",)
    assert dkim_public_key(dkim_pem) == public_key(dkim_pem)
    assert by[(DOMAIN, "TXT")].role == "spf"
    assert by[(DOMAIN, "TXT")].match == "exact"
    assert by[(f"_25._tcp.mx-lab.{DOMAIN}", "TLSA")].expected is None  # internal CA: not on the controller
    assert by[(f"_25._tcp.mx-lab.{DOMAIN}", "TLSA")].addresses == (SMTP_VIP,)
    assert plan.notes == ()


def test_the_good_zone_on_both_servers_gives_no_finding(dkim_pem: str, pair: Any, good_cert: Issued) -> None:
    pem = good_cert.cert.read_text()  # pki_mode provided: the controller holds the MX certificate, TLSA is exact
    hostvars, groups = site(dkim_pem, certificate_pem=pem)
    text = rendered(hostvars, groups, certificates=[pem])
    port = pair(text, text)
    plan = plan_from_vars(hostvars, groups, port=port)
    assert plan is not None
    records = probe_dns(plan, TIMEOUT)
    assert [(r["server"], r["answered"], r["error"]) for r in records] == [("dns1", True, ""), ("dns2", True, "")]
    assert all(a["transport"] == "udp" and a["authoritative"] for r in records for a in r["zones"][0]["answers"])
    assert judged(plan) == []


def test_a_truncated_answer_is_asked_again_over_tcp(good: Any, pair: Any) -> None:
    hostvars, groups, text = good
    port = pair(text, text, truncate_udp=True)
    plan = plan_from_vars(hostvars, groups, port=port)
    assert plan is not None
    dns2 = probe_dns(plan, TIMEOUT)[1]
    assert {a["transport"] for a in dns2["zones"][0]["answers"]} == {"tcp"}
    # the TLSA missing on both (no MX certificate in this site) is all there is: nothing lost over TCP
    assert [f for f in judged(plan) if "TLSA" not in f.subject] == []


def test_a_server_that_does_not_answer_is_one_record_and_one_finding(good: Any) -> None:
    hostvars, groups, text = good
    with serving(ZoneServer({DOMAIN: text})) as (one,), silent_server("127.0.0.2") as port:
        plan = plan_from_vars(hostvars, groups, port=one.port)
        assert plan is not None
        plan = dataclasses.replace(plan, servers=(plan.servers[0], NameServer("dns2", "127.0.0.2", port)))
        started = time.monotonic()
        records = probe_dns(plan, 0.3)
        assert time.monotonic() - started < 5  # one timeout for the silent server, not one per question
        assert records[1]["answered"] is False
        assert records[1]["error"] == "timed out"
        assert records[1]["zones"] == []
        findings = [f for f in judged(plan) if "TLSA" not in f.subject]
    assert ids(findings) == [("T3-OBS-DNS-001", "dns2")]
    assert findings[0].message == "dns2 (127.0.0.2) does not answer: timed out"


def test_a_server_without_an_address_is_never_asked_and_says_so(good: Any) -> None:
    hostvars, groups, _ = good
    del hostvars["dns2"]["tier3_lab_address"]  # its ansible_host is a container name, not an address
    plan = plan_from_vars(hostvars, groups)
    assert plan is not None
    assert plan.servers[1] == NameServer("dns2", "", 53)
    assert plan.notes == ("dns2: no address known on the controller (facts, tier3_lab_address or ansible_host)",)
    (record,) = probe_dns(dataclasses.replace(plan, servers=plan.servers[1:]), TIMEOUT)
    assert (record["answered"], record["error"]) == (False, plan.notes[0].split(": ", 1)[1])


def test_answers_without_authority_are_the_server_rule_only(good: Any, pair: Any) -> None:
    hostvars, groups, text = good
    plan = plan_from_vars(hostvars, groups, port=pair(text, text, authoritative=False))
    findings = [f for f in judged(plan) if "TLSA" not in f.subject]
    assert ids(findings) == [("T3-OBS-DNS-001", f"dns2:{DOMAIN}")]
    assert findings[0].message == f"dns2 (127.0.0.2) does not serve {DOMAIN} with authority: expected SOA with AA, " \
                                  "observed NOERROR, not authoritative"


def test_serials_that_differ_are_one_finding_naming_both(good: Any, pair: Any) -> None:
    hostvars, groups, text = good
    plan = plan_from_vars(hostvars, groups, port=pair(text, rendered(hostvars, groups, serial=2)))
    findings = [f for f in judged(plan) if "TLSA" not in f.subject]
    assert ids(findings) == [("T3-OBS-DNS-003", f"zone:{DOMAIN}")]
    assert findings[0].message == f"{DOMAIN}: expected one serial on every server, observed dns1 1, dns2 2 " \
                                  "(dns1 behind 2)"


def _domain(hostvars: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**hostvars["dns1"]["tier3_mail"]["domains"][0], **changes}


DEFECTS = {
    "dmarc p=none": ("T3-OBS-DNS-006", "_dmarc", lambda hv: {"domain": _domain(hv, dmarc={"policy": "none"})}),
    "another DKIM key": ("T3-OBS-DNS-005", "lab2026._domainkey",
                         lambda _hv: {"dkim": {"lab2026": public_key(private_key_pem())}}),
    "SPF of 11 lookups": ("T3-OBS-DNS-004", "", lambda hv: {"domain": _domain(
        hv, spf={"include": [f"_spf{i}.example.net" for i in range(11)]})}),
    "an SPF address less": ("T3-OBS-DNS-002", "", lambda hv: {"domain": _domain(hv, spf={"ip4": ["192.0.2.9"]})}),
    "TLS-RPT gone": ("T3-OBS-DNS-002", "_smtp._tls", lambda hv: {"domain": _domain(hv, tls_rpt="")}),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_on_one_server_is_exactly_its_finding(good: Any, pair: Any, defect: str) -> None:
    hostvars, groups, text = good
    rule_id, owner, change = DEFECTS[defect]
    broken = rendered(hostvars, groups, **change(hostvars))
    plan = plan_from_vars(hostvars, groups, port=pair(text, broken))
    findings = [f for f in judged(plan) if "TLSA" not in f.subject]
    name = f"{owner}.{DOMAIN}" if owner else DOMAIN
    assert ids(findings) == [(rule_id, f"dns2:{name}/TXT")]
    assert "expected " in findings[0].message
    assert ", observed " in findings[0].message
    assert findings[0].evidence["server"] == "dns2"


def test_tlsa_is_compared_with_the_certificate_the_mx_listener_serves(
        good: Any, pair: Any, mail_server: StartServer, good_cert: Issued, ca: Any) -> None:
    hostvars, groups, _ = good
    published = ca.issue("mx-old").cert.read_text()  # the zone still names the key the MX no longer serves
    text = rendered(hostvars, groups, certificates=[published])
    plan = plan_from_vars(hostvars, groups, port=pair(text, text))
    assert plan is not None
    smtp = mail_server("smtp", cert=good_cert)
    listener = probe_listener(Listener("127.0.0.1", smtp.port, "smtp-starttls", "mail.lab.tier3.test"), None, 5.0)
    served = served_certificates([{**listener, "address": SMTP_VIP}], port=smtp.port)
    assert served == {SMTP_VIP: [listener["certificate"]["spki_sha256"]]}
    records = with_served_certificates(probe_dns(plan, TIMEOUT), served)
    findings, _ = judge_site(Topology(), [], probe=False, dns=plan, dns_prober=lambda _p, _t: records)
    assert ids(findings) == [("T3-OBS-DNS-007", f"dns{i}:_25._tcp.mx-lab.{DOMAIN}/TLSA") for i in (1, 2)]
    assert f"served on {SMTP_VIP}:25" in findings[0].message
    fixed = rendered(hostvars, groups, certificates=[good_cert.cert.read_text()])
    plan = plan_from_vars(hostvars, groups, port=pair(fixed, fixed))
    assert plan is not None
    records = with_served_certificates(probe_dns(plan, TIMEOUT), served)
    findings, _ = judge_site(Topology(), [], probe=False, dns=plan, dns_prober=lambda _p, _t: records)
    assert findings == []


def test_the_report_lists_the_dns_rules_as_checks_run(good: Any, pair: Any) -> None:
    hostvars, groups, text = good
    plan = plan_from_vars(hostvars, groups, port=pair(text, text))
    report = check_report([], judged(plan), source="test", probed=False, dns_probed=True)
    assert {c.rule_id for c in report.checks} == {f"T3-OBS-DNS-00{i}" for i in range(1, 8)}


def test_host_addresses_prefer_facts_then_the_lab_address_then_an_address_ansible_host() -> None:
    facts = {"default_ipv4": {"address": "192.0.2.1"}, "default_ipv6": {"address": "2001:db8::1"}}
    assert host_addresses({"ansible_facts": facts, "tier3_lab_address": "10.0.0.1"}) == ["192.0.2.1", "2001:db8::1"]
    assert host_addresses({"tier3_lab_address": "10.0.0.1", "ansible_host": "192.0.2.7"}) == ["10.0.0.1"]
    assert host_addresses({"ansible_host": "192.0.2.7"}) == ["192.0.2.7"]
    assert host_addresses({"ansible_host": "tier3-lab-dns1"}) == []


def test_an_mx_address_unknown_makes_spf_a_contains_match(dkim_pem: str) -> None:
    hostvars, groups = site(dkim_pem, mx_addresses=False)
    plan = plan_from_vars(hostvars, groups)
    assert plan is not None
    spf = next(q for q in plan.zones[0].questions if q.role == "spf")
    assert (spf.match, spf.expected) == ("contains", ("v=spf1 ip4:10.89.30.100 -all",))
    assert any(n.startswith("SPF:") for n in plan.notes)


def test_no_dns_hosts_or_no_tier3_dns_is_no_plan(dkim_pem: str) -> None:
    hostvars, groups = site(dkim_pem)
    assert plan_from_vars(hostvars, {**groups, "dns": []}) is None
    for host_vars in hostvars.values():
        del host_vars["tier3_dns"]
    assert plan_from_vars(hostvars, groups) is None
