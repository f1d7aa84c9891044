"""The compiled checker reports exactly what cerberus (the reference) reports, on every schema.

Documents are generated from the schemas themselves: mostly well-formed values near each rule's
bounds, mixed with wrong types, nulls, empty values, unknown and missing keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cerberus.errors
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tier3.schema import TOPOLOGY_VARS, compiled
from tier3.schema.cerberus_ref import cerberus_issues
from tier3.schema.dns import DNS_VARS
from tier3.schema.mail import MAIL_VARS
from tier3.schema.schemas import KINDS, MESSAGES, order, schema
from tier3.schema.yamlio import Vaulted

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 300),
    st.sampled_from(["", "x", "{{ v }}", "r1\n", Vaulted()]),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["a", "name"]), st.integers(0, 2), max_size=2),
)
STRINGS = st.sampled_from(
    ["", "a", "r1", "-bad", "fra1-r01", "0123456789abcdef01", "naa.600a0980", "zz", "802.3ad", "x y", Vaulted()]
)


def _good(rules: Mapping[str, Any]) -> st.SearchStrategy[Any]:  # noqa: PLR0911  (one strategy per cerberus type)
    kind = rules.get("type")
    if isinstance(kind, list):
        return st.one_of(*(_good({**rules, "type": k}) for k in kind))
    if "allowed" in rules:
        return st.one_of(st.sampled_from(list(rules["allowed"])), STRINGS)
    if kind == "string":
        return STRINGS
    if kind == "integer":
        low, high = rules.get("min", 0), rules.get("max", 1000)
        return st.one_of(st.integers(low - 2, low + 2), st.integers(high - 2, high + 2), st.booleans())
    if kind == "number":
        return st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-2, 5), st.booleans())
    if kind == "list":
        item = _value(rules["schema"]) if "schema" in rules else JUNK
        return st.lists(item, max_size=3)
    if kind == "dict" and "schema" in rules:
        return _document(rules["schema"])
    if kind == "dict":
        values = _value(rules.get("valuesrules", {}))
        return st.dictionaries(st.sampled_from(["mx", "imap", "dns"]), values, max_size=3)
    return JUNK


def _value(rules: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    return st.one_of(_good(rules), _good(rules), _good(rules), JUNK)


def _document(fields: Mapping[str, Any]) -> st.SearchStrategy[dict[Any, Any]]:
    known = st.fixed_dictionaries(
        {}, optional={name: st.deferred(lambda r=rules: _value(r)) for name, rules in fields.items()}
    )
    extra = st.dictionaries(st.sampled_from(["nmae", "zz", 3]), JUNK, max_size=1)
    return st.builds(lambda a, b: {**a, **b}, known, extra)


def _agree(kind: str, document: dict[Any, Any]) -> None:
    expected = cerberus_issues(kind, document)
    got = sorted(compiled.issues(kind, document), key=order)
    assert got == expected


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_compiled_checker_agrees_with_cerberus(kind: str, data: st.DataObject) -> None:
    document = data.draw(_document(schema(kind)))
    assert sorted(compiled.issues(kind, document), key=order) == cerberus_issues(kind, document)


# hand-picked documents: each line one rule at its edge (valid and invalid)
TABLE: list[tuple[str, dict[str, Any], int]] = [
    ("vip", {"name": "v", "address": "192.0.2.1", "network": "n", "vrid": 1, "members": []}, 0),
    ("vip", {"name": "v", "address": "192.0.2.1", "network": "n", "vrid": 0, "members": []}, 1),
    ("vip", {"name": "v", "address": "192.0.2.1", "network": "n", "vrid": 256, "members": []}, 1),
    ("vip", {"name": "v", "address": "192.0.2.1", "network": "n", "vrid": True, "members": []}, 1),
    ("vip", {"name": "v", "address": "", "network": "n", "vrid": 5}, 2),
    ("vip", {"name": "v", "address": "a", "network": "n", "vrid": 5, "members": [{"host": "h", "priority": 255}]}, 1),
    ("firewall_pair", {"name": "p", "platform": "linux", "members": ["a", "b"]}, 0),
    ("firewall_pair", {"name": "p", "platform": "linux", "members": ["a", "a"]}, 0),  # T3-PLC-005's to judge
    ("firewall_pair", {"name": "p", "platform": "linux", "members": ["a"]}, 1),
    ("firewall_pair", {"name": "p", "platform": "linux", "members": ["a", ""]}, 1),
    ("firewall_pair", {"name": "p", "platform": "pfsense", "members": "ab"}, 2),
    ("firewall_pair", {"name": "p", "platform": "linux", "members": ["a", "b"], "policy": "edge",
                       "management": {"zone": "mgmt", "networks": ["10.0.0.0/24", "2001:db8::/64"], "port": 22},
                       "ha": {"zone": "sync", "addresses": ["10.1.0.1", "10.1.0.2"], "state_sync": True}}, 0),
    ("firewall_pair", {"name": "p", "platform": "linux", "members": ["a", "b"], "policy": "-edge",
                       "management": {"networks": [], "port": 65536},
                       "ha": {"zone": "sync", "addresses": ["10.1.0.1"], "state_sync": "yes"}}, 6),
    ("firewall_pair", {"name": "p", "platform": "linux", "members": ["a", "b"],
                       "ha": {"zone": "sync", "addresses": ["10.1.0.1", "10.1.0.0/24"], "peer": "x"}}, 2),
    ("firewall_policy", {"name": "edge", "zones": [{"name": "out", "interfaces": ["eth0", "ethernet1/1"]}],
                         "rules": []}, 0),
    ("firewall_policy", {"name": "edge", "zones": [], "rules": [{"name": "r"}]}, 7),
    ("firewall_policy", {"name": "edge", "default_action": "accept", "zones": [{"name": "out", "interfaces": ["e"]}],
                         "services": [{"name": "s", "protocol": "sctp", "ports": ["25", "1-65535", "x"]}],
                         "addresses": [{"name": "a", "networks": ["10.0.0.0/8", "h.example"]}],
                         "address_groups": [{"name": "g", "members": []}], "rules": []}, 5),
    ("firewall_policy", {"name": "edge", "zones": [{"name": "out", "interfaces": ["e"]}], "rules": [
        {"name": "r", "from": "out", "to": "self", "source": ["any"], "destination": ["any"], "service": ["any"],
         "action": "accept", "log": True, "comment": "say \"hi\""}]}, 1),
    ("load", {"group": "mx", "load": 0}, 0),
    ("load", {"group": "mx", "load": -1, "unit": ""}, 2),
    ("load", {"group": None, "load": 1}, 1),
    ("site", {"name": "fra1", "racks": [{"name": "r1", "pdus": [{"name": "p", "feed": "a"}]}]}, 0),
    ("site", {"name": "-fra1", "racks": [{"name": "r1", "pdus": [{"name": "p"}]}]}, 2),
    ("site", {"name": "fra1\n"}, 0),  # cerberus appends '$' to the pattern: a trailing newline matches
    ("site", {"name": "fra1", "uplinks": [
        {"name": "fra1-inet1", "carrier": "Carrier-A", "lands_on": "fra1-fw1", "entry": "fra1-entry-north"},
        {"name": "fra1-inet2", "carrier": "Carrier B", "lands_on": "fra1-rtr2", "entry": "south", "circuit": ""}]}, 0),
    ("site", {"name": "fra1", "uplinks": [{"name": "fra1-inet1", "lands_on": "fra1-fw1", "entry": "n"}]}, 1),
    ("site", {"name": "fra1", "uplinks": [{"name": "-inet", "carrier": "", "lands_on": None, "entry": 3}]}, 4),
    ("site", {"name": "fra1", "uplinks": [
        {"name": "i", "carrier": "A", "lands_on": "fw", "entry": "n", "circuit": 100234, "duct": "n"}]}, 2),
    ("site", {"name": "fra1", "uplinks": {"name": "fra1-inet1"}}, 1),
    ("vip", {"name": "v", "address": "a", "network": "n", "vrid": 5, "members": [], "services": ["smtp", "lmtp"]}, 0),
    ("vip", {"name": "v", "address": "a", "network": "n", "vrid": 5, "members": [], "services": ["pop3", ""]}, 2),
    ("vip", {"name": "v", "address": "a", "network": "n", "vrid": 5, "members": [], "services": "smtp"}, 1),
    ("mail", {"hostname": "m.example.net", "imap_hostname": "i.example.net", "domains": [{"name": "example.net"}]}, 0),
    ("mail", {"hostname": "mail", "imap_hostname": "-imap.example.net", "domains": []}, 3),
    ("mail", {"hostname": "m.example.net", "imap_hostname": "i.example.net", "domains": [
        {"name": "example.net", "dkim": [{"selector": "2026a", "private_key": Vaulted()}, {"selector": "x_y"}]}]}, 2),
    ("mail", {"hostname": "m.example.net", "imap_hostname": "i.example.net", "domains": [{"name": "a.b"}],
              "users": [{"address": "a@a.b", "password": "{{ v }}"}, {"address": "a.b", "password": ""}],
              "transports": [{"domain": ".a.b", "nexthop": "[192.0.2.1]:25"}, {"domain": "*", "nexthop": ""}],
              "relay_networks": ["192.0.2.0/24", ""], "replication_password": Vaulted()}, 5),
    ("mail", {"hostname": "m.example.net", "imap_hostname": "i.example.net", "domains": [
        {"name": "example.net", "dmarc": {"policy": "reject", "rua": "mailto:d@example.net", "pct": 100},
         "spf": {"include": ["_spf.p.example.com"], "ip4": ["192.0.2.0/24"], "ip6": []},
         "mta_sts": {"mode": "enforce", "max_age": 31557600}, "tls_rpt": "https://r.example.net/tlsrpt"}]}, 0),
    ("mail", {"hostname": "m.example.net", "imap_hostname": "i.example.net", "domains": [
        {"name": "example.net", "dmarc": {"policy": "monitor", "rua": "d@example.net", "pct": 101},
         "spf": {"include": ["-x.example"], "ip4": [""], "a": []},
         "mta_sts": {"mode": "", "max_age": 31557601}, "tls_rpt": "tlsrpt@example.net"}]}, 9),
    ("dns", {"primary": "dns1", "contact": "hostmaster@example.net", "tsig_secret": Vaulted()}, 0),
    ("dns", {"primary": "dns1", "contact": "h@a.b", "tsig_secret": "{{ v }}", "dnssec": False, "ttl": 60}, 0),
    ("dns", {"primary": "", "contact": "hostmaster", "tsig_secret": "", "dnssec": "yes", "ttl": 59}, 5),
    ("dns", {"contact": "h@a.b", "ttl": 86401, "serial": 1}, 4),
    ("drill", {"mailbox": "drill@a.b", "rto_seconds": 3.0, "rpo_messages": 0}, 0),
    ("drill", {"mailbox": "drill@a.b", "rto_seconds": 3, "rpo_messages": 0}, 0),  # an integer is a number
    ("drill", {"mailbox": "drill", "rto_seconds": True, "rpo_messages": -1}, 3),
    ("drill", {"mailbox": "drill@a.b", "rto_seconds": "3 s", "rpo_messages": 0.0}, 2),
    ("host", {"site": "s", "rack": "r", "capacity": {"mx": 0, "imap": -1, "dns": "3"}}, 2),
    # capacity_watts is optional (a supply without it counts 0 W: T3-PWR-004), at least 1 when given
    ("host", {"site": "s", "rack": "r", "power_supplies": [{"name": "P1", "pdu": "p"}]}, 0),
    ("host", {"site": "s", "rack": "r", "power_supplies": [{"name": "P1", "pdu": "p", "capacity_watts": 0}]}, 1),
    ("host", {"site": "s", "rack": "r", "power_supplies": [{"name": "P1", "pdu": "p", "capacity_watts": None}]}, 1),
    (
        "host",
        {
            "site": "s",
            "rack": "r",
            "bonds": [{"name": "b", "mode": "802.3ad", "members": [{"interface": "e", "switch": "s", "port": 7}]}],
        },
        0,
    ),
    ("host", {"site": "s", "rack": "r", "multipath_luns": [{"name": "l", "wwid": "0123456789abcdef-x"}]}, 1),
    (
        "host",
        {
            "site": "s",
            "rack": "r",
            "bmc": {"address": "a", "protocol": "redfish", "username": "u", "password": Vaulted()},
        },
        0,
    ),
]


@pytest.mark.parametrize(("kind", "document", "count"), TABLE)
def test_table_of_edges(kind: str, document: dict[str, Any], count: int) -> None:
    _agree(kind, document)
    assert len(compiled.issues(kind, document)) == count


def test_unsupported_rule_is_refused_at_compile_time() -> None:
    with pytest.raises(ValueError, match="not supported"):
        compiled.compile_field({"type": "string", "coerce": "int"})


def test_messages_are_cerberus_own() -> None:
    for code, text in MESSAGES.items():
        assert cerberus.errors.BasicErrorHandler.messages[code] == text


def _example_documents() -> list[tuple[str, dict[str, Any]]]:
    example = Path(__file__).parents[3] / "inventory" / "example"
    docs: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((example / "host_vars").glob("*.yml")):
        docs.append(("host", yaml.safe_load(path.read_text())["tier3_host"]))
    topology = yaml.safe_load((example / "group_vars" / "all" / "topology.yml").read_text())
    topology |= yaml.safe_load((example / "group_vars" / "all" / "firewall.yml").read_text())
    for variable, kind in TOPOLOGY_VARS.items():
        docs.extend((kind, doc) for doc in topology.get(variable, ()))
    # the example waives nothing (nothing in it fails): one waiver as the docs show it, its date a YAML date
    docs.append(("waiver", yaml.safe_load("rule: T3-PWR-003\nsubject: mx1\njustification: PDU b is replaced in "
                                          "January\nowner: ops@example.test\nexpires: 2027-01-31\n")))
    mail = yaml.safe_load((example / "group_vars" / "all" / "mail.yml").read_text())
    docs.extend((kind, mail[variable]) for variable, kind in MAIL_VARS.items())
    dns = yaml.safe_load((example / "group_vars" / "all" / "dns.yml").read_text())
    docs.extend((kind, dns[variable]) for variable, kind in DNS_VARS.items())
    return docs


def test_valid_documents_of_the_example_pass_both() -> None:
    docs = _example_documents()
    assert len(docs) == 24 + 2 + 6 + 2 + 1 + 6 + 1 + 2 + 1  # hosts, sites, VIPs, pairs, policies, loads, a waiver,
    # mail, dns
    for kind, doc in docs:
        assert cerberus_issues(kind, doc) == []
        assert compiled.issues(kind, doc) == []
