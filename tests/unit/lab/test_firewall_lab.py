"""The firewall pair's pure parts: its table, the sshd and keepalived configuration it renders, the notify
script, the inventory it adds to inventory/lab (loaded by the project's own loader and judged by every
rule), and the plays that must leave group firewall alone. Nothing here starts a namespace or a daemon
(tests/integration/test_firewall_lab.py does)."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.errors import LabError
from tier3.lab import firewall, inventory, secrets
from tier3.lab.backends import BACKENDS
from tier3.lab.hosts import FIREWALL_HOSTS, HOSTS, METAL_HOSTS, select
from tier3.lab.metal import GROUP as METAL_GROUP
from tier3.lab.metal import SWITCHES as METAL_SWITCHES
from tier3.lab.secrets import FW_KEY_PASSPHRASE_VAR, NAMES, SECRETS_FILE, VAULTED, LabSecrets
from tier3.schema import load_topology
from tier3.validate import failed, validate

ROOT = Path(__file__).resolve().parents[3]
STATE = Path("/srv/project/.cache/lab/firewall")
FIXED = LabSecrets({name: f"secret-of-{name}" for name in NAMES})


def write(tmp_path: Path, hosts: tuple[Any, ...], lab_secrets: LabSecrets = FIXED) -> Path:
    target = tmp_path / "lab"
    inventory.write(target, inventory.render(hosts, secrets=lab_secrets, pki_ca_dir=tmp_path / "pki",
                                             firewall_state=STATE))
    return target


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


# ---- the table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "rack", "priority", "port", "addresses"), [
    ("fw1", "lab-r01", 150, 2231, ("10.89.41.2/24", "10.89.42.2/24", "10.89.43.1/24", "10.89.40.2/24")),
    ("fw2", "lab-r02", 100, 2232, ("10.89.41.3/24", "10.89.42.3/24", "10.89.43.2/24", "10.89.40.3/24")),
])
def test_members_as_the_lead_names_them(name: str, rack: str, priority: int, port: int,
                                        addresses: tuple[str, ...]) -> None:
    fw = firewall.member(name)
    assert (fw.rack, fw.priority, fw.ssh_port, fw.namespace) == (rack, priority, port, f"tier3-lab-{name}")
    assert fw.addresses == tuple(zip(("out0", "in0", "sync0", "mgmt0"), addresses, strict=True))


def test_every_address_is_on_its_segment_and_used_once() -> None:
    networks = {s.interface: ipaddress.ip_network(s.network) for s in firewall.SEGMENTS}
    seen = []
    for fw in firewall.MEMBERS:
        for interface, address in fw.addresses:
            assert ipaddress.ip_interface(address).ip in networks[interface]
            seen.append(address.split("/")[0])
    for host in firewall.END_HOSTS:
        net = ipaddress.ip_network(firewall.segment(host.segment).network)
        assert all(ipaddress.ip_interface(a).ip in net for a in host.addresses)
        assert ipaddress.ip_address(host.gateway) in net
        seen += [a.split("/")[0] for a in host.addresses]
    seen += [vip.split("/")[0] for vip, _ in firewall.VIPS]
    assert len(seen) == len(set(seen))
    assert [h.gateway for h in firewall.END_HOSTS] == ["10.89.41.1", "10.89.42.1"]  # the VIPs


def test_names_fit_the_kernel() -> None:
    """Interface names are at most 15 bytes (IFNAMSIZ - 1): every switch port and interface fits."""
    owners = [(fw.name, i) for fw in firewall.MEMBERS for i, _ in fw.addresses]
    owners += [(h.name, "eth0") for h in firewall.END_HOSTS]
    assert max(len(firewall.port_name(o, i)) for o, i in owners) <= 15
    assert firewall.NAMESPACES == ("tier3-lab-fwsw", "tier3-lab-fw1", "tier3-lab-fw2", "tier3-lab-fwout",
                                   "tier3-lab-fwin")


def test_unknown_names_are_lab_errors() -> None:
    with pytest.raises(LabError, match="no member of the firewall pair"):
        firewall.member("fw3")
    with pytest.raises(LabError, match="no host of the firewall lab"):
        firewall.namespace_of("client")
    assert firewall.namespace_of("fwout") == "tier3-lab-fwout"


def test_the_hosts_table_and_the_backend_table_know_the_pair() -> None:
    assert [(h.name, h.groups, h.backend, h.rack, h.instance) for h in FIREWALL_HOSTS] == [
        ("fw1", ("firewall",), "firewall", "lab-r01", "tier3-lab-fw1"),
        ("fw2", ("firewall",), "firewall", "lab-r02", "tier3-lab-fw2")]
    assert BACKENDS["firewall"].name == "firewall"
    assert select() == HOSTS  # the CLI asks for the pair with the containers (firewall=True)
    assert select(firewall=True) == HOSTS + FIREWALL_HOSTS
    assert select(containers=False, firewall=True) == FIREWALL_HOSTS
    assert select(["fw2", "mx1"]) == (HOSTS[0], FIREWALL_HOSTS[1])


# ---- what each member runs ---------------------------------------------------------------------------


def directives(text: str) -> dict[str, str]:
    pairs = (line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return dict(pairs)


def test_sshd_config_key_login_for_root_into_the_namespace() -> None:
    conf = directives(firewall.sshd_config(firewall.member("fw2"), STATE))
    assert conf["Port"] == "2232"
    assert conf["ListenAddress"] == "127.0.0.1"
    assert conf["HostKey"] == f"{STATE}/fw2/ssh_host_ed25519_key"
    assert conf["AuthorizedKeysFile"] == f"{STATE}/fw2/authorized_keys"
    assert (conf["PermitRootLogin"], conf["PasswordAuthentication"], conf["KbdInteractiveAuthentication"],
            conf["AllowUsers"]) == ("prohibit-password", "no", "no", "root")
    assert conf["ForceCommand"] == f"/bin/bash {firewall.FILES}/fw-session fw2 tier3-lab-fw2 {STATE}/fw2"


def test_keepalived_config_one_instance_unicast_both_vips() -> None:
    text = firewall.keepalived_config(firewall.member("fw1"), STATE)
    words = text.split()
    assert text.count("vrrp_instance ") == 1
    for key, value in (("priority", "150"), ("version", "3"), ("advert_int", "0.3"), ("interface", "sync0"),
                       ("virtual_router_id", "41"), ("unicast_src_ip", "10.89.43.1")):
        assert words[words.index(key) + 1] == value
    assert "unicast_peer {\n        10.89.43.2\n    }" in text
    assert "10.89.41.1/24 dev out0\n        10.89.42.1/24 dev in0" in text
    assert f'notify "/bin/sh {firewall.FILES}/fw-notify {STATE}/fw1"' in text
    assert "$" not in text  # every placeholder filled


def test_the_takeover_is_under_two_seconds() -> None:
    """VRRPv3: the backup declares the master down after 3 adverts plus its skew ((256 - priority) / 256)."""
    backup = min(firewall.MEMBERS, key=lambda m: m.priority)
    assert 3 * firewall.ADVERT_SECONDS + (256 - backup.priority) / 256 * firewall.ADVERT_SECONDS < 2.0


def test_the_notify_script_writes_the_state_whole(tmp_path: Path) -> None:
    """fw-notify as keepalived calls it (STATE_DIR, then TYPE NAME STATE PRIORITY): one line, no temp file left."""
    for state in ("BACKUP", "MASTER", "FAULT"):
        subprocess.run(["/bin/sh", str(firewall.FILES / "fw-notify"), str(tmp_path), "INSTANCE", "lab-fw", state,
                        "150"], check=True)
        assert (tmp_path / "vrrp_state").read_text() == f"{state}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["vrrp_state"]


def test_argv_and_netmiko_params() -> None:
    fw = firewall.member("fw1")
    assert firewall.sshd_argv(fw, STATE) == ["/usr/sbin/sshd", "-D", "-e", "-f", f"{STATE}/fw1/sshd_config"]
    assert firewall.keepalived_argv(fw, STATE)[:5] == ["ip", "netns", "exec", "tier3-lab-fw1", "keepalived"]
    assert firewall.listener_argv(firewall.END_HOSTS[1])[-4:] == ["tcp:25", "tcp:587", "tcp:993", "udp:33434"]
    assert firewall.netmiko_params("fw2", "pw", STATE) == {
        "device_type": "linux", "host": "127.0.0.1", "port": 2232, "username": "root",
        "key_file": f"{STATE}/id_ed25519", "passphrase": "pw", "use_keys": True, "allow_agent": False}


def test_the_state_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(firewall.STATE_ENV, str(tmp_path))
    assert firewall.state_dir() == tmp_path
    assert firewall.paths("fw1").vrrp_state == tmp_path / "fw1" / "vrrp_state"


# ---- inventory/lab -----------------------------------------------------------------------------------


def test_hosts_yml_gives_netmiko_what_it_needs(tmp_path: Path) -> None:
    target = write(tmp_path, HOSTS + FIREWALL_HOSTS)
    groups = load(target / "hosts.yml")["all"]["children"]["lab"]["children"]
    assert groups["firewall"]["hosts"] == {
        name: {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "root",
               "tier3_fw_key_file": f"{STATE}/id_ed25519",
               "tier3_fw_key_passphrase": "{{ vault_tier3_fw_key_passphrase }}"}
        for name, port in (("fw1", 2231), ("fw2", 2232))}
    declared = load(target / "host_vars" / "fw1.yml")
    assert declared["tier3_host"]["rack"] == "lab-r01"
    assert declared["tier3_check_hardware"] is False


def test_firewall_yml_declares_the_pair_and_its_policy(tmp_path: Path) -> None:
    data = load(write(tmp_path, HOSTS + FIREWALL_HOSTS) / "group_vars" / "all" / "firewall.yml")
    assert data["tier3_firewall_pairs"] == [{
        "name": "lab-fw", "platform": "linux", "members": ["fw1", "fw2"], "policy": "lab-edge",
        "management": {"zone": "mgmt", "networks": ["10.89.40.0/24"]},
        "ha": {"zone": "sync", "addresses": ["10.89.43.1", "10.89.43.2"], "state_sync": False}}]
    policy = data["tier3_firewall_policies"][0]
    assert [r["name"] for r in policy["rules"]] == ["admin-ssh", "ha-vrrp", "block-bad", "mail-in", "traceroute",
                                                    "inside-out"]


def test_the_loader_reads_the_pair_and_every_rule_passes(tmp_path: Path) -> None:
    """The secrets as ``lab up`` keeps them (the passphrase a !vault value): no schema error, no failed rule."""
    kept = secrets.load_or_create(tmp_path / "lab" / SECRETS_FILE, tmp_path / "cache")
    assert FW_KEY_PASSPHRASE_VAR in VAULTED
    target = write(tmp_path, HOSTS + FIREWALL_HOSTS, kept)
    assert "vault_tier3_fw_key_passphrase: !vault |" in (target / SECRETS_FILE).read_text()
    topology = load_topology(target)
    assert [(p.name, p.members) for p in topology.firewall_pairs] == [("lab-fw", ("fw1", "fw2"))]
    assert [p.name for p in topology.firewall_policies] == ["lab-edge"]
    assert failed(validate(target).findings) == []


def test_the_loader_reads_the_lab_with_every_backend(tmp_path: Path) -> None:
    """Containers, metal VMs and the firewall pair in one inventory/lab: the loader reads the containers'
    service hosts (the peers have no topology), every metal host and member of the pair in its group, the
    metal hosts' real switches beside the imaginary ones, and the pair."""
    topology = load_topology(write(tmp_path, HOSTS + METAL_HOSTS + FIREWALL_HOSTS))
    declared = [h for h in HOSTS if h.is_service_host] + [*METAL_HOSTS, *FIREWALL_HOSTS]
    assert sorted(h.name for h in topology.hosts) == sorted(h.name for h in declared)
    assert [h.name for h in topology.group(METAL_GROUP)] == [h.name for h in METAL_HOSTS]
    assert [h.name for h in topology.group(firewall.GROUP)] == [h.name for h in FIREWALL_HOSTS]
    switches = {sw.name for site in topology.sites for sw in site.switches}
    assert {sw.name for sw in METAL_SWITCHES} <= switches
    assert [(p.name, p.members) for p in topology.firewall_pairs] == [(firewall.PAIR, ("fw1", "fw2"))]


