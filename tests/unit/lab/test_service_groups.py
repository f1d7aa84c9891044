"""One SERVICE_GROUPS (tier3.model.topology): the lab inventory has exactly those groups, and the
plays of playbooks/site.yml target exactly those groups (YAML cannot import Python, so this test
ties them).

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
from tier3.model.topology import SERVICE_GROUPS

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOKS = ROOT / "playbooks"
CONTROLLER = "localhost"  # plays that run on the controller only (preflight)
AWAITING_A_PLAY: tuple[str, ...] = ("firewall",)  # empty this when playbooks/firewall.yml joins site.yml
LINUX_HOST_ROLES = ("tier3.dc.baseline",)  # roles every Linux service host gets, never a network device


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


def groups_of(pattern: str) -> list[str]:
    """A union pattern (``mx:imap,dns``) -> its groups; intersections and exclusions are refused here."""
    assert not re.search(r"[!&*\[\]~]", pattern), f"write a plain union of groups, not {pattern!r}"
    return [name.strip() for name in re.split(r"[:,]", pattern) if name.strip()]


def roles_of(play: dict[str, Any]) -> list[str]:
    return [r if isinstance(r, str) else str(r.get("role", r.get("name"))) for r in play.get("roles", [])]


SITE_PLAYS = plays(PLAYBOOKS / "site.yml")
HOST_PLAYS = [p for p in SITE_PLAYS if groups_of(str(p["hosts"])) != [CONTROLLER]]


def test_site_plays_target_exactly_the_service_groups() -> None:
    targeted = {g for play in HOST_PLAYS for g in groups_of(str(play["hosts"]))}
    assert targeted | set(AWAITING_A_PLAY) == set(SERVICE_GROUPS)
    assert not targeted & set(AWAITING_A_PLAY), "a play targets it now: remove it from AWAITING_A_PLAY"


def test_the_baseline_runs_on_every_linux_service_group() -> None:
    linux = [g for g in SERVICE_GROUPS if g not in AWAITING_A_PLAY]
    for play in HOST_PLAYS:
        if set(roles_of(play)) & set(LINUX_HOST_ROLES):
            assert groups_of(str(play["hosts"])) == linux, play["name"]  # the model's order too
    assert any(set(roles_of(p)) & set(LINUX_HOST_ROLES) for p in HOST_PLAYS)


def test_the_preflight_runs_on_the_controller_first() -> None:
    assert groups_of(str(SITE_PLAYS[0]["hosts"])) == [CONTROLLER]
    assert SITE_PLAYS[0].get("connection") == "local"


def test_the_lab_inventory_defines_every_group_site_yml_names() -> None:
    hosts = yaml.safe_load(inventory.hosts_yml(()))
    defined = set(hosts["all"]["children"]["lab"]["children"])
    assert {g for play in HOST_PLAYS for g in groups_of(str(play["hosts"]))} <= defined
    assert defined == set(SERVICE_GROUPS)


def test_groups_of() -> None:
    assert groups_of("mx:imap,dns") == ["mx", "imap", "dns"]
