"""The Juniper SRX renderer on the shared edge policy and on a policy of edge cases (IPv6, port ranges,
reject, log, a group of nothing, any zones, default reject): golden files, determinism, and the mapping
decisions as assertions on lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.firewall.render.juniper_srx import render
from tier3.model import FirewallPair
from tier3.model.firewall import FirewallPolicy
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"
# edge cases the shared policy does not hit; built like an inventory entry
CORNERS: dict[str, Any] = {
    "name": "corners",
    "default_action": "reject",
    "zones": [{"name": "wan", "interfaces": ["ge-0/0/0.0", "ge-0/0/1.0"]},
              {"name": "lan", "interfaces": ["ge-0/0/2.0"]}],
    "addresses": [{"name": "v6-net", "networks": ["2001:db8:1::/64", "2001:db8:2::/64"]},
                  {"name": "lan-v4", "networks": ["192.0.2.0/24"]}],
    "address_groups": [{"name": "nothing", "members": []}, {"name": "nested-nothing", "members": ["nothing"]},
                       {"name": "mixed", "members": ["v6-net", "nothing", "lan-v4"]}],
    "services": [{"name": "dyn", "protocol": "udp", "ports": ["1024-2047", "4000"]},
                 {"name": "web", "protocol": "tcp", "ports": ["443"]},
                 {"name": "v6ping", "protocol": "icmpv6"}, {"name": "every", "protocol": "any"},
                 {"name": "alltcp", "protocol": "tcp"}],
    "rules": [
        {"name": "ghost", "from": "wan", "to": "lan", "source": ["nested-nothing"], "destination": ["any"],
         "service": ["web"], "action": "accept"},
        {"name": "v6-in", "from": "wan", "to": "lan", "source": ["v6-net"], "destination": ["mixed"],
         "service": ["dyn", "v6ping"], "action": "reject", "log": True},
        {"name": "mgmt-web", "from": "any", "to": "self", "source": ["lan-v4"], "destination": ["any"],
         "service": ["web", "v6ping"], "action": "accept", "log": True, "comment": "web UI"},
        {"name": "lan-any", "from": "lan", "to": "any", "source": ["lan-v4"], "destination": ["any"],
         "service": ["every"], "action": "accept"},
        {"name": "tcp-out", "from": "lan", "to": "wan", "source": ["any"], "destination": ["any"],
         "service": ["alltcp"], "action": "drop", "log": True},
    ],
}


def edge() -> tuple[FirewallPolicy, FirewallPair]:
    docs = yaml.safe_load((POLICIES / "edge.yml").read_text(encoding="utf-8"))
    return build_policy(docs["policy"], "edge.yml", "policy"), firewall_pair(docs["pair"], "edge.yml", "pair")


def corners() -> tuple[FirewallPolicy, FirewallPair]:
    return build_policy(CORNERS, "corners", "policy"), edge()[1]


@pytest.mark.parametrize(("name", "build"), [("edge", edge), ("corners", corners)])
def test_golden_and_deterministic(golden: Any, name: str, build: Any) -> None:
    policy, pair = build()
    text = render(policy, pair)
    assert text == render(*build())
    golden.check(f"firewall/juniper_srx/{name}.set", text)


def lines(build: Any) -> list[str]:
    return render(*build()).splitlines()


@pytest.mark.parametrize(("build", "line"), [
    # self is junos-host, and the zone's host-inbound-traffic opens what the rule accepts
    (edge, "set security policies from-zone mgmt to-zone junos-host policy admin-ssh match application ssh"),
    (edge, "set security zones security-zone mgmt host-inbound-traffic system-services ssh"),
    (edge, "set security zones security-zone sync host-inbound-traffic protocols vrrp"),
    (edge, "set security zones security-zone sync host-inbound-traffic system-services any-service"),
    (corners, "set security zones security-zone wan host-inbound-traffic system-services https"),
    (corners, "set security zones security-zone wan host-inbound-traffic system-services ping"),
    (corners, "set security zones security-zone lan host-inbound-traffic system-services all"),
    # any zone: one policy per context, named after it
    (edge, "set security policies from-zone outside to-zone junos-host policy block-bad-outside-junos-host then deny"),
    (corners, "set security policies from-zone lan to-zone lan policy lan-any-lan-lan match application any"),
    # log: session-close for permits, session-init for the others
    (edge, "set security policies from-zone mgmt to-zone junos-host policy admin-ssh then log session-close"),
    (corners, "set security policies from-zone wan to-zone lan policy v6-in then log session-init"),
    (corners, "set security policies from-zone wan to-zone lan policy v6-in then reject"),
    # several networks: one address each and a set; several ranges: one term each
    (corners, "set security address-book global address v6-net_1 2001:db8:2::/64"),
    (corners, "set security address-book global address-set v6-net address v6-net_0"),
    (corners, "set applications application dyn term t1 destination-port 1024-2047"),
    (corners, "set applications application v6ping protocol icmp6"),
    (corners, "set applications application alltcp protocol tcp"),
    (edge, "set applications application vrrp protocol 112"),
    # default reject: a last global policy
    (corners, "set security policies global policy default-reject then reject"),
    (edge, "set security policies default-policy deny-all"),
    (corners, "set security zones security-zone wan interfaces ge-0/0/1.0"),
])
def test_mapping(build: Any, line: str) -> None:
    assert line in lines(build)


def test_group_of_nothing_is_left_out_with_the_rule_it_empties() -> None:
    text = render(*corners())
    assert "nothing" not in text
    assert "ghost" not in text
    assert "address-set mixed address lan-v4" in text


def test_protocol_any_has_no_application() -> None:
    assert not [line for line in lines(corners) if line.startswith("set applications application every")]
