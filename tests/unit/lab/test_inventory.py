"""inventory/lab generated from the host table: a normal Ansible inventory that validates clean."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tier3.cli import main
from tier3.lab import inventory
from tier3.lab.hosts import HOSTS, select
from tier3.model.topology import SERVICE_GROUPS


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    target = tmp_path / "lab"
    assert inventory.write(target, inventory.render())
    return target


def test_hosts_yml_groups_and_connection(generated: Path) -> None:
    data = yaml.safe_load((generated / "hosts.yml").read_text())
    groups = data["all"]["children"]["lab"]["children"]
    assert list(groups) == list(SERVICE_GROUPS)  # the model's one list, in its order
    assert groups["archive"] == groups["firewall"] == {}  # present while empty: plays may name them
    assert groups["mx"]["hosts"] == {"mx1": {"ansible_host": "tier3-lab-mx1"},
                                     "mx2": {"ansible_host": "tier3-lab-mx2"}}
    main_vars = yaml.safe_load((generated / "group_vars/all/main.yml").read_text())
    assert main_vars["ansible_connection"] == "containers.podman.podman"
    assert main_vars["baseline_chrony_sources"] == []


def test_every_file_says_it_is_generated_and_the_topology_says_it_is_imaginary(generated: Path) -> None:
    for path in generated.rglob("*.yml"):
        assert path.read_text().startswith(inventory.HEADER), path
    assert "imaginary" in (generated / "group_vars/all/topology.yml").read_text()


def test_host_vars_place_each_host_on_two_feeds_and_two_switches(generated: Path) -> None:
    for host in HOSTS:
        tier3_host = yaml.safe_load((generated / f"host_vars/{host.name}.yml").read_text())["tier3_host"]
        assert tier3_host["rack"] == host.rack
        assert {ps["pdu"] for ps in tier3_host["power_supplies"]} == {f"{host.rack}-pdu-a", f"{host.rack}-pdu-b"}
        (bond,) = tier3_host["bonds"]
        assert len({m["switch"] for m in bond["members"]}) == 2


def test_vips_for_mx_and_imap(generated: Path) -> None:
    topo = yaml.safe_load((generated / "group_vars/all/topology.yml").read_text())
    vips = {v["name"]: v for v in topo["tier3_vips"]}
    assert [m["host"] for m in vips["lab-mx-relay"]["members"]] == ["mx1", "mx2"]
    assert [m["host"] for m in vips["lab-imap"]["members"]] == ["imap1", "imap2"]


def test_tier3_validate_is_clean(generated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(generated)]) == 0
    assert "8 hosts, 1 site: clean" in capsys.readouterr().out


def test_a_partial_lab_is_reported_by_the_rules(tmp_path: Path) -> None:
    inventory.write(tmp_path / "lab", inventory.render(select(["mx1", "lb1"])))
    assert main(["validate", str(tmp_path / "lab")]) == 1  # one mx, one lb: single points of failure


def test_write_is_idempotent_and_replaces_stale_files(generated: Path) -> None:
    assert not inventory.write(generated, inventory.render())
    (generated / "host_vars" / "old.yml").write_text("---\n")
    assert inventory.write(generated, inventory.render())
    assert not (generated / "host_vars" / "old.yml").exists()
