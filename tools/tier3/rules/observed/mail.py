"""Observed mail rules over what the mail hosts say: Postfix's queue (T3-OBS-MAL-001, -002, kind
``postqueue``: ``PostQueue``) and Dovecot's replication (T3-OBS-MAL-003..005, kind ``replicator``:
``ReplicatorStatus``). The listeners probed from the controller are ``listener``'s (T3-OBS-MAL-006,
T3-OBS-TLS-*), the VIP holders ``vip``'s (T3-OBS-VRP-*).

Preconditions keep one defect reported once: a user whose last sync failed is T3-OBS-MAL-004's, not
also late (-005); a backlog is T3-OBS-MAL-003's only while nothing is failed or late.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from tier3.model import Severity
from tier3.parsers.postqueue import PostQueue
from tier3.parsers.replicator import ReplicatorStatus, ReplicaUser
from tier3.rules._registry import Category, Context, Violation, observed

AVAILABILITY_CONTROLS = ("ISO27001:A.8.14", "SOC2:A1.2", "GDPR:32(1)(b)")
CAPACITY_CONTROLS = ("ISO27001:A.8.6", "SOC2:A1.1")

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
QUEUE: dict[str, Any] = {"kinds": ("postqueue",), "category": Category.MAIL, "controls": CAPACITY_CONTROLS,
                         "breaks_redundancy": False}
REPLICATION: dict[str, Any] = {"kinds": ("replicator",), "category": Category.MAIL, "controls": AVAILABILITY_CONTROLS}


def _ago(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


# ---- postqueue -j -----------------------------------------------------------------------------

@observed("T3-OBS-MAL-001", severity=M, title="mail queue holds more messages than the policy allows",
          rationale="""A queue that grows is mail not delivered: a next hop that refuses or cannot be reached,
          a content filter or a milter that stalls, a flood. Counted over every queue postqueue lists
          (maildrop, incoming, active, deferred, hold): a stuck pickup fills maildrop, and held mail
          is not delivered either; each queue id once. The limit is the policy value
          ``mail_queue_max_messages`` (default 100). Not a redundancy finding: the MX still accepts
          mail, but the cluster's promise of delivering it is at risk.""",
          hint="postqueue -p and the mail log show why; fix the next hop, then postqueue -f", policy=(
              "mail_queue_max_messages",), **QUEUE)
def queue_deep(facts: PostQueue, ctx: Context) -> Iterator[Violation]:
    limit: int = ctx.policy["mail_queue_max_messages"]
    counts = facts.counts()
    total = len(facts.messages)
    if total > limit:
        shown = ", ".join(f"{name} {n}" for name, n in counts.items())
        yield Violation("mail queue", f"{total} messages queued ({shown}); the policy allows {limit}",
                        {"messages": total, "per_queue": counts, "maximum": limit},
                        where=f"line {facts.messages[limit].line}")


@observed("T3-OBS-MAL-002", severity=M, title="deferred mail older than the policy allows",
          rationale="""A message deferred for long has been retried and refused or unanswered each time: its
          recipient waits, and after maximal_queue_lifetime the sender gets a bounce. Judged on the
          deferred queue, the age measured from the message's arrival to when the output was read.
          The limit is the policy value ``mail_queue_max_age_s`` (default 3600 s). One finding for the
          queue, naming the oldest message and the delay reasons Postfix gave, most frequent first.""",
          hint="read the delay reasons (postqueue -j); fix the next hop, then postqueue -f", policy=(
              "mail_queue_max_age_s",), **QUEUE)
def deferred_old(facts: PostQueue, ctx: Context) -> Iterator[Violation]:
    if facts.read_at is None:
        return
    limit: int = ctx.policy["mail_queue_max_age_s"]
    read_at = facts.read_at
    old = [m for m in facts.messages if m.queue_name == "deferred" and read_at - m.arrival_time > limit]
    if not old:
        return
    oldest = min(old, key=lambda m: m.arrival_time)
    reasons = Counter(r.delay_reason for m in old for r in m.recipients if r.delay_reason)
    age = read_at - oldest.arrival_time
    message = (f"{len(old)} deferred message(s) waited longer than {limit} s; the oldest, {oldest.queue_id} "
               f"from {oldest.sender or '<>'}, {_ago(age)}")
    if reasons:
        message += f": {reasons.most_common(1)[0][0]}"
    yield Violation("deferred", message, {
        "messages": len(old), "oldest": oldest.queue_id, "oldest_arrival": oldest.arrival_time,
        "oldest_age_s": int(age), "maximum_s": limit, "delay_reasons": dict(reasons.most_common(5))},
        where=f"line {oldest.line}")


# ---- doveadm replicator status ----------------------------------------------------------------

def _late(user: ReplicaUser, limit: int) -> int | None:
    """How long a change of ``user`` has waited for replication, when over ``limit``; None otherwise.

    A queued sync (priority other than none) waits since the last success at least; a user never
    synced, with no sync failed, waits since its first attempt. A user whose last sync
    failed is T3-OBS-MAL-004's; one in sync (priority none, a success) waits for nothing, however
    long ago that success was: the replicator syncs only on changes and once a full-sync interval.
    """
    if user.failed:
        return None
    if user.success_sync_ago is None:
        waited = max(user.fast_sync_ago or 0, user.full_sync_ago or 0)
    elif user.priority != "none":
        waited = user.success_sync_ago
    else:
        return None
    return waited if waited > limit else None