def test_a_lab_without_the_pair_declares_none(tmp_path: Path) -> None:
    target = write(tmp_path, HOSTS)
    assert load(target / "group_vars" / "all" / "firewall.yml") == {}
    assert "hosts" not in (load(target / "hosts.yml")["all"]["children"]["lab"]["children"]["firewall"] or {})


# ---- no play on group firewall -----------------------------------------------------------------------


def plays() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(path.read_text()) or []:
            if isinstance(play, dict) and "hosts" in play:
                out.append((path.name, str(play["hosts"])))
    return out


def test_no_play_reaches_group_firewall() -> None:
    """A play whose pattern would take every host excludes the pair (its SSH is a shell on this machine)."""
    broad = [(name, pattern) for name, pattern in plays() if pattern.split(":")[0] == "all"]
    assert broad
    assert all("!firewall" in pattern.split(":") for _, pattern in broad), broad
    assert not [p for _, p in plays() if "firewall" in p.split(":")]  # nor does one name it


def test_the_site_step_of_check_expects_no_evidence_from_the_pair() -> None:
    site = next(p for p in yaml.safe_load((ROOT / "playbooks" / "check.yml").read_text()) if p["hosts"] == "localhost")
    hosts = site["tasks"][0]["tier3.dc.tier3_check"]["hosts"]
    assert "difference(['localhost'] + groups['firewall'] | default([]))" in hosts
