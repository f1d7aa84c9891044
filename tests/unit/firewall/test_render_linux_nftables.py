"""The linux_nftables renderer: golden files for the shared edge policy and a policy of corner cases, and the
property the plan relies on: loaded into a real kernel (a network namespace of its own, nft -f), the ruleset
``nft list ruleset`` prints back is, canonically, exactly the render. Never the machine's own ruleset."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.firewall.render.linux_nftables import canonical, render
from tier3.model import FirewallPair
from tier3.model.firewall import FirewallPolicy
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"
CORNERS: dict[str, Any] = {
    "name": "corners",
    "default_action": "reject",
    "zones": [{"name": "wan", "interfaces": ["eth0", "eth1"]}, {"name": "lan", "interfaces": ["eth2"]}],
    "addresses": [{"name": "v6-net", "networks": ["2001:db8:1::/64", "2001:db8:2::/64"]},
                  {"name": "lan-v4", "networks": ["192.0.2.0/24"]}, {"name": "one", "networks": ["198.51.100.7/32"]}],
    "address_groups": [{"name": "mixed", "members": ["v6-net", "lan-v4"]}],
    "services": [{"name": "dyn", "protocol": "udp", "ports": ["1024-2047", "4000"]},
                 {"name": "web", "protocol": "tcp", "ports": ["443", "80"]},
                 {"name": "all-tcp", "protocol": "tcp"},
                 {"name": "v6-ping", "protocol": "icmpv6"},
                 {"name": "everything", "protocol": "any"}],
    "rules": [
        {"name": "v6-web", "from": "wan", "to": "lan", "source": ["any"], "destination": ["mixed"],
         "service": ["web", "dyn", "v6-ping"], "action": "accept", "log": True},
        {"name": "tcp-reset", "from": "any", "to": "lan", "source": ["one"], "destination": ["any"],
         "service": ["all-tcp"], "action": "reject"},
        {"name": "anything", "from": "lan", "to": "any", "source": ["lan-v4"], "destination": ["any"],
         "service": ["everything"], "action": "accept", "comment": "lan may go anywhere"},
    ],
}


def _edge() -> tuple[FirewallPolicy, FirewallPair]:
    doc = yaml.safe_load((POLICIES / "edge.yml").read_text(encoding="utf-8"))
    return build_policy(doc["policy"], "edge.yml", "policy"), firewall_pair(doc["pair"], "edge.yml", "pair")


def _corners() -> tuple[FirewallPolicy, FirewallPair]:
    pair = firewall_pair({"name": "c-fw", "platform": "linux", "members": ["a", "b"], "policy": "corners"}, "c.yml",
                         "pair")
    return build_policy(CORNERS, "c.yml", "policy"), pair


CASES = {"edge": _edge, "corners": _corners}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, golden: Any) -> None:
    policy, pair = CASES[name]()
    golden.check(f"firewall/linux_nftables/{name}.nft", render(policy, pair))


@pytest.mark.parametrize("name", sorted(CASES))
def test_deterministic(name: str) -> None:
    assert render(*CASES[name]()) == render(*CASES[name]())


def test_to_any_lands_in_input_and_forward() -> None:
    text = render(*_edge())
    input_chain, forward_chain = text.split("chain forward")
    assert 'iifname "out0" ip saddr 10.89.41.66 log prefix "tier3 block-bad " drop' in input_chain
    assert 'iifname "out0" ip saddr 10.89.41.66 log prefix "tier3 block-bad " drop' in forward_chain
    assert "admin-ssh" not in forward_chain


def test_families_split_and_reject_forms() -> None:
    text = render(*_corners())
    assert 'ip6 daddr { 2001:db8:1::/64, 2001:db8:2::/64 } tcp dport { 80, 443 }' in text
    assert 'ip daddr 192.0.2.0/24 udp dport { 1024-2047, 4000 }' in text
    assert "ip saddr 198.51.100.7 meta l4proto tcp reject with tcp reset" in text
    assert text.count("\t\treject with icmpx admin-prohibited\n") == 2  # default_action: reject, per chain


def test_canonical_sorts_sets_and_drops_what_the_kernel_does_not_keep() -> None:
    assert canonical("# c\nflush ruleset\n\n\tx { b, a } y\n") == "\tx { a, b } y\n"


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"tier3-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_prints_back_the_render(name: str, namespace: str, tmp_path: Path) -> None:
    rendered = render(*CASES[name]())
    (tmp_path / "r.nft").write_text(rendered, encoding="utf-8")
    subprocess.run(["ip", "netns", "exec", namespace, "nft", "-f", str(tmp_path / "r.nft")], check=True)
    listed = subprocess.run(["ip", "netns", "exec", namespace, "nft", "list", "ruleset"], check=True,
                            capture_output=True, text=True).stdout
    assert canonical(listed) == canonical(rendered)
