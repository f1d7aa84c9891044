"""inventory/lab with the metal hosts (`tier3 lab up --metal`): what it declares of each VM, loaded by the
project's own loader, and unchanged for a lab without them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tier3.lab import inventory, secrets
from tier3.lab.hosts import HOSTS, METAL_HOSTS, select
from tier3.lab.metal import METAL, metal
from tier3.lab.secrets import NAMES, SECRETS_FILE, LabSecrets
from tier3.schema import load_topology
from tier3.validate import failed, validate

FIXED = LabSecrets({name: f"secret-of-{name}" for name in NAMES})
STATE = Path("/srv/metal-state")


def write(tmp_path: Path, hosts: tuple[Any, ...], lab_secrets: LabSecrets = FIXED) -> Path:
    target = tmp_path / "lab"
    inventory.write(target, inventory.render(hosts, secrets=lab_secrets, pki_ca_dir=tmp_path / "pki",
                                             metal_state=STATE))
    return target


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_metal_hosts_are_reached_over_ssh_with_the_labs_key(tmp_path: Path) -> None:
    target = write(tmp_path, HOSTS + METAL_HOSTS)
    groups = load(target / "hosts.yml")["all"]["children"]["lab"]["children"]
    assert list(groups["metal"]["hosts"]) == ["metal1", "metal2"]
    assert groups["metal"]["hosts"]["metal1"] == {
        "ansible_host": "127.0.0.1", "ansible_port": 22101, "ansible_user": "root", "ansible_connection": "ssh",
        "ansible_ssh_private_key_file": f"{STATE}/ssh/id_ed25519",
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={STATE}/ssh/known_hosts -o StrictHostKeyChecking=yes "
                                   "-o IdentitiesOnly=yes",
    }
    assert groups["mx"]["hosts"]["mx1"] == {"ansible_host": "tier3-lab-mx1"}  # containers unchanged


def test_each_metal_host_declares_what_its_vm_has(tmp_path: Path) -> None:
    declared = load(write(tmp_path, HOSTS + METAL_HOSTS) / "host_vars" / "metal1.yml")
    host = declared["tier3_host"]
    assert (host["site"], host["rack"]) == ("lab", "lab-r01")
    assert host["bmc"] == {"address": "https://127.0.0.1:8441", "protocol": "redfish", "username": "tier3-lab",
                           "password": "{{ vault_tier3_bmc_password }}"}
    assert host["power_supplies"] == [
        {"name": "PSU1", "pdu": "lab-r01-pdu-a", "capacity_watts": 500, "outlet": 12},
        {"name": "PSU2", "pdu": "lab-r01-pdu-b", "capacity_watts": 500, "outlet": 12}]
    assert host["bonds"] == [{"name": "bond0", "mode": "active-backup", "members": [
        {"interface": "enp0s4", "switch": "lab-sw-a", "port": "swp1"},
        {"interface": "enp0s5", "switch": "lab-sw-b", "port": "swp2"}]}]
    assert host["raid_arrays"] == [{"name": "md0", "level": "raid1", "spares": [], "devices": [
        "/dev/disk/by-id/virtio-metal1-raid-a", "/dev/disk/by-id/virtio-metal1-raid-b"]}]
    assert host["multipath_luns"] == [{"name": "lun0", "wwid": "35001405000000001", "paths": [
        {"device": "/dev/sda", "fabric": "lab-fabric-a", "hba": "hba-a"},
        {"device": "/dev/sdb", "fabric": "lab-fabric-b", "hba": "hba-b"}]}]
    assert host.get("encrypted_volumes", [{"name": "data", "device": "/dev/disk/by-id/virtio-metal1-luks"}]) == [
        {"name": "data", "device": "/dev/disk/by-id/virtio-metal1-luks"}]
    assert declared["tier3_bmc_ca_file"] == f"{STATE}/bmc/tls/ca.pem"
    assert declared["tier3_lab_ipmi"]["address"] == "ipmi://127.0.0.1:6231"
    assert "tier3_lab_ipmi" not in load(tmp_path / "lab" / "host_vars" / "metal2.yml")


def test_the_loader_reads_the_metal_hosts_switches_and_fabrics(tmp_path: Path) -> None:
    topology = load_topology(write(tmp_path, HOSTS + METAL_HOSTS))
    site = topology.sites[0]
    assert {s.name for s in site.switches} >= {"lab-sw-a", "lab-sw-b"}
    assert {f.name for f in site.fabrics} == {"lab-fabric-a", "lab-fabric-b"}
    for spec in METAL:
        host = topology.host(spec.name)
        assert host is not None
        assert [m.switch for m in host.bonds[0].members] == ["lab-sw-a", "lab-sw-b"]
        assert [p.fabric for p in host.multipath_luns[0].paths] == ["lab-fabric-a", "lab-fabric-b"]
        assert host.multipath_luns[0].wwid == metal(spec.name).lun_wwid


def test_every_rule_passes_on_the_lab_with_its_metal_hosts(tmp_path: Path) -> None:
    """The secrets as ``lab up`` keeps them: the BMC password a !vault value, so T3-SEC-001 passes too."""
    kept = secrets.load_or_create(tmp_path / "lab" / SECRETS_FILE, tmp_path / "cache")
    target = write(tmp_path, HOSTS + METAL_HOSTS, kept)
    assert "vault_tier3_bmc_password: !vault |" in (target / SECRETS_FILE).read_text()
    assert failed(validate(target).findings) == []


def test_a_plain_bmc_password_in_the_lab_inventory_is_t3_sec_001(tmp_path: Path) -> None:
    """The rule follows the reference into secrets.yml: a BMC password kept there in plain text is blamed."""
    findings = failed(validate(write(tmp_path, HOSTS + METAL_HOSTS)).findings)
    assert sorted((f.rule_id, f.subject) for f in findings) == [("T3-SEC-001", "metal1"), ("T3-SEC-001", "metal2")]


def test_a_lab_without_metal_hosts_has_no_metal_group_switches_or_fabrics(tmp_path: Path) -> None:
    target = write(tmp_path, HOSTS)
    assert "metal" not in load(target / "hosts.yml")["all"]["children"]["lab"]["children"]
    site = load(target / "group_vars" / "all" / "topology.yml")["tier3_sites"][0]
    assert [s["name"] for s in site["switches"]] == ["lab-tor-r01", "lab-tor-r02"]
    assert "san_fabrics" not in site
    assert not (target / "host_vars" / "metal1.yml").exists()


def test_select_takes_the_metal_hosts_on_request() -> None:
    assert select() == HOSTS
    assert select(metal=True) == HOSTS + METAL_HOSTS
    assert select(metal=True, containers=False) == METAL_HOSTS
    assert select(["metal2", "mx1"]) == (HOSTS[0], METAL_HOSTS[1])  # table order
    assert {h.instance for h in METAL_HOSTS} == {"tier3-metal-metal1", "tier3-metal-metal2"}
    assert HOSTS[0].instance == "tier3-lab-mx1"
