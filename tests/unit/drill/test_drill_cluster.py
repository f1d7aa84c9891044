"""What the drill reads from hosts, on captured output: VIP holders, the replication backlog, routes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tier3.drill.cluster import Pending, gateway_of, holds, replication_pending, to_kick
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
