"""The FortiOS renderer against its golden files: the shared policy edge.yml and corners.yml (IPv6 and mixed
groups, port ranges, reject, log, rules from and to any, a reject default) with an empty group and a rule
that names only it, and the mapping decisions the driver and the docs rely on, as assertions on lines."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.errors import InventoryError
from tier3.firewall.render.fortinet import MANAGED, TABLES, render
from tier3.model import FirewallPair
from tier3.model.firewall import Address, AddressGroup, FirewallPolicy, PolicyRule
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"
GHOST = PolicyRule("ghost", "wan", "dmz", ("nobody",), ("any",), ("ephemeral",), "accept")


def load(name: str) -> tuple[FirewallPolicy, FirewallPair]:
    path = POLICIES / f"{name}.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy = build_policy(doc["policy"], str(path), "policy")
    if name == "corners":  # the schema refuses an empty group; the renderer must still cope with one
        policy = dataclasses.replace(policy, address_groups=(*policy.address_groups, AddressGroup("nobody", ())),
                                     rules=(GHOST, *policy.rules))
    return policy, firewall_pair(doc["pair"], str(path), "pair")


def text(name: str) -> str:
    return render(*load(name))


def entries(name: str, table: str) -> list[list[str]]:
    """The ``edit`` blocks of one table, each as its stripped lines from ``edit`` to ``next``."""
    lines = [line.strip() for line in text(name).splitlines()]
    body = lines[lines.index(f"config firewall {table}") + 1:]
    body = body[:body.index("end")]
    out: list[list[str]] = []
    for line in body:
        if line.startswith("edit "):
            out.append([])
        out[-1].append(line)
    return out


def entry(name: str, table: str, key: str) -> list[str]:
    return next(e for e in entries(name, table) if e[0] == f"edit {key}")


@pytest.mark.parametrize("name", ["edge", "corners"])
def test_render_matches_golden_and_is_deterministic(golden: Any, name: str) -> None:
    rendered = text(name)
    golden.check(f"firewall/fortinet/{name}.conf", rendered)
    assert text(name) == rendered


@pytest.mark.parametrize("name", ["edge", "corners"])
def test_every_table_is_written_in_the_show_form(name: str) -> None:
    lines = text(name).splitlines()
    assert [line for line in lines if line.startswith("config ")] == [f"config firewall {t}" for t in TABLES]
    assert all(line in ("end", "    next") or line.startswith(("config firewall ", "    edit ", "        set "))
               for line in lines)


@pytest.mark.parametrize(("name", "table", "key", "line"), [
    # objects: one network an address, several NAME_i and a group; the two families side by side
    ("edge", "address", '"mail-vip"', "set subnet 10.89.42.10 255.255.255.255"),
    ("edge", "address", '"fw-peers_1"', "set subnet 10.89.43.2 255.255.255.255"),
    ("edge", "addrgrp", '"fw-peers"', 'set member "fw-peers_0" "fw-peers_1"'),
    ("edge", "addrgrp", '"mail-all"', 'set member "mail-front"'),
    ("edge", "addrgrp6", '"mail-all"', 'set member "mail-v6"'),
    ("corners", "address6", '"v6-host"', "set ip6 2001:db8:42::25/128"),
    ("corners", "address", '"dual"', "set subnet 198.51.100.7 255.255.255.255"),
    ("corners", "address6", '"dual"', "set ip6 2001:db8:42::7/128"),
    ("edge", "address", '"admins"', f'set comment "{MANAGED}: edge"'),
    # services
    ("edge", "service custom", '"submission"', "set tcp-portrange 587 465"),
    ("corners", "service custom", '"dns-both"', "set udp-portrange 53 5353-5354"),
    ("corners", "service custom", '"all-tcp"', "set tcp-portrange 1-65535"),
    ("edge", "service custom", '"vrrp"', "set protocol-number 112"),
    ("corners", "service custom", '"ping6"', "set protocol ICMP6"),
    ("corners", "service custom", '"everything"', "set protocol IP"),
    # forwarded policies: interfaces from zones, both families where both sides have them
    ("edge", "policy", "2", 'set name "mail-in"'),
    ("edge", "policy", "2", 'set dstaddr6 "mail-all"'),
    ("edge", "policy", "2", "set logtraffic all"),
    ("edge", "policy", "4", "set logtraffic disable"),
    ("edge", "policy", "3", "set send-deny-packet enable"),
    ("edge", "policy", "1", 'set dstintf "any"'),
    ("corners", "policy", "1", 'set srcintf "wan0" "wan1"'),
    ("corners", "policy", "2", 'set srcaddr6 "all"'),
    ("corners", "policy", "4", "set send-deny-packet enable"),
    # self (and any) is local-in: by family, the reject and log it cannot do stated
    ("edge", "local-in-policy", "1", 'set intf "mgmt0"'),
    ("edge", "local-in-policy", "3", 'set comments "block-bad: a known abuser (log: by config log setting, '
                                     'not per policy)"'),
    ("corners", "local-in-policy6", "1", 'set service "all-tcp" "ping6"'),
    ("corners", "local-in-policy", "2", 'set comments "default: reject (reject: denied without a reply)"'),
])
def test_mapping(name: str, table: str, key: str, line: str) -> None:
    assert line in entry(name, table, key)


def test_drop_leaves_the_default_action_out_as_show_does() -> None:
    blocked = entry("edge", "policy", "1")
    assert not any(line.startswith(("set action", "set send-deny-packet")) for line in blocked)
    assert "set action accept" in entry("edge", "policy", "2")


@pytest.mark.parametrize(("name", "table", "names"), [
    ("edge", "policy", ["block-bad", "mail-in", "traceroute", "inside-out", "tier3-default"]),
    ("corners", "policy", ["wan-reject", "dns", "dmz-out", "tier3-default"]),
])
def test_policy_ids_follow_the_policy_order_and_the_default_is_last(name: str, table: str, names: list[str]) -> None:
    found = entries(name, table)
    assert [e[0] for e in found] == [f"edit {i}" for i in range(1, len(names) + 1)]
    assert [next(line for line in e if line.startswith("set name")) for e in found] == [f'set name "{n}"'
                                                                                       for n in names]


def test_local_in_tables_end_with_the_default_over_everything() -> None:
    for table in ("local-in-policy", "local-in-policy6"):
        last = entries("edge", table)[-1]
        assert last[1:5] == ['set intf "any"', 'set srcaddr "all"', 'set dstaddr "all"', 'set service "ALL"']


def test_a_group_of_nothing_is_left_out_with_the_rule_it_empties() -> None:
    rendered = text("corners")
    assert "nobody" not in rendered
    assert "ghost" not in rendered


def test_groups_are_written_after_the_groups_they_hold() -> None:
    policy, pair = load("edge")
    policy = dataclasses.replace(policy, address_groups=tuple(reversed(policy.address_groups)))
    lines = render(policy, pair).splitlines()
    groups = lines[lines.index("config firewall addrgrp"):lines.index("config firewall addrgrp6")]
    assert [line for line in groups if line.startswith("    edit ")] == [
        '    edit "fw-peers"', '    edit "mail-front"', '    edit "mail-all"']


def test_comments_are_quoted_and_escaped() -> None:
    policy, pair = load("edge")
    rule = dataclasses.replace(policy.rules[2], comment='say "no" \\ loudly')
    policy = dataclasses.replace(policy, rules=(*policy.rules[:2], rule, *policy.rules[3:]))
    assert '        set comments "say \\"no\\" \\\\ loudly"' in render(policy, pair).splitlines()


@pytest.mark.parametrize(("change", "message"), [
    ({"addresses": (Address("fw-peers_0", ("192.0.2.1/32",)),)}, "has the name of a declared object"),
    ({"rules": (PolicyRule("a-rule-name-longer-than-fortios-keeps", "mgmt", "self", ("any",), ("any",), ("ssh",),
                           "accept"),)}, "longer than a FortiOS policy name"),
])
def test_names_fortios_cannot_hold_are_refused(change: dict[str, Any], message: str) -> None:
    policy, pair = load("edge")
    merged = {key: (*getattr(policy, key), *value) for key, value in change.items()}
    with pytest.raises(InventoryError, match=message):
        render(dataclasses.replace(policy, **merged), pair)
