"""``tier3.check.bmc.read_bmc`` against the real emulators: sushy-static serving the project's Redfish mockups
over HTTPS (a CA made at test time), OpenIPMI's ipmi_sim, and stand-in servers for a BMC that refuses
the credentials or answers badly (sushy-static accepts any credentials). The peers are the fixtures of
tests/integration/conftest.py, loaded by path.

What is asserted: the declared-vs-observed rules (T3-OBS-PWR-010..013) fire exactly on the variant that
breaks them, on that host and supply; every document read is an evidence item whose SHA-256 is that
of the body the BMC sent; a BMC that cannot be read is one ``error`` finding naming the URL, and the
password is in nothing that comes back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from support import ROOT, bmc_peers, load_redfish_mockups
from tier3.check import EVIDENCE_ERROR, HostCheck
from tier3.check.bmc import READ_BY, BmcAccess, bmc_kinds_owed, bmc_url, item_records, read_bmc
from tier3.evidence import items_from_answer
from tier3.model import Bmc, Host, PowerSupply, Status, Topology
from tier3.model.topology import Feed, Pdu, Rack, Site

PEERS = bmc_peers()
lab_ca, sushy, stand_in, closed_port, bmc_env, ipmi_sim = (
    PEERS.lab_ca, PEERS.sushy, PEERS.stand_in, PEERS.closed_port, PEERS.bmc_env, PEERS.ipmi_sim)
BMC_USER, BMC_PASSWORD = PEERS.BMC_USER, PEERS.BMC_PASSWORD
MOCKUPS = load_redfish_mockups()
MANIFEST = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))["properties"]["evidence"]
pytestmark = pytest.mark.live

SITE = Site("s1", feeds=(Feed("s1-a", "s1"), Feed("s1-b", "s1")), racks=(
    Rack("r01", "s1", (Pdu("r01-pdu-a", "s1-a", "r01"), Pdu("r01-pdu-b", "s1-b", "r01"))),
    Rack("r02", "s1", (Pdu("r02-pdu-a", "s1-a", "r02"), Pdu("r02-pdu-b", "s1-b", "r02")))))
DECLARED = (("PSU1", "r01-pdu-a"), ("PSU2", "r01-pdu-b"))


def topology(address: str, protocol: str = "redfish", supplies: tuple[tuple[str, str], ...] = DECLARED) -> Topology:
    """Host h1 in rack r01 of a two-feed site, its BMC at ``address``, its supplies on outlet 3 of each PDU."""
    host = Host("h1", site="s1", rack="r01", bmc=Bmc(address, protocol, BMC_USER, password_is_vaulted=True),
                power_supplies=tuple(PowerSupply(name, pdu, outlet="3") for name, pdu in supplies))
    return Topology(sites=(SITE,), hosts=(host,))


def served(tmp_path: Path, start: Callable[[Path], Any], name: str) -> str:
    """``host:port`` of sushy-static serving variant ``name``."""
    return str(start(MOCKUPS.build(name, tmp_path / name)).url).removeprefix("https://")


def findings(check: HostCheck) -> list[tuple[str, str]]:
    return sorted((f.rule_id, f.subject) for f in check.findings)


def shown(check: HostCheck) -> str:
    """Everything the check gives back, as the action's result would carry it."""
    return json.dumps([item_records(check.items), [f.to_dict() for f in check.findings], list(check.facts)])


