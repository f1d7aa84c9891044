"""The Juniper SRX driver: its pure parsers on the recordings, and the driver over real SSH through Netmiko's real
juniper_junos driver against the recorded-session peer (a mock of an SRX chassis cluster, tests/support/fwpeer):
HA role of both nodes, read-back, push + confirm, a refused line, a failed commit, a lost session, the
commit-confirmed timer running out, rollback, and one session per push."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fwpeer.base import Cluster, Faults, recording
from fwpeer.juniper_junos import JunosModel
from fwpeer.server import Served, netmiko_params, serve_pair
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import ReadTimeout

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError
from tier3.firewall.platforms.juniper_junos import (
    JuniperJunos,
    confirm_minutes,
    managed_lines,
    parse_chassis_cluster_status,
    rejected,
)
from tier3.firewall.render.juniper_srx import render
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"
UNMANAGED = "set security screen ids-option untrust-screen icmp ping-death"  # ours to leave alone
SAVED = ["set security policies default-policy deny-all", "set security zones security-zone old interfaces ge-0/0/9.0"]
DRIVER = JuniperJunos()


def intended() -> str:
    docs = yaml.safe_load((POLICIES / "edge.yml").read_text(encoding="utf-8"))
    return render(build_policy(docs["policy"], "edge.yml", "policy"), firewall_pair(docs["pair"], "edge.yml", "pair"))


def saved() -> str:
    return "".join(f"{line}\n" for line in SAVED)


# --- pure parsers on the recordings -------------------------------------------------------------------------------


def status(node0: str, node1: str, context: str) -> str:
    text = recording("juniper_junos", "chassis_cluster_status", node0=node0, node1=node1)
    return f"{text}\n\n{context}\ntier3@srx> "


@pytest.mark.parametrize(("text", "role", "peer", "detail"), [
    (status("primary", "secondary", "{primary:node0}"), ACTIVE, "secondary", "node0: primary (redundancy group 0)"),
    (status("primary", "secondary", "{secondary:node1}"), STANDBY, "primary", "node1: secondary (redundancy group 0)"),
    (status("secondary", "primary", "{secondary:node0}"), STANDBY, "primary", "node0: secondary (redundancy group 0)"),
    (status("lost", "primary", "{primary:node1}"), ACTIVE, "lost", "node1: primary (redundancy group 0)"),
    (status("secondary-hold", "primary", "{secondary-hold:node0}"), STANDBY, "primary",
     "node0: secondary-hold (redundancy group 0)"),
    (status("disabled", "primary", "{disabled:node0}"), UNKNOWN, "primary", "node0: disabled (redundancy group 0)"),
    (status("primary", "secondary", ""), UNKNOWN, "", "no redundancy group 0 or node context in the output"),
    (recording("juniper_junos", "cluster_not_enabled"), UNKNOWN, "", "error: Chassis cluster is not enabled."),
])
def test_parse_chassis_cluster_status(text: str, role: str, peer: str, detail: str) -> None:
    state = parse_chassis_cluster_status(text)
    assert (state.role, state.peer, state.in_sync, state.detail) == (role, peer, None, detail)


def test_managed_lines_keep_the_owned_hierarchies_once_in_order() -> None:
    text = f"{UNMANAGED}\n{SAVED[1]}\n  {SAVED[0]}\n{SAVED[1]}\nset applications application a protocol tcp\n"
    assert managed_lines(text) == f"{SAVED[1]}\n{SAVED[0]}\nset applications application a protocol tcp\n"
    assert managed_lines("") == ""


def test_rejected_names_the_refused_line_with_its_error() -> None:
    sent = ["delete security zones", "set security zones security-zone a interfaces bogus0"]
    caret = recording("juniper_junos", "syntax_error", caret="            ^")
    output = f"tier3@srx# {sent[0]}\nwarning: statement not found\ntier3@srx# {sent[1]}\n{caret}\ntier3@srx# "
    assert rejected(output, sent) == f"{sent[1]}: syntax error."
    assert rejected(f"tier3@srx# {sent[0]}\nwarning: statement not found\n", sent) is None


@pytest.mark.parametrize(("seconds", "minutes"), [(1, 1), (60, 1), (61, 2), (300, 5), (0, 1), (10**9, 65535)])
def test_confirm_minutes(seconds: int, minutes: int) -> None:
    assert confirm_minutes(seconds) == minutes


# --- over SSH against the recorded-session peer (a mock of the cluster) -------------------------------------------


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def cluster(faults: Faults) -> Iterator[tuple[tuple[JunosModel, JunosModel], Served]]:
    shared = Cluster()
    models = (JunosModel(0, shared, faults, [UNMANAGED, *SAVED]), JunosModel(1, shared, faults, [UNMANAGED, *SAVED]))
    with serve_pair(models) as served:
        yield models, served


Peer = tuple[tuple[JunosModel, JunosModel], Served]


def connect(port: int) -> BaseConnection:
    return ConnectHandler(**netmiko_params("juniper_junos", port))


def running_of(model: JunosModel) -> str:
    return managed_lines("\n".join(model.running))


def test_ha_role_of_both_nodes(cluster: Peer) -> None:
    _, served = cluster
    states = []
    for port in served:
        conn = connect(port)
        states.append(DRIVER.ha_state(conn))
        conn.disconnect()
    assert [(s.role, s.peer) for s in states] == [(ACTIVE, "secondary"), (STANDBY, "primary")]


def test_read_running_is_the_managed_part_only(cluster: Peer) -> None:
    _, served = cluster
    conn = connect(served[0])
    try:
        assert DRIVER.running(conn) == saved()
    finally:
        conn.disconnect()


def test_push_and_confirm_set_the_whole_cluster_in_one_session(cluster: Peer) -> None:
    models, served = cluster
    conn = connect(served[0])
    try:
        DRIVER.push(conn, intended(), saved(), 300)
        assert "commit confirmed 5" in models[0].commands
        assert models[0].previous is not None  # the device's revert timer is armed
        DRIVER.confirm(conn)
        assert DRIVER.running(conn) == intended()
    finally:
        conn.disconnect()
    assert [running_of(m) for m in models] == [intended(), intended()]  # one configuration for the cluster
    assert [m.previous for m in models] == [None, None]
    assert all(UNMANAGED in m.running for m in models)
    assert served.sessions == (1, 0)
    models[0].expire()  # confirmed: the timer has nothing to undo
    assert running_of(models[1]) == intended()


def test_a_refused_line_raises_naming_it_and_leaves_the_device_unchanged(cluster: Peer, faults: Faults) -> None:
    models, served = cluster
    faults.reject = "mail-vip"
    conn = connect(served[0])
    try:
        with pytest.raises(DeviceError) as caught:
            DRIVER.push(conn, intended(), saved(), 300)
    finally:
        conn.disconnect()
    assert caught.value.step == "push"
    assert caught.value.line == ("set security address-book global address mail-vip 10.89.42.10/32: syntax error.")
    assert [running_of(m) for m in models] == [saved(), saved()]
    assert not any(c.startswith("commit") for c in models[0].commands)
    assert served.sessions == (1, 0)


def test_a_failed_commit_raises_with_the_device_error(cluster: Peer, faults: Faults) -> None:
    models, served = cluster
    faults.fail_commit = True
    conn = connect(served[0])
    try:
        with pytest.raises(DeviceError) as caught:
            DRIVER.push(conn, intended(), saved(), 300)
    finally:
        conn.disconnect()
    assert caught.value.step == "commit"
    assert caught.value.line.endswith("error: configuration check-out failed")
    assert [running_of(m) for m in models] == [saved(), saved()]


def test_a_session_lost_mid_batch_leaves_nothing_behind(cluster: Peer, faults: Faults) -> None:
    models, served = cluster
    faults.drop_after = 8
    conn = ConnectHandler(**netmiko_params("juniper_junos", served[0], read_timeout_override=3))
    with pytest.raises((OSError, ReadTimeout)):  # the channel closed: Netmiko waits for an echo that never comes
        DRIVER.push(conn, intended(), saved(), 300)
    conn.disconnect()
    assert (models[0].mode, models[0].candidate) == ("operational", models[0].running)  # private candidate gone
    assert [running_of(m) for m in models] == [saved(), saved()]
    assert models[0].previous is None


def test_an_unconfirmed_push_reverts_when_the_timer_runs_out(cluster: Peer) -> None:
    models, served = cluster
    conn = connect(served[0])
    DRIVER.push(conn, intended(), saved(), 120)
    conn.disconnect()  # the session is gone before confirm
    assert [running_of(m) for m in models] == [intended(), intended()]
    models[1].expire()
    assert [running_of(m) for m in models] == [saved(), saved()]
    assert all(UNMANAGED in m.running for m in models)


def test_rollback_puts_the_saved_policy_back_and_disarms_the_timer(cluster: Peer) -> None:
    models, served = cluster
    conn = connect(served[0])
    try:
        DRIVER.push(conn, intended(), saved(), 300)
        DRIVER.rollback(conn, saved())
        assert DRIVER.running(conn) == saved()
    finally:
        conn.disconnect()
    assert [m.previous for m in models] == [None, None]
    models[0].expire()
    assert [running_of(m) for m in models] == [saved(), saved()]
    assert served.sessions == (1, 0)
