"""The PAN-OS renderer on the shared edge policy and on a policy of edge cases (IPv6, port ranges,
reject, log, a group of nothing, any zones, default reject): golden files, determinism, and the mapping
decisions as assertions on lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.firewall.render.paloalto_panos import render
from tier3.model import FirewallPair
from tier3.model.firewall import FirewallPolicy
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"
# edge cases the shared policy does not hit; built like an inventory entry (the same as the SRX test's)
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
    golden.check(f"firewall/paloalto_panos/{name}.set", text)


def lines(build: Any) -> list[str]:
    return render(*build()).splitlines()


@pytest.mark.parametrize(("build", "line"), [
    # self is an intrazone rule of its source zones
    (edge, "set rulebase security rules admin-ssh rule-type intrazone"),
    (edge, "set rulebase security rules admin-ssh to mgmt"),
    (corners, "set rulebase security rules mgmt-web from [ wan lan ]"),
    (corners, "set rulebase security rules mgmt-web to [ wan lan ]"),
    # portless protocols are App-IDs: a mixed rule becomes two, side by side
    (edge, "set rulebase security rules ha-vrrp service conntrackd"),
    (edge, "set rulebase security rules ha-vrrp-apps application vrrp"),
    (edge, "set rulebase security rules traceroute-apps application icmp"),
    (corners, "set rulebase security rules mgmt-web-apps application ipv6-icmp"),
    (corners, "set rulebase security rules lan-any service any"),
    (corners, "set rulebase security rules lan-any to any"),
    # actions, logging stated either way, reject with an ICMP unreachable
    (corners, "set rulebase security rules v6-in action reset-client"),
    (corners, "set rulebase security rules v6-in icmp-unreachable yes"),
    (corners, "set rulebase security rules v6-in log-end yes"),
    (edge, "set rulebase security rules inside-out log-end no"),
    (edge, "set rulebase security rules block-bad action drop"),
    # objects
    (corners, "set address v6-net_1 ip-netmask 2001:db8:2::/64"),
    (corners, "set address-group v6-net static [ v6-net_0 v6-net_1 ]"),
    (corners, "set address-group mixed static [ v6-net lan-v4 ]"),
    (corners, "set service dyn protocol udp port 1024-2047,4000"),
    (corners, "set service alltcp protocol tcp port 1-65535"),
    (edge, "set service submission protocol tcp port 587,465"),
    (corners, "set zone wan network layer3 [ ge-0/0/0.0 ge-0/0/1.0 ]"),
    # the default action: a last rule over everything
    (edge, "set rulebase security rules tier3-default action drop"),
    (corners, "set rulebase security rules tier3-default action reset-client"),
])
def test_mapping(build: Any, line: str) -> None:
    assert line in lines(build)


def test_default_rule_is_last_and_rules_keep_the_policy_order() -> None:
    names = list(dict.fromkeys(line.split()[4] for line in lines(edge) if line.startswith("set rulebase")))
    assert names == ["admin-ssh", "ha-vrrp", "ha-vrrp-apps", "block-bad", "mail-in", "traceroute", "traceroute-apps",
                     "inside-out", "tier3-default"]


def test_group_of_nothing_is_left_out_with_the_rule_it_empties() -> None:
    text = render(*corners())
    assert "nothing" not in text
    assert "ghost" not in text
