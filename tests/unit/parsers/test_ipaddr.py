"""parse_ip_j_addr and parse_vip_holders on real `ip -j addr` captures (iproute2 6.1, tests/fixtures/real/mail/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tier3.errors import ParseError
from tier3.parsers.ipaddr import parse_ip_j_addr, parse_vip_holders

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"
VIP = "10.89.44.100"


def text(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def test_interfaces_and_their_addresses() -> None:
    lo, eth0 = parse_ip_j_addr(text("ip_j_addr_vip_held.json"), "x")
    assert (lo.ifname, lo.link_up, [a.local for a in lo.addresses]) == ("lo", True, ["127.0.0.1", "::1"])
    assert (eth0.ifname, eth0.operstate, eth0.link_up) == ("eth0", "UP", True)
    assert [(a.family, a.local, a.prefixlen, a.label, a.where) for a in eth0.addresses if a.family == "inet"] == [
        ("inet", "10.89.44.11", 24, "eth0", "/1/addr_info/0"), ("inet", VIP, 24, "eth0", "/1/addr_info/1")]


def test_an_address_on_a_link_that_is_down() -> None:
    _, eth0 = parse_ip_j_addr(text("ip_j_addr_vip_on_down_link.json"), "x")
    assert (eth0.link_up, eth0.operstate) == (False, "DOWN")
    assert VIP in [a.local for a in eth0.addresses]


def test_who_holds_what() -> None:
    obs = parse_vip_holders({"lb1": text("ip_j_addr_vip_held.json"), "lb2": text("ip_j_addr_vip_released.json")}, "m")
    lb1, lb2 = obs.hosts
    assert [(i.ifname, a.where) for i, a in lb1.holding(VIP)] == [("eth0", "/1/addr_info/1")]
    assert lb2.holding(VIP) == []
    assert obs.host("lb2") is lb2
    assert obs.host("mx1") is None


def test_the_mapping_as_json_text_and_outputs_already_decoded() -> None:
    held = json.loads(text("ip_j_addr_vip_held.json"))
    obs = parse_vip_holders(json.dumps({"lb1": held}), "m.json")
    assert [h.host for h in obs.hosts] == ["lb1"]
    assert obs.hosts[0].holding(VIP)


def test_addresses_are_compared_as_addresses() -> None:
    doc = [{"ifname": "eth0", "flags": ["UP"], "addr_info": [{"family": "inet6", "local": "2001:db8:0::1",
                                                               "prefixlen": 64}]}]
    (eth0,) = parse_ip_j_addr(json.dumps(doc), "x")
    assert eth0.addresses[0].local == "2001:db8::1"
    host = parse_vip_holders({"h": doc}, "m").hosts[0]
    assert host.holding("2001:DB8::1")


def test_family_filtered_output_leaves_empty_objects() -> None:
    """`ip -4 -j addr` prints {} for what the filter left out."""
    doc = [{}, {"ifname": "eth0", "flags": ["UP"], "addr_info": [{}, {"family": "inet", "local": VIP,
                                                                      "prefixlen": 32}]}]
    (eth0,) = parse_ip_j_addr(json.dumps(doc), "x")
    assert [a.where for a in eth0.addresses] == ["/1/addr_info/1"]


@pytest.mark.parametrize(("doc", "where", "message"), [
    ({"ifname": "eth0"}, "", "expected a JSON list"),
    ([{"flags": []}], "/0", "expected a link object with ifname"),
    ([{"ifname": "eth0", "flags": "UP"}], "/0/flags", "expected a list of flag names"),
    ([{"ifname": "eth0", "addr_info": [{"family": "inet", "local": "10.0.0.300", "prefixlen": 24}]}],
     "/0/addr_info/0/local", "not an IP address"),
    ([{"ifname": "eth0", "addr_info": [{"family": "inet", "local": "10.0.0.3"}]}],
     "/0/addr_info/0/prefixlen", "expected an integer prefixlen"),
])
def test_bad_output_is_refused_with_the_pointer(doc: object, where: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_ip_j_addr(json.dumps(doc), "x")
    assert (raised.value.where, message in raised.value.message) == (where, True)


@pytest.mark.parametrize(("raw", "message"), [
    ("[]", "expected a JSON object mapping each host name"),
    ({}, "expected a JSON object mapping each host name"),
    ({"lb1": 5}, "expected lb1's ip -j addr output"),
    ('{"lb1": "[{\\"ifname\\": 1}]"}', "expected a string for ifname"),
])
def test_a_bad_mapping_is_refused(raw: object, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_vip_holders(raw, "m.json")  # type: ignore[arg-type]
    assert message in raised.value.message


def test_a_cut_output_is_refused() -> None:
    whole = text("ip_j_addr_vip_held.json")
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_ip_j_addr(whole[: len(whole) // 2], "x")
