"""tier3.dns.spf: the record tier3 publishes, and the DNS lookups a record costs (RFC 7208 4.6.4)."""

from __future__ import annotations

import pytest

from tier3.dns.spf import MAX_LOOKUPS, spf_lookups, spf_record, term_name

# (record, lookups): every mechanism and modifier of RFC 7208, with and without qualifiers and arguments
LOOKUPS: list[tuple[str, int]] = [
    ("v=spf1 -all", 0),
    ("v=spf1 ip4:192.0.2.10 ip6:2001:db8::1 -all", 0),
    ("v=spf1 a -all", 1),
    ("v=spf1 a:mail.example.net/24 mx mx:example.org//64 -all", 3),
    ("v=spf1 include:_spf.example.com ~all", 1),
    ("v=spf1 +include:a.test -include:b.test ?include:c.test ~include:d.test -all", 4),
    ("v=spf1 ptr ptr:example.net exists:%{i}.bl.example.net -all", 3),
    ("v=spf1 redirect=_spf.example.net", 1),
    ("v=spf1 ip4:192.0.2.0/24 exp=explain.example.net -all", 0),  # exp is not counted
    ("V=SPF1 INCLUDE:A.TEST MX -ALL", 2),  # case-insensitive
    ("v=spf1 " + " ".join(f"include:s{i}.test" for i in range(11)) + " -all", 11),
]


@pytest.mark.parametrize(("record", "expected"), LOOKUPS, ids=[r[:40] for r, _ in LOOKUPS])
def test_spf_lookups_counts_the_terms_that_query_dns(record: str, expected: int) -> None:
    assert spf_lookups(record) == expected


@pytest.mark.parametrize("text", ["", "include:a.test -all", "v=spf10 -all", "v=DMARC1; p=reject"])
def test_spf_lookups_refuses_what_is_not_spf(text: str) -> None:
    with pytest.raises(ValueError, match="not an SPF record"):
        spf_lookups(text)


@pytest.mark.parametrize(("term", "name"), [
    ("-include:x.test", "include"), ("a/24", "a"), ("mx:x//64", "mx"), ("redirect=x", "redirect"),
    ("~all", "all"), ("ip4:192.0.2.1", "ip4"), ("exp=x", "exp"),
])
def test_term_name(term: str, name: str) -> None:
    assert term_name(term) == name


# (arguments, record)
RECORDS: list[tuple[dict[str, list[str]], str]] = [
    ({}, "v=spf1 -all"),
    ({"ip4": ["192.0.2.10", "192.0.2.10/32", "198.51.100.0/24"]}, "v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/24 -all"),
    ({"ip4": ["2001:db8::25"], "ip6": ["192.0.2.1"]}, "v=spf1 ip4:192.0.2.1 ip6:2001:db8::25 -all"),
    ({"ip4": ["192.0.2.1"], "include": ["_spf.partner.example.com.", "_spf.partner.example.com"]},
     "v=spf1 ip4:192.0.2.1 include:_spf.partner.example.com -all"),
    ({"ip6": ["2001:db8:100::/64"]}, "v=spf1 ip6:2001:db8:100::/64 -all"),
]


@pytest.mark.parametrize(("arguments", "record"), RECORDS)
def test_spf_record(arguments: dict[str, list[str]], record: str) -> None:
    assert spf_record(**arguments) == record


def test_spf_record_costs_one_lookup_per_include_only() -> None:
    record = spf_record(ip4=["192.0.2.10"], include=[f"s{i}.test" for i in range(MAX_LOOKUPS)])
    assert spf_lookups(record) == MAX_LOOKUPS


@pytest.mark.parametrize("bad", [{"ip4": ["mail.example.net"]}, {"ip6": ["2001:db8::zz"]}])
def test_spf_record_refuses_what_is_no_address(bad: dict[str, list[str]]) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        spf_record(**bad)


def test_spf_record_refuses_a_bad_qualifier() -> None:
    with pytest.raises(ValueError, match="all_qualifier"):
        spf_record(all_qualifier="!")
