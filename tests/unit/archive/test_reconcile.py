"""Reconciling what the MX pair's Postfix accepted with every archive replica (T3-OBS-ARC-010), from the
cleanup and bounce log lines Postfix 3.7 prints, and the journal recipient encoding the ingest decodes."""

from __future__ import annotations

import pytest

from tier3.archive.host import journaled
from tier3.errors import ParseError
from tier3.ledger.reconcile import reconcile
from tier3.parsers.cleanup import notifications, parse_cleanup_log
from tier3.rules import RULES, Context

# journalctl -o cat -t postfix/cleanup -t postfix/bounce, in the shape Postfix 3.7 logs (long queue ids)
LOG = """\
4Fq2Xk1YgPz9vB3: message-id=<arc-1@tier3.test>
4Fq2Xk2ZzRz9vB4: message-id=<arc-2@tier3.test>
4Fq2Xk3AaBz9vB5: message-id=<arc-2@tier3.test>
4Fq2Xk4CcDz9vB6: message-id=
4Fq2Xk5EeFz9vB7: warning: header Subject: spam from unknown[10.89.30.51]; from=<a@ex.org>
4Fq2Xk6GgHz9vB8: message-id=<20261203080910.4Fq2Xk6GgHz9vB8@mx.lab.tier3.test>
4Fq2Xk7IiJz9vB9: sender non-delivery notification: 4Fq2Xk6GgHz9vB8
"""
ARC010 = RULES["T3-OBS-ARC-010"]


def accepted() -> list[tuple[str, str]]:
    own = notifications(LOG)
    return [(a.queue_id, a.message_id) for a in parse_cleanup_log(LOG, "mx1") if a.queue_id not in own]


def test_the_cleanup_log_gives_each_accepted_message_once_and_the_notices_postfix_made() -> None:
    found = parse_cleanup_log(LOG, "mx1")
    assert [(a.queue_id, a.message_id) for a in found] == [
        ("4Fq2Xk1YgPz9vB3", "<arc-1@tier3.test>"), ("4Fq2Xk2ZzRz9vB4", "<arc-2@tier3.test>"),
        ("4Fq2Xk3AaBz9vB5", "<arc-2@tier3.test>"), ("4Fq2Xk4CcDz9vB6", ""),
        ("4Fq2Xk6GgHz9vB8", "<20261203080910.4Fq2Xk6GgHz9vB8@mx.lab.tier3.test>")]
    assert notifications(LOG) == {"4Fq2Xk6GgHz9vB8"}  # a bounce: never journaled, never expected
    assert parse_cleanup_log("", "mx1") == ()
    with pytest.raises(ParseError, match="binary"):
        parse_cleanup_log("4Fq2Xk1YgPz9vB3: message-id=<a>\x00", "mx1")


def test_every_message_in_every_replica_is_clean() -> None:
    ids = ["<arc-1@tier3.test>", "<arc-2@tier3.test>", "<arc-2@tier3.test>", ""]
    facts = reconcile(accepted(), {"archive1": ids, "archive2": [*ids, "<older@tier3.test>"]}, {})
    assert (facts.accepted, facts.archived, facts.missing) == (4, {"archive1": 4, "archive2": 4},
                                                               {"archive1": (), "archive2": ()})
    assert ARC010.findings(facts, Context()) == []


def test_a_message_missing_from_one_replica_is_named_and_a_waiting_copy_is_not() -> None:
    archive1 = ["<arc-1@tier3.test>", "<arc-2@tier3.test>", "<arc-2@tier3.test>", ""]
    archive2 = ["<arc-2@tier3.test>", ""]  # arc-1 lost; one of the two arc-2 still waits in the MX queue
    facts = reconcile(accepted(), {"archive1": archive1, "archive2": archive2}, {"archive2": {"4Fq2Xk3AaBz9vB5"}})
    assert facts.missing == {"archive1": (), "archive2": ("<arc-1@tier3.test>",)}
    assert facts.waiting == {"archive1": 0, "archive2": 1}
    found = ARC010.findings(facts, Context())
    assert [(f.rule_id, f.subject) for f in found] == [("T3-OBS-ARC-010", "archive2:message:<arc-1@tier3.test>")]


def test_a_message_without_message_id_is_still_counted() -> None:
    facts = reconcile(accepted(), {"archive1": ["<arc-1@tier3.test>", "<arc-2@tier3.test>", "<arc-2@tier3.test>"]},
                      {})
    assert [f.subject for f in ARC010.findings(facts, Context())] == ["archive1:message:(no Message-ID)"]


@pytest.mark.parametrize(("recipient", "original"), [
    ("alice=lab.tier3.test@archive1.journal.lab.tier3.invalid", "alice@lab.tier3.test"),
    ("a=b=c.example@archive1.journal.lab.tier3.invalid", "a=b@c.example"),  # the domain has no '='
    ("alice@lab.tier3.test", "alice@lab.tier3.test"),  # not a journal recipient: unchanged
])
def test_journal_recipients_decode_to_the_original_envelope(recipient: str, original: str) -> None:
    assert journaled(recipient, "archive1.journal.lab.tier3.invalid") == original