# (variant, supplies declared) -> the findings, on host h1 and the supply (or feed) at fault
VARIANTS: dict[str, list[tuple[str, str]]] = {
    "declared-pdus": [],
    "psu2-other-rack": [("T3-OBS-PWR-012", "h1:PSU2")],  # still on feed b: a placement, not a feed, fault
    "two-on-one-feed": [("T3-OBS-PWR-012", "h1:PSU2"), ("T3-OBS-PWR-013", "h1:feed:s1-a")],
    "same-pdu": [("T3-OBS-PWR-002", "pdu:A"), ("T3-OBS-PWR-012", "h1:PSU1"), ("T3-OBS-PWR-012", "h1:PSU2")],
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_variant_fires_exactly_its_rules(name: str, sushy: Any, lab_ca: Any, tmp_path: Path) -> None:
    access = BmcAccess(ca_file=str(lab_ca.ca_file))
    check = read_bmc("h1", topology(served(tmp_path, sushy, name)), BMC_PASSWORD, access)
    assert findings(check) == VARIANTS[name]
    assert [f.status for f in check.findings] == [Status.FAIL] * len(VARIANTS[name])
    assert check.kinds == ("redfish",)
    assert [r["redundant"] for r in check.facts] == [name not in ("two-on-one-feed", "same-pdu")]
    assert BMC_PASSWORD not in shown(check)


def test_messages_say_declared_and_observed(sushy: Any, lab_ca: Any, tmp_path: Path) -> None:
    check = read_bmc("h1", topology(served(tmp_path, sushy, "two-on-one-feed")), BMC_PASSWORD,
                     BmcAccess(ca_file=str(lab_ca.ca_file)))
    pdu, feed = check.findings
    assert pdu.message == ("power supply PSU2: declared PDU r01-pdu-b outlet 3, observed PDU r02-pdu-a outlet 3 "
                           "(/redfish/v1/PowerEquipment/RackPDUs/r02-pdu-a/Outlets/3)")
    assert str(pdu.location) == "<unknown>: power_supplies[1].pdu"  # a Topology built here has no files
    assert feed.message == ("declared feeds s1-a, s1-b; observed Power Supply 1 and Power Supply 2 both on feed s1-a "
                            "(PDUs r01-pdu-a, r02-pdu-a): a single feed")
    assert feed.hint == "plug Power Supply 2 into a PDU of feed s1-b (r01-pdu-b in its rack r01)"
    assert feed.evidence["host"] == "h1"
    assert feed.evidence["source"].startswith("https://127.0.0.1:")


def test_declared_and_reported_supplies_are_matched_by_name_per_schema(sushy: Any, lab_ca: Any, tmp_path: Path) -> None:
    """Three declared, two reported: PSU3 is missing in both schema generations; one declared: PSU2 is extra."""
    address = served(tmp_path, sushy, "declared-pdus")
    access = BmcAccess(ca_file=str(lab_ca.ca_file))
    three = read_bmc("h1", topology(address, supplies=(*DECLARED, ("PSU3", "r02-pdu-a"))), BMC_PASSWORD, access)
    assert findings(three) == [("T3-OBS-PWR-010", "h1:PSU3")] * 2
    assert [f.message for f in three.findings] == [
        "power supply PSU3: declared on PDU r02-pdu-a, observed: not reported by the BMC (it reports 1U/PSU1, "
        f"1U/PSU2) ({schema})" for schema in ("Power", "PowerSubsystem")]
    one = read_bmc("h1", topology(address, supplies=DECLARED[:1]), BMC_PASSWORD, access)
    assert findings(one) == [("T3-OBS-PWR-011", "h1:1U/PSU2")] * 2


def test_every_document_read_is_an_item_with_the_hash_of_what_the_bmc_sent(sushy: Any, lab_ca: Any,
                                                                            tmp_path: Path) -> None:
    address = served(tmp_path, sushy, "psu2-other-rack")
    check = read_bmc("h1", topology(address), BMC_PASSWORD, BmcAccess(ca_file=str(lab_ca.ca_file)))
    assert len(check.items) == 8
    root = check.items[0]
    assert (root.id, root.kind, root.source, root.status, root.detail) == (
        f"https://{address}/redfish/v1", "redfish", "command", "ok", READ_BY)
    body = requests.get(root.id, verify=str(lab_ca.ca_file), timeout=5).content
    assert (root.sha256, root.size) == (hashlib.sha256(body).hexdigest(), len(body))
    records = item_records(check.items)
    jsonschema.validate(records, MANIFEST)  # listed in the report's evidence manifest as a host's items are
    assert items_from_answer("h1", {"evidence": records}) == list(check.items)  # and read back by the site step
    (finding,) = check.findings
    assert finding.evidence["evidence_items"] == [{"id": i.id, "sha256": i.sha256} for i in check.items]


def test_credentials_refused_is_one_error_naming_the_url(stand_in: Any, lab_ca: Any) -> None:
    def refuse(h: Any) -> None:
        h.send_response(401)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"{}")

    peer = stand_in(refuse)
    check = read_bmc("h1", topology(peer.url), BMC_PASSWORD, BmcAccess(ca_file=str(lab_ca.ca_file), retries=0))
    (error,) = check.findings
    assert (error.rule_id, error.status, error.subject) == (EVIDENCE_ERROR, Status.ERROR, "h1:redfish")
    assert error.message == f"redfish: {peer.url}/redfish/v1: refused the credentials (HTTP 401)"
    assert "tier3_host.bmc.username" in error.hint
    assert [(i.status, i.id) for i in check.items] == [("failed", peer.url)]
    assert peer.requests[0]["headers"]["Authorization"].startswith("Basic ")  # it was sent, and refused
    assert BMC_PASSWORD not in shown(check)


def test_bmc_down_is_an_error_not_a_pass(closed_port: int, lab_ca: Any) -> None:
    check = read_bmc("h1", topology(f"127.0.0.1:{closed_port}"), BMC_PASSWORD, BmcAccess(ca_file=str(lab_ca.ca_file)))
    (error,) = check.findings
    assert error.status is Status.ERROR
    assert error.message == f"redfish: https://127.0.0.1:{closed_port}/redfish/v1: cannot connect: Connection refused"


