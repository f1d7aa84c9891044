"""tier3.dns.zone: the records of a mail domain and its zone file, from inventory data.

The golden files (tests/golden/dns/) are the zones of inventory/example's domains, from its own
tier3_mail, tier3_vips and host sites; that inventory holds no addresses or keys, so the name
servers' addresses, the DKIM public keys and the TLSA digests are stand-ins given here. Every
rendered zone is parsed back with dnspython (a second reader of RFC 1035) and must hold the records.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import dns.rdatatype
import dns.zone
import pytest
import yaml

from tier3.dns.spf import spf_lookups
from tier3.dns.zone import (
    Record,
    dmarc_record,
    mta_sts_policies,
    mta_sts_policy,
    mx_hosts,
    parent,
    policy_id,
    quote,
    records,
    render,
    rname,
    zone,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"
KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "x" * 348 + "IDAQAB"  # the length of a 2048-bit key's SPKI
DIGEST = hashlib.sha256(b"stand-in SPKI").hexdigest()


def example() -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path in sorted((EXAMPLE / "group_vars" / "all").glob("*.yml")):
        data.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    data["sites"] = {p.stem: (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("tier3_host", {}).get("site", "")
                     for p in sorted((EXAMPLE / "host_vars").glob("*.yml"))}
    return data


def example_zone(domain: dict[str, Any], data: dict[str, Any]) -> str:
    """The zone as roles/dns_authoritative renders it: an NS per host of group dns, named
    ``<host>.<domain of tier3_mail.hostname>``, the SOA naming tier3_dns.primary's."""
    mail = data["tier3_mail"]
    hosts = yaml.safe_load((EXAMPLE / "hosts.yml").read_text(encoding="utf-8"))["all"]["children"]["dns"]["hosts"]
    service_domain = parent(mail["hostname"])
    # stand-ins for the facts (the example holds no addresses): 192.0.2.201... and one IPv6 address
    nameservers = [{"name": f"{host}.{service_domain}", "addresses": [f"192.0.2.{201 + i}", f"2001:db8::{201 + i}"]}
                   for i, host in enumerate(sorted(hosts))]
    children = yaml.safe_load((EXAMPLE / "hosts.yml").read_text(encoding="utf-8"))["all"]["children"]
    balancers = list(children["lb"]["hosts"])  # the role passes groups['lb']
    mx = mx_hosts(mail, data["tier3_vips"], data["sites"], balancers)
    dkim = {entry["selector"]: KEY for entry in domain.get("dkim") or []}
    dns = data.get("tier3_dns") or {"primary": sorted(hosts)[0], "contact": f"hostmaster@{service_domain}"}
    return zone(domain, mail, data["tier3_vips"], data["sites"], nameservers,
                primary_ns=f"{dns['primary']}.{service_domain}", contact=dns["contact"], dkim=dkim,
                tlsa={name: [DIGEST] for name in mx}, ttl=int(dns.get("ttl", 3600)), balancers=balancers)


@pytest.mark.parametrize("index", [0, 1], ids=["example.net", "example.org"])
def test_example_inventory_zone_is_golden(golden: Any, index: int) -> None:
    data = example()
    domain = data["tier3_mail"]["domains"][index]
    text = example_zone(domain, data)
    golden.check(f"dns/{domain['name']}.zone", text)
    parsed = dns.zone.from_text(text, origin=domain["name"], relativize=False, check_origin=True)
    assert parsed.get_rdataset(domain["name"] + ".", "SOA") is not None


def lab_like(**domain: Any) -> list[Record]:
    mail = {"hostname": "mail.lab.tier3.test", "imap_hostname": "imap.lab.tier3.test"}
    vips = [
        {"name": "lab-smtp", "address": "10.89.30.100", "services": ["smtp", "submission"],
         "members": [{"host": "lb1"}, {"host": "lb2"}]},
        {"name": "lab-imap", "address": "10.89.30.101", "services": ["imap", "imaps", "lmtp"],
         "members": [{"host": "lb2"}, {"host": "lb1"}]},
    ]
    nameservers = [{"name": "dns1.lab.tier3.test", "addresses": ["10.89.30.31"]},
                   {"name": "dns2.lab.tier3.test", "addresses": ["10.89.30.32"]}]
    return records({"name": "lab.tier3.test", **domain}, mail, vips, {"lb1": "lab", "lb2": "lab"}, nameservers,
                   dkim={"lab2026": KEY}, tlsa={"mx-lab.lab.tier3.test": [DIGEST.upper(), DIGEST]},
                   egress=["10.89.30.11", "10.89.30.12"])


