"""tier3.parsers.dnsanswers: the DNS probe's records -> facts; anything malformed is a ParseError naming the
JSON pointer of the item, never another exception."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tier3.errors import ParseError
from tier3.parsers.dnsanswers import parse_dns_answers

ZONE = "lab.tier3.test"


def record() -> dict[str, Any]:
    """One server's record as tier3.probe.dns writes it (the shape of a probe of the loopback test server)."""
    return {"server": "dns1", "address": "127.0.0.1", "port": 53, "queried_at": 1796125135.2, "answered": True,
            "error": "", "zones": [{"zone": ZONE + ".", "soa": {"rcode": "NOERROR", "authoritative": True,
                                                              "transport": "udp", "serial": 2027010101, "error": ""},
                                    "answers": [
        {"name": "LAB.tier3.test.", "type": "MX", "role": "", "match": "exact",
         "expected": ["10 mx-lab.lab.tier3.test."],
         "addresses": [], "certificates": [], "rcode": "NOERROR", "authoritative": True, "transport": "udp",
         "data": ["10 mx-lab.lab.tier3.test."], "error": ""},
        {"name": f"_25._tcp.mx-lab.{ZONE}", "type": "TLSA", "role": "tlsa", "match": "exact", "expected": None,
         "addresses": ["10.89.30.100"], "certificates": [
             {"address": "10.89.30.100", "spki_sha256": "AB" * 32, "source": "served"}],
         "rcode": "NXDOMAIN", "authoritative": True, "transport": "tcp", "data": [], "error": ""}]}]}


def test_a_record_parses_into_servers_zones_and_answers() -> None:
    (server,) = parse_dns_answers(json.dumps([record()]), "saved.json").servers
    assert (server.name, server.answered, server.port) == ("dns1 (127.0.0.1)", True, 53)
    (zone,) = server.zones
    assert (zone.zone, zone.served, zone.soa.serial) == (ZONE, True, 2027010101)
    mx, tlsa = zone.answers
    assert (mx.name, mx.label, mx.expected, mx.data, mx.where) == (
        ZONE, f"{ZONE} MX", ("10 mx-lab.lab.tier3.test.",), ("10 mx-lab.lab.tier3.test.",), "/0/zones/0/answers/0")
    assert tlsa.expected is None
    assert tlsa.transport == "tcp"
    assert [(c.address, c.spki_sha256, c.source) for c in tlsa.certificates] == [("10.89.30.100", "ab" * 32, "served")]


def test_a_server_that_did_not_answer_has_no_zones() -> None:
    silent = {"server": "dns2", "address": "127.0.0.2", "queried_at": 1.0, "answered": False, "error": "timed out"}
    (server,) = parse_dns_answers({"servers": [silent]}, "live").servers
    assert (server.answered, server.error, server.zones, server.port) == (False, "timed out", (), 53)


def test_a_zone_without_authority_is_not_served() -> None:
    doc = record()
    doc["zones"][0]["soa"] = {"rcode": "REFUSED", "authoritative": False, "serial": None, "error": ""}
    assert parse_dns_answers(doc, "live").servers[0].zones[0].served is False


def _broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(record())
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(("path", "value", "where", "said"), [
    (("server",), KeyError, "/0/server", "missing 'server'"),
    (("answered",), "yes", "/0/answered", "wrong type"),
    (("port",), 70000, "/0/port", "not a port"),
    (("zones", 0, "soa"), [], "/0/zones/0/soa", "soa must be an object"),
    (("zones", 0, "soa", "serial"), 2**32, "/0/zones/0/soa/serial", "32 bits"),
    (("zones", 0, "answers", 0, "role"), "spam", "/0/zones/0/answers/0/role", "unknown role"),
    (("zones", 0, "answers", 0, "match"), "roughly", "/0/zones/0/answers/0/match", "unknown match"),
    (("zones", 0, "answers", 0, "data"), "10 mx.", "/0/zones/0/answers/0/data", "list of strings"),
    (("zones", 0, "answers", 1, "certificates", 0, "source"), "guess", "/0/zones/0/answers/1/certificates/0/source",
     "unknown source"),
])
def test_malformed_input_names_the_item(path: tuple[Any, ...], value: Any, where: str, said: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_dns_answers([_broken(path, value)], "saved.json")
    assert caught.value.source == "saved.json"
    assert caught.value.where == where
    assert said in caught.value.message


@pytest.mark.parametrize(("raw", "where"), [("", "line 1"), ("[", "line 1 column 2"), ("[]", ""), ("3", "")])
def test_text_that_is_not_a_list_of_records_is_refused(raw: str, where: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_dns_answers(raw, "saved.json")
    assert caught.value.where == where
