"""roles/bonding, multipath and raid on this machine (localhost), in check mode with a declared topology: the files
they would write (the diff of tier3_files), the refusals of their preflight (the management link, a member
the host lacks, user_friendly_names), and bonding's verify failing on tier3 check's finding about its bond.
Nothing is written: this machine has no bonding or md driver and no systemd (the roles converge on the lab's
metal hosts, QEMU, not here). The members are two veth links the tests make (down, carrying nothing) and remove.
About 40 s."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import ANSIBLE_PLAYBOOK, FIXTURES, ROOT, localhost_play, run_playbook

MEMBERS = ("t3hwtest0", "t3hwtest1")
CHECK = ("--check", "--diff")


def role_play(tmp: Path, role: str, tags: str, *extra: str, **play_vars: Any) -> tuple[
        subprocess.CompletedProcess[str], dict[str, dict[str, Any]]]:
    """``role`` on localhost with ``--tags tags``: the run and task name (without the role's prefix) -> result."""
    playbook = tmp / f"{role}.yml"
    include = {"name": role, "ansible.builtin.include_role": {"name": f"tier3.dc.{role}"}, "tags": ["always"]}
    playbook.write_text(localhost_play(role, [include], **play_vars), encoding="utf-8")
    done, report = run_playbook(playbook, "--tags", tags, *extra)
    tasks = {t["task"]["name"].removeprefix(f"tier3.dc.{role} : "): t["hosts"].get("localhost", {})
             for t in report["plays"][0]["tasks"]}
    return done, tasks


def written(result: dict[str, Any]) -> dict[str, str]:
    """Path -> new content, from the diff of a tier3_files task (a looped one: every item's)."""
    diffs = [d for r in result.get("results", [result]) for d in r.get("diff", [])]
    return {d["after_header"]: d["after"] for d in diffs}


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


@pytest.fixture(autouse=True, scope="module")
def members_exist() -> Iterator[None]:
    """Two links for the bond's members: veth pairs made here (root), removed after."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the tests make two veth links for the bond's members")
    for member in MEMBERS:
        subprocess.run(["ip", "link", "del", member], capture_output=True, check=False)
        subprocess.run(["ip", "link", "add", member, "type", "veth", "peer", "name", f"{member}p"], check=True)
    yield
    for member in MEMBERS:
        subprocess.run(["ip", "link", "del", member], capture_output=True, check=False)


def bonds(mode: str, *members: str) -> dict[str, Any]:
    return {"tier3_host": {"bonds": [{"name": "bond0", "mode": mode, "members": [
        {"interface": m, "switch": f"lab-sw-{chr(97 + i)}"} for i, m in enumerate(members)]}]}}


BONDING_TAGS = "bonding_preflight,bonding_configure"
NETWORKD_FILES = "Bonding | networkd keeps its hands off the routes and rules of interfaces it does not manage"
BOND_FILES = "Bonding | The bond (netdev), its addresses (network) and its members (network, Bond=)"
BONDING_REFUSAL = ("Bonding | Refuse an unsupported platform, malformed bonds, a member the host lacks, "
                   "the management link")


def test_an_lacp_bond_and_its_members(tmp_path: Path) -> None:
    done, said = role_play(tmp_path, "bonding", BONDING_TAGS, *CHECK, **bonds("802.3ad", *MEMBERS),
                           bonding_addresses={"bond0": {"address": "198.51.100.7/24", "gateway": "198.51.100.1"}})
    assert done.returncode == 0, done.stdout[-3000:]
    files = written(said[BOND_FILES])
    prefix = "/etc/systemd/network/10-tier3-bond0"
    assert lines(files[f"{prefix}.netdev"]) == [
        "[NetDev]", "Name=bond0", "Kind=bond", "[Bond]", "Mode=802.3ad", "MIIMonitorSec=100ms",
        "LACPTransmitRate=fast", "TransmitHashPolicy=layer3+4"]
    assert lines(files[f"{prefix}.network"]) == [
        "[Match]", "Name=bond0", "[Network]", "Address=198.51.100.7/24", "Gateway=198.51.100.1", "IPv6AcceptRA=no"]
    assert lines(files[f"{prefix}-primary.network"]) == [
        "[Match]", "Name=t3hwtest0", "[Link]", "RequiredForOnline=no", "[Network]", "Bond=bond0"]
    assert lines(files[f"{prefix}-members.network"]) == [
        "[Match]", "Name=t3hwtest1", "[Link]", "RequiredForOnline=no", "[Network]", "Bond=bond0"]
    assert files[f"{prefix}.netdev"].startswith("#\n# Ansible managed")
    networkd = written(said[NETWORKD_FILES])
    assert lines(networkd["/etc/systemd/networkd.conf.d/tier3-bonding.conf"]) == [
        "[Network]", "ManageForeignRoutes=no", "ManageForeignRoutingPolicyRules=no"]
    assert not Path(f"{prefix}.netdev").exists()  # check mode


def test_an_active_backup_bond_has_a_primary_and_no_address(tmp_path: Path) -> None:
    done, said = role_play(tmp_path, "bonding", BONDING_TAGS, *CHECK, **bonds("active-backup", MEMBERS[1]))
    assert done.returncode == 0, done.stdout[-3000:]
    files = written(said[BOND_FILES])
    prefix = "/etc/systemd/network/10-tier3-bond0"
    assert lines(files[f"{prefix}.netdev"])[-2:] == ["MIIMonitorSec=100ms", "PrimaryReselectPolicy=failure"]
    assert lines(files[f"{prefix}.network"]) == ["[Match]", "Name=bond0", "[Network]", "LinkLocalAddressing=no",
                                                  "IPv6AcceptRA=no"]
    assert lines(files[f"{prefix}-primary.network"])[-2:] == ["Bond=bond0", "PrimarySlave=true"]
    assert f"{prefix}-members.network" not in files  # one member: no file for the others


def default_route_interface() -> str:
    out = subprocess.run(["ip", "-j", "route", "show", "default"], capture_output=True, text=True, check=True).stdout
    routes = yaml.safe_load(out) or []
    if not routes:
        pytest.skip("this machine has no default route to refuse")
    return str(routes[0]["dev"])


def test_the_management_link_and_a_missing_member_are_refused(tmp_path: Path) -> None:
    management = default_route_interface()
    done, said = role_play(tmp_path, "bonding", BONDING_TAGS, *CHECK, **bonds("active-backup", management, "t3nosuch0"))
    assert done.returncode != 0
    message = said[BONDING_REFUSAL]["msg"]
    assert f"refusing to enslave {management}: it carries the management connection of localhost" in message
    assert "localhost has no interface t3nosuch0 (it has " in message
    assert BOND_FILES not in said  # refused before any file

    allowed, said = role_play(tmp_path, "bonding", BONDING_TAGS, *CHECK, **bonds("active-backup", management),
                              bonding_allow_management_interface=True)
    assert allowed.returncode == 0, allowed.stdout[-3000:]


MULTIPATH_REFUSAL = ("Multipath | Refuse an unsupported platform, a LUN without a usable name or WWID, "
                     "a name or WWID twice")
MULTIPATH_FILES = "Multipath | multipath.conf - defaults, blacklist, the declared WWIDs as exceptions, an alias per LUN"
LUNS = {"tier3_host": {"multipath_luns": [
    {"name": "archivedata", "wwid": "36001405000000000000000000000002",
     "paths": [{"device": "/dev/sdb", "fabric": "lab-fabric-a"}, {"device": "/dev/sdc", "fabric": "lab-fabric-b"}]}]}}


def test_multipath_conf_lets_only_the_declared_luns_through(tmp_path: Path) -> None:
    done, said = role_play(tmp_path, "multipath", "multipath_preflight,multipath_configure", *CHECK, **LUNS)
    assert done.returncode == 0, done.stdout[-3000:]
    text = written(said[MULTIPATH_FILES])["/etc/multipath.conf"]
    assert [" ".join(line.split()) for line in lines(text)] == [
        "defaults {", 'user_friendly_names "no"', 'find_multipaths "greedy"', "}",
        "blacklist {", 'wwid ".*"', "}",
        "blacklist_exceptions {", 'wwid "^36001405000000000000000000000002$"', "}",
        "multipaths {", "multipath {", 'wwid "36001405000000000000000000000002"', 'alias "archivedata"', "}", "}"]
    assert "# archivedata: /dev/sdb, /dev/sdc" in text


def test_multipath_refuses_user_friendly_names(tmp_path: Path) -> None:
    done, said = role_play(tmp_path, "multipath", "multipath_preflight,multipath_configure", *CHECK, **LUNS,
                           multipath_defaults={"user_friendly_names": True})
    assert done.returncode != 0
    refusal = said[MULTIPATH_REFUSAL]
    assert "multipath_defaults.user_friendly_names must stay no" in refusal["msg"]


def test_mdadm_conf_holds_the_arrays_by_uuid_and_the_mail_address(tmp_path: Path) -> None:
    """The template as the role renders it, with the ARRAY lines mdadm --detail --scan gave on a Debian 12 host."""
    scan = ("ARRAY /dev/md0 metadata=1.2 name=metal1:md0 UUID=6b1c4d0e:2a1f3c5d:9e8f7a6b:5c4d3e2f\n"
            "ARRAY /dev/md1 metadata=1.2 spares=1 name=metal1:md1 UUID=0f1e2d3c:4b5a6978:8796a5b4:c3d2e1f0\n")
    playbook = tmp_path / "mdadm.yml"
    render = {"name": "render",
              "ansible.builtin.set_fact": {"rendered": "{{ lookup('ansible.builtin.template', src) }}"},
              "vars": {"raid_mail_to": "storage@example.net", "__raid_names": ["md0", "md1"],
                       "__raid_array_lines": scan.splitlines(),
                       "src": str(ROOT / "roles/raid/templates/mdadm.conf.j2")}}
    show = {"name": "show", "ansible.builtin.debug": {"var": "rendered"}}
    playbook.write_text(localhost_play("mdadm.conf", [render, show]), encoding="utf-8")
    done, report = run_playbook(playbook)
    assert done.returncode == 0, done.stdout[-3000:]
    text = report["plays"][0]["tasks"][1]["hosts"]["localhost"]["rendered"]
    assert lines(text) == ["HOMEHOST <system>", "MAILADDR storage@example.net", *scan.splitlines()]


def test_bonding_verify_fails_on_tier3_checks_finding_about_the_bond(tmp_path: Path) -> None:
    """The verify step, run for real against an inventory that declares bond0 over the two test links on localhost (a
    metal host, connection local): this machine has no bond, and tier3 check (bonding, ip-link, lldp and the
    declared against observed rules) says so about bond0; the role fails naming it."""
    inventory = tmp_path / "inventory"
    shutil.copytree(FIXTURES / "inventories" / "healthy", inventory)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text(encoding="utf-8"))
    hosts["all"]["children"]["metal"] = {"hosts": {"localhost": None}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    declared = bonds("active-backup", *MEMBERS)["tier3_host"]["bonds"]
    for member, switch in zip(declared[0]["members"], ("sw1", "sw2"), strict=True):
        member["switch"] = switch  # the fixture site's switches
    (inventory / "host_vars" / "localhost.yml").write_text(yaml.safe_dump({
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "tier3_host": {"site": "site1", "rack": "r1", "bonds": declared}}), encoding="utf-8")
    playbook = tmp_path / "verify.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Verify", "hosts": "metal", "gather_facts": False, "tasks": [
        {"name": "bonding", "ansible.builtin.include_role": {"name": "tier3.dc.bonding"}, "tags": ["always"]}]}]),
        encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
           "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(playbook), "--tags", "bonding_verify"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode != 0
    report = json.loads(done.stdout[done.stdout.find("{"):])
    said = {t["task"]["name"].removeprefix("tier3.dc.bonding : "): t["hosts"].get("localhost", {})
            for t in report["plays"][0]["tasks"]}
    check = said["Bonding | tier3 check - the bonds, links and LLDP neighbours, against the inventory"]
    assert {"bonding", "ip-link", "lldp", "topology"} <= set(check["kinds"])
    failed = said["Bonding | Every bond is up with its members; tier3 check finds nothing wrong with them"]
    assert "bond0: no such bond; bond0: t3hwtest0 is in no bond; bond0: t3hwtest1 is in no bond" in failed["msg"]
    ours = [f for f in check["findings"] if f["status"] in ("fail", "error")
            and (f["subject"].split(":")[0] in ("bond0", *MEMBERS) or f["subject"].startswith("localhost:"))]
    assert ours
    assert all(f"{f['rule_id']} {f['subject']}: " in failed["msg"] for f in ours)