def found(zone_records: list[Record], name: str, rtype: str) -> list[str]:
    return [r.data for r in zone_records if r.name == name and r.type == rtype]


# (domain keys, owner, type, expected data): one row per record kind and per option
CASES: list[tuple[dict[str, Any], str, str, list[str]]] = [
    ({}, "lab.tier3.test", "NS", ["dns1.lab.tier3.test.", "dns2.lab.tier3.test."]),
    ({}, "dns1.lab.tier3.test", "A", ["10.89.30.31"]),
    ({}, "lab.tier3.test", "MX", ["10 mx-lab.lab.tier3.test."]),
    ({}, "mx-lab.lab.tier3.test", "A", ["10.89.30.100"]),
    ({}, "mail.lab.tier3.test", "A", ["10.89.30.100"]),
    ({}, "imap.lab.tier3.test", "A", ["10.89.30.101"]),
    ({}, "lab.tier3.test", "TXT", ["v=spf1 ip4:10.89.30.100 ip4:10.89.30.11 ip4:10.89.30.12 -all"]),
    ({"spf": {"ip4": ["192.0.2.0/24"], "ip6": ["2001:db8::/32"], "include": ["_spf.partner.test"]}},
     "lab.tier3.test", "TXT",
     ["v=spf1 ip4:10.89.30.100 ip4:10.89.30.11 ip4:10.89.30.12 ip4:192.0.2.0/24 ip6:2001:db8::/32 "
      "include:_spf.partner.test -all"]),
    ({}, "lab2026._domainkey.lab.tier3.test", "TXT", [f"v=DKIM1; k=rsa; p={KEY}"]),
    ({}, "_dmarc.lab.tier3.test", "TXT", ["v=DMARC1; p=quarantine"]),
    ({"dmarc": {"policy": "reject", "rua": "mailto:dmarc@lab.tier3.test", "pct": 50}}, "_dmarc.lab.tier3.test", "TXT",
     ["v=DMARC1; p=reject; pct=50; rua=mailto:dmarc@lab.tier3.test"]),
    ({}, "_smtp._tls.lab.tier3.test", "TXT", []),
    ({"tls_rpt": "mailto:tlsrpt@lab.tier3.test"}, "_smtp._tls.lab.tier3.test", "TXT",
     ["v=TLSRPTv1; rua=mailto:tlsrpt@lab.tier3.test"]),
    ({}, "_25._tcp.mx-lab.lab.tier3.test", "TLSA", [f"3 1 1 {DIGEST}"]),  # one per digest, lower case
    # the policy host, on the VIPs that front SMTP (roles/haproxy serves the policy there), with or without mta_sts
    ({}, "mta-sts.lab.tier3.test", "A", ["10.89.30.100"]),
    ({"mta_sts": {"mode": "enforce"}}, "mta-sts.lab.tier3.test", "A", ["10.89.30.100"]),
]


def test_the_internet_reaches_the_load_balancers_vip_not_the_relay_vip_of_the_mx_pair() -> None:
    mail = {"hostname": "mail.example.net", "imap_hostname": "imap.example.net"}
    vips = [{"name": "edge", "address": "192.0.2.10", "services": ["smtp", "submission"],
             "members": [{"host": "lb1"}, {"host": "lb2"}]},
            {"name": "relay", "address": "192.0.2.12", "services": ["smtp"],
             "members": [{"host": "mx1"}, {"host": "mx2"}]}]
    sites = dict.fromkeys(("lb1", "lb2", "mx1", "mx2"), "fra1")
    got = records({"name": "example.net"}, mail, vips, sites, [], balancers=["lb1", "lb2"])
    assert found(got, "mx-fra1.example.net", "A") == ["192.0.2.10"]
    assert found(got, "mail.example.net", "A") == ["192.0.2.10"]
    # without load balancers the MX pair's own VIP is the door
    assert found(records({"name": "example.net"}, mail, vips, sites, []), "mx-fra1.example.net", "A") == [
        "192.0.2.10", "192.0.2.12"]


@pytest.mark.parametrize(("domain", "owner", "rtype", "expected"), CASES,
                         ids=[f"{o}/{t}/{','.join(d) or '-'}" for d, o, t, _ in CASES])
