"""What the drill reads from hosts, on captured output: VIP holders, the replication backlog, routes."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import pytest

from tier3.drill import cluster as cluster_module
from tier3.drill.cluster import Cluster, Pending, behind, gateway_of, holds, in_session, replication_pending, to_kick
from tier3.drill.faults import Result
from tier3.errors import ParseError

DATA = Path(__file__).parent / "data"
MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"  # tier3.parsers' real captures


def test_the_vip_shows_in_ip_j_addr_when_held() -> None:
    held = (DATA / "ip_j_addr_vip_held.json").read_text(encoding="utf-8")
    assert holds(held, "10.89.47.100", "mail1")
    assert holds(held, "10.89.47.10", "mail1")
    free = (DATA / "ip_j_addr_no_vip.json").read_text(encoding="utf-8")
    assert not holds(free, "10.89.47.100", "mail1")


def test_a_vip_on_a_link_that_is_down_answers_nothing_and_is_not_held() -> None:
    assert holds((MAIL / "ip_j_addr_vip_held.json").read_text(encoding="utf-8"), "10.89.44.100", "imap1")
    assert not holds((MAIL / "ip_j_addr_vip_on_down_link.json").read_text(encoding="utf-8"), "10.89.44.100", "imap1")
    assert not holds((MAIL / "ip_j_addr_vip_released.json").read_text(encoding="utf-8"), "10.89.44.100", "imap1")


@pytest.mark.parametrize("text", ["", "not json", "{}"])
def test_output_that_is_not_ip_j_addr_is_refused(text: str) -> None:
    with pytest.raises(ParseError):
        holds(text, "10.89.30.100", "lb1")


@pytest.mark.parametrize(("name", "caught_up", "queued", "failed"), [
    ("doveadm_replicator_status_users_in_sync.txt", True, (), ()),
    ("doveadm_replicator_status_users_idle.txt", True, (), ()),
    ("doveadm_replicator_status_users_queued.txt", False, ("alice@lab.tier3.test",), ("bob@lab.tier3.test",)),
    ("doveadm_replicator_status_users_both_failed.txt", False, (), ("alice@lab.tier3.test", "bob@lab.tier3.test")),
])
def test_replication_caught_up_on_real_captures(name: str, caught_up: bool, queued: tuple[str, ...],
                                                failed: tuple[str, ...]) -> None:
    pending = replication_pending((MAIL / name).read_text(encoding="utf-8"), name)
    assert (pending.caught_up, pending.queued, pending.failed) == (caught_up, queued, failed)


def test_the_tab_formatter_reads_the_same() -> None:
    """`doveadm -f tab`: a replica that does not answer leaves every user that ever synced failed."""
    pending = replication_pending((DATA / "doveadm_replicator_status_peer_down.tab").read_text(encoding="utf-8"),
                                  "mail1")
    assert not pending.caught_up
    assert pending.users == 12
    assert "drill@drill.test" in pending.failed
    assert "systemd-network" not in pending.failed  # never synced: "-"


def test_the_summary_alone_is_not_enough() -> None:
    summary = (MAIL / "doveadm_replicator_status_in_sync.txt").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="no per-user table"):
        replication_pending(summary, "imap1")


@pytest.mark.parametrize(("route", "gateway"), [
    ('[{"dst":"10.89.30.100","dev":"podman3","prefsrc":"10.89.30.1","flags":[],"uid":0,"cache":[]}]', None),
    ('[{"dst":"10.89.30.100","gateway":"192.0.2.1","dev":"eth0","prefsrc":"192.0.2.2","flags":[],"uid":0}]',
     "192.0.2.1"),
    ("", "unknown"),
    ("[]", "unknown"),
])
def test_a_lab_vip_must_be_on_a_local_bridge(route: str, gateway: str | None) -> None:
    """`ip -j route get`: a lab VIP routed through a gateway means the lab's bridge is gone (the shapes are
    this machine's, with the lab up and down)."""
    assert gateway_of(route) == gateway


def test_a_failed_user_is_asked_to_sync_once_on_one_host_only() -> None:
    """Seen in the lab: `doveadm replicator replicate '*'` on both IMAP nodes at once started two syncs of
    the drill mailbox that locked each other out (`Couldn't lock .dovecot-sync.lock`), both then failed."""
    state: dict[str, Pending | str] = {
        "imap1": Pending(3, ("drill@lab.tier3.test",), ("bob@lab.tier3.test",)),
        "imap2": Pending(3, (), ("drill@lab.tier3.test", "bob@lab.tier3.test")),
        "imap3": "doveadm failed: Fatal: net_connect_unix(/run/dovecot/replicator-doveadm) failed",
    }
    assert to_kick(state, {}) == {"bob@lab.tier3.test": "imap1", "drill@lab.tier3.test": "imap2"}
    assert to_kick(state, {"bob@lab.tier3.test": "imap1", "drill@lab.tier3.test": "imap2"}) == {}
    assert to_kick({"imap1": Pending(3, ("alice@lab.tier3.test",), ())}, {}) == {}  # queued only: it is syncing


def test_a_user_queued_for_longer_than_a_sync_takes_is_asked_again_on_one_host() -> None:
    """Seen in CI after the mx drill: drill@ stayed queued (priority high, not failed) on imap1 for the whole
    150 s wait before the imap drill, because only failed users were asked again."""
    state: dict[str, Pending | str] = {"imap1": Pending(3, ("drill@lab.tier3.test", "alice@lab.tier3.test"), ()),
                                       "imap2": Pending(3, ("drill@lab.tier3.test",), ())}
    assert to_kick(state, {}, stuck={"drill@lab.tier3.test"}) == {"drill@lab.tier3.test": "imap1"}
    assert to_kick(state, {"drill@lab.tier3.test": "imap1"}, stuck={"drill@lab.tier3.test"}) == {}
    assert behind(state) == {"drill@lab.tier3.test", "alice@lab.tier3.test"}
    assert behind({"imap1": "doveadm failed", "imap2": Pending(3, (), ())}) == set()


