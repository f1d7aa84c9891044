"""tier3_firewall_policies and the policy keys of tier3_firewall_pairs through the loader: the models built
(with where each object is declared), and each reference fault one InventoryError naming the file, the exact
key and the fix (exit 2 in `tier3 validate`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import FIXTURES, edit_all_vars, two_site_inventory
from tier3.cli import main
from tier3.model.firewall import HaLink, Management, PortRange
from tier3.schema import InventorySchemaErrors, load_topology

EDGE: dict[str, Any] = yaml.safe_load((FIXTURES / "firewall" / "policies" / "edge.yml").read_text())
POLICY = "tier3_firewall_policies[0]"
PAIR = "tier3_firewall_pairs[0]"
Doc = dict[str, Any]


def _with_edge(d: Doc) -> None:
    """The shared test policy on the fixture's first pair (edge1: fw1, fw2)."""
    pair = copy.deepcopy(EDGE["pair"])
    d["tier3_firewall_pairs"][0].update({k: pair[k] for k in ("policy", "management", "ha")})
    d["tier3_firewall_policies"] = [copy.deepcopy(EDGE["policy"])]


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    inventory = two_site_inventory(tmp_path)
    edit_all_vars(inventory, _with_edge)
    return inventory


def errors_of(inv: Path) -> list[tuple[str, str]]:
    with pytest.raises(InventorySchemaErrors) as caught:
        load_topology(inv)
    return [(e.source, f"{e.where}: {e.message} (fix: {e.hint})") for e in caught.value.errors]


def test_the_policy_and_the_pair_settings_are_built_where_declared(inv: Path) -> None:
    topology = load_topology(inv)
    (policy,) = topology.firewall_policies
    assert (policy.name, policy.default_action, len(policy.rules)) == ("edge", "drop", 6)
    assert policy.location.file.endswith("group_vars/all.yml")
    assert policy.rules[3].location.key == f"{POLICY}.rules[3]"
    assert policy.service("submission") is not None
    assert policy.service("submission").ports == (PortRange(587, 587), PortRange(465, 465))  # type: ignore[union-attr]
    settings = topology.firewall_pairs[0].settings
    assert settings is not None
    assert (settings.policy, settings.location.key) == ("edge", f"{PAIR}.policy")
    assert settings.management == Management("mgmt", ("10.89.40.0/24",), 22)
    assert settings.ha == HaLink("sync", ("10.89.43.1", "10.89.43.2"), state_sync=True)
    assert topology.firewall_pairs[1].settings is None


def _policy(change: Callable[[Doc], None]) -> Callable[[Doc], None]:
    return lambda d: change(d["tier3_firewall_policies"][0])


def _rule(index: int, **values: Any) -> Callable[[Doc], None]:
    return _policy(lambda p: p["rules"][index].update(values))


def _append(kind: str, doc: Doc) -> Callable[[Doc], None]:
    return _policy(lambda p: p[kind].append(doc))


def _pair(**values: Any) -> Callable[[Doc], None]:
    return lambda d: d["tier3_firewall_pairs"][0].update(values)