def test_records(domain: dict[str, Any], owner: str, rtype: str, expected: list[str]) -> None:
    assert found(lab_like(**domain), owner, rtype) == expected


def test_mta_sts_id_moves_with_the_policy_only() -> None:
    default = found(lab_like(), "_mta-sts.lab.tier3.test", "TXT")
    assert default == [f"v=STSv1; id={policy_id(mta_sts_policy(['mx-lab.lab.tier3.test']))}"]
    assert found(lab_like(mta_sts={"mode": "testing", "max_age": 604800}), "_mta-sts.lab.tier3.test", "TXT") == default
    assert found(lab_like(dmarc={"policy": "reject"}), "_mta-sts.lab.tier3.test", "TXT") == default
    assert found(lab_like(mta_sts={"mode": "enforce"}), "_mta-sts.lab.tier3.test", "TXT") != default
    assert mta_sts_policy(["b.test", "a.test"], "enforce", 86400) == (
        "version: STSv1\r\nmode: enforce\r\nmx: a.test\r\nmx: b.test\r\nmax_age: 86400\r\n")
    assert policy_id("x").isalnum()  # RFC 8461 3.1: 1 to 32 alphanumerics
    assert len(policy_id("x")) <= 32


def test_the_policies_served_are_the_texts_the_zone_hashes() -> None:
    mail = {"hostname": "mail.example.net", "imap_hostname": "imap.example.net",
            "domains": [{"name": "Example.NET", "mta_sts": {"mode": "enforce", "max_age": 86400}},
                        {"name": "example.org", "dkim": [{"selector": "s", "private_key": "never read"}]}]}
    vips = [{"name": "a", "address": "192.0.2.10", "services": ["smtp"], "members": [{"host": "fra1-lb1"}]},
            {"name": "b", "address": "2001:db8::25", "services": ["smtp"], "members": [{"host": "ams1-lb1"}]}]
    sites = {"fra1-lb1": "fra1", "ams1-lb1": "ams1"}
    policies = mta_sts_policies(mail, vips, sites, ["fra1-lb1", "ams1-lb1"])
    assert policies == {
        "example.net": "version: STSv1\r\nmode: enforce\r\nmx: mx-ams1.example.net\r\nmx: mx-fra1.example.net\r\n"
                       "max_age: 86400\r\n",
        "example.org": mta_sts_policy(["mx-fra1.example.net", "mx-ams1.example.net"]),
    }
    for domain in mail["domains"]:
        got = records(domain, mail, vips, sites, [], balancers=["fra1-lb1", "ams1-lb1"])
        name = str(domain["name"]).lower()
        assert found(got, f"_mta-sts.{name}", "TXT") == [f"v=STSv1; id={policy_id(policies[name])}"]
        # the policy host: every site's SMTP VIP, IPv4 and IPv6
        assert (found(got, f"mta-sts.{name}", "A"), found(got, f"mta-sts.{name}", "AAAA")) == (
            ["192.0.2.10"], ["2001:db8::25"])
    assert mta_sts_policies({"hostname": "mail.example.net", "imap_hostname": "imap.example.net"}, vips, sites) == {}


def test_no_smtp_vip_no_policy_host() -> None:
    mail = {"hostname": "mail.example.net", "imap_hostname": "imap.example.net"}
    vips = [{"name": "i", "address": "192.0.2.11", "services": ["imap"], "members": [{"host": "lb1"}]}]
    got = records({"name": "example.net"}, mail, vips, {"lb1": "fra1"}, [], balancers=["lb1"])
    assert [r for r in got if r.name == "mta-sts.example.net"] == []


