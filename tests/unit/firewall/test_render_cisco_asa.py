"""The Cisco ASA renderer against its golden files: the shared policy edge.yml and corners.yml (IPv6, port
ranges, reject, log, rules from and to any, an empty group), and the properties the driver relies on."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.errors import InventoryError
from tier3.firewall.render.cisco_asa import render
from tier3.model import FirewallPair
from tier3.model.firewall import AddressGroup, FirewallPolicy, PolicyRule
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"


def load(name: str) -> tuple[FirewallPolicy, FirewallPair]:
    path = POLICIES / f"{name}.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy = build_policy(doc["policy"], str(path), "policy")
    if name == "corners":  # the schema refuses an empty group; a renderer must still write one
        policy = dataclasses.replace(policy, address_groups=(*policy.address_groups, AddressGroup("nobody", ())))
    return policy, firewall_pair(doc["pair"], str(path), "pair")


@pytest.mark.parametrize("name", ["edge", "corners"])
def test_render_matches_golden(golden: Any, name: str) -> None:
    text = render(*load(name))
    golden.check(f"firewall/cisco_asa/{name}.cfg", text)
    assert render(*load(name)) == text


def test_every_zone_ends_with_the_default_and_is_bound() -> None:
    lines = render(*load("edge")).splitlines()
    for zone, interface in (("outside", "out0"), ("inside", "in0"), ("mgmt", "mgmt0"), ("sync", "sync0")):
        acl = [line for line in lines if line.startswith(f"access-list {zone}_access_in ")]
        assert acl[-1] == f"access-list {zone}_access_in extended deny ip any any"
        assert f"access-group {zone}_access_in in interface {interface}" in lines
        assert f"access-group {zone}_to_self in interface {interface} control-plane" in lines


def test_rules_keep_policy_order_within_an_acl() -> None:
    lines = render(*load("edge")).splitlines()
    remarks = [line.split()[3].rstrip(":") for line in lines
               if line.startswith("access-list outside_access_in remark") and " -> " in line]
    assert remarks == ["block-bad", "mail-in", "traceroute"]


def test_a_rule_group_named_like_an_object_is_refused() -> None:
    policy, pair = load("edge")
    clash = PolicyRule("mail", "outside", "inside", ("admins", "blocked"), ("any",), ("smtp",), "accept")
    policy = dataclasses.replace(policy, rules=(*policy.rules, clash),
                                 address_groups=(*policy.address_groups, AddressGroup("mail_src", ("admins",))))
    with pytest.raises(InventoryError, match="mail_src"):
        render(policy, pair)
