"""The lab's firewall pair (lab-fw, Linux: the one platform proven against a live peer): the plan changes
nothing, the push applies and a second push finds nothing to change, real packets cross the pair as the policy
says, rollback restores, and each fault of the push workflow ends with both members on the policy they ran
before and a report naming what happened on each (docs/firewall.md)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import drop_rule, policy_of, resolve, rulesets, tier3_fw
from tier3.firewall.report import PairReport
from tier3.firewall.run import execute
from tier3.lab import firewall as lab
from tier3.lab import firewall_hooks as hooks

MAIL_VIP = "10.89.42.10"
OUTSIDE_HOST = "10.89.41.10"
REVERT = 12  # seconds: the revert timer of the fault tests, short so the test waits it out


def connect_from(end_host: str, source: str, address: str, port: int, timeout: float = 1.5) -> bool:
    """A TCP connect from ``end_host``'s namespace, bound to ``source``: a real SYN through the pair."""

    def attempt() -> bool:
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=timeout,
                                                                     source_address=(source, 0)):
            return True
        return False

    return hooks.in_namespace(lab.namespace_of(end_host), attempt)


def test_second_push_changes_nothing(pair_converged: dict[str, str]) -> None:
    result = tier3_fw("push")
    assert result.returncode == 0, result.stderr
    assert "no change: both members run the intended policy" in result.stdout
    assert rulesets() == pair_converged


def test_traffic_crosses_the_pair_as_the_policy_says(pair_converged: dict[str, str]) -> None:
    assert "tier3" in pair_converged["fw1"]
    assert pair_converged["fw1"] == pair_converged["fw2"]
    allowed = {port: connect_from("fwout", OUTSIDE_HOST, MAIL_VIP, port) for port in (25, 587, 993)}
    assert allowed == {25: True, 587: True, 993: True}, "mail-in accepts smtp, submission, imaps to the mail VIP"
    assert not connect_from("fwout", "10.89.41.66", MAIL_VIP, 25), "block-bad drops the known abuser first"
    assert hooks.tcp_open("fwin", OUTSIDE_HOST, 25), "inside-out lets the mail addresses send mail out"


def test_plan_prints_the_diff_and_changes_nothing(pair_converged: dict[str, str], variant: Any) -> None:
    changed = variant(lambda doc: drop_rule(doc, "mail-in"))
    result = tier3_fw("plan", inventory=changed)
    assert result.returncode == 0, result.stderr
    assert "-\t\tiifname \"out0\" oifname \"in0\"" in result.stdout, result.stdout
    assert "would change fw1, fw2" in result.stdout
    assert rulesets() == pair_converged
    assert connect_from("fwout", OUTSIDE_HOST, MAIL_VIP, 25)


def test_push_then_rollback(pair_converged: dict[str, str], variant: Any, tmp_path: Path) -> None:
    changed = variant(lambda doc: drop_rule(doc, "mail-in"))
    pushed = tier3_fw("push", inventory=changed, state=tmp_path / "state")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "applied to fw2, fw1" in pushed.stdout, "the standby first"
    assert not connect_from("fwout", OUTSIDE_HOST, MAIL_VIP, 25), "mail-in is gone: smtp to the VIP is dropped"
    rolled = tier3_fw("rollback", inventory=changed, state=tmp_path / "state")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "rolled back fw1, fw2" in rolled.stdout
    assert rulesets() == pair_converged
    assert connect_from("fwout", OUTSIDE_HOST, MAIL_VIP, 25)


# --- faults injected at each step: each ends with both members as before and a report naming what happened ---


def _push(inventory: Path, tmp_path: Path, hook: Callable[[str, str], None]) -> PairReport:
    chosen, reached = resolve(inventory)
    return execute("push", chosen, reached, state_dir=tmp_path / "state", revert_seconds=REVERT, on_step=hook)


def _at(member: str, step: str, action: Callable[[], object]) -> Callable[[str, str], None]:
    done: list[bool] = []

    def hook(who: str, what: str) -> None:
        if (who, what) == (member, step) and not done:
            done.append(True)
            action()

    return hook


@pytest.fixture
def changed(variant: Any) -> Path:
    """The lab inventory with the mail-in rule dropped: a push that changes both members."""
    return variant(lambda doc: drop_rule(doc, "mail-in"))


@pytest.fixture
def restored() -> Iterator[None]:
    yield
    for name in ("fw1", "fw2"):
        hooks.start_ssh(name)
        hooks.start_vrrp(name)
    deadline = time.monotonic() + 15
    while hooks.vrrp_master() != "fw1" and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.mark.usefixtures("restored")
