"""Drill rules (T3-OBS-DRL-001..003) over what a failover drill measured (``tier3 drill NAME``).

A drill kills one node hard while a client streams mail through a VIP, then restores it. Its
facts are the measured figures as ``tier3.drill`` returns them (a mapping: the JSON the command
prints), and the targets come with them from the inventory's ``tier3_drill`` (``rto_seconds``,
``rpo_messages``): they are a site's promise, not a policy threshold, so the rules read them from
the facts. The kind is ``drill``, not an inspect kind: nothing is parsed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tier3.model import Severity
from tier3.rules._registry import Category, Context, Violation, observed

KIND = "drill"  # the facts of a failover drill (tier3.drill), judged by the rules below
DRILL_CONTROLS = ("ISO27001:A.5.30", "ISO27001:A.8.14", "SOC2:A1.3", "NIST-800-53:CP-4")
COMMON: dict[str, Any] = {"category": Category.DRILL, "controls": DRILL_CONTROLS, "kinds": (KIND,)}


def subject(facts: Mapping[str, Any]) -> str:
    """``lb-failover:lb1``: the drill and the node it killed."""
    return f"{facts['drill']}:{facts.get('target') or '?'}"


def _figures(facts: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: facts.get(name) for name in names}


@observed("T3-OBS-DRL-001", severity=Severity.HIGH, title="takeover within the RTO (tier3_drill.rto_seconds)",
          rationale="""The time from the hard failure of one node until the client stream through the VIP is
          back for good: the end of the first undisrupted transaction after the last disrupted one (failed,
          or succeeded only after a second: a SYN swallowed by the dead node), as the client probe saw it:
          a 250 after DATA for the SMTP drills, a login and SELECT over IMAPS for imap-failover. A stream
          that never came back after the fault has no takeover at all and fails too. The figure is
          cross-checked with keepalived's notify log when a VIP moved.""",
          hint="read the drill's runbook (docs/runbooks/NAME.md): VRRP advert interval and HAProxy check "
               "timings bound the takeover", **COMMON)
def takeover_within_rto(facts: Mapping[str, Any], _ctx: Context) -> Iterator[Violation]:
    takeover, rto = facts.get("takeover_s"), float(facts["rto_seconds"])
    evidence = _figures(facts, "takeover_s", "rto_seconds", "first_success_s", "keepalived_master_s",
                        "failed_after_fault", "slow_after_fault")
    if takeover is None:
        yield Violation(subject(facts), f"no successful transaction through the VIP after the fault "
                        f"(RTO {rto:g} s): the service did not come back during the drill", evidence,
                        where="takeover_s")
    elif float(takeover) > rto:
        yield Violation(subject(facts), f"takeover {float(takeover):.2f} s exceeds the RTO of {rto:g} s",
                        evidence, where="takeover_s")


@observed("T3-OBS-DRL-002", severity=Severity.CRITICAL,
          title="accepted messages lost within the RPO (tier3_drill.rpo_messages)",
          rationale="""A message the cluster accepted (250 after DATA) is the cluster's to deliver: one that
          is readable neither on the survivor nor after the killed node rejoined and replication caught up
          is lost. Messages the client saw refused or timed out are not counted (the client keeps and
          retries them); messages readable only after the rejoin are delayed, not lost.""",
          hint="look at the MX queues (postqueue -p) and the replication status (doveadm replicator status "
               "'*') on the IMAP pair; the drill's runbook lists what to read", **COMMON)
def lost_within_rpo(facts: Mapping[str, Any], _ctx: Context) -> Iterator[Violation]:
    lost, rpo = int(facts["lost"]), int(facts["rpo_messages"])
    if lost > rpo:
        yield Violation(subject(facts), f"{lost} of {facts.get('accepted', '?')} accepted messages lost "
                        f"(RPO {rpo})", _figures(facts, "lost", "rpo_messages", "accepted", "readable_on_survivor",
                                                 "readable_after_rejoin", "delayed", "lost_tokens"), where="lost")


@observed("T3-OBS-DRL-003", severity=Severity.CRITICAL, title="exactly one member holds each VIP after the drill",
          rationale="""After the killed node was restored and rejoined, every VIP it could hold (and the VIP the
          client used) must sit on exactly one member: none is an outage, two is a split brain (both answer
          ARP for the address and connections break at random). A member that could not be read counts as
          unknown and fails the rule.""",
          hint="compare `ip -j addr` and /var/log/tier3/keepalived-transitions.log on the members; check that "
               "VRRP (IP protocol 112) passes between them", **COMMON)
def one_holder_after(facts: Mapping[str, Any], _ctx: Context) -> Iterator[Violation]:
    holders: Mapping[str, int | None] = facts.get("holders_by_vip") or {}
    for vip, count in sorted(holders.items()):
        if count == 1:
            continue
        said = "could not be read on every member" if count is None else f"held by {count} members"
        yield Violation(f"vip:{vip}", f"after {subject(facts)}: VIP {vip} {said}; exactly one must hold it",
                        {"vip": vip, "holders": count, "held_on": list((facts.get("held_on") or {}).get(vip, []))},
                        where=f"holders_by_vip.{vip}")
