"""The observed DNS rules (T3-OBS-DNS-001..007) on parsed facts: a good pair of servers gives no finding;
each defect gives exactly its finding, naming the server, the record, the expected and observed values; one
defect is reported once (the preconditions); SPF syntax and DMARC strength as RFC 7208 and 7489 read."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tier3.inspect import all_kinds
from tier3.model import Finding
from tier3.rules.observed.dns_records import dmarc_strength, holds, spf_problems

ZONE = "lab.tier3.test"
KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAgood"
DIGEST = "ab" * 32
VIP = "10.89.30.100"
SPF = f"v=spf1 ip4:{VIP} ip4:10.89.30.11 -all"
DMARC = f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{ZONE}"
EXPECTED: list[tuple[str, str, str, list[str] | None]] = [  # (name, type, role, expected)
    (ZONE, "NS", "", [f"dns1.{ZONE}.", f"dns2.{ZONE}."]),
    (ZONE, "MX", "", [f"10 mx-lab.{ZONE}."]),
    (f"mx-lab.{ZONE}", "A", "", [VIP]),
    (ZONE, "TXT", "spf", [SPF]),
    (f"lab2026._domainkey.{ZONE}", "TXT", "dkim", [f"v=DKIM1; k=rsa; p={KEY}"]),
    (f"_dmarc.{ZONE}", "TXT", "dmarc", [DMARC]),
    (f"_mta-sts.{ZONE}", "TXT", "", ["v=STSv1; id=8c950768ed2d3cf635a4"]),
    (f"_25._tcp.mx-lab.{ZONE}", "TLSA", "tlsa", None),
]


def answer(name: str, rtype: str, role: str, expected: list[str] | None) -> dict[str, Any]:
    tlsa = rtype == "TLSA"
    return {"name": name, "type": rtype, "role": role, "match": "exact", "expected": expected,
            "addresses": [VIP] if tlsa else [], "rcode": "NOERROR", "authoritative": True, "transport": "udp",
            "data": [f"3 1 1 {DIGEST}"] if tlsa else list(expected or []), "error": "",
            "certificates": [{"address": VIP, "spki_sha256": DIGEST, "source": "served"}] if tlsa else []}


def good() -> list[dict[str, Any]]:
    """Two servers that answer every record as generated (what the loopback stand-in for Knot serves)."""
    return [{"server": s, "address": a, "port": 53, "queried_at": 1796125135.0, "answered": True, "error": "",
             "zones": [{"zone": ZONE, "soa": {"rcode": "NOERROR", "authoritative": True, "serial": 7, "error": ""},
                        "answers": [answer(*e) for e in EXPECTED]}]} for s, a in (("dns1", "127.0.0.1"),
                                                                                  ("dns2", "127.0.0.2"))]


def judge(records: list[dict[str, Any]]) -> list[Finding]:
    report = all_kinds()["dns-answers"].inspect_raw(records, "test")
    return [Finding.from_dict(f) for f in report["findings"]]


def on_dns2(name: str, rtype: str, **changes: Any) -> Callable[[list[dict[str, Any]]], None]:
    def change(records: list[dict[str, Any]]) -> None:
        target = next(a for a in records[1]["zones"][0]["answers"] if (a["name"], a["type"]) == (name, rtype))
        target.update(changes)
    return change


def dns2_down(records: list[dict[str, Any]]) -> None:
    records[1].update(answered=False, error="timed out", zones=[])


def dns2_not_authoritative(records: list[dict[str, Any]]) -> None:
    records[1]["zones"][0]["soa"].update(rcode="REFUSED", authoritative=False, serial=None)


def dns2_behind(records: list[dict[str, Any]]) -> None:
    records[1]["zones"][0]["soa"]["serial"] = 6


DEFECTS: dict[str, tuple[Callable[[list[dict[str, Any]]], None], str, str, str]] = {
    # defect: (change, rule, subject, the message's end)
    "server down": (dns2_down, "T3-OBS-DNS-001", "dns2", "dns2 (127.0.0.2) does not answer: timed out"),
    "not authoritative": (dns2_not_authoritative, "T3-OBS-DNS-001", f"dns2:{ZONE}",
                          "expected SOA with AA, observed REFUSED, not authoritative"),
    "serial behind": (dns2_behind, "T3-OBS-DNS-003", f"zone:{ZONE}",
                      "expected one serial on every server, observed dns1 7, dns2 6 (dns2 behind 7)"),
    "MX missing": (on_dns2(ZONE, "MX", data=[], rcode="NOERROR"), "T3-OBS-DNS-002", f"dns2:{ZONE}/MX",
                   f"expected 10 mx-lab.{ZONE}., observed nothing (NOERROR)"),
    "A differs": (on_dns2(f"mx-lab.{ZONE}", "A", data=["10.89.30.99"]), "T3-OBS-DNS-002", f"dns2:mx-lab.{ZONE}/A",
                  f"expected {VIP}, observed 10.89.30.99"),
    "question timed out": (on_dns2(f"_mta-sts.{ZONE}", "TXT", data=[], error="timed out", rcode=""),
                           "T3-OBS-DNS-002", f"dns2:_mta-sts.{ZONE}/TXT", "observed no answer (timed out)"),
    "TLSA missing": (on_dns2(f"_25._tcp.mx-lab.{ZONE}", "TLSA", data=[], rcode="NXDOMAIN"), "T3-OBS-DNS-002",
                     f"dns2:_25._tcp.mx-lab.{ZONE}/TLSA", "expected a record, observed nothing (NXDOMAIN)"),
    "SPF of 11 lookups": (on_dns2(ZONE, "TXT", data=["v=spf1 " + " ".join(f"include:s{i}.example" for i in range(11))
                                                      + " -all"]),
                          "T3-OBS-DNS-004", f"dns2:{ZONE}/TXT", "-all"),
    "two SPF records": (on_dns2(ZONE, "TXT", data=[SPF, "v=spf1 -all"]), "T3-OBS-DNS-004", f"dns2:{ZONE}/TXT",
                        "v=spf1 -all"),
    "SPF that does not parse": (on_dns2(ZONE, "TXT", data=["v=spf1 ip4:10.89.30.300 -all"]), "T3-OBS-DNS-004",
                                f"dns2:{ZONE}/TXT", "observed v=spf1 ip4:10.89.30.300 -all"),
    "SPF without an MX address": (on_dns2(ZONE, "TXT", data=[f"v=spf1 ip4:{VIP} -all"]), "T3-OBS-DNS-002",
                                  f"dns2:{ZONE}/TXT", f"expected {SPF}, observed v=spf1 ip4:{VIP} -all"),
    "DKIM of another key": (on_dns2(f"lab2026._domainkey.{ZONE}", "TXT", data=["v=DKIM1; k=rsa; p=MIIBother"]),
                            "T3-OBS-DNS-005", f"dns2:lab2026._domainkey.{ZONE}/TXT",
                            f"expected p={KEY[:24]}...{KEY[-12:]}, observed p=MIIBother"),
    "DMARC p=none": (on_dns2(f"_dmarc.{ZONE}", "TXT", data=[DMARC.replace("quarantine", "none")]), "T3-OBS-DNS-006",
                     f"dns2:_dmarc.{ZONE}/TXT", f"observed {DMARC.replace('quarantine', 'none')}"),
    "DMARC pct=50": (on_dns2(f"_dmarc.{ZONE}", "TXT", data=[DMARC + "; pct=50"]), "T3-OBS-DNS-006",
                     f"dns2:_dmarc.{ZONE}/TXT", "; pct=50"),
    "DMARC stronger": (on_dns2(f"_dmarc.{ZONE}", "TXT", data=[DMARC.replace("quarantine", "reject")]), "T3-OBS-DNS-002",
                       f"dns2:_dmarc.{ZONE}/TXT", f"observed {DMARC.replace('quarantine', 'reject')}"),
    "TLSA of another key": (on_dns2(f"_25._tcp.mx-lab.{ZONE}", "TLSA", data=[f"3 1 1 {'cd' * 32}"]), "T3-OBS-DNS-007",
                            f"dns2:_25._tcp.mx-lab.{ZONE}/TLSA", f"observed 3 1 1 {'cd' * 32}"),
}


def test_a_good_pair_of_servers_gives_no_finding() -> None:
    assert judge(good()) == []


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_is_exactly_its_finding_and_removing_it_removes_it(defect: str) -> None:
    change, rule_id, subject, said = DEFECTS[defect]
    records = good()
    change(records)
    findings = judge(records)
    assert [(f.rule_id, f.subject) for f in findings] == [(rule_id, subject)]
    assert findings[0].message.endswith(said), findings[0].message
    if rule_id != "T3-OBS-DNS-003":
        assert findings[0].message.startswith("dns2 (127.0.0.2)")
    assert judge(good()) == []  # the same facts without the defect


def test_tlsa_without_a_served_certificate_is_compared_with_the_inventorys_and_says_so() -> None:
    records = good()
    for server in records:
        tlsa = server["zones"][0]["answers"][-1]
        tlsa["certificates"] = [{"address": "", "spki_sha256": "ef" * 32, "source": "inventory"}]
    findings = judge(records)
    assert [f.rule_id for f in findings] == ["T3-OBS-DNS-007"] * 2
    assert "the MX certificates of the inventory (pki_certificate; no served certificate was probed)" \
        in findings[0].message
    for server in records:  # neither served nor in the inventory: only its presence is judged
        server["zones"][0]["answers"][-1]["certificates"] = []
    assert judge(records) == []


def test_a_record_missing_is_the_missing_rule_not_its_roles() -> None:
    records = copy.deepcopy(good())
    on_dns2(f"lab2026._domainkey.{ZONE}", "TXT", data=[], rcode="NXDOMAIN")(records)
    assert [f.rule_id for f in judge(records)] == ["T3-OBS-DNS-002"]


def test_a_down_server_hides_nothing_of_the_other() -> None:
    records = good()
    dns2_down(records)
    next(a for a in records[0]["zones"][0]["answers"] if a["type"] == "MX")["data"] = []
    assert sorted(f.rule_id for f in judge(records)) == ["T3-OBS-DNS-001", "T3-OBS-DNS-002"]


@pytest.mark.parametrize(("record", "problems"), [
    ("v=spf1 ip4:192.0.2.1 ip6:2001:db8::/32 include:_spf.example.net a mx/24 ptr exists:%{i}.x.example -all", []),
    ("v=spf1 redirect=_spf.example.net", []),
    ("v=spf1 unknown=thing -all", []),  # unknown modifiers are ignored (RFC 7208 6)
    ("v=spf1 ip4:192.0.2.300 -all", ["not an IPv4 address or network: 'ip4:192.0.2.300'"]),
    ("v=spf1 ip6:192.0.2.1 -all", ["wrong address family: 'ip6:192.0.2.1'"]),
    ("v=spf1 include -all", ["include needs an argument (include:...): 'include'"]),
    ("v=spf1 all:x", ["all takes no argument: 'all:x'"]),
    ("v=spf1 ipv4:192.0.2.1 -all", ["unknown mechanism 'ipv4:192.0.2.1'"]),
    ("v=spf1 redirect=a.example redirect=b.example", ["redirect appears 2 times (at most once)"]),
    ("spf1 -all", ["it does not start with v=spf1"]),
])
def test_spf_syntax(record: str, problems: list[str]) -> None:
    assert spf_problems(record) == problems


@pytest.mark.parametrize(("record", "strength"), [
    ("v=DMARC1; p=reject", (2, 100)), ("v=DMARC1; p=quarantine; pct=25", (1, 25)), ("v=DMARC1; p=none", (0, 100)),
    ("v=DMARC1; p=bogus", (0, 100)), ("v=DMARC1; P=Reject; pct=200", (2, 100)),
])
def test_dmarc_strength(record: str, strength: tuple[int, int]) -> None:
    assert dmarc_strength(record) == strength


def test_spf_contains_allows_more_addresses_only() -> None:
    wanted = [f"v=spf1 ip4:{VIP} -all"]
    assert holds([f"v=spf1 ip4:{VIP} ip4:10.89.30.11 -all"], wanted, "contains", "spf")
    assert not holds([f"v=spf1 ip4:{VIP} include:x.example -all"], wanted, "contains", "spf")
    assert not holds(["v=spf1 ip4:10.89.30.11 -all"], wanted, "contains", "spf")
    assert not holds([f"v=spf1 ip4:{VIP} ip4:10.89.30.11 -all"], wanted, "exact", "spf")
    assert holds([DMARC + "; pct=100"], [DMARC], "exact", "dmarc")  # pct=100 is the default
