"""The pure analysis of a drill: takeover and counts from hand-made probe logs.

Each log is written as rows (start, duration, ok) in seconds of the stream, the fault at FAULT; the
probe is sequential, so rows never overlap."""

from __future__ import annotations

import pytest

from tier3.drill.analysis import (
    Transaction,
    counts,
    cross_check,
    first_success,
    master_after,
    outage,
    parse_transitions,
    slow_after,
    takeover,
)

T0 = 1_800_000_000.0  # an epoch time: the probe and keepalived both use time.time()
FAULT = T0 + 5.0


def log(*rows: tuple[float, float, bool]) -> list[Transaction]:
    return [Transaction(T0 + start, T0 + start + took, ok, "accepted" if ok else "connect", f"run-{i:05d}")
            for i, (start, took, ok) in enumerate(rows)]


STEADY = [(s / 5, 0.02, True) for s in range(0, 25)]  # 5 per second for 5 s: the lead-in, all fine

CASES = {
    # the node dies at 5.0; failures until the survivor answers at 5.8 (its transaction ends at 5.85)
    "outage then back": (log(*STEADY, (5.0, 0.01, False), (5.2, 0.01, False), (5.4, 0.3, False),
                             (5.8, 0.05, True), (6.0, 0.02, True)), 0.85, 0.85),
    # a kill the survivor absorbs: no transaction fails after the fault (round robin to a live MX)
    "zero gap": (log(*STEADY, (5.0, 0.02, True), (5.2, 0.02, True)), 0.0, 0.02),
    # a success in the middle of the outage (round robin hit the survivor) does not end it
    "round robin": (log(*STEADY, (5.0, 2.0, False), (7.0, 0.05, True), (7.2, 2.0, False), (9.2, 0.05, True),
                        (9.4, 0.05, True)), 4.25, 2.05),
    # in flight at the fault and failed by it: counts as a failure after the fault
    "in flight": (log(*STEADY, (4.9, 2.0, False), (6.9, 0.1, True)), 2.0, 2.0),
    # failures that ended before the fault are lead-in noise
    "noise before": (log((0.0, 2.0, False), (2.0, 0.02, True), (4.8, 0.02, True), (5.1, 0.02, True)), 0.0, 0.12),
}


@pytest.mark.parametrize(("transactions", "expected", "first"), CASES.values(), ids=CASES.keys())
def test_takeover(transactions: list[Transaction], expected: float, first: float) -> None:
    assert takeover(transactions, FAULT) == pytest.approx(expected, abs=1e-3)
    assert first_success(transactions, FAULT) == pytest.approx(first, abs=1e-3)


def test_a_slow_success_is_a_disruption() -> None:
    """The dead node swallowed the SYN; the retransmission a second later reached the survivor: nothing
    failed, yet the client waited. With ``slow`` the takeover ends after it; without, it is a zero gap."""
    transactions = log(*STEADY, (5.0, 0.02, True), (5.2, 1.06, True), (6.26, 0.01, True), (6.46, 0.01, True))
    assert takeover(transactions, FAULT) == 0.0
    assert takeover(transactions, FAULT, slow=1.0) == pytest.approx(1.27)
    assert slow_after(transactions, FAULT, 1.0) == 1
    assert takeover(transactions, FAULT, slow=2.0) == 0.0


def test_slow_lead_in_does_not_count() -> None:
    transactions = log((0.0, 4.0, True), (4.0, 0.02, True), (5.1, 0.02, True))  # postscreen's greet wait, once
    assert takeover(transactions, FAULT, slow=1.0) == 0.0


def test_no_success_after_the_fault_is_no_takeover() -> None:
    transactions = log(*STEADY, (5.0, 2.0, False), (7.0, 2.0, False), (9.0, 2.0, False))
    assert takeover(transactions, FAULT) is None
    assert first_success(transactions, FAULT) is None
    assert outage(transactions, FAULT) == (0.0, 6.0)


def test_a_success_before_the_last_failure_does_not_count_as_back() -> None:
    transactions = log(*STEADY, (5.0, 0.1, True), (5.2, 0.1, False))
    assert takeover(transactions, FAULT) is None
    assert first_success(transactions, FAULT) == pytest.approx(0.1)