# one fault each -> the one error, "key: message (fix: hint)"
CHECKS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("unknown from zone", _rule(0, **{"from": "dmz"}),
     f"{POLICY}.rules[0].from: rule 'admin-ssh': from zone 'dmz' is not declared (fix: use a zone of policy edge "
     "(inside, mgmt, outside, sync) or any)"),
    ("from self", _rule(0, **{"from": "self"}),
     f"{POLICY}.rules[0].from: rule 'admin-ssh': from zone 'self' is not declared (fix: traffic from the firewall "
     "itself is not filtered by a policy: drop the rule)"),
    ("unknown to zone", _rule(3, to="dmz"),
     f"{POLICY}.rules[3].to: rule 'mail-in': to zone 'dmz' is not declared (fix: use a zone of policy edge "
     "(inside, mgmt, outside, sync), self or any)"),
    ("unknown source", _rule(3, source=["partners"]),
     f"{POLICY}.rules[3].source[0]: rule 'mail-in': source 'partners' is not a declared address (fix: declare "
     "'partners' under the addresses or address_groups of policy edge, or write any)"),
    ("unknown destination", _rule(3, destination=["mail-all", "mail-v4"]),
     f"{POLICY}.rules[3].destination[1]: rule 'mail-in': destination 'mail-v4' is not a declared address"),
    ("unknown service", _rule(3, service=["smtp", "pop3"]),
     f"{POLICY}.rules[3].service[1]: rule 'mail-in': service 'pop3' is not a declared service (fix: declare "
     "'pop3' under the services of policy edge, or write any)"),
    ("any beside others", _rule(3, source=["any", "admins"]),
     f"{POLICY}.rules[3].source: rule 'mail-in': source lists any beside other objects (fix: write source: [any] "
     "alone, or drop any)"),
    ("unknown group member", _policy(lambda p: p["address_groups"][1]["members"].append("mail-v4")),
     f"{POLICY}.address_groups[1].members[2]: address group 'mail-all' names 'mail-v4', which is not declared "
     "(fix: declare 'mail-v4' under addresses or address_groups of policy edge)"),
    ("a group in a cycle", _policy(lambda p: p["address_groups"][0]["members"].append("mail-front")),
     f"{POLICY}.address_groups[0].members: address group 'mail-front' contains itself (fix: list addresses and "
     "other groups only, never the group itself)"),
    ("duplicate zone", _append("zones", {"name": "inside", "interfaces": ["in1"]}),
     f"{POLICY}.zones[4].name: zone 'inside' is declared twice (first at {POLICY}.zones[1]) (fix: give each "
     "object of a policy its own name)"),
    ("an address and a group of one name", _append("addresses", {"name": "mail-front", "networks": ["10.0.0.0/8"]}),
     f"{POLICY}.address_groups[0].name: address 'mail-front' is declared twice (first at {POLICY}.addresses[7])"),
    ("duplicate rule", _append("rules", {"name": "mail-in", "from": "inside", "to": "outside", "source": ["any"],
                                         "destination": ["any"], "service": ["smtp"], "action": "drop"}),
     f"{POLICY}.rules[6].name: rule 'mail-in' is declared twice (first at {POLICY}.rules[3])"),
    ("reserved zone name", _append("zones", {"name": "self", "interfaces": ["lo"]}),
     f"{POLICY}.zones[4].name: zone 'self' uses a reserved name (fix: rename it: any and self are reserved)"),
    ("reserved address name", _append("addresses", {"name": "any", "networks": ["0.0.0.0/0"]}),
     f"{POLICY}.addresses[7].name: address 'any' uses a reserved name (fix: rename it: any and self are reserved)"),
    ("host bits set", _policy(lambda p: p["addresses"][0].update(networks=["10.89.41.1/24"])),
     f"{POLICY}.addresses[0].networks[0]: '10.89.41.1/24' is not a network: 10.89.41.1/24 has host bits set (fix: "
     "write a network with no host bits set (10.0.0.0/24, 192.0.2.7/32, 2001:db8::/64))"),
    ("ipv6 host bits set", _policy(lambda p: p["addresses"][5].update(networks=["2001:db8:42::10/64"])),
     f"{POLICY}.addresses[5].networks[0]: '2001:db8:42::10/64' is not a network"),
    ("ports on icmp", _policy(lambda p: p["services"][5].update(ports=["8"])),
     f"{POLICY}.services[5].ports[0]: service 'ping' is icmp: it has no ports (fix: drop ports, or make the "
     "protocol tcp or udp)"),
    ("a reversed port range", _policy(lambda p: p["services"][4].update(ports=["33534-33434"])),
     f"{POLICY}.services[4].ports[0]: port range 33534-33434 is not within 1-65535, low to high (fix: write a "
     "port (25) or a range low-high (1024-2047))"),
    ("port zero", _policy(lambda p: p["services"][0].update(ports=["0"])),
     f"{POLICY}.services[0].ports[0]: port range 0 is not within 1-65535, low to high"),
    ("an interface in two zones", _policy(lambda p: p["zones"][1].update(interfaces=["in0", "out0"])),
     f"{POLICY}.zones[1].interfaces[1]: interface 'out0' is in zone 'outside' already (fix: put each interface "
     "in one zone of the policy)"),
    ("duplicate policy", lambda d: d["tier3_firewall_policies"].append(copy.deepcopy(EDGE["policy"])),
     "tier3_firewall_policies[1].name: firewall policy 'edge' is declared twice (fix: give each policy its own "
     "name)"),
    ("a pair naming an unknown policy", _pair(policy="lab-edge"),
     f"{PAIR}.policy: pair edge1 enforces policy 'lab-edge', which is not declared (fix: declare it under "
     "tier3_firewall_policies, or name one that is (edge))"),
    ("management and ha without a policy", lambda d: d["tier3_firewall_pairs"][0].pop("policy"),
     f"{PAIR}.policy: pair edge1 declares its management path or HA link but names no policy, so nothing would "
     "check or push them (fix: name the policy it enforces (policy: NAME of tier3_firewall_policies), or drop "
     "management and ha)"),
    ("a management zone not in the policy", _pair(management={"zone": "oob", "networks": ["10.89.40.0/24"]}),
     f"{PAIR}.management.zone: pair edge1: management zone 'oob' is not a zone of policy edge (fix: use one of "
     "inside, mgmt, outside, sync)"),
    ("an ha zone not in the policy", _pair(ha={"zone": "any", "addresses": ["10.89.43.1", "10.89.43.2"]}),
     f"{PAIR}.ha.zone: pair edge1: ha zone 'any' is not a zone of policy edge"),
    ("a management network with host bits", _pair(management={"zone": "mgmt", "networks": ["10.89.40.7/24"]}),
     f"{PAIR}.management.networks[0]: '10.89.40.7/24' is not a network: 10.89.40.7/24 has host bits set"),
    ("an ha address that is a network", _pair(ha={"zone": "sync", "addresses": ["10.89.43.1", "10.89.43.0/24"]}),
     f"{PAIR}.ha.addresses[1]: value does not match regex"),  # the schema's: the loader never sees it
    ("an ha address that is no address", _pair(ha={"zone": "sync", "addresses": ["10.89.43.1", "10.89.43.256"]}),
     f"{PAIR}.ha.addresses[1]: '10.89.43.256' is not an address: '10.89.43.256' does not appear to be an IPv4 or "
     "IPv6 address (fix: write an address (10.0.0.1))"),
    ("one ha address twice", _pair(ha={"zone": "sync", "addresses": ["10.89.43.1", "10.89.43.1"]}),
     f"{PAIR}.ha.addresses[1]: pair edge1: both members' ha address is 10.89.43.1 (fix: give each member its own "
     "address on the ha zone, in the order of members)"),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CHECKS], ids=[c[0] for c in CHECKS])