def test_one_mx_per_site_at_equal_priority_and_vips_without_services() -> None:
    mail = {"hostname": "mail.example.net", "imap_hostname": "imap.example.net"}
    vips = [{"name": "a", "address": "192.0.2.10", "services": ["smtp"], "members": [{"host": "fra1-lb1"}]},
            {"name": "b", "address": "192.0.2.12", "services": ["smtp"], "members": [{"host": "fra1-mx1"}]},
            {"name": "c", "address": "2001:db8::25", "services": ["smtp"], "members": [{"host": "ams1-lb1"}]},
            {"name": "d", "address": "192.0.2.11", "services": ["imap"], "members": [{"host": "fra1-lb1"}]}]
    sites = {"fra1-lb1": "fra1", "fra1-mx1": "fra1", "ams1-lb1": "ams1"}
    assert mx_hosts(mail, vips, sites) == {"mx-fra1.example.net": ["192.0.2.10", "192.0.2.12"],
                                           "mx-ams1.example.net": ["2001:db8::25"]}
    got = records({"name": "example.net"}, mail, vips, sites, [])
    assert found(got, "example.net", "MX") == ["10 mx-ams1.example.net.", "10 mx-fra1.example.net."]
    assert found(got, "mx-ams1.example.net", "AAAA") == ["2001:db8::25"]
    # no VIP says what it fronts: every VIP carries every name; a VIP without a site gives mx.<domain>
    bare = [{"name": "x", "address": "192.0.2.1", "members": [{"host": "h"}]}]
    assert mx_hosts(mail, bare, {}) == {"mx.example.net": ["192.0.2.1"]}
    assert found(records({"name": "example.net"}, mail, bare, {}, []), "imap.example.net", "A") == ["192.0.2.1"]


def test_names_of_another_domain_get_no_address_here() -> None:
    mail = {"hostname": "mail.example.net", "imap_hostname": "imap.example.net"}
    vips = [{"name": "a", "address": "192.0.2.10", "services": ["smtp"], "members": [{"host": "h"}]}]
    ns1 = [{"name": "ns1.example.net", "addresses": ["192.0.2.53"]}]
    got = records({"name": "example.org"}, mail, vips, {"h": "fra1"}, ns1,
                  tlsa={"mx-fra1.example.net": [DIGEST]})
    # only its own policy host: the MX, mail, imap and name server names are example.net's
    assert [(r.name, r.type) for r in got if r.type in ("A", "AAAA", "TLSA")] == [("mta-sts.example.org", "A")]
    assert found(got, "example.org", "MX") == ["10 mx-fra1.example.net."]
    assert found(got, "example.org", "NS") == ["ns1.example.net."]


def test_quote_splits_at_255_bytes_and_escapes() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("") == '""'
    long = "p=" + "x" * 600
    assert quote(long) == " ".join(f'"{long[i:i + 255]}"' for i in range(0, 602, 255))


@pytest.mark.parametrize(("contact", "expected"), [
    ("hostmaster@example.net", "hostmaster.example.net."),
    ("dns.admin@example.net.", "dns\\.admin.example.net."),
])
def test_rname(contact: str, expected: str) -> None:
    assert rname(contact) == expected


def test_rname_refuses_what_is_not_an_address() -> None:
    with pytest.raises(ValueError, match="address"):
        rname("example.net")


def test_dmarc_defaults_to_quarantine() -> None:
    assert dmarc_record(None) == "v=DMARC1; p=quarantine"


def test_render_is_deterministic_and_parses_with_every_record() -> None:
    zone_records = lab_like(tls_rpt="mailto:tlsrpt@lab.tier3.test")
    text = render("lab.tier3.test", zone_records, "dns1.lab.tier3.test", "hostmaster@lab.tier3.test")
    assert text == render("lab.tier3.test", list(zone_records), "dns1.lab.tier3.test", "hostmaster@lab.tier3.test")
    parsed = dns.zone.from_text(text, origin="lab.tier3.test", relativize=False)
    soa = parsed.get_rdataset("lab.tier3.test.", "SOA")
    assert soa is not None
    assert (soa[0].serial, str(soa[0].mname), str(soa[0].rname)) == (
        1, "dns1.lab.tier3.test.", "hostmaster.lab.tier3.test.")
    for record in zone_records:
        rdataset = parsed.get_rdataset(record.name + ".", record.type)
        assert rdataset is not None, (record.name, record.type)
        if record.type == "TXT":
            texts = [b"".join(r.strings).decode() for r in rdataset]
            assert record.data in texts
            assert all(len(s) <= 255 for r in rdataset for s in r.strings)
        else:
            assert record.data.lower() in [r.to_text().lower() for r in rdataset]
        assert rdataset.ttl == record.ttl
    spf = next(r.data for r in zone_records if r.type == "TXT" and r.data.startswith("v=spf1"))
    assert spf_lookups(spf) == 0
    assert dns.rdatatype.TLSA in {rds.rdtype for _, rds in parsed.iterate_rdatasets()}