def test_member_unreachable_changes_nothing(pair_converged: dict[str, str], changed: Path, tmp_path: Path) -> None:
    hooks.stop_ssh("fw2")
    report = _push(changed, tmp_path, lambda _m, _s: None)
    assert not report.ok
    assert report.message.startswith("fw2 unreachable"), report.lines()
    assert report.members["fw2"].outcome == "unreachable"
    assert report.members["fw1"].outcome == "unchanged"
    assert rulesets() == pair_converged


def test_command_rejected_rolls_back(pair_converged: dict[str, str], variant: Any, tmp_path: Path) -> None:
    def too_long(doc: dict[str, Any]) -> None:  # nft refuses interface names over 15 characters
        next(z for z in policy_of(doc)["zones"] if z["name"] == "outside")["interfaces"].append("x" * 20)

    report = _push(variant(too_long), tmp_path, lambda _m, _s: None)
    assert not report.ok
    assert report.message.startswith("fw2: the push refused:"), report.lines()
    assert report.members["fw2"].outcome == "rolled back"
    assert report.members["fw1"].outcome == "unchanged", "the active member is never touched after the standby fails"
    assert rulesets() == pair_converged


def test_second_member_failing_rolls_back_the_first(pair_converged: dict[str, str], changed: Path,
                                                     tmp_path: Path) -> None:
    # after fw2 (the standby) took the push, fw1's ruleset file becomes a directory: its push cannot write it
    blocker = lab.paths("fw1").root / "intended.nft"

    def block() -> None:
        blocker.unlink(missing_ok=True)
        blocker.mkdir()

    try:
        report = _push(changed, tmp_path, _at("fw2", "pushed", block))
    finally:
        if blocker.is_dir():
            blocker.rmdir()
    assert not report.ok
    assert report.message.startswith("fw1: the push refused:"), report.lines()
    assert report.members["fw2"].outcome == "rolled back"
    assert report.members["fw1"].outcome == "rolled back"
    assert rulesets() == pair_converged


@pytest.mark.usefixtures("restored")
def test_session_cut_mid_push_reverts_by_the_timer(pair_converged: dict[str, str], changed: Path,
                                                    tmp_path: Path) -> None:
    # fw1 applied the push; its session is cut and its sshd stopped before the confirm, so tier3 can neither
    # confirm nor roll it back: the timer armed on the member must restore it by itself
    def cut() -> None:
        hooks.stop_ssh("fw1")
        hooks.cut_sessions("fw1")

    report = _push(changed, tmp_path, _at("fw1", "pushed", cut))
    assert not report.ok
    assert "session lost" in report.message, report.lines()
    assert report.members["fw1"].outcome == "left to its revert timer"
    assert report.members["fw2"].outcome == "rolled back", report.lines()
    assert hooks.ruleset("fw1") != pair_converged["fw1"], "fw1 still runs the unconfirmed push"
    deadline = time.monotonic() + REVERT + 10
    while hooks.ruleset("fw1") != pair_converged["fw1"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert rulesets() == pair_converged, "the revert timer restored fw1"


@pytest.mark.usefixtures("restored")
def test_active_member_changing_rolls_back_both(pair_converged: dict[str, str], changed: Path, tmp_path: Path) -> None:
    def fail_over() -> None:
        hooks.stop_vrrp("fw1")
        deadline = time.monotonic() + 10
        while hooks.vrrp_state("fw2") != "MASTER" and time.monotonic() < deadline:
            time.sleep(0.2)

    report = _push(changed, tmp_path, _at("fw1", "pushed", fail_over))
    assert not report.ok
    assert report.message == "the active member changed during the push (fw1 -> fw2)", report.lines()
    assert report.members["fw1"].outcome == "rolled back"
    assert report.members["fw2"].outcome == "rolled back"
    assert rulesets() == pair_converged


def test_bad_policy_contacts_nothing(pair_converged: dict[str, str], variant: Any) -> None:
    def any_any(doc: dict[str, Any]) -> None:
        policy_of(doc)["rules"].insert(0, {"name": "open", "from": "any", "to": "any", "source": ["any"],
                                          "destination": ["any"], "service": ["any"], "action": "accept"})

    result = tier3_fw("push", inventory=variant(any_any))
    assert result.returncode == 2
    assert "T3-FWL-001" in result.stderr
    assert "nothing was contacted" in result.stderr
    assert rulesets() == pair_converged
