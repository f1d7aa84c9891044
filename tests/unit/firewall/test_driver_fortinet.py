"""The FortiOS driver: its pure parsers on the recordings, and the driver over real SSH through Netmiko's real
fortinet driver against the recorded-session peer (a mock of a FortiGate FGCP active-passive pair,
tests/support/fwpeer): HA role of both members, read-back (predefined entries and uuids left out), push armed
with the cfg-save revert timer and confirmed by execute cfg save, a refused line, a lost session reverted by the
timer, a failed save, rollback, and one session per member per push."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fwpeer.base import Cluster, Faults, recording
from fwpeer.fortinet import FortinetModel
from fwpeer.server import Served, netmiko_params, serve_pair
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import ReadTimeout

from tier3.firewall.platforms.base import ACTIVE, STANDBY, UNKNOWN, DeviceError
from tier3.firewall.platforms.fortinet import (
    Fortinet,
    managed_block,
    parse_ha_status,
    rejected,
    replace_lines,
    revert_lines,
)
from tier3.firewall.render.fortinet import render
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"
DRIVER = Fortinet(read_timeout=2.0)


def rendered(name: str) -> str:
    path = POLICIES / f"{name}.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return render(build_policy(doc["policy"], str(path), "policy"), firewall_pair(doc["pair"], str(path), "pair"))


SAVED, INTENDED = rendered("edge"), rendered("corners")


# --- pure parsers on the recordings -------------------------------------------------------------------------------


def ha(this: int, active: int, this_sync: str = "in-sync", peer_sync: str = "in-sync") -> str:
    roles = ["Primary" if active == i else "Secondary" for i in (0, 1)]
    serials = ("FGVM08TM24000001", "FGVM08TM24000002")
    return recording("fortinet", "ha_status", role0=roles[0].ljust(12), role1=roles[1].ljust(12),
                     primary_serial=serials[active], this_serial=serials[this], peer_serial=serials[1 - this],
                     this_sync=this_sync, peer_sync=peer_sync, state="work" if this == active else "standby",
                     octet="1", this_role=roles[this], peer_role=roles[1 - this])


@pytest.mark.parametrize(("text", "role", "peer", "in_sync", "detail"), [
    (ha(0, 0), ACTIVE, "Secondary", True, "vcluster 1: work; this unit FGVM08TM24000001: Primary"),
    (ha(1, 0), STANDBY, "Primary", True, "vcluster 1: standby; this unit FGVM08TM24000002: Secondary"),
    (ha(0, 1), STANDBY, "Primary", True, "vcluster 1: standby; this unit FGVM08TM24000001: Secondary"),
    (ha(0, 0, peer_sync="out-of-sync"), ACTIVE, "Secondary", False, "vcluster 1: work; this unit FGVM08TM24000001: "
                                                                   "Primary"),
    (recording("fortinet", "ha_standalone"), UNKNOWN, "", None, "Mode: standalone"),
    (recording("fortinet", "parse_error", kind="command", token="ha"), UNKNOWN, "", None,
     "command parse error before 'ha'"),
])
def test_parse_ha_status(text: str, role: str, peer: str, in_sync: bool | None, detail: str) -> None:
    state = parse_ha_status(text)
    assert (state.role, state.peer, state.in_sync, state.detail) == (role, peer, in_sync, detail)


def test_managed_block_leaves_out_predefined_entries_and_uuids() -> None:
    shown = recording("fortinet", "predefined").split("end\n")[1] + (
        '    edit "admins"\n        set uuid 5b0e6f0c-0a11-51ef-1111-222233334444\n'
        '        set subnet 10.89.40.0 255.255.255.0\n        set comment "managed by tier3: edge"\n    next\nend\n')
    assert managed_block(shown, "address") == [
        "config firewall address", '    edit "admins"', "        set subnet 10.89.40.0 255.255.255.0",
        '        set comment "managed by tier3: edge"', "    next", "end"]
    policy = "config firewall policy\n    edit 7\n        set uuid 0000\n        set name \"theirs\"\n    next\nend\n"
    assert managed_block(policy, "policy") == ["config firewall policy", "    edit 7", '        set name "theirs"',
                                               "    next", "end"]  # the policy tables are the pair's whole


def test_rejected_names_the_refused_line_and_its_error() -> None:
    sent = ["config firewall addrgrp", 'edit "g"', 'set member "nope"']
    output = (f"{sent[0]}\nfw1 (addrgrp) # {sent[1]}\nfw1 (g) # {sent[2]}\n"
              + recording("fortinet", "entry_not_found", token='"nope"') + "\nfw1 (g) # ")
    assert rejected(output, sent) == ('set member "nope": entry not found in datasource; '
                                      "value parse error before '\"nope\"'")
    assert rejected(f"{sent[0]}\nfw1 (addrgrp) # {sent[1]}\nfw1 (g) # ", sent) is None


def test_replace_lines_delete_referrers_first_then_create() -> None:
    lines = replace_lines(INTENDED, SAVED)
    tables = [line for line in lines if line.startswith("config firewall ")]
    deletes, creates = tables[:8], tables[8:]
    assert deletes == [f"config firewall {t}" for t in ("local-in-policy6", "local-in-policy", "policy", "addrgrp6",
                                                        "addrgrp", "address6", "address", "service custom")]
    assert creates[0] == "config firewall service custom"
    addrgrp = lines[lines.index("config firewall addrgrp") + 1:]
    assert addrgrp[:3] == ['delete "mail-all"', 'delete "mail-front"', 'delete "fw-peers"']
    assert lines[-2:] == ["next", "end"]


@pytest.mark.parametrize(("seconds", "timeout"), [(300, "set cfg-revert-timeout 300"),
                                                  (3, "set cfg-revert-timeout 10")])
def test_revert_lines_arm_the_timer(seconds: int, timeout: str) -> None:
    assert revert_lines(seconds) == ["config system global", "set cfg-save revert", timeout, "end"]


# --- the driver over real SSH against the recorded-session peer -------------------------------------------------


@dataclass
class Pair:
    models: tuple[FortinetModel, FortinetModel]
    faults: tuple[Faults, Faults]
    served: Served

    def connect(self, index: int) -> BaseConnection:
        return ConnectHandler(**netmiko_params("fortinet", self.served[index]))

    def running(self, index: int) -> str:
        return "".join(f"{line}\n" for line in self.models[index].running)


@pytest.fixture
def pair() -> Iterator[Pair]:
    cluster, faults = Cluster(), (Faults(), Faults())
    models = (FortinetModel(0, cluster, faults[0], SAVED.splitlines()),
              FortinetModel(1, cluster, faults[1], SAVED.splitlines()))
    with serve_pair(models) as served:
        yield Pair(models, faults, served)


def test_ha_roles_of_both_members_follow_the_cluster(pair: Pair) -> None:
    for active in (0, 1):
        pair.models[0].cluster.active = active
        roles = []
        for index in (0, 1):
            conn = pair.connect(index)
            roles.append(DRIVER.ha_state(conn).role)
            conn.disconnect()
        assert roles == ([ACTIVE, STANDBY] if active == 0 else [STANDBY, ACTIVE])


@pytest.mark.parametrize("index", [0, 1])
def test_running_reads_back_the_render(pair: Pair, index: int) -> None:
    conn = pair.connect(index)
    try:
        assert DRIVER.running(conn) == SAVED
    finally:
        conn.disconnect()


def test_push_arms_the_revert_timer_and_confirm_saves(pair: Pair) -> None:
    config = pair.models[0].config
    conn = pair.connect(0)
    try:
        DRIVER.push(conn, INTENDED, SAVED, 300)
        assert DRIVER.running(conn) == INTENDED
        assert config.pending  # unsaved: the timer runs
        assert config.mode() == "revert"
        assert pair.models[0].commands.index("set cfg-revert-timeout 300") < pair.models[0].commands.index(
            'edit "ephemeral"')
        DRIVER.confirm(conn)
    finally:
        conn.disconnect()
    assert not config.pending
    assert config.mode() == "automatic"
    assert pair.running(0) == pair.running(1) == INTENDED  # FGCP synchronised it
    pair.models[0].expire()  # nothing pending: the timer has nothing to undo
    assert pair.running(1) == INTENDED
    assert pair.served.sessions == (1, 0)


def test_a_refused_line_leaves_the_device_as_before(pair: Pair) -> None:
    pair.faults[0].reject = "ephemeral"
    conn = pair.connect(0)
    try:
        with pytest.raises(DeviceError, match=r"""^push: edit "ephemeral": command parse error before 'edit'$"""):
            DRIVER.push(conn, INTENDED, SAVED, 300)
        assert DRIVER.running(conn) == SAVED
    finally:
        conn.disconnect()
    config = pair.models[0].config
    assert not config.pending
    assert config.mode() == "automatic"
    assert pair.running(1) == SAVED
    assert pair.served.sessions == (1, 0)


def test_a_lost_session_is_reverted_by_the_timer(pair: Pair) -> None:
    pair.faults[0].drop_after = 40
    conn = pair.connect(0)
    with pytest.raises(ReadTimeout):  # the workflow reports it as a session lost
        DRIVER.push(conn, INTENDED, SAVED, 300)
    conn.disconnect()
    assert pair.running(0) not in (SAVED, INTENDED)
    assert pair.models[0].config.pending  # the timer keeps running without the session
    pair.models[0].expire()
    assert pair.running(0) == pair.running(1) == SAVED
    assert pair.models[0].config.mode() == "automatic"


def test_a_failed_save_is_a_confirm_error_and_the_timer_still_reverts(pair: Pair) -> None:
    pair.faults[0].fail_commit = True
    conn = pair.connect(0)
    try:
        DRIVER.push(conn, INTENDED, SAVED, 300)
        with pytest.raises(DeviceError, match=r"^confirm: Failed to save the configuration: no space left on device$"):
            DRIVER.confirm(conn)
    finally:
        conn.disconnect()
    assert pair.models[0].config.pending
    pair.models[0].expire()
    assert pair.running(0) == SAVED


def test_rollback_after_a_push_puts_the_saved_policy_back_and_saves(pair: Pair) -> None:
    conn = pair.connect(0)
    try:
        DRIVER.push(conn, INTENDED, SAVED, 300)
        DRIVER.rollback(conn, SAVED)
        assert DRIVER.running(conn) == SAVED
    finally:
        conn.disconnect()
    config = pair.models[0].config
    assert not config.pending
    assert config.mode() == "automatic"
    assert pair.running(1) == SAVED
    assert pair.served.sessions == (1, 0)


def test_the_peer_refuses_a_reference_to_a_missing_object(pair: Pair) -> None:
    """The peer checks references as FortiOS does, so the driver's create order is tested too."""
    broken = INTENDED.replace('    edit "ephemeral"', '    edit "ephemera1"')
    conn = pair.connect(0)
    try:
        with pytest.raises(DeviceError, match=r"""^push: set service "ephemeral": entry not found in datasource"""):
            DRIVER.push(conn, broken, SAVED, 300)
        assert DRIVER.running(conn) == SAVED
    finally:
        conn.disconnect()
