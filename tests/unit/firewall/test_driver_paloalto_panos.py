"""The PAN-OS driver: its pure parsers on the recordings, and the driver over real SSH through Netmiko's real
paloalto_panos driver against the recorded-session peer (a mock of a PAN-OS active/passive pair with config sync,
tests/support/fwpeer): HA state of both members, read-back, push (commit + config sync) and confirm, a refused
line, a failed commit, a lost session (no timer on PAN-OS: the running config stays, the candidate is reverted by
the next push), rollback, and one session per push."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fwpeer.base import Cluster, Faults, recording
from fwpeer.paloalto_panos import PanosModel
from fwpeer.server import Served, netmiko_params, serve_pair
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import ReadTimeout

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError
from tier3.firewall.platforms.paloalto_panos import (
    PaloAltoPanos,
    commit_error,
    managed_lines,
    parse_high_availability,
    rejected,
)
from tier3.firewall.render.paloalto_panos import render
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"
UNMANAGED = "set deviceconfig system hostname pa-fw"  # ours to leave alone
SAVED = ["set zone old network layer3 ethernet1/9", "set rulebase security rules old from old"]
DRIVER = PaloAltoPanos()


def intended() -> str:
    docs = yaml.safe_load((POLICIES / "edge.yml").read_text(encoding="utf-8"))
    return render(build_policy(docs["policy"], "edge.yml", "policy"), firewall_pair(docs["pair"], "edge.yml", "pair"))


def saved() -> str:
    return "".join(f"{line}\n" for line in SAVED)


# --- pure parsers on the recordings -------------------------------------------------------------------------------


def ha(local: str, peer: str, sync: str = "synchronized") -> str:
    return recording("paloalto_panos", "high_availability_all", local=local, peer=peer, sync=sync, local_octet="1")


@pytest.mark.parametrize(("text", "role", "peer", "in_sync"), [
    (ha("active", "passive"), ACTIVE, "passive", True),
    (ha("passive", "active"), STANDBY, "active", True),
    (ha("active", "passive", "not synchronized"), ACTIVE, "passive", False),
    (ha("suspended", "active"), UNKNOWN, "active", True),
    (ha("non-functional", "active"), UNKNOWN, "active", True),
    ("HA not enabled\n", UNKNOWN, "", None),
])
def test_parse_high_availability(text: str, role: str, peer: str, in_sync: bool | None) -> None:
    state = parse_high_availability(text)
    assert (state.role, state.peer, state.in_sync) == (role, peer, in_sync)


def test_managed_lines_keep_the_owned_branches_once() -> None:
    text = f"{UNMANAGED}\n{SAVED[0]}\nset address-group g static [ a b ]\n{SAVED[0]}\nset service-group s members x\n"
    assert managed_lines(text) == f"{SAVED[0]}\nset address-group g static [ a b ]\n"


def test_rejected_and_commit_error_read_the_recordings() -> None:
    sent = ["delete zone", "set zone a network layer3 bogus"]
    output = f"[edit]\nu@fw(active)# {sent[0]}\n[edit]\nu@fw(active)# {sent[1]}\n"
    output += recording("paloalto_panos", "invalid_syntax")
    assert rejected(output, sent) == f"{sent[1]}: Invalid syntax."
    assert rejected(f"u@fw(active)# {sent[0]}\n", sent) is None
    assert commit_error(recording("paloalto_panos", "commit_failed", job="7")) == (
        "rulebase -> security -> rules -> mail-in -> service 'submission' is not a valid reference; "
        "rulebase -> security -> rules is invalid; Commit failed")


# --- over SSH against the recorded-session peer (a mock of the pair) ----------------------------------------------


@pytest.fixture
def faults() -> Faults:
    return Faults()


Peer = tuple[tuple[PanosModel, PanosModel], Served]


@pytest.fixture
def pair(faults: Faults) -> Iterator[Peer]:
    shared = Cluster()
    models = (PanosModel(0, shared, faults, [UNMANAGED, *SAVED]), PanosModel(1, shared, faults, [UNMANAGED, *SAVED]))
    with serve_pair(models) as served:
        yield models, served


def connect(port: int, **extra: float) -> BaseConnection:
    # allow_agent: Netmiko's PAN-OS driver authenticates keyboard-interactive without it, which the peer's
    # server does not offer (password only); with it Netmiko uses plain password authentication
    return ConnectHandler(**netmiko_params("paloalto_panos", port, allow_agent=True, **extra))


def running_of(model: PanosModel) -> str:
    return managed_lines("\n".join(model.running))


def test_ha_state_of_both_members(pair: Peer) -> None:
    _, served = pair
    states = []
    for port in served:
        conn = connect(port)
        states.append(DRIVER.ha_state(conn))
        conn.disconnect()
    assert [(s.role, s.peer, s.in_sync) for s in states] == [(ACTIVE, "passive", True), (STANDBY, "active", True)]


def test_read_running_is_the_managed_part_only(pair: Peer) -> None:
    _, served = pair
    conn = connect(served[0])
    try:
        assert DRIVER.running(conn) == saved()
    finally:
        conn.disconnect()


def test_push_commits_and_syncs_the_peer_in_one_session(pair: Peer) -> None:
    models, served = pair
    conn = connect(served[0])
    try:
        DRIVER.push(conn, intended(), saved(), 300)
        DRIVER.confirm(conn)
        assert DRIVER.running(conn) == intended()
    finally:
        conn.disconnect()
    assert [running_of(m) for m in models] == [intended(), intended()]  # HA config sync
    assert all(UNMANAGED in m.running for m in models)
    assert served.sessions == (1, 0)


def test_a_refused_line_raises_naming_it_and_leaves_the_device_unchanged(pair: Peer, faults: Faults) -> None:
    models, served = pair
    faults.reject = "mail-vip ip-netmask"
    conn = connect(served[0])
    try:
        with pytest.raises(DeviceError) as caught:
            DRIVER.push(conn, intended(), saved(), 300)
    finally:
        conn.disconnect()
    assert (caught.value.step, caught.value.line) == ("push", "set address mail-vip ip-netmask 10.89.42.10/32: "
                                                                "Invalid syntax.")
    assert [m.running for m in models] == [[UNMANAGED, *SAVED]] * 2
    assert models[0].candidate == models[0].running  # reverted: nobody's later commit picks the half push up
    assert "commit" not in models[0].commands


def test_a_failed_commit_raises_with_the_validation_error(pair: Peer, faults: Faults) -> None:
    models, served = pair
    faults.fail_commit = True
    conn = connect(served[0])
    try:
        with pytest.raises(DeviceError) as caught:
            DRIVER.push(conn, intended(), saved(), 300)
    finally:
        conn.disconnect()
    assert caught.value.step == "commit"
    assert "is not a valid reference" in caught.value.line
    assert [m.running for m in models] == [[UNMANAGED, *SAVED]] * 2
    assert models[0].candidate == models[0].running


def test_a_lost_session_leaves_the_running_config_and_the_next_push_replaces_the_candidate(
        pair: Peer, faults: Faults) -> None:
    models, served = pair
    faults.drop_after = 8
    conn = connect(served[0], read_timeout_override=3)
    with pytest.raises((OSError, ReadTimeout)):  # the channel closed: Netmiko waits for an echo that never comes
        DRIVER.push(conn, intended(), saved(), 300)
    conn.disconnect()
    assert [m.running for m in models] == [[UNMANAGED, *SAVED]] * 2
    models[0].expire()  # PAN-OS has no timer: nothing changes
    assert models[0].candidate != models[0].running  # the half push waits in the candidate, as on PAN-OS
    faults.drop_after = None
    conn = connect(served[0])
    try:
        DRIVER.rollback(conn, saved())
    finally:
        conn.disconnect()
    assert [running_of(m) for m in models] == [saved(), saved()]
    assert models[0].candidate == models[0].running


def test_rollback_after_a_push_puts_the_saved_policy_back_on_both(pair: Peer) -> None:
    models, served = pair
    conn = connect(served[0])
    try:
        DRIVER.push(conn, intended(), saved(), 300)
        DRIVER.rollback(conn, saved())
        assert DRIVER.running(conn) == saved()
    finally:
        conn.disconnect()
    assert [running_of(m) for m in models] == [saved(), saved()]
    assert served.sessions == (1, 0)