def test_an_answer_that_does_not_parse_is_an_error_with_its_items(sushy: Any, lab_ca: Any, tmp_path: Path) -> None:
    mockup = MOCKUPS.build("declared-pdus", tmp_path / "broken")
    psu2 = mockup / "Chassis/1U/PowerSubsystem/PowerSupplies/PSU2/index.json"
    psu2.write_text(json.dumps({k: v for k, v in json.loads(psu2.read_text()).items() if k != "Status"}))
    address = str(sushy(mockup).url).removeprefix("https://")
    check = read_bmc("h1", topology(address), BMC_PASSWORD, BmcAccess(ca_file=str(lab_ca.ca_file)))
    (error,) = check.findings
    assert error.status is Status.ERROR
    assert "/PowerSupplies/PSU2#/Status: missing" in error.message
    assert len(error.evidence["evidence_items"]) == len(check.items) == 8


def test_untrusted_certificate_without_the_bmcs_ca(sushy: Any, tmp_path: Path) -> None:
    check = read_bmc("h1", topology(served(tmp_path, sushy, "declared-pdus")), BMC_PASSWORD)
    (error,) = check.findings
    assert "TLS certificate not trusted" in error.message
    assert error.hint == "give the BMC's CA with --ca-file"


def test_no_password_is_an_error_before_anything_is_sent(stand_in: Any) -> None:
    peer = stand_in(lambda _h: None)
    (error,) = read_bmc("h1", topology(peer.url), None, why_no_password="'vault_bmc_password' is undefined").findings
    assert error.message == (f"redfish: {peer.url}: no BMC password: tier3_host.bmc.password is empty or was not "
                             "templated ('vault_bmc_password' is undefined)")
    assert peer.requests == []


def test_ipmi_healthy_then_a_declared_supply_it_does_not_have(ipmi_sim: Any) -> None:
    address = ipmi_sim.url.removeprefix("ipmi://")
    access = BmcAccess(timeout=5, retries=1)
    healthy = read_bmc("h1", topology(address, "ipmi"), BMC_PASSWORD, access)
    assert (healthy.kinds, healthy.findings) == (("ipmi-sdr",), ())  # PSU1, PSU2 are "PS1 Status", "PS2 Status"
    (item,) = healthy.items
    assert (item.id, item.status) == (ipmi_sim.url, "ok")
    assert item.sha256 == hashlib.sha256((ROOT / "tests/fixtures/ipmi/sdr_healthy.txt").read_bytes()).hexdigest()
    more = read_bmc("h1", topology(address, "ipmi", (*DECLARED, ("PSU3", "r02-pdu-a"))), BMC_PASSWORD, access)
    assert findings(more) == [("T3-OBS-PWR-010", "h1:PSU3")]
    ipmi_sim.console("sensor_set_bit 0x20 0 2 1 1 1", "sensor_set_bit_clr_rest 0x20 0 3 1 1 1")
    failed = read_bmc("h1", topology(address, "ipmi"), BMC_PASSWORD, access)
    assert findings(failed) == [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy")]


def test_ipmi_wrong_password_is_one_error_without_it(ipmi_sim: Any) -> None:
    wrong = "not-the-Pa55-9x"  # IPMI 2.0 passwords are at most 20 bytes
    address = ipmi_sim.url.removeprefix("ipmi://")
    check = read_bmc("h1", topology(address, "ipmi"), wrong, BmcAccess(timeout=2, retries=0))
    (error,) = check.findings
    assert error.status is Status.ERROR
    assert error.message == (f"ipmi-sdr: {ipmi_sim.url}: ipmitool sdr type 'Power Supply' failed: Error: Unable to "
                             "establish IPMI v2 / RMCP+ session")
    assert wrong not in shown(check)
    assert BMC_PASSWORD not in shown(check)


def test_what_a_host_owes_and_where_its_bmc_is() -> None:
    topo = topology("bmc-h1.oob.example.net")
    assert bmc_kinds_owed(topo, "h1") == ("redfish",)
    assert bmc_kinds_owed(topo, "h1", enabled=False) == ()
    assert bmc_kinds_owed(topology("x", "ipmi"), "h1") == ("ipmi-sdr",)
    assert bmc_kinds_owed(topo, "nobody") == ()
    assert bmc_kinds_owed(Topology(hosts=(Host("h2"),)), "h2") == ()
    assert [bmc_url(Bmc(a, p)) for a, p in [("bmc.oob", "redfish"), ("10.0.0.9:8443", "redfish"),
                                            ("https://bmc.oob:443", "redfish"), ("fd00::9", "ipmi")]] == [
        "https://bmc.oob", "https://10.0.0.9:8443", "https://bmc.oob:443", "ipmi://[fd00::9]"]
