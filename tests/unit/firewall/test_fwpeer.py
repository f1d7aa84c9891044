"""The recorded-session peer's SSH server itself (a mock of the firewalls, served over real SSH to Netmiko's
real cisco_asa driver): sessions are counted per member, an unreachable member refuses, and ``drop_after``
closes the channel in the middle of a configuration batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fwpeer.base import Cluster, Faults
from fwpeer.cisco_asa import AsaModel
from fwpeer.server import Served, netmiko_params, serve_pair
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout

RUNNING = ["access-list mgmt_access_in extended permit tcp any any eq ssh"]


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def pair(faults: Faults) -> Iterator[tuple[tuple[AsaModel, AsaModel], Served]]:
    cluster = Cluster()
    models = (AsaModel(0, cluster, faults, RUNNING), AsaModel(1, cluster, Faults(), RUNNING))
    with serve_pair(models) as served:
        yield models, served


def connect(port: int) -> BaseConnection:
    return ConnectHandler(**netmiko_params("cisco_asa", port, secret="enable-secret"))


def test_sessions_are_counted_per_member(pair: tuple[tuple[AsaModel, AsaModel], Served]) -> None:
    _, served = pair
    assert served.sessions == (0, 0)
    for _ in range(2):
        connect(served[0]).disconnect()
    connect(served[1]).disconnect()
    assert served.sessions == (2, 1)


def test_a_session_sees_prompt_echo_and_output(pair: tuple[tuple[AsaModel, AsaModel], Served]) -> None:
    _, served = pair
    conn = connect(served[0])
    try:
        assert conn.find_prompt() == "fw1#"
        assert conn.send_command("show running-config access-list") == RUNNING[0]
    finally:
        conn.disconnect()


def test_an_unreachable_member_refuses_the_session(pair: tuple[tuple[AsaModel, AsaModel], Served],
                                                   faults: Faults) -> None:
    _, served = pair
    faults.unreachable = True
    with pytest.raises(NetmikoTimeoutException):
        connect(served[0])
    assert served.sessions == (0, 0)
    faults.unreachable = False
    connect(served[0]).disconnect()
    assert served.sessions == (1, 0)


def test_drop_after_closes_the_channel_mid_batch(pair: tuple[tuple[AsaModel, AsaModel], Served],
                                                 faults: Faults) -> None:
    models, served = pair
    faults.drop_after = 2
    conn = connect(served[0])
    lines = ["access-list a extended permit ip any any", "access-list b extended permit ip any any",
             "access-list c extended permit ip any any"]
    with pytest.raises(ReadTimeout):  # the line is echoed, its prompt never comes
        conn.send_config_set(lines, read_timeout=1)
    conn.disconnect()
    assert models[0].running == [*RUNNING, *lines[:2]]
    assert models[0].mode == "user"  # the model heard the session end
