"""One SERVICE_GROUPS (tier3.model.topology): the lab inventory has exactly those groups (and its
peers' groups under lab_peers), and the plays of playbooks/site.yml target exactly those groups
(YAML cannot import Python, so this test ties them); playbooks/lab.yml targets the peers only.

Firewalls are a service group (a redundant pair the rules check) but not Linux hosts: they are
network devices driven from the controller with Netmiko (``connection: local``), so no host play
runs the baseline on them. Their play arrives with the firewall issue; until then ``firewall`` is
listed in ``AWAITING_A_PLAY`` and the test checks that no play targets it by accident.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tier3.lab import inventory
from tier3.lab.hosts import PEER_GROUPS, PEERS_GROUP
from tier3.model.topology import SERVICE_GROUPS

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOKS = ROOT / "playbooks"
CONTROLLER = "localhost"  # plays that run on the controller only (preflight)
AWAITING_A_PLAY: tuple[str, ...] = ("firewall",)  # empty this when playbooks/firewall.yml joins site.yml
LINUX_HOST_ROLES = ("tier3.dc.baseline",)  # roles every Linux service host gets, never a network device
# groups of what a host is built of, not of a service it runs: playbooks/hardware.yml's `metal` (bonds, md, multipath,
# LUKS); the lab defines it only when its metal VMs are part of it, and a play on a group with no host does nothing
HARDWARE_GROUPS: tuple[str, ...] = ("metal",)


def plays(playbook: Path) -> list[dict[str, Any]]:
    """The plays of ``playbook``, with ``import_playbook`` followed."""
    out: list[dict[str, Any]] = []
    for entry in yaml.safe_load(playbook.read_text(encoding="utf-8")):
        imported = entry.get("ansible.builtin.import_playbook") or entry.get("import_playbook")
        if imported:
            out += plays(playbook.parent / imported)
        else:
            out.append(entry)
    return out


def pattern_of(pattern: str) -> tuple[list[str], list[str]]:
    """A host pattern of unions and exclusions (``archive:dns:!mx``) -> (groups, excluded groups);
    intersections, wildcards and ranges are refused here."""
    assert not re.search(r"[&*\[\]~]", pattern), f"write a union of groups (with !exclusions), not {pattern!r}"
    names = [name.strip() for name in re.split(r"[:,]", pattern) if name.strip()]
    return [n for n in names if not n.startswith("!")], [n[1:] for n in names if n.startswith("!")]


def groups_of(pattern: str) -> list[str]:
    """The groups a pattern targets (its exclusions aside)."""
    return pattern_of(pattern)[0]


def roles_of(play: dict[str, Any]) -> list[str]:
    return [r if isinstance(r, str) else str(r.get("role", r.get("name"))) for r in play.get("roles", [])]


SITE_PLAYS = plays(PLAYBOOKS / "site.yml")
HOST_PLAYS = [p for p in SITE_PLAYS if groups_of(str(p["hosts"])) != [CONTROLLER]]


def test_site_plays_target_exactly_the_service_groups() -> None:
    targeted = {g for play in HOST_PLAYS for g in groups_of(str(play["hosts"]))} - set(HARDWARE_GROUPS)
    assert targeted | set(AWAITING_A_PLAY) == set(SERVICE_GROUPS)
    assert not targeted & set(AWAITING_A_PLAY), "a play targets it now: remove it from AWAITING_A_PLAY"


def test_the_baseline_runs_on_every_linux_service_group() -> None:
    """Every Linux service group is targeted by a play with the baseline; a group one such play
    excludes (the mail hosts, whose own plays run the baseline with their roles) is targeted by another."""
    linux = {g for g in SERVICE_GROUPS if g not in AWAITING_A_PLAY}
    with_baseline = [pattern_of(str(p["hosts"])) for p in HOST_PLAYS if set(roles_of(p)) & set(LINUX_HOST_ROLES)]
    assert with_baseline
    covered = {g for groups, _ in with_baseline for g in groups}
    assert covered == linux
    for _, excluded in with_baseline:
        assert set(excluded) <= covered, excluded


def test_the_preflight_runs_on_the_controller_first() -> None:
    assert groups_of(str(SITE_PLAYS[0]["hosts"])) == [CONTROLLER]
    assert SITE_PLAYS[0].get("connection") == "local"


def test_the_lab_inventory_defines_every_group_site_yml_names() -> None:
    hosts = yaml.safe_load(inventory.hosts_yml(()))
    defined = hosts["all"]["children"]["lab"]["children"]
    named = {g for play in HOST_PLAYS for part in pattern_of(str(play["hosts"])) for g in part} - set(HARDWARE_GROUPS)
    assert named <= set(defined)
    assert set(defined) == {*SERVICE_GROUPS, PEERS_GROUP}
    assert list(defined[PEERS_GROUP]["children"]) == list(PEER_GROUPS)


def test_the_lab_plays_target_the_lab_peers_only() -> None:
    """playbooks/lab.yml configures the lab's own peers (client, outside MX), never a service host."""
    lab_plays = plays(PLAYBOOKS / "lab.yml")
    targeted = {g for play in lab_plays for g in groups_of(str(play["hosts"]))}
    assert targeted
    assert targeted <= set(PEER_GROUPS)


def test_groups_of() -> None:
    assert groups_of("mx:imap,dns") == ["mx", "imap", "dns"]
    assert pattern_of("archive:dns:!mx:!lb") == (["archive", "dns"], ["mx", "lb"])
