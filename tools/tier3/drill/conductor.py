"""The drill conductor: check, stream, kill, measure, restore, wait, count, judge.

``run_drill(name, site, options, say)`` is what ``tier3 drill NAME``, the ``tier3_drill`` action
plugin and ``bench/failover`` call. In order:

1. plan the drill (whom to kill) and check the site: a driver for every host involved, each VIP on
   exactly one member, mail accepted through the smtp VIP (a warm-up with a long timeout, so
   postscreen's first-contact wait is behind us) and the drill mailbox readable; any failure here
   is a ``DrillError`` and nothing is killed;
2. stream: a sender (and for imap-failover an IMAPS poller) every 1/rate seconds; at the fault time
   kill the target hard;
3. at the end of the stream: count what the survivor shows (waiting ``settle`` seconds for mail in
   flight), then restore the target, wait for systemd, its services and port, flush the MX queues,
   wait until no user is queued or failed on the IMAP hosts (a user still failed after a grace
   period is asked to sync again, on one host), count again;
4. count the VIP holders, read keepalived's transitions, judge with the T3-OBS-DRL rules.

The target is restored whatever happens after the kill (an error, Ctrl-C): a drill never leaves a
node dead on purpose. ``say`` gets the progress lines.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tier3.drill import analysis
from tier3.drill.cluster import Cluster, Pending, route_gateway
from tier3.drill.drills import REJOIN_PORTS, ROLE_UNITS, Plan, drill
from tier3.drill.faults import Drivers
from tier3.drill.probe import (
    READ_ERRORS,
    Account,
    Stream,
    delete_run,
    new_run_id,
    poll_once,
    read_tokens,
    send_one,
)
from tier3.drill.site import DrillError, DrillSite

Say = Callable[[str], None]


@dataclass(frozen=True)
class DrillOptions:
    duration: float = 20.0  # seconds of streaming
    rate: float = 5.0  # messages (and IMAP polls) per second
    fault_at: float | None = None  # seconds into the stream; default min(5, duration / 4)
    timeout: float = 2.0  # socket timeout of the probes: a dead path shows as failures
    slow: float = 1.0  # a success slower than this after the fault is a disruption (a SYN retransmitted)
    settle: float = 30.0  # how long a read waits for mail still in flight
    rejoin_timeout: float = 180.0  # restore -> systemd, the role's units and its port back
    # before imap-failover: replication left by earlier mail drains, or no drill; longer than dsync's
    # I/O timeout (roles/dovecot: -T 60), so a session that stalled just before is timed out and retried
    backlog_timeout: float = 150.0
    queue_timeout: float = 90.0  # then: the MX queues flushed until empty (deferred mail is delayed, not lost)
    replication_timeout: float = 120.0  # then: no user queued or failed on the IMAP pair (replication kicked)
    warmup_timeout: float = 60.0
    keep_messages: bool = False  # leave the drill's messages in the mailbox

    @property
    def fault_offset(self) -> float:
        return self.fault_at if self.fault_at is not None else min(5.0, self.duration / 4)


def _quiet(_line: str) -> None:
    return None


@dataclass
class _Run:
    name: str
    site: DrillSite
    options: DrillOptions
    say: Say
    cluster: Cluster
    account: Account
    run_id: str


def _check_drivers(site: DrillSite, drivers: Drivers, names: set[str]) -> bool:
    """A driver for every host involved; True when all of them are containers of this machine."""
    local = True
    for host in sorted(names):
        if host not in site.hosts:
            raise DrillError(site.source, host, "is not an inventory host", hint="check tier3_vips and the groups")
        local = local and drivers(host)[0].local
    return local


def _check_local_routes(site: DrillSite, plan: Plan) -> None:
    """Lab hosts are containers here: their VIPs must sit on a local bridge. A VIP routed through a gateway
    means the lab network is down (Podman removes a bridge with its last container) and the probes would
    send mail out of this machine to whoever answers for that address."""
    for vip in (plan.smtp_vip, plan.imap_vip):
        gateway = route_gateway(vip.address)
        if gateway is not None:
            raise DrillError(site.source, f"vip:{vip.name}", f"{vip.address} is not on a container network of this "
                             f"machine (route: {gateway}); nothing was sent or killed",
                             hint="start the lab (tier3 lab up) and converge it before a drill")


def _warm_up(r: _Run, plan: Plan) -> None:
    """Mail accepted through the smtp VIP with a long timeout, three times in a row, each within the probe's
    timeout; postscreen makes a first-time client wait (greet), each MX once."""
    deadline = time.monotonic() + r.options.warmup_timeout
    streak, tries, last = 0, 0, None
    while time.monotonic() < deadline:
        tries += 1
        last = send_one(plan.smtp, f"{r.run_id}-w{tries:03d}", r.name, r.site.mailbox, 15.0)
        fast = last.ok and last.t_end - last.t_start <= r.options.timeout
        streak = streak + 1 if fast else 0
        if streak >= 3:
            return
        if not last.ok:
            time.sleep(1.0)
    what = "no answer" if last is None else f"stopped at {last.stage}: {last.detail or 'slower than the timeout'}"
    raise DrillError(r.site.source, f"vip:{plan.smtp_vip.name}", f"mail to {r.site.mailbox} through {plan.smtp} is "
                     f"not accepted reliably before the drill ({what}); nothing was killed",
                     hint="converge the mail roles (playbooks/site.yml) and check the smtp VIP first")


def _check_reader(r: _Run, plan: Plan) -> None:
    try:
        read_tokens(plan.imap, r.account, r.run_id)
    except READ_ERRORS as exc:  # a mailbox that cannot be read is a site to fix, named in the message
        raise DrillError(r.site.source, "tier3_drill.mailbox", f"cannot read {r.site.mailbox} over IMAPS at "
                         f"{plan.imap} ({type(exc).__name__}: {exc}); nothing was killed",
                         hint="check the mailbox's password in tier3_mail.users, the CA (pki_ca_dir) and the "
                              "IMAP VIP") from None
    if plan.probe == "imap":
        polled = poll_once(plan.imap, r.account, r.options.timeout * 2)
        if not polled.ok:
            raise DrillError(r.site.source, f"vip:{plan.imap_vip.name}", f"IMAPS poll failed before the drill "
                             f"({polled.stage}: {polled.detail}); nothing was killed", hint="check the IMAP VIP")


def _read_all(r: _Run, plan: Plan, wanted: set[str], label: str) -> tuple[set[str], str]:
    """The run's tokens in the mailbox, polling until ``wanted`` are all there or ``settle`` is over."""
    deadline = time.monotonic() + r.options.settle
    found: set[str] = set()
    error = ""
    while True:
        try:
            found = read_tokens(plan.imap, r.account, r.run_id)
            error = ""
        except READ_ERRORS as exc:  # unreadable now: try again until the deadline, then report
            error = f"{type(exc).__name__}: {exc}"
        if wanted <= found or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    if error:
        r.say(f"{r.name}: {label}: the mailbox could not be read: {error}")
    return found, error


