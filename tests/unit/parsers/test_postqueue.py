"""parse_postqueue_json on real captures (tests/fixtures/real/mail/) and on the inputs it must refuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from judged import ids

from tier3.errors import ParseError
from tier3.parsers.postqueue import PostQueue, parse_postqueue_json

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real" / "mail"


def queue(name: str, read_at: float | None = None) -> PostQueue:
    return parse_postqueue_json((REAL / name).read_text(encoding="utf-8"), name, read_at)


def test_empty_output_is_an_empty_queue() -> None:
    assert (REAL / "postqueue_j_empty.txt").read_bytes() == b""
    q = queue("postqueue_j_empty.txt", 10.0)
    assert (q.messages, q.counts(), q.oldest(), q.read_at) == ((), {}, None, 10.0)
    assert parse_postqueue_json("\n\n", "x").messages == ()


def test_deferred_messages_with_their_delay_reasons() -> None:
    q = queue("postqueue_j_deferred.txt")
    assert q.counts() == {"deferred": 4}
    two = next(m for m in q.messages if m.queue_id == "E36E019238C")
    assert (two.sender, two.arrival_time, two.message_size, two.line) == ("alice@lab.tier3.test", 1796125135, 290, 2)
    assert [(r.address, r.delay_reason) for r in two.recipients] == [
        ("dave@outside.test", "connect to 10.89.44.99[10.89.44.99]:25: No route to host"),
        ("erin@outside.test", "connect to 10.89.44.99[10.89.44.99]:25: No route to host")]


def test_every_queue_is_counted() -> None:
    assert queue("postqueue_j_postfix_stopped_maildrop.txt").counts() == {"maildrop": 1, "deferred": 3, "hold": 1}
    assert queue("postqueue_j_active.txt").counts() == {"active": 2}
    q = queue("postqueue_j_125_queued.txt")
    assert (len(q.messages), q.counts()) == (125, {"deferred": 124, "hold": 1})
    oldest = q.oldest()
    assert oldest is not None
    assert oldest.arrival_time == 1796125135
    assert q.oldest("hold") is not None
    assert q.oldest("incoming") is None


def test_active_messages_carry_no_delay_reason() -> None:
    q = queue("postqueue_j_active.txt")
    assert {r.delay_reason for m in q.messages for r in m.recipients} == {""}


def test_a_message_listed_twice_is_kept_once_in_its_last_queue() -> None:
    """postqueue(1): a message moved between queues while listed may show twice."""
    line = {"queue_name": "incoming", "queue_id": "ABC", "arrival_time": 1, "message_size": 2, "sender": "",
            "recipients": [{"address": "a@b.test"}]}
    text = "\n".join(json.dumps(x) for x in (line, {**line, "queue_id": "DEF"}, {**line, "queue_name": "active"}))
    q = parse_postqueue_json(text, "x")
    assert [(m.queue_id, m.queue_name, m.line) for m in q.messages] == [("DEF", "incoming", 2), ("ABC", "active", 3)]
    assert q.listed_twice == ("ABC",)


def test_the_null_sender_and_later_fields_are_read() -> None:
    line = {"queue_name": "deferred", "queue_id": "X1", "arrival_time": 5, "message_size": 9, "sender": "",
            "recipients": [{"address": "a@b.test", "delay_reason": "r"}], "forced_expire": True, "new_field": 1}
    (m,) = parse_postqueue_json(json.dumps(line), "x").messages
    assert (m.sender, m.forced_expire) == ("", True)


def test_rules_judge_depth_and_age() -> None:
    q = queue("postqueue_j_125_queued.txt", read_at=1796125135 + 7200)
    assert ids("postqueue", q) == [("T3-OBS-MAL-001", "mail queue"), ("T3-OBS-MAL-002", "deferred")]
    assert ids("postqueue", q, mail_queue_max_messages=125, mail_queue_max_age_s=7200) == []
    assert ids("postqueue", queue("postqueue_j_125_queued.txt")) == [("T3-OBS-MAL-001", "mail queue")]  # age unknown


@pytest.mark.parametrize(("text", "where", "message"), [
    ('{"queue_name": "deferred"', "line 1 column 26", "invalid JSON"),
    ("[1, 2]", "line 1", "expected a JSON object per line"),
    ('{"queue_name": "deferred", "queue_id": "A"}', "line 1", "no 'arrival_time'"),
    ('{"queue_name": "deferred", "queue_id": "A", "arrival_time": "soon", "message_size": 1, "sender": "", '
     '"recipients": []}', "line 1", "arrival_time must be int"),
    ('{"queue_name": "deferred", "queue_id": "A", "arrival_time": true, "message_size": 1, "sender": "", '
     '"recipients": []}', "line 1", "arrival_time must be int"),
    ('{"queue_name": "deferred", "queue_id": "A", "arrival_time": 1, "message_size": 1, "sender": "", '
     '"recipients": []}', "line 1", "without recipients"),
    ('{"queue_name": "deferred", "queue_id": "A", "arrival_time": 1, "message_size": 1, "sender": "", '
     '"recipients": [{"delay_reason": "x"}]}', "line 1", "recipients[0] must be an object with an 'address'"),
    ("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------", "line 1 column 1", "invalid JSON"),
])
def test_bad_input_is_refused_with_the_line(text: str, where: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_postqueue_json(text, "q.txt")
    assert raised.value.where == where
    assert message in raised.value.message


def test_a_line_cut_short_is_refused() -> None:
    lines = (REAL / "postqueue_j_deferred.txt").read_text(encoding="utf-8").splitlines()
    cut = "\n".join([*lines[:2], lines[2][:-30]])
    with pytest.raises(ParseError, match="invalid JSON") as raised:
        parse_postqueue_json(cut, "q.txt")
    assert raised.value.where.startswith("line 3 ")


@pytest.mark.parametrize("text", ["\x00", "<html><body>502</body></html>"])
def test_binary_and_html_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse_postqueue_json(text, "q.txt")