def test_each_fault_is_one_error_naming_file_key_and_fix(inv: Path, change: Callable[[Doc], None],
                                                          expected: str) -> None:
    edit_all_vars(inv, change)
    (error,) = errors_of(inv)
    source, text = error
    assert source.endswith("group_vars/all.yml"), source
    assert text.startswith(expected), text
    assert "(fix: " in text


def test_a_policy_key_on_a_pair_is_schema_checked(inv: Path) -> None:
    edit_all_vars(inv, _pair(management={"zone": "mgmt", "networks": ["10.89.40.0/24"], "port": 0}))
    ((_, text),) = errors_of(inv)
    assert text.startswith(f"{PAIR}.management.port: min value is 1")


def test_a_policy_is_schema_checked(inv: Path) -> None:
    edit_all_vars(inv, _rule(2, action="deny"))
    ((_, text),) = errors_of(inv)
    assert text.startswith(f"{POLICY}.rules[2].action: unallowed value deny")


@pytest.mark.parametrize(("change", "key"), [
    (_rule(3, service=["pop3"]), f"{POLICY}.rules[3].service[0]"),
    (_policy(lambda p: p["address_groups"][0]["members"].append("mail-front")), f"{POLICY}.address_groups[0].members"),
    (_pair(policy="lab-edge"), f"{PAIR}.policy"),
])
def test_validate_exits_2_naming_file_and_key(inv: Path, change: Callable[[Doc], None], key: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    edit_all_vars(inv, change)
    assert main(["validate", str(inv)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"group_vars/all.yml: {key}:" in err
    assert "(fix: " in err


def test_the_shared_policy_validates_and_the_pair_without_one_is_blamed(
        inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(inv), "--format", "json"])
    out, _ = capsys.readouterr()
    failed = [(f["rule_id"], f["subject"]) for f in json.loads(out)["findings"] if f["status"] == "fail"]
    assert failed == [("T3-FWL-006", "firewall-pair:edge2")]
    assert code == 1