def _holders(r: _Run, plan: Plan, timeout: float) -> tuple[dict[str, int | None], dict[str, list[str]]]:
    state = r.cluster.holders_stable(plan.vips, timeout)
    counts = {vip: (None if unknown else len(held)) for vip, (held, unknown) in state.items()}
    return counts, {vip: held for vip, (held, _) in state.items()}


def _stream(r: _Run, plan: Plan, fault: dict[str, Any]) -> tuple[list[analysis.Transaction],
                                                                   list[analysis.Transaction]]:
    """Stream, kill at the fault time, stream on; ``fault`` gets the times and the command (its "at" as soon
    as the kill is on its way: the caller restores the target whenever it is there)."""
    o = r.options
    interval = 1.0 / o.rate
    sender = Stream("smtp", lambda seq: send_one(plan.smtp, f"{r.run_id}-{seq:05d}", r.name, r.site.mailbox,
                                                 o.timeout), interval)
    poller = (Stream("imap", lambda _seq: poll_once(plan.imap, r.account, o.timeout), interval)
              if plan.probe == "imap" else None)
    r.say(f"{r.name}: streaming to {plan.smtp}" + (f", polling {plan.imap}" if poller else "")
          + f" ({o.rate:g}/s for {o.duration:g} s; {plan.target} dies at +{o.fault_offset:.1f} s)")
    started = time.time()
    fault["stream_started"] = started
    for thread in (sender, poller):
        if thread is not None:
            thread.start()
    try:
        time.sleep(max(0.0, started + o.fault_offset - time.time()))
        driver, host = r.cluster.drivers(plan.target)
        fault["at"] = time.time()  # before the command: the takeover is measured from the earliest moment
        fault["command"] = driver.kill(host, plan.role)
        fault["kill_s"] = round(time.time() - fault["at"], 3)
        r.say(f"{r.name}: killed {plan.target} at +{fault['at'] - started:.1f} s ({fault['command']}, "
              f"{fault['kill_s']:.1f} s)")
        time.sleep(max(0.0, started + o.duration - time.time()))
    finally:
        sent = sender.finish(o.timeout * 3 + 5)
        polls = poller.finish(o.timeout * 3 + 5) if poller else []
    return sent, polls


