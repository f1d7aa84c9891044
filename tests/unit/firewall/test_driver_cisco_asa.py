"""The Cisco ASA driver against the recorded-session peer (a mock of an ASA failover pair, tests/support/fwpeer,
served over real SSH to Netmiko's real cisco_asa driver), and its parsers on the recordings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fwpeer.base import Cluster, Faults, recording
from fwpeer.cisco_asa import AsaModel
from fwpeer.server import Served, netmiko_params, serve_pair
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import ReadTimeout

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError, HaState
from tier3.firewall.platforms.cisco_asa import CiscoAsa, managed_lines, parse_show_failover, rejected
from tier3.firewall.render.cisco_asa import render
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"


def rendered(name: str) -> str:
    path = POLICIES / f"{name}.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return render(build_policy(doc["policy"], str(path), "policy"), firewall_pair(doc["pair"], str(path), "pair"))


SAVED, INTENDED = rendered("edge"), rendered("corners")


@dataclass
class Pair:
    models: tuple[AsaModel, AsaModel]
    faults: tuple[Faults, Faults]
    served: Served

    def connect(self, index: int) -> BaseConnection:
        return ConnectHandler(**netmiko_params("cisco_asa", self.served[index], secret="enable-secret"))

    def running(self, index: int) -> str:
        return "".join(f"{line}\n" for line in self.models[index].running)


@pytest.fixture
def pair() -> Iterator[Pair]:
    cluster, faults = Cluster(), (Faults(), Faults())
    models = (AsaModel(0, cluster, faults[0], SAVED.splitlines()), AsaModel(1, cluster, faults[1], SAVED.splitlines()))
    with serve_pair(models) as served:
        yield Pair(models, faults, served)


DRIVER = CiscoAsa(read_timeout=2.0)


@pytest.mark.parametrize(("name", "unit", "mate", "expected"), [
    ("show_failover_active", "Primary", "Secondary", HaState(ACTIVE, "Standby Ready", None,
                                                             "This host: Primary - Active")),
    ("show_failover_standby", "Secondary", "Primary", HaState(STANDBY, "Active", None,
                                                              "This host: Secondary - Standby Ready")),
])
def test_parse_show_failover(name: str, unit: str, mate: str, expected: HaState) -> None:
    assert parse_show_failover(recording("cisco_asa", name, unit=unit, mate=mate)) == expected


def test_parse_show_failover_off_and_garbage() -> None:
    assert parse_show_failover("Failover Off\nFailover unit Primary\n").role == UNKNOWN
    assert parse_show_failover("ERROR: % Invalid input detected at '^' marker.").role == UNKNOWN


def test_rejected_names_the_refused_command() -> None:
    output = "fw1(config)# access-list x extended bogus\n" + recording(
        "cisco_asa", "invalid_input", line="access-list x extended bogus", marker="  ")
    assert rejected(output) == "access-list x extended bogus: ERROR: % Invalid input detected at '^' marker."
    assert rejected("fw1(config)# object network a\nfw1(config-network-object)# ") is None


def test_managed_lines_keep_only_our_service_lines() -> None:
    assert managed_lines(["object network a\n host 192.0.2.1\n",
                          "service password-recovery\nservice resetinbound interface out0\n"]) == (
        "object network a\n host 192.0.2.1\nservice resetinbound interface out0\n")


def test_ha_roles_of_both_members_follow_failover(pair: Pair) -> None:
    for active in (0, 1):
        pair.models[0].cluster.active = active
        roles = []
        for index in (0, 1):
            conn = pair.connect(index)
            roles.append(DRIVER.ha_state(conn).role)
            conn.disconnect()
        assert roles == ([ACTIVE, STANDBY] if active == 0 else [STANDBY, ACTIVE])


def test_running_reads_back_the_render(pair: Pair) -> None:
    conn = pair.connect(0)
    try:
        assert DRIVER.running(conn) == SAVED
    finally:
        conn.disconnect()


def test_push_and_confirm_replicate_and_save_in_one_session(pair: Pair) -> None:
    conn = pair.connect(0)
    try:
        DRIVER.push(conn, INTENDED, SAVED, 300)
        assert DRIVER.running(conn) == INTENDED
        assert pair.models[0].startup == SAVED.splitlines()  # not saved before the confirm
        DRIVER.confirm(conn)
    finally:
        conn.disconnect()
    assert pair.running(0) == pair.running(1) == INTENDED  # failover replicated it
    assert pair.models[1].startup == INTENDED.splitlines()
    assert pair.served.sessions == (1, 0)


def test_the_standby_refuses_a_push(pair: Pair) -> None:
    conn = pair.connect(1)
    try:
        with pytest.raises(DeviceError, match="Configuration Replication is NOT performed"):
            DRIVER.push(conn, INTENDED, SAVED, 300)
    finally:
        conn.disconnect()
    assert pair.running(1) == pair.running(0) == SAVED


def test_a_rejected_line_leaves_the_device_as_before(pair: Pair) -> None:
    pair.faults[0].reject = "wan-reject_src"
    conn = pair.connect(0)
    try:
        with pytest.raises(DeviceError, match=r"^push: object-group network wan-reject_src: ERROR: % Invalid"):
            DRIVER.push(conn, INTENDED, SAVED, 300)
        assert DRIVER.running(conn) == SAVED
    finally:
        conn.disconnect()
    assert pair.running(1) == SAVED
    assert pair.served.sessions == (1, 0)


def test_a_dropped_session_leaves_the_push_unsaved_until_rollback(pair: Pair) -> None:
    pair.faults[0].drop_after = 10
    conn = pair.connect(0)
    with pytest.raises(ReadTimeout):  # the workflow reports it as a session lost
        DRIVER.push(conn, INTENDED, SAVED, 300)
    conn.disconnect()
    pair.models[0].expire()  # an ASA has no revert timer: nothing happens
    assert pair.running(0) not in (SAVED, INTENDED)
    assert pair.models[0].startup == SAVED.splitlines()
    pair.faults[0].drop_after = None
    conn = pair.connect(0)
    try:
        DRIVER.rollback(conn, SAVED)
    finally:
        conn.disconnect()
    assert pair.running(0) == pair.running(1) == SAVED


def test_rollback_after_a_push(pair: Pair) -> None:
    conn = pair.connect(0)
    try:
        DRIVER.push(conn, INTENDED, SAVED, 300)
        DRIVER.rollback(conn, SAVED)
        assert DRIVER.running(conn) == SAVED
    finally:
        conn.disconnect()
    assert "service resetinbound" not in pair.running(1)  # the intended policy's resets are gone too


def test_a_failed_write_memory_is_a_confirm_error(pair: Pair) -> None:
    pair.faults[0].fail_commit = True
    conn = pair.connect(0)
    try:
        DRIVER.push(conn, INTENDED, SAVED, 300)
        with pytest.raises(DeviceError, match=r"^confirm: %Error writing disk0:/.private/startup-config"):
            DRIVER.confirm(conn)
    finally:
        conn.disconnect()
    assert pair.models[0].startup == SAVED.splitlines()