STATUS = """username                  priority fast sync full sync success sync failed
alice@lab.tier3.test      none     00:00:08  00:00:08  00:00:08     -
drill@lab.tier3.test      {prio:<8} 00:01:06  00:01:38  00:01:06     -
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


DSYNC_HUNG = """username                       type        status
drill@lab.tier3.test           incremental Waiting for dsync to finish
                                   -    Not connected
"""
DSYNC_IDLE = """username                           type status
                                   -    Not connected
                                   -    Not connected
"""


class StuckReplicator:
    """A stand-in for doveadm and pkill on two IMAP hosts (no replicator runs in a unit test; the real one is
    driven by the cluster scenario's imap drill): drill@ stays queued on imap1 until it has been asked
    ``needs`` times, or, ``hung``, until imap1's doveadm-server processes are killed."""

    def __init__(self, needs: int = 99, hung: bool = False) -> None:
        self.needs, self.hung = needs, hung
        self.asked: list[tuple[str, float]] = []
        self.killed: list[tuple[str, tuple[str, ...], float]] = []
        self.clock = FakeClock()

    def __call__(self, host: str) -> tuple[StuckReplicator, str]:
        return self, host

    def stuck(self, host: str) -> bool:
        return host == "imap1" and (not self.killed if self.hung else len(self.asked) < self.needs)

    def run(self, host: str, argv: Sequence[str], _timeout: float) -> Result:
        if tuple(argv[:3]) == ("doveadm", "replicator", "replicate"):
            self.asked.append((host, self.clock.now))
            return Result(0, "")
        if tuple(argv[:3]) == ("doveadm", "replicator", "dsync-status"):
            return Result(0, DSYNC_HUNG if self.hung and self.stuck(host) else DSYNC_IDLE)
        if argv[0] == "pkill":
            self.killed.append((host, tuple(argv), self.clock.now))
            return Result(0, "")
        return Result(0, STATUS.format(prio="high" if self.stuck(host) else "none"))


def test_dsync_status_names_the_users_in_a_session() -> None:
    assert in_session(DSYNC_HUNG) == {"drill@lab.tier3.test"}
    assert in_session(DSYNC_IDLE) == set()
    assert in_session("") == set()


@pytest.mark.parametrize("needs", [1, 2])
def test_the_wait_asks_a_stuck_user_again_until_it_syncs(monkeypatch: pytest.MonkeyPatch, needs: int) -> None:
    replicator = StuckReplicator(needs=needs)
    monkeypatch.setattr(cluster_module, "time", replicator.clock)
    state = Cluster(replicator).wait_replication(["imap1", "imap2"], timeout=150.0, grace=20.0, again=60.0)  # type: ignore[arg-type]
    assert state["caught_up"] is True
    assert [host for host, _ in replicator.asked] == ["imap1"] * needs
    asked_at = [t - 1000.0 for _, t in replicator.asked]
    assert asked_at[0] >= 20.0
    assert all(b - a >= 60.0 for a, b in pairwise(asked_at))  # once per `again`, not every second
    assert state["asks"] == needs
    assert "dsync" not in state


def test_a_wait_that_ends_behind_says_what_the_syncs_were_doing(monkeypatch: pytest.MonkeyPatch) -> None:
    replicator = StuckReplicator(needs=99)
    monkeypatch.setattr(cluster_module, "time", replicator.clock)
    state = Cluster(replicator).wait_replication(["imap1", "imap2"], timeout=150.0)  # type: ignore[arg-type]
    assert state["caught_up"] is False
    assert state["hosts"]["imap1"]["queued"] == ["drill@lab.tier3.test"]
    assert len(replicator.asked) == 3  # at +20, +80 and +140 s
    assert state["dsync"]["imap1"] == DSYNC_IDLE.strip()
    assert replicator.killed == []  # not in a session: nothing to end


def test_a_hung_session_of_the_drill_mailbox_is_ended_on_its_host_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen in the lab after the mx drill: imap1's replicator "Waiting for dsync to finish" for minutes,
    past dsync's 60 s I/O timeout, deaf to SIGTERM; SIGKILL of the session let the replicator sync at once."""
    replicator = StuckReplicator(hung=True)
    monkeypatch.setattr(cluster_module, "time", replicator.clock)
    state = Cluster(replicator).wait_replication(["imap1", "imap2"], timeout=150.0,  # type: ignore[arg-type]
                                                 mailbox="drill@lab.tier3.test")
    assert state["caught_up"] is True
    [(host, argv, at)] = replicator.killed
    assert host == "imap1"
    assert argv[-1] == "^dovecot/doveadm-server"
    assert "--older" in argv
    assert at - 1000.0 >= 75.0
    assert [(e["host"], e["user"]) for e in state["ended_sessions"]] == [("imap1", "drill@lab.tier3.test")]


def test_no_other_users_session_is_judged_hung(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large mailbox may sync for minutes: only the drill's own is ever ended."""
    replicator = StuckReplicator(hung=True)
    monkeypatch.setattr(cluster_module, "time", replicator.clock)
    state = Cluster(replicator).wait_replication(["imap1", "imap2"], timeout=150.0,  # type: ignore[arg-type]
                                                 mailbox="alice@lab.tier3.test")
    assert state["caught_up"] is False
    assert replicator.killed == []