def _restore(r: _Run, plan: Plan, why: str = "") -> dict[str, Any]:
    driver, host = r.cluster.drivers(plan.target)
    r.say(f"{r.name}: restoring {plan.target}{why}")
    began = time.time()
    command = driver.restore(host, plan.role)
    units = ROLE_UNITS[plan.role] + (("keepalived",) if any(plan.target in v.members for v in r.site.vips) else ())
    back = r.cluster.wait_back(plan.target, units, REJOIN_PORTS[plan.role], r.options.rejoin_timeout)
    back.update(command=command, started_at=began)
    r.say(f"{r.name}: {plan.target} " + (f"rejoined in {back['seconds']:.1f} s" if back["rejoined"] else
                                         f"not back after {back['seconds']:.1f} s: {sorted(back)}"))
    return back


def _replication(r: _Run) -> dict[str, Any]:
    imap_hosts = list(r.site.members("imap"))
    mx_hosts = list(r.site.members("mx"))
    r.say(f"{r.name}: flushing the MX queues ({', '.join(mx_hosts)})")
    queues = r.cluster.wait_queues(mx_hosts, r.options.queue_timeout)
    r.say(f"{r.name}: MX queues " + ("empty" if queues["empty"] else f"not empty: {queues['queued']}")
          + f" ({queues['waited_s']:.1f} s)")
    r.say(f"{r.name}: waiting for replication ({', '.join(imap_hosts)})")
    state = r.cluster.wait_replication(imap_hosts, r.options.replication_timeout, mailbox=r.site.mailbox)
    _say_ended(r.say, r.name, state)
    r.say(f"{r.name}: replication " + ("caught up" if state["caught_up"] else f"not caught up: {state['hosts']}")
          + f" ({state['waited_s']:.1f} s)")
    state["mx_queues"] = queues
    return state


def _say_ended(say: Say, name: str, state: dict[str, Any]) -> None:
    for ended in state["ended_sessions"]:
        say(f"{name}: {ended['host']}: ended a hung replication session of {ended['user']} at +{ended['at']:g} s "
            f"({ended['command']})")


def _keepalived(r: _Run, plan: Plan, fault_at: float, takeover: float | None) -> dict[str, Any]:
    vip = plan.measured_vip
    found = analysis.master_after(r.cluster.transitions(vip.members), vip.name, fault_at, plan.target)
    master_s = None if found is None else round(found.ts - fault_at, 3)
    return {"keepalived_master_s": master_s, "keepalived_master": None if found is None else found.host,
            "cross_check": analysis.cross_check(takeover, master_s)}


@dataclass(frozen=True)
class DrillRun:
    """What a drill measured: the figures (the JSON ``tier3 drill`` prints) and the probe's transactions."""

    result: dict[str, Any]
    sent: tuple[analysis.Transaction, ...]
    polls: tuple[analysis.Transaction, ...] = ()

    def probe_log(self) -> list[dict[str, Any]]:
        return [{"probe": "smtp", **t.to_dict()} for t in self.sent] + [
            {"probe": "imap", **t.to_dict()} for t in self.polls]


def _prepare(name: str, site: DrillSite, o: DrillOptions, say: Say) -> tuple[_Run, Plan]:
    """Everything checked before the kill: drivers, routes, VIP holders, the mailbox, mail accepted."""
    spec = drill(name)
    drivers = Drivers(site)
    local = _check_drivers(site, drivers, {m for v in site.vips for m in v.members} | set(site.members("mx"))
                           | set(site.members("imap")))
    r = _Run(name, site, o, say, Cluster(drivers), Account(site.mailbox, site.password), new_run_id())
    plan = spec.plan(site, r.cluster.holders)
    if local:
        _check_local_routes(site, plan)
    before, _ = _holders(r, plan, 10.0)
    split = {v: n for v, n in before.items() if n != 1}
    if split:
        raise DrillError(site.source, "tier3_vips", f"VIP holders before the drill: {split}; nothing was killed",
                         hint="each VIP must sit on exactly one member before a drill")
    if plan.probe == "imap":  # an old backlog would count as this drill's loss: let it drain first
        imap_hosts = list(site.members("imap"))
        backlog = r.cluster.wait_replication(imap_hosts, o.backlog_timeout, mailbox=site.mailbox)
        _say_ended(say, name, backlog)
        if not backlog["caught_up"]:
            say(f"{name}: replication still behind after {o.backlog_timeout:g} s "
                f"({backlog['asks']} sync(s) asked again)")
        behind = {h: p for h, p in r.cluster.pending(imap_hosts).items()
                  if not (isinstance(p, Pending) and p.caught_up)}
        if behind:
            dsync = "; ".join(f"{h}: {' '.join(t.split())}" for h, t in backlog.get("dsync", {}).items())
            raise DrillError(site.source, "groups.imap", f"replication is behind before the drill ({behind}); "
                             f"nothing was killed (dsync-status: {dsync or 'not read'})",
                             hint="wait until `doveadm replicator status '*'` shows no user "
                             "queued or failed on either node (docs/runbooks/imap-failover.md)")
    _check_reader(r, plan)
    _warm_up(r, plan)
    return r, plan