def test_the_order_given_does_not_matter() -> None:
    transactions = CASES["outage then back"][0]
    assert takeover(list(reversed(transactions)), FAULT) == takeover(transactions, FAULT)


def test_outage_window() -> None:
    assert outage(CASES["round robin"][0], FAULT) == (0.0, 4.2)
    assert outage(CASES["zero gap"][0], FAULT) is None


def test_counts_lost_delayed_and_unaccepted_arrivals() -> None:
    sent = log((4.0, 0.1, True), (4.2, 0.1, True), (5.0, 2.0, False), (7.0, 0.1, True), (7.2, 0.1, True),
               (7.4, 2.0, False), (0.0, 2.0, False))
    ids = [t.message_id for t in sent]
    survivor = {ids[0], ids[3], ids[2]}  # ids[2] failed for the client but was delivered (a retry would duplicate)
    rejoined = {ids[0], ids[1], ids[3], ids[2]}  # ids[1] only after the rejoin: delayed; ids[4] never: lost
    c = counts(sent, FAULT, survivor, rejoined)
    assert c.to_dict() == {
        "sent": 7, "accepted": 4, "failed_before_fault": 1, "failed_after_fault": 2,
        "readable_on_survivor": 2, "readable_after_rejoin": 3, "delayed": 1, "lost": 1,
        "readable_not_accepted": 1, "lost_tokens": [ids[4]],
    }


def test_a_message_seen_on_the_survivor_and_gone_after_the_rejoin_is_lost() -> None:
    """A replication conflict that expunges a delivered message is loss, whatever the survivor showed."""
    sent = log((4.0, 0.1, True))
    c = counts(sent, FAULT, {sent[0].message_id}, set())
    assert (c.readable_on_survivor, c.readable_after_rejoin, c.lost, c.delayed) == (1, 0, 1, 0)


def test_nothing_sent() -> None:
    c = counts([], FAULT, set(), set())
    assert (c.sent, c.accepted, c.lost) == (0, 0, 0)


def test_transaction_round_trip() -> None:
    t = Transaction(T0, T0 + 1, False, "rcpt", "run-00001", "450 try later")
    assert Transaction.from_dict(t.to_dict()) == t


NOTIFY_LOG = """\
{"ts": 1800000001.100, "host": "lb1", "instance": "lab-smtp", "state": "MASTER"}
{"ts": 1800000001.200, "host": "lb1", "instance": "lab-imap", "state": "BACKUP"}
{"ts": 1800000005.9
{"ts": 1800000005.950, "host": "lb2", "instance": "lab-imap", "state": "MASTER"}
{"ts": 1800000005.700, "host": "lb2", "instance": "lab-smtp", "state": "MASTER"}
not json at all
{"ts": 1800000009.000, "host": "lb1", "instance": "lab-smtp", "state": "BACKUP"}
"""


def test_transitions_and_the_master_after_the_fault() -> None:
    """One JSON line per transition (docs/mail.md); a line cut by the kill is skipped."""
    found = parse_transitions(NOTIFY_LOG)
    assert [(t.host, t.instance, t.state) for t in found] == [
        ("lb1", "lab-smtp", "MASTER"), ("lb1", "lab-imap", "BACKUP"), ("lb2", "lab-imap", "MASTER"),
        ("lb2", "lab-smtp", "MASTER"), ("lb1", "lab-smtp", "BACKUP")]
    master = master_after(found, "lab-smtp", FAULT, killed="lb1")
    assert master is not None
    assert (master.host, round(master.ts - FAULT, 3)) == ("lb2", 0.7)
    assert master_after(found, "lab-smtp", FAULT, killed="lb2") is None  # lb1's MASTER came before the fault
    assert master_after(found, "lab-mx", FAULT, killed="lb1") is None


@pytest.mark.parametrize(("takeover_s", "master_s", "says"), [
    (1.8, 0.99, "consistent: keepalived MASTER at +0.99 s, the probe back at +1.80 s"),
    (0.0, 0.7, "the probe was back at +0.00 s, before keepalived's MASTER at +0.70 s"),
    (None, 0.7, "keepalived MASTER at +0.70 s, but the probe never got through"),
    (0.4, None, "no VIP moved"),
])
def test_the_keepalived_cross_check(takeover_s: float | None, master_s: float | None, says: str) -> None:
    assert says in cross_check(takeover_s, master_s)
