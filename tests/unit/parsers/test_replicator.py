"""parse_replicator_status on real captures of Dovecot 2.3.19 (tests/fixtures/real/mail/) and on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from judged import ids

from tier3.errors import ParseError
from tier3.parsers.replicator import ReplicatorStatus, parse_replicator_status

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"


def status(name: str) -> ReplicatorStatus:
    return parse_replicator_status((REAL / name).read_text(encoding="utf-8"), name)


def test_user_table() -> None:
    r = status("doveadm_replicator_status_users_stuck.txt")
    assert r.summary is None
    assert r.users is not None
    alice, bob = r.users
    assert (alice.username, alice.priority, alice.fast_sync_ago, alice.full_sync_ago, alice.success_sync_ago,
            alice.failed, alice.line) == ("alice@lab.tier3.test", "high", 66, 98, 66, False, 2)
    assert (bob.priority, bob.success_sync_ago, bob.failed) == ("none", None, True)


def test_summary() -> None:
    r = status("doveadm_replicator_status_queued.txt")
    assert r.users is None
    assert r.summary == {"queued_sync": 0, "queued_high": 1, "queued_low": 0, "queued_failed": 0,
                         "queued_full_resync": 0, "waiting_failed": 1, "known_users": 2}
    assert (r.queued, r.summary_line, r.other) == (1, 1, {})


def test_both_in_one_text_and_combined() -> None:
    users = (REAL / "doveadm_replicator_status_users_in_sync.txt").read_text(encoding="utf-8")
    summary = (REAL / "doveadm_replicator_status_in_sync.txt").read_text(encoding="utf-8")
    together = parse_replicator_status(summary + users, "x")
    assert together.users is not None
    assert (len(together.users), together.queued, together.summary_line) == (2, 0, 1)
    joined = parse_replicator_status(users, "u").combine(parse_replicator_status(summary, "s"))
    assert joined.summary == together.summary
    assert joined.users is not None
    assert [(u.username, u.success_sync_ago, u.line) for u in joined.users] == [
        ("alice@lab.tier3.test", 8, 2), ("bob@lab.tier3.test", 8, 3)]  # lines of its own text
    assert [u.line for u in together.users] == [9, 10]


def test_hours_beyond_two_digits_and_unknown_summary_lines() -> None:
    text = ("username priority fast sync full sync success sync failed\n"
            "carol@x.test low 123:04:05 - 00:00:01 -\n"
            "Queued 'sync' requests 0\nQueued 'later' requests 4\nTotal number of known users 1\n")
    r = parse_replicator_status(text, "x")
    assert r.users is not None
    (carol,) = r.users
    assert (carol.fast_sync_ago, carol.full_sync_ago, carol.priority) == (123 * 3600 + 245, None, "low")
    assert r.other == {"Queued 'later' requests": 4}


def test_rules_over_the_real_states() -> None:
    assert ids("replicator", status("doveadm_replicator_status_users_in_sync.txt")) == []
    assert ids("replicator", status("doveadm_replicator_status_users_idle.txt")) == []  # in sync, 69 s ago
    assert ids("replicator", status("doveadm_replicator_status_users_stuck.txt")) == [
        ("T3-OBS-MAL-004", "bob@lab.tier3.test"), ("T3-OBS-MAL-005", "alice@lab.tier3.test")]
    assert ids("replicator", status("doveadm_replicator_status_users_stuck.txt"), replication_max_lag_s=70) == [
        ("T3-OBS-MAL-004", "bob@lab.tier3.test")]


def test_a_backlog_alone_is_only_noted() -> None:
    summary = "Queued 'sync' requests 0\nQueued 'high' requests 2\nWaiting 'failed' requests 0\n" \
              "Total number of known users 2\n"
    assert ids("replicator", parse_replicator_status(summary, "x")) == [("T3-OBS-MAL-003", "replicator")]
    table = "username priority fast sync full sync success sync failed\nu@x.test high 00:00:01 00:00:09 00:00:01 -\n"
    assert ids("replicator", parse_replicator_status(table, "x")) == [("T3-OBS-MAL-003", "replicator")]


def test_a_first_sync_that_takes_too_long_is_late() -> None:
    table = "username priority fast sync full sync success sync failed\nu@x.test none 00:02:00 00:02:00 - -\n"
    assert ids("replicator", parse_replicator_status(table, "x")) == [("T3-OBS-MAL-005", "u@x.test")]


@pytest.mark.parametrize(("text", "where", "message"), [
    ("username priority fast sync full sync success sync failed\nalice none 00:00:01 00:00:01 -\n",
     "line 2", "expected 6 fields"),
    ("username priority fast sync full sync success sync failed\nalice urgent 00:00:01 00:00:01 - -\n",
     "line 2", "unknown priority 'urgent'"),
    ("username priority fast sync full sync success sync failed\nalice none 1:2:3 00:00:01 - -\n",
     "line 2", "expected H:MM:SS or '-' for fast sync"),
    ("username priority fast sync full sync success sync failed\nalice none 00:00:01 00:00:01 - n\n",
     "line 2", "expected 'y' or '-' for failed"),
    ("Queued 'sync' requests        0\nQueued 'high' requests        1\n", "line 2", "summary without its"),
    ("Personalities : [raid1]\n", "line 1", "expected doveadm replicator status output"),
    ("alice@x none 00:00:01 00:00:01 - -\n", "line 1", "expected doveadm replicator status output"),
])
def test_bad_input_is_refused_with_the_line(text: str, where: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_replicator_status(text, "r.txt")
    assert raised.value.where == where
    assert message in raised.value.message


def test_a_summary_cut_before_its_last_line_is_refused() -> None:
    lines = (REAL / "doveadm_replicator_status_in_sync.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    for keep in range(1, len(lines)):
        with pytest.raises(ParseError, match="summary without"):
            parse_replicator_status("".join(lines[:keep]), "r.txt")


@pytest.mark.parametrize("text", ["", "  \n", "\x00\n", "<!doctype html><html></html>"])
def test_empty_binary_and_html_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse_replicator_status(text, "r.txt")