def _user_facts(user: ReplicaUser) -> dict[str, Any]:
    return {"priority": user.priority, "fast_sync_ago_s": user.fast_sync_ago, "full_sync_ago_s": user.full_sync_ago,
            "success_sync_ago_s": user.success_sync_ago, "failed": user.failed}


@observed("T3-OBS-MAL-003", severity=L, title="replication requests waiting in the replicator's queue",
          rationale="""Dovecot queues a sync for each mailbox change and works through the queue; requests
          that wait are changes the IMAP peer does not have yet. A short backlog right after
          deliveries is normal, so this only notes it: the summary's queued sync, high, low and full
          resync requests, or (with only the user table) the users whose priority is not none. Silent
          when T3-OBS-MAL-004 (a failed user, or failed requests in the summary) or T3-OBS-MAL-005 (a
          late user) fires: those name the problem. Does not break redundancy by itself.""",
          hint="read it again in a minute; a backlog that stays is T3-OBS-MAL-005",
          policy=("replication_max_lag_s",), breaks_redundancy=False, **REPLICATION)
def replication_queued(facts: ReplicatorStatus, ctx: Context) -> Iterator[Violation]:
    users = facts.users or ()
    limit: int = ctx.policy["replication_max_lag_s"]
    summary = facts.summary or {}
    if any(u.failed or _late(u, limit) is not None for u in users) or (
            facts.users is None and summary.get("queued_failed", 0) + summary.get("waiting_failed", 0)):
        return
    waiting = [u.username for u in users if u.priority != "none"]
    queued = facts.queued
    if queued:
        counts = {k: v for k, v in summary.items() if k.startswith("queued_") and k != "queued_failed" and v}
        shown = ", ".join(f"{k} {v}" for k, v in counts.items())
        yield Violation("replicator", f"{queued} sync request(s) queued ({shown})"
                        + (f"; waiting: {', '.join(waiting)}" if waiting else ""),
                        {**counts, "users_waiting": waiting}, where=f"line {facts.summary_line}")
    elif queued is None and waiting:
        yield Violation("replicator", f"sync waiting for {', '.join(waiting)}", {"users_waiting": waiting},
                        where=f"line {next(u.line for u in users if u.priority != 'none')}")


@observed("T3-OBS-MAL-004", severity=H, title="replication to the IMAP peer failed",
          rationale="""When a user's last sync failed, the peer lacks that user's latest mail: losing this IMAP
          node loses it. The replicator retries failed users later (the summary's 'failed' requests),
          so a failure can last. Per user from the table (``failed`` y); with only the summary, its
          queued and waiting 'failed' requests, for the replicator as a whole.""",
          hint="doveadm replicator dsync-status and the Dovecot log name the error (peer down, TLS, password)",
          **REPLICATION)
def replication_failed(facts: ReplicatorStatus, _ctx: Context) -> Iterator[Violation]:
    if facts.users is not None:
        for u in facts.users:
            if u.failed:
                last = "never synced" if u.success_sync_ago is None else \
                    f"last success {_ago(u.success_sync_ago)} ago"
                yield Violation(u.username, f"last sync failed ({last})", _user_facts(u), where=f"line {u.line}")
        return
    summary = facts.summary or {}
    failed = summary.get("queued_failed", 0) + summary.get("waiting_failed", 0)
    if failed:
        yield Violation("replicator", f"{failed} failed sync request(s) (queued {summary.get('queued_failed', 0)}, "
                        f"waiting {summary.get('waiting_failed', 0)}) of {summary.get('known_users', 0)} known user(s)",
                        {k: summary.get(k, 0) for k in ("queued_failed", "waiting_failed", "known_users")},
                        where=f"line {facts.summary_line}")


@observed("T3-OBS-MAL-005", severity=H, title="mailbox changes wait for replication longer than the policy allows",
          rationale="""Two-way replication is what lets either IMAP node fail without losing mail; a change
          not yet on the peer is lost with this node. A user is late when a sync is queued for it
          (priority other than none) and its last successful sync is older than the policy value
          ``replication_max_lag_s`` (default 60 s), or when it was never synced and its first attempt
          is that old. A user in sync (priority none) is not late however long ago its last sync was:
          the replicator syncs on changes. A failed user is T3-OBS-MAL-004's.""",
          hint="doveadm replicator status '*' and dsync-status show what it waits for; check the peer and the "
          "replicator's connections", policy=("replication_max_lag_s",), **REPLICATION)
def replication_late(facts: ReplicatorStatus, ctx: Context) -> Iterator[Violation]:
    limit: int = ctx.policy["replication_max_lag_s"]
    for u in facts.users or ():
        waited = _late(u, limit)
        if waited is not None:
            since = "never synced" if u.success_sync_ago is None else f"last success {_ago(u.success_sync_ago)} ago"
            yield Violation(u.username, f"{u.priority} priority sync waiting ({since}); the policy allows {limit} s",
                            {**_user_facts(u), "waited_s": waited, "maximum_s": limit}, where=f"line {u.line}")
