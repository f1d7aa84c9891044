"""The pair workflow (tier3.firewall.pair) on the vendor platforms, against the recorded-session peer: a MOCK of
each vendor's HA pair (tests/support/fwpeer, device output written in the vendors' documented shape, not captured
from a device), served over real SSH to Netmiko's real drivers. No live ASA, SRX, FortiGate or PAN-OS runs here;
the Linux pair is proven against a live peer in molecule/firewall. Every fault ends with both members on the policy they
ran before (or, where the device has no revert timer and cannot be reached, says so) and a report naming it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fwpeer.base import Cluster, DeviceModel, Faults
from fwpeer.cisco_asa import AsaModel
from fwpeer.fortinet import FortinetModel
from fwpeer.juniper_junos import JunosModel
from fwpeer.paloalto_panos import PanosModel
from fwpeer.server import Served, netmiko_params, serve_pair

from tier3.firewall import pair as workflow
from tier3.firewall.pair import Member
from tier3.firewall.platforms import DRIVERS
from tier3.firewall.platforms.base import Driver
from tier3.firewall.platforms.cisco_asa import CiscoAsa
from tier3.firewall.platforms.fortinet import Fortinet
from tier3.firewall.render import RENDERERS
from tier3.firewall.report import PairReport
from tier3.schema.build import firewall_pair
from tier3.schema.firewall import build_policy

POLICIES = Path(__file__).resolve().parents[2] / "fixtures" / "firewall" / "policies"


@dataclass(frozen=True)
class Platform:
    model: type[DeviceModel]
    unmanaged: tuple[str, ...] = ()  # lines of the device's configuration tier3 does not own
    extra: tuple[tuple[str, Any], ...] = ()  # more ConnectHandler keywords
    driver: Callable[[], Driver] | None = None


PLATFORMS = {
    "cisco_asa": Platform(AsaModel, extra=(("secret", "enable-secret"),), driver=lambda: CiscoAsa(read_timeout=2.0)),
    "fortinet": Platform(FortinetModel, driver=lambda: Fortinet(read_timeout=3.0)),
    "juniper_junos": Platform(JunosModel, ("set security screen ids-option untrust-screen icmp ping-death",)),
    "paloalto_panos": Platform(PanosModel, ("set deviceconfig system hostname pa-fw",), (("allow_agent", True),)),
}


def render(platform: str, name: str) -> str:
    doc = yaml.safe_load((POLICIES / f"{name}.yml").read_text(encoding="utf-8"))
    pair = firewall_pair({**doc["pair"], "platform": platform}, f"{name}.yml", "pair")
    return RENDERERS[DRIVERS[platform].renderer](build_policy(doc["policy"], f"{name}.yml", "policy"), pair)


@dataclass
class Peer:
    platform: str
    driver: Driver
    models: tuple[DeviceModel, DeviceModel]
    faults: tuple[Faults, Faults]
    served: Served
    before: tuple[list[str], list[str]]
    intended: str
    connects: Counter[str]
    on_reconnect: dict[str, Callable[[], None]]

    @property
    def members(self) -> tuple[Member, ...]:
        extra = dict(PLATFORMS[self.platform].extra)
        out = []
        for index, name in enumerate(("fw1", "fw2")):
            # a lost session surfaces as Netmiko's read timeout: 4 s, not the default 10-120 s (the peer answers
            # at once)
            params = netmiko_params(self.driver.device_type, self.served[index], read_timeout_override=4, **extra)
            params.pop("device_type")
            out.append(Member(name, params))
        return tuple(out)

    def connect(self, driver: Driver, member: Member) -> Any:
        self.connects[member.name] += 1
        if self.connects[member.name] > 1 and member.name in self.on_reconnect:
            self.on_reconnect.pop(member.name)()
        return workflow.connect_netmiko(driver, member)

    def push(self, hook: Callable[[str, str], None] = lambda _m, _s: None, intended: str | None = None) -> PairReport:
        return workflow.push("test-fw", self.driver, self.members, intended or self.intended, revert_seconds=60,
                             connect=self.connect, on_step=hook)

    def running(self) -> tuple[list[str], list[str]]:
        return (list(self.models[0].running), list(self.models[1].running))


@pytest.fixture(params=sorted(PLATFORMS))
def peer(request: pytest.FixtureRequest) -> Iterator[Peer]:
    platform: str = request.param
    spec = PLATFORMS[platform]
    driver = spec.driver() if spec.driver else DRIVERS[platform]()
    start = [*spec.unmanaged, *render(platform, "corners").splitlines()]
    cluster, faults = Cluster(), (Faults(), Faults())
    models = (spec.model(0, cluster, faults[0], start), spec.model(1, cluster, faults[1], start))
    with serve_pair(models) as served:
        yield Peer(platform, driver, models, faults, served, (list(start), list(start)), render(platform, "edge"),
                   Counter(), {})


def _at(member: str, step: str, action: Callable[[], object]) -> Callable[[str, str], None]:
    def hook(who: str, what: str) -> None:
        if (who, what) == (member, step):
            action()
    return hook


def test_plan_diffs_and_changes_nothing(peer: Peer) -> None:
    report = workflow.plan("test-fw", peer.driver, peer.members, peer.intended, connect=peer.connect)
    assert report.ok, report.lines()
    assert report.members["fw1"].role == "active"
    assert report.members["fw2"].role == "standby"
    assert report.members["fw1"].differs
    assert report.members["fw1"].diff.startswith("--- fw1 (running)")
    assert peer.running() == peer.before
    assert peer.served.sessions == (1, 1)


def test_push_then_nothing_to_change(peer: Peer) -> None:
    report = peer.push()
    assert report.ok, report.lines()
    assert report.message == "applied to fw1; both members run the intended policy", "the active alone: the pair syncs"
    assert report.members["fw1"].outcome == "applied"
    assert report.members["fw2"].events[-1] == "verified: runs the intended policy"
    assert peer.served.sessions == (1, 1), "one SSH session per member"
    after = peer.running()
    assert after[0] == after[1] != peer.before[0]
    again = peer.push()
    assert again.ok
    assert again.message == "no change: both members run the intended policy"
    assert peer.running() == after


def test_member_unreachable_changes_nothing(peer: Peer) -> None:
    peer.faults[1].unreachable = True
    report = peer.push()
    assert not report.ok
    assert report.message.startswith("fw2 unreachable"), report.lines()
    assert report.members["fw2"].outcome == "unreachable"
    assert report.members["fw1"].outcome == "unchanged"
    assert peer.running() == peer.before


def test_command_rejected_rolls_back(peer: Peer) -> None:
    peer.faults[0].reject = "mail"  # a line naming the edge policy's mail objects or rules
    report = peer.push()
    assert not report.ok
    assert report.message.startswith("fw1: the push refused:"), report.lines()
    assert report.members["fw1"].outcome == "rolled back"
    assert peer.running() == peer.before


def test_standby_not_in_sync_rolls_back_the_active(peer: Peer) -> None:
    # the active took the push, the standby did not get it (the pair's sync failed): the second member fails
    def lose_sync() -> None:
        peer.models[1].running = list(peer.before[1])

    report = peer.push(_at("fw1", "pushed", lose_sync))
    assert not report.ok
    # (FortiOS keeps one configuration for the cluster, as FGCP does: the peer shows the loss on both members)
    assert report.message.endswith("does not run the intended policy after the push"), report.lines()
    assert report.members["fw1"].outcome == "rolled back"
    assert peer.running() == peer.before


def test_session_lost_mid_push_is_reconnected_and_rolled_back(peer: Peer) -> None:
    peer.faults[0].drop_after = 3
    peer.on_reconnect["fw1"] = lambda: setattr(peer.faults[0], "drop_after", None)  # the network is back
    report = peer.push()
    assert not report.ok
    assert "session lost" in report.message, report.lines()
    assert report.members["fw1"].outcome == "rolled back"
    assert report.members["fw1"].sessions == 2
    assert peer.running() == peer.before


def test_session_lost_and_member_gone(peer: Peer) -> None:
    # the session is lost mid-push and the member cannot be reached again: the device's revert timer (Junos
    # commit confirmed) restores it; a device without one is reported as left changed
    peer.faults[0].drop_after = 3
    peer.on_reconnect["fw1"] = lambda: setattr(peer.faults[0], "unreachable", True)
    report = peer.push()
    assert not report.ok
    for model in peer.models:
        model.expire()
    if peer.driver.has_revert_timer:
        assert report.members["fw1"].outcome == "left to its revert timer", report.lines()
        assert peer.running() == peer.before
    else:
        assert report.members["fw1"].outcome == "left changed", report.lines()
        assert "tier3 fw rollback" in report.members["fw1"].events[-1]


def test_active_member_changing_rolls_back(peer: Peer) -> None:
    def fail_over() -> None:
        peer.models[0].cluster.active = 1

    report = peer.push(_at("fw1", "pushed", fail_over))
    assert not report.ok
    assert report.message == "the active member changed during the push (fw1 -> fw2)", report.lines()
    assert report.members["fw2"].outcome == "rolled back", "through the member active now"
    assert report.members["fw1"].outcome == "rolled back"
    assert peer.running() == peer.before