def run_drill(name: str, site: DrillSite, options: DrillOptions | None = None, say: Say = _quiet) -> DrillRun:
    """Run drill ``name`` against ``site``: the figures and the probe log (``tier3.drill.judge`` turns them
    into findings and a report)."""
    o = options or DrillOptions()
    r, plan = _prepare(name, site, o, say)
    restored: dict[str, Any] | None = None
    fault: dict[str, Any] = {}
    try:
        sent, polls = _stream(r, plan, fault)
        measured, fault_at = (polls if plan.probe == "imap" else sent), float(fault["at"])
        takeover, first = analysis.takeover(measured, fault_at, o.slow), analysis.first_success(measured, fault_at)
        slow = analysis.slow_after(measured, fault_at, o.slow)
        say(f"{name}: first success +{_s(first)} after the fault; back for good +{_s(takeover)} "
            f"({sum(1 for t in measured if not t.ok and t.t_end >= fault_at)} failed, {slow} slower than "
            f"{o.slow:g} s: {plan.probe} transactions)")
        accepted = {t.message_id for t in sent if t.ok}
        survivor, survivor_error = _read_all(r, plan, accepted, "survivor")
        restored = _restore(r, plan)
    finally:
        if restored is None and "at" in fault:  # killed and not yet restored: an error or Ctrl-C on the way
            restored = _restore(r, plan, " after an interruption")
    replication = _replication(r)
    after, after_error = _read_all(r, plan, accepted, "after rejoin")
    holders, held_on = _holders(r, plan, 30.0)
    counts = analysis.counts(sent, fault_at, survivor, after)
    result: dict[str, Any] = {
        "drill": name, "target": plan.target, "role": plan.role, "fault": fault["command"],
        "vip": {"name": plan.measured_vip.name, "address": plan.measured_vip.address,
                "port": plan.imap.port if plan.probe == "imap" else plan.smtp.port},
        "probe": plan.probe, "run_id": r.run_id, "duration_s": o.duration, "rate_per_s": o.rate,
        "fault_at_s": round(fault_at - fault["stream_started"], 3), "kill_s": fault["kill_s"],
        "takeover_s": takeover, "first_success_s": first, "outage_s": analysis.outage(measured, fault_at),
        "slow_after_fault": slow, "slow_s": o.slow,
        **_keepalived(r, plan, fault_at, takeover),
        **counts.to_dict(),
        "holders_after": holders.get(plan.measured_vip.name), "holders_by_vip": holders, "held_on": held_on,
        "rejoined": bool(restored.get("rejoined")), "restored_in_s": restored.get("seconds"),
        "replication_caught_up": replication["caught_up"], "replication": replication["hosts"],
        "replication_kicked": replication["kicked"], "replication_ended_sessions": replication["ended_sessions"],
        "mx_queued_after": replication["mx_queues"]["queued"],
        "read_errors": {k: v for k, v in (("survivor", survivor_error), ("after_rejoin", after_error)) if v},
        "rto_seconds": site.rto_seconds, "rpo_messages": site.rpo_messages, "probe_latency_s": _latency(sent),
    }
    if plan.probe == "imap":
        result["polls"] = {"sent": len(polls), "ok": sum(1 for p in polls if p.ok)}
    say(f"{name}: {counts.sent} sent, {counts.accepted} accepted, {counts.readable_on_survivor} on the survivor, "
        f"{counts.readable_after_rejoin} after rejoin, {counts.delayed} delayed, {counts.lost} lost; "
        + ", ".join(f"{v}: {n} holder{'s' if n != 1 else ''}" for v, n in holders.items()))
    _clean_up(r, plan)
    return DrillRun(result, tuple(sent), tuple(polls))


def _clean_up(r: _Run, plan: Plan) -> None:
    if r.options.keep_messages:
        return
    try:
        delete_run(plan.imap, r.account, r.run_id)
    except READ_ERRORS as exc:  # cleaning up is best effort; the figures stand
        r.say(f"{r.name}: the drill's messages could not be deleted ({exc}); they carry {r.run_id}")


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def _latency(sent: list[analysis.Transaction]) -> dict[str, float] | None:
    took = [t.t_end - t.t_start for t in sent if t.ok]
    if not took:
        return None
    return {"median": round(statistics.median(took), 3), "max": round(max(took), 3)}
