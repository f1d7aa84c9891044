"""The fault drivers: one per Ansible connection, the command lines they build, what they read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from drill_inventory import GROUP_VARS

from tier3.drill import DrillError, site_from_vars
from tier3.drill.faults import (
    DRIVERS,
    KILL_UNITS,
    AnsibleDriver,
    Drivers,
    PodmanDriver,
    ansible_result,
    container_addresses,
    driver_for,
)
from tier3.drill.inventory import Templater
from tier3.drill.site import DrillSite, Host

GROUPS = {"all": ["mx1", "mx2", "imap1", "imap2", "lb1", "lb2"], "mx": ["mx1", "mx2"], "imap": ["imap1", "imap2"],
          "lb": ["lb1", "lb2"]}


def site_with(connection: dict[str, str | None]) -> DrillSite:
    hostvars: dict[str, dict[str, Any]] = {}
    for host in GROUPS["all"]:
        own = {**GROUP_VARS, "ansible_host": f"t3drill-unit-{host}"}
        if host in connection:
            own["ansible_connection"] = connection[host]
            if connection[host] is None:
                del own["ansible_connection"]
        hostvars[host] = own
    return site_from_vars("inv", hostvars, GROUPS, Templater(hostvars, "inv"), inventory=["inventory/prod"],
                          root=Path("/nonexistent"))


@pytest.mark.parametrize(("connection", "driver"), [
    ("containers.podman.podman", PodmanDriver),
    ("tier3.dc.podman", PodmanDriver),
    ("ssh", AnsibleDriver),
    ("ansible.builtin.ssh", AnsibleDriver),
    (None, AnsibleDriver),  # no ansible_connection: Ansible's default, ssh
])
def test_the_driver_is_chosen_by_the_connection(connection: str | None, driver: type) -> None:
    site = site_with({"lb1": connection})
    assert type(driver_for(site, site.hosts["lb1"])) is driver


def test_an_unknown_connection_is_bad_input_naming_the_host_and_key() -> None:
    site = site_with({"mx2": "community.general.lxc"})
    with pytest.raises(DrillError) as raised:
        driver_for(site, site.hosts["mx2"])
    assert raised.value.where == "mx2: ansible_connection"
    assert "no fault driver for connection 'community.general.lxc'" in raised.value.message
    assert "containers.podman.podman" in raised.value.hint


def test_podman_kills_and_restores_the_container_named_by_ansible_host() -> None:
    site = site_with({})
    driver, host = Drivers(site)("lb1")
    assert isinstance(driver, PodmanDriver)
    assert driver.kill_argv(host, "lb") == [["podman", "kill", "--signal", "KILL", "t3drill-unit-lb1"]]
    assert driver.restore_argv(host, "lb") == [["podman", "start", "t3drill-unit-lb1"]]
    assert driver.exec_argv(host, ["ip", "-j", "addr"]) == ["podman", "exec", "t3drill-unit-lb1", "ip", "-j", "addr"]
    assert driver.local


@pytest.mark.parametrize(("role", "units"), list(KILL_UNITS.items()))
def test_ssh_kills_the_service_not_the_machine(role: str, units: tuple[str, ...]) -> None:
    site = site_with({f"{role}1": "ssh"})
    driver, host = Drivers(site)(f"{role}1")
    assert isinstance(driver, AnsibleDriver)
    assert not driver.local
    kill = driver.kill_argv(host, role)
    assert [json.loads(argv[-1])["argv"] for argv in kill] == [
        ["systemctl", "kill", "--signal=SIGKILL", unit] for unit in units]
    assert kill[0][1:-1] == [f"{role}1", "-i", "inventory/prod", "--become", "-m", "ansible.builtin.command", "-a"]
    assert [json.loads(argv[-1])["argv"] for argv in driver.restore_argv(host, role)] == [
        ["systemctl", "start", unit] for unit in reversed(units)]


def test_ssh_refuses_a_role_without_a_service() -> None:
    site = site_with({"mx1": "ssh"})
    driver, host = Drivers(site)("mx1")
    with pytest.raises(DrillError, match="no service to kill for role 'dns'"):
        driver.kill_argv(host, "dns")


def test_drivers_are_made_once_per_kind() -> None:
    site = site_with({"lb1": "ssh", "lb2": "ansible.builtin.ssh"})
    drivers = Drivers(site)
    assert drivers("lb1")[0] is drivers("lb2")[0]
    assert drivers("mx1")[0] is drivers("mx2")[0]
    assert drivers("lb1")[0] is not drivers("mx1")[0]


def test_every_driver_class_is_in_the_table() -> None:
    assert set(DRIVERS.values()) == {PodmanDriver, AnsibleDriver}


# the ansible.posix.json callback's report of one ad-hoc command (its shape, trimmed)
def _callback(host: str, task: dict[str, Any]) -> str:
    return json.dumps({"plays": [{"play": {"name": "Ansible Ad-Hoc"}, "tasks": [{"hosts": {host: task}}]}],
                       "stats": {host: {}}})


@pytest.mark.parametrize(("task", "rc", "stdout", "stderr"), [
    ({"changed": True, "rc": 0, "stdout": "[]", "stderr": ""}, 0, "[]", ""),
    ({"changed": True, "failed": True, "rc": 5, "stdout": "", "stderr": "Failed to kill unit haproxy.service"}, 5, "",
     "Failed to kill unit haproxy.service"),
    ({"unreachable": True, "msg": "Failed to connect to the host via ssh"}, 255, "",
     "Failed to connect to the host via ssh"),
    ({"failed": True, "msg": "Missing sudo password"}, 1, "", "Missing sudo password"),
])
def test_ansible_results_are_the_commands_own(task: dict[str, Any], rc: int, stdout: str, stderr: str) -> None:
    result = ansible_result(_callback("lb1", task), "lb1", 2)
    assert (result.rc, result.stdout, result.stderr) == (rc, stdout, stderr)


def test_no_json_from_ansible_is_a_failure() -> None:
    result = ansible_result("ERROR! the inventory is broken", "lb1", 1, "")
    assert not result.ok
    assert result.stderr == "ansible printed no JSON result"


def test_container_addresses_from_podman_inspect() -> None:
    inspected = [{"NetworkSettings": {"Networks": {"tier3-lab": {"IPAddress": "10.89.30.41"}, "other": {}}}}]
    assert container_addresses(inspected) == ["10.89.30.41"]
    assert container_addresses([{}]) == []
    assert container_addresses({"not": "a list"}) == []


def test_ssh_address_is_ansible_host() -> None:
    site = site_with({"lb1": "ssh"})
    driver, host = Drivers(site)("lb1")
    assert driver.address(host) == "t3drill-unit-lb1"
    assert host == Host("lb1", "ssh", "t3drill-unit-lb1", ("lb",))
