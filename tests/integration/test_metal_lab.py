"""The metal lab for real (marker ``lab``: boots two QEMU VMs, a few minutes): ``tier3 lab up --metal-only``
into a scratch inventory, Ansible reaches both VMs, each NIC's LLDP neighbour is the switch the inventory
declares, the LUN has two paths, faults show in the guest and at the BMC and heal, and
``tier3 lab down --metal-only`` leaves no VM, namespace, link or emulator. The containers are not touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.cli import main
from tier3.inspect import InspectOptions
from tier3.inspect.bmc import KINDS
from tier3.lab import guest, switches
from tier3.lab import secrets as lab_secrets
from tier3.lab.control import lab_cache_dir
from tier3.lab.metal import METAL, metal, state_dir

pytestmark = pytest.mark.lab
ROOT = Path(__file__).resolve().parents[2]
ANSIBLE = Path(sys.executable).parent / "ansible"


@pytest.fixture(scope="module")
def metal_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    project = tmp_path_factory.mktemp("project")
    (project / "inventory").mkdir()
    (project / "ansible.cfg").write_text("[defaults]\n")
    target = project / "inventory" / "lab"
    assert main(["lab", "up", "--metal-only", "--inventory", str(target)]) == 0
    try:
        yield target
    finally:
        assert main(["lab", "down", "--metal-only", "--inventory", str(target)]) == 0


def neighbours(host: str) -> dict[str, tuple[str, str]]:
    """Each guest NIC's LLDP neighbour: interface -> (chassis name, port id)."""
    out = guest.run(metal(host), "lldpctl -f json").stdout
    interfaces = json.loads(out)["lldp"]["interface"]
    found: dict[str, tuple[str, str]] = {}
    for entry in interfaces if isinstance(interfaces, list) else [interfaces]:
        for name, seen in entry.items():
            found[name] = (next(iter(seen["chassis"])), seen["port"]["id"]["value"])
    return found


def wait_for(probe: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(2)


def test_ansible_reaches_both_vms(metal_lab: Path) -> None:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    ping = subprocess.run([str(ANSIBLE), "-i", str(metal_lab), "metal", "-m", "ping", "-o"], capture_output=True,
                          text=True, check=False, env=env)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert ping.stdout.count("SUCCESS") == len(METAL)


def test_each_nic_reaches_the_switch_the_inventory_declares(metal_lab: Path) -> None:
    for spec in METAL:
        declared = yaml.safe_load((metal_lab / "host_vars" / f"{spec.name}.yml").read_text())["tier3_host"]
        wanted = {m["interface"]: (m["switch"], m["port"]) for m in declared["bonds"][0]["members"]}
        assert wait_for(lambda name=spec.name, want=wanted: neighbours(name) == want, 90), neighbours(spec.name)


def test_the_lun_has_two_paths_and_the_declared_wwid(metal_lab: Path) -> None:
    for spec in METAL:
        # before roles/multipath: find_multipaths is strict, so the WWID is added by hand
        out = guest.run(spec, "multipath -a /dev/sda >/dev/null; multipath -r >/dev/null; multipath -ll").stdout
        assert out.startswith(spec.lun_wwid + " ")
        assert out.count("active ready running") == 2


def test_nic_moved_shows_in_lldp_and_heals(metal_lab: Path) -> None:
    assert main(["lab", "fault", "metal2", "nic-moved"]) == 0
    assert wait_for(lambda: neighbours("metal2").get("enp0s4", ("",))[0] == "lab-sw-b", 60)
    assert main(["lab", "heal", "metal2", "nic-moved"]) == 0
    # the old neighbour ages out of LLDP (its TTL is four advertisements)
    assert wait_for(lambda: neighbours("metal2").get("enp0s4") == ("lab-sw-a", "swp3"), 60)


def test_psu_other_pdu_shows_at_the_bmc_and_heals(metal_lab: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = str(state_dir() / "bmc" / "tls" / "ca.pem")

    def pdus() -> set[tuple[str, str]]:
        report = KINDS["redfish"].inspect("https://127.0.0.1:8441", InspectOptions(ca_file=ca))
        return {(s["id"], s["pdu"]) for s in report["supplies"] if s["schema"] == "PowerSubsystem"}

    kept = metal_lab / "group_vars" / "all" / "secrets.yml"
    secrets = lab_secrets.unseal(lab_secrets.read(kept), lab_secrets.vault_password(lab_cache_dir(metal_lab)), kept)
    monkeypatch.setenv("TIER3_BMC_USERNAME", "tier3-lab")
    monkeypatch.setenv("TIER3_BMC_PASSWORD", secrets["vault_tier3_bmc_password"])
    assert pdus() == {("PSU1", "lab-r01-pdu-a"), ("PSU2", "lab-r01-pdu-b")}
    assert main(["lab", "fault", "metal1", "psu-other-pdu"]) == 0
    assert pdus() == {("PSU1", "lab-r01-pdu-a"), ("PSU2", "lab-r01-pdu-a")}
    assert main(["lab", "heal", "metal1", "psu-other-pdu"]) == 0
    assert pdus() == {("PSU1", "lab-r01-pdu-a"), ("PSU2", "lab-r01-pdu-b")}


def test_zz_down_leaves_nothing(metal_lab: Path) -> None:
    assert main(["lab", "down", "--metal-only", "--inventory", str(metal_lab)]) == 0
    assert switches.namespaces() == []
    assert switches.leftover_links() == []
    assert not state_dir().exists()
    assert not metal_lab.exists()  # no container of the lab runs here: the inventory goes too
    assert main(["lab", "down", "--metal-only", "--inventory", str(metal_lab)]) == 0  # again: nothing to do
