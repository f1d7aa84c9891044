"""The drill's client: SMTP sender, IMAPS poller and reader against small real servers on 127.0.0.1
(real sockets and TLS, certificates from a CA made here), and the stream that repeats them."""

from __future__ import annotations

import email
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mail_peers import Mailbox, Pki, closed_port, imaps_server, make_pki, server_context, smtp_server

from tier3.drill.analysis import Transaction
from tier3.drill.probe import (
    HEADER,
    Account,
    Endpoint,
    Stream,
    delete_run,
    new_run_id,
    poll_once,
    read_tokens,
    send_one,
    tokens_in,
)

MAILBOX = "drill@drill.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def box() -> Mailbox:
    return Mailbox(MAILBOX, "drill-secret")


@pytest.fixture
def imap(box: Mailbox, pki: Pki) -> Iterator[Endpoint]:
    with imaps_server(box, server_context(pki)) as port:
        yield Endpoint("127.0.0.1", port, "imap.drill.test", str(pki.ca))


def test_a_message_is_accepted_and_carries_its_token(box: Mailbox) -> None:
    with smtp_server(box) as port:
        done = send_one(Endpoint("127.0.0.1", port, "mail.drill.test"), "run1-00001", "lb-failover", MAILBOX, 2.0)
    assert (done.ok, done.stage, done.message_id, done.detail) == (True, "accepted", "run1-00001", "")
    assert done.t_start <= done.t_end
    [raw] = box.messages.values()
    msg = email.message_from_bytes(raw)
    assert (msg[HEADER], msg["Subject"], msg["To"]) == ("run1-00001", "tier3 drill lb-failover run1-00001", MAILBOX)


def test_starttls_is_used_when_offered_and_the_certificate_checked_for_the_service_name(box: Mailbox,
                                                                                        pki: Pki) -> None:
    with smtp_server(box, server_context(pki)) as port:
        good = send_one(Endpoint("127.0.0.1", port, "mail.drill.test", str(pki.ca)), "t-1", "d", MAILBOX, 2.0)
        wrong_name = send_one(Endpoint("127.0.0.1", port, "mx.elsewhere.test", str(pki.ca)), "t-2", "d", MAILBOX, 2.0)
        by_address = send_one(Endpoint("127.0.0.1", port, "127.0.0.1", str(pki.ca)), "t-3", "d", MAILBOX, 2.0)
    assert (good.ok, good.stage) == (True, "accepted")
    assert (wrong_name.ok, wrong_name.stage) == (False, "starttls")
    assert "certificate verify failed" in wrong_name.detail
    assert by_address.ok  # the IP SAN
    assert len(box.messages) == 2


def test_a_refused_recipient_is_a_failure_at_rcpt(box: Mailbox) -> None:
    box.refuse_rcpt = "450 4.2.0 <drill@drill.test>: Recipient address rejected: try again"
    with smtp_server(box) as port:
        done = send_one(Endpoint("127.0.0.1", port, "x"), "t-1", "d", MAILBOX, 2.0)
    assert (done.ok, done.stage) == (False, "rcpt")
    assert "450 4.2.0" in done.detail
    assert box.messages == {}


def test_a_dead_path_fails_fast_at_connect() -> None:
    done = send_one(Endpoint("127.0.0.1", closed_port(), "x"), "t-1", "d", MAILBOX, 2.0)
    assert (done.ok, done.stage) == (False, "connect")
    assert "ConnectionRefusedError" in done.detail
    assert done.t_end - done.t_start < 1.0


def test_a_server_that_never_greets_times_out(box: Mailbox) -> None:
    import socket  # noqa: PLC0415  (this test only)

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        done = send_one(Endpoint("127.0.0.1", silent.getsockname()[1], "x"), "t-1", "d", MAILBOX, 0.5)
    assert (done.ok, done.stage) == (False, "connect")
    assert 0.4 < done.t_end - done.t_start < 2.0


def test_poll_logs_in_and_selects(imap: Endpoint, pki: Pki) -> None:
    good = poll_once(imap, Account(MAILBOX, "drill-secret"), 2.0)
    assert (good.ok, good.stage) == (True, "ok")
    bad_password = poll_once(imap, Account(MAILBOX, "nope"), 2.0)
    assert (bad_password.ok, bad_password.stage) == (False, "login")
    wrong_name = poll_once(Endpoint(imap.address, imap.port, "imap.elsewhere.test", str(pki.ca)),
                           Account(MAILBOX, "drill-secret"), 2.0)
    assert (wrong_name.ok, wrong_name.stage) == (False, "connect")
    assert "certificate verify failed" in wrong_name.detail
    untrusted = poll_once(Endpoint(imap.address, imap.port, "imap.drill.test"), Account(MAILBOX, "drill-secret"), 2.0)
    assert not untrusted.ok  # the system's trust store does not know the site's CA


def test_the_reader_finds_this_runs_tokens_and_deletes_them(box: Mailbox, imap: Endpoint) -> None:
    run, other = new_run_id(), new_run_id()
    with smtp_server(box) as port:
        smtp = Endpoint("127.0.0.1", port, "x")
        for token in (f"{run}-00001", f"{run}-00002", f"{other}-00001", f"{run}-w001"):
            assert send_one(smtp, token, "d", MAILBOX, 2.0).ok
    account = Account(MAILBOX, "drill-secret")
    assert read_tokens(imap, account, run) == {f"{run}-00001", f"{run}-00002", f"{run}-w001"}
    assert read_tokens(imap, account, new_run_id()) == set()
    assert delete_run(imap, account, run) == 3
    assert read_tokens(imap, account, run) == set()
    assert read_tokens(imap, account, other) == {f"{other}-00001"}


def test_tokens_in_a_fetch_answer() -> None:
    fetched: list[object] = [
        (b"1 (UID 7 BODY[HEADER.FIELDS (X-Tier3-Drill)] {33}", b"X-Tier3-Drill: abc-00001\r\n\r\n"), b")",
        (b"2 (UID 9 BODY[HEADER.FIELDS (X-Tier3-Drill)] {33}", b"x-tier3-drill:abc-00002\r\n\r\n"), b")",
    ]
    assert tokens_in(fetched) == {"abc-00001", "abc-00002"}


def test_the_stream_keeps_its_pace_and_stops() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def attempt(seq: int) -> Transaction:
        with lock:
            seen.append(seq)
        now = time.time()
        return Transaction(now, now, seq % 2 == 0, "accepted", f"s-{seq}")

    stream = Stream("test", attempt, 0.05)
    stream.start()
    time.sleep(0.5)
    log = stream.finish(2.0)
    assert not stream.is_alive()
    assert 6 <= len(log) <= 12
    assert [t.message_id for t in log] == [f"s-{n}" for n in seen]


def test_a_slow_attempt_is_followed_at_once_without_a_burst() -> None:
    starts: list[float] = []

    def attempt(seq: int) -> Transaction:
        starts.append(time.monotonic())
        if seq == 1:
            time.sleep(0.3)
        now = time.time()
        return Transaction(now, now, True, "accepted", f"s-{seq}")

    stream = Stream("slow", attempt, 0.1)
    stream.start()
    time.sleep(0.55)
    stream.finish(2.0)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps[0] >= 0.3  # the slow one
    assert all(g >= 0.09 for g in gaps[1:3])  # then the pace again, not three at once to catch up


def test_endpoints_print_as_address_and_port(tmp_path: Path) -> None:
    assert str(Endpoint("10.89.30.100", 25, "mail.lab.tier3.test", str(tmp_path / "ca.crt"))) == "10.89.30.100:25"
