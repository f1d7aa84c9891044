"""What a drill reads from the cluster's hosts, through their fault drivers: who holds a VIP, keepalived's
transitions, the replication queue, whether a restored node is back.

What the hosts print is read by the parsers of ``tier3.parsers`` (``ipaddr``, ``replicator``); the
helpers here (``holds``, ``replication_pending``, ``gateway_of``) are pure, the readers around them
run one command per host.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tier3.drill.analysis import Transition, parse_transitions
from tier3.drill.faults import Drivers
from tier3.drill.site import Vip
from tier3.errors import ParseError
from tier3.parsers.ipaddr import HostAddresses, parse_ip_j_addr
from tier3.parsers.postqueue import parse_postqueue_json
from tier3.parsers.replicator import parse_replicator_status

TRANSITIONS_LOG = "/var/log/tier3/keepalived-transitions.log"
REPLICATOR_STATUS = ("doveadm", "replicator", "status", "*")
REPLICATE_USER = ("doveadm", "replicator", "replicate")
DSYNC_STATUS = ("doveadm", "replicator", "dsync-status")
# a dsync session that outlived dsync's own 60 s I/O timeout (replication_dsync_parameters -T 60) and
# ignores SIGTERM: seen in the lab after the mx drill, its replicator "Waiting for dsync to finish" for
# minutes, the user queued all that time; SIGKILL ends it and the replicator syncs the user again at once
END_HUNG_SESSIONS = ("pkill", "--signal", "KILL", "--older", "{older}", "--full", "^dovecot/doveadm-server")
FLUSH_QUEUE = ("postqueue", "-f")
LIST_QUEUE = ("postqueue", "-j")


def holds(ip_json: str, address: str, source: str) -> bool:
    """Whether ``ip -j addr`` shows ``address`` on a link that is up (an address on a link without the UP
    flag answers nothing). Raises ``ParseError`` on output that is not ``ip -j addr``'s."""
    host = HostAddresses(source, parse_ip_j_addr(ip_json, source))
    return any(link.link_up for link, _ in host.holding(address))


@dataclass(frozen=True)
class Pending:
    """What ``doveadm replicator status '*'`` says is not in sync yet."""

    users: int
    queued: tuple[str, ...]  # users with a sync waiting (priority other than none)
    failed: tuple[str, ...]  # users whose last sync failed

    @property
    def caught_up(self) -> bool:
        return not self.queued and not self.failed


def replication_pending(text: str, source: str) -> Pending:
    """The users a replicator still has to sync, from its per-user table (``tier3.parsers.replicator``).
    Raises ``ParseError`` when the text holds no such table."""
    status = parse_replicator_status(text, source)
    if status.users is None:
        raise ParseError(source, "line 1", "no per-user table (run doveadm replicator status with the '*' mask)")
    return Pending(len(status.users), tuple(u.username for u in status.users if u.priority != "none"),
                   tuple(u.username for u in status.users if u.failed))


def to_kick(state: Mapping[str, Pending | str], kicked: Mapping[str, str],
            stuck: Collection[str] = ()) -> dict[str, str]:
    """The users to ask for a sync again (user -> host): the failed ones, and the ``stuck`` ones (queued for
    longer than a sync takes), each once, on the first host that reports it, never on two hosts (their syncs
    of one mailbox would lock each other out). A user only queued is left alone: its sync is on the way."""
    out: dict[str, str] = {}
    for host, pending in state.items():
        if not isinstance(pending, Pending):
            continue
        for user in (*pending.failed, *(u for u in pending.queued if u in stuck)):
            if user not in kicked and user not in out:
                out[user] = host
    return out


def in_session(dsync_status: str) -> set[str]:
    """The users ``doveadm replicator dsync-status`` shows a session for: a row that starts with a user
    name (an idle slot's row starts blank: ``   -    Not connected``)."""
    rows = [line.split() for line in dsync_status.splitlines() if line[:1].strip()]
    return {row[0] for row in rows if row[0] != "username"}


def behind(state: Mapping[str, Pending | str]) -> set[str]:
    """Every user some host still has queued or failed."""
    return {u for p in state.values() if isinstance(p, Pending) for u in (*p.queued, *p.failed)}


class Cluster:
    """Reads the hosts of a site through their drivers."""

    def __init__(self, drivers: Drivers) -> None:
        self.drivers = drivers

    def run(self, host: str, argv: Sequence[str], timeout: float = 30.0) -> tuple[bool, str]:
        driver, ref = self.drivers(host)
        result = driver.run(ref, argv, timeout)
        return result.ok, result.stdout if result.ok else (result.stderr or result.stdout)

    def holders(self, vip: Vip) -> tuple[list[str], list[str]]:
        """(members holding ``vip``, members that could not be read)."""
        held, unknown = [], []
        for member in vip.members:
            ok, out = self.run(member, ["ip", "-j", "addr"], 15.0)
            try:
                holding = ok and holds(out, vip.address, member)
            except ParseError:
                ok = False
            if not ok:
                unknown.append(member)
            elif holding:
                held.append(member)
        return held, unknown

    def holders_stable(self, vips: Iterable[Vip], timeout: float, settle: float = 1.0) -> dict[str, tuple[list[str],
                                                                                                           list[str]]]:
        """Holders of each VIP once every one has exactly one for two reads ``settle`` apart (or at ``timeout``)."""
        deadline = time.monotonic() + timeout
        previous: dict[str, tuple[list[str], list[str]]] | None = None
        while True:
            now = {v.name: self.holders(v) for v in vips}
            good = all(len(held) == 1 and not unknown for held, unknown in now.values())
            if good and now == previous:
                return now
            if time.monotonic() >= deadline:
                return now
            previous = now if good else None
            time.sleep(settle)

    def transitions(self, hosts: Iterable[str]) -> list[Transition]:
        out: list[Transition] = []
        for host in hosts:
            ok, text = self.run(host, ["cat", TRANSITIONS_LOG], 15.0)
            if ok:
                out += parse_transitions(text)
        return out

    def pending(self, hosts: Iterable[str]) -> dict[str, Pending | str]:
        """Each IMAP host's replication backlog, or why it could not be read."""
        out: dict[str, Pending | str] = {}
        for host in hosts:
            ok, text = self.run(host, REPLICATOR_STATUS, 30.0)
            try:
                out[host] = replication_pending(text, host) if ok else f"doveadm failed: {text.strip()[-200:]}"
            except ParseError as exc:
                out[host] = exc.one_line()
        return out

    def wait_replication(self, hosts: Sequence[str], timeout: float, *, grace: float = 20.0, again: float = 60.0,
                         mailbox: str | None = None, hung: float = 75.0) -> dict[str, Any]:
        """Wait until no IMAP host has a queued or failed user. After ``grace`` seconds a user still marked
        failed, or queued for ``grace`` seconds, is asked to sync again (``doveadm replicator replicate
        USER``) on one host only, and again every ``again`` seconds while it stays behind: a failed sync
        waits minutes for its retry, and asking both hosts at once makes the two syncs of the same mailbox
        lock each other out (``Couldn't lock .dovecot-sync.lock``).

        A session of ``mailbox`` (the drill's own) that a host still shows in ``dsync-status`` after
        ``hung`` seconds is hung (dsync's own I/O timeout is 60 s): that host's doveadm-server processes
        older than ``hung`` are ended (``END_HUNG_SESSIONS``), once per ``again``, and the replicator syncs
        the user again. No other user's session is ever judged hung: a large mailbox can sync for minutes.
        When the wait ends behind, ``dsync`` holds each host's ``dsync-status``."""
        start = time.monotonic()
        kicked: dict[str, str] = {}  # user -> the host asked last
        asked_at: dict[str, float] = {}
        behind_since: dict[str, float] = {}
        ended: list[dict[str, Any]] = []
        asks = 0
        while True:
            state = self.pending(hosts)
            done = all(isinstance(p, Pending) and p.caught_up for p in state.values())
            now = time.monotonic()
            waited = now - start
            if done or waited >= timeout:
                out = {"caught_up": done, "waited_s": round(waited, 1), "kicked": kicked, "asks": asks,
                       "ended_sessions": ended, "hosts": {h: _shown(p) for h, p in state.items()}}
                if not done:
                    out["dsync"] = {h: self.run(h, DSYNC_STATUS, 15.0)[1].strip()[-1000:] for h in hosts}
                return out
            behind_since = {u: behind_since.get(u, now) for u in behind(state)}
            if mailbox and now - behind_since.get(mailbox, now) >= hung and \
                    all(waited - e["at"] >= again for e in ended):
                ended += self._end_hung(state, mailbox, hung, round(waited, 1))
            if waited >= grace:
                stuck = {u for u, t in behind_since.items() if now - t >= grace}
                recent = {u: h for u, h in kicked.items() if now - asked_at[u] < again}
                for user, host in to_kick(state, recent, stuck).items():
                    kicked[user], asked_at[user] = host, now
                    asks += 1
                    self.run(host, (*REPLICATE_USER, user), 30.0)
            time.sleep(1.0)

    def _end_hung(self, state: Mapping[str, Pending | str], mailbox: str, hung: float,
                  at: float) -> list[dict[str, Any]]:
        """End the sessions of ``mailbox`` that the hosts queueing it still run (see ``wait_replication``)."""
        out = []
        for host, pending in state.items():
            if not (isinstance(pending, Pending) and mailbox in pending.queued):
                continue
            ok, status = self.run(host, DSYNC_STATUS, 15.0)
            if ok and mailbox in in_session(status):
                argv = [a.format(older=int(hung)) for a in END_HUNG_SESSIONS]
                killed, _ = self.run(host, argv, 15.0)
                out.append({"host": host, "user": mailbox, "at": at, "command": " ".join(argv), "ended": killed})
        return out

    def flush_queues(self, hosts: Iterable[str]) -> None:
        for host in hosts:
            self.run(host, FLUSH_QUEUE, 30.0)

    def queued(self, hosts: Iterable[str]) -> dict[str, int | str]:
        """Messages in each host's Postfix queue (``postqueue -j``), or why it could not be read."""
        out: dict[str, int | str] = {}
        for host in hosts:
            ok, text = self.run(host, LIST_QUEUE, 30.0)
            try:
                out[host] = sum(parse_postqueue_json(text, f"{host}: postqueue -j").counts().values()) if ok else text
            except ParseError as exc:
                out[host] = str(exc)
        return out

    def wait_queues(self, hosts: Sequence[str], timeout: float) -> dict[str, Any]:
        """Flush the MX queues until they are empty (mail deferred while a hop was down is delayed,
        not lost, as long as it is still queued): what is left after ``timeout``."""
        start = time.monotonic()
        while True:
            self.flush_queues(hosts)
            left = self.queued(hosts)
            if all(n == 0 for n in left.values()) or time.monotonic() - start >= timeout:
                return {"empty": all(n == 0 for n in left.values()), "queued": left,
                        "waited_s": round(time.monotonic() - start, 1)}
            time.sleep(2.0)

    def wait_back(self, host: str, units: Sequence[str], port: int, timeout: float) -> dict[str, Any]:
        """After a restore: systemd up, ``units`` active, ``port`` answering on the host's address."""
        driver, ref = self.drivers(host)
        start = time.monotonic()
        deadline = start + timeout
        steps: dict[str, Any] = {}
        while time.monotonic() < deadline:  # systemd: running (or degraded, with the failed units named)
            left = max(1.0, deadline - time.monotonic())
            result = driver.run(ref, ["systemctl", "is-system-running", "--wait"], left)
            state = result.stdout.strip()
            if state in ("running", "degraded"):
                steps["systemd"] = state
                if state == "degraded":
                    steps["failed_units"] = self.run(host, ["systemctl", "--failed", "--plain", "--no-legend"])[1]
                break
            time.sleep(0.5)
        inactive = list(units)
        while time.monotonic() < deadline and inactive:
            states = driver.run(ref, ["systemctl", "is-active", *units], 15.0).stdout.split()
            # one line per unit; the exit status is 0 as soon as any one is active, so read the lines
            inactive = [u for u, state in zip(units, states + ["?"] * len(units), strict=False) if state != "active"]
            if inactive:
                time.sleep(0.5)
        if inactive:
            steps["inactive"] = inactive
        else:
            steps["units"] = list(units)
        address = driver.address(ref)
        while time.monotonic() < deadline and "port" not in steps:
            if port_open(address, port, 1.0):
                steps["port"] = f"{address}:{port}"
            else:
                time.sleep(0.5)
        steps["rejoined"] = {"systemd", "units", "port"} <= set(steps)
        steps["seconds"] = round(time.monotonic() - start, 1)
        return steps


def _shown(p: Pending | str) -> dict[str, Any] | str:
    if isinstance(p, str):
        return p
    return {"users": p.users, "queued": list(p.queued), "failed": list(p.failed)}


def gateway_of(route_json: str) -> str | None:
    """The gateway ``ip -j route get ADDRESS`` routes through; None when the address is on a local link."""
    try:
        routes = json.loads(route_json)
    except ValueError:
        return "unknown"
    first = routes[0] if isinstance(routes, list) and routes and isinstance(routes[0], dict) else {}
    if not first:
        return "unknown"
    gateway = first.get("gateway")
    return str(gateway) if gateway else None


def route_gateway(address: str) -> str | None:
    """This machine's route to ``address``: its gateway, or None when on a local link (a container bridge)."""
    proc = subprocess.run(["ip", "-j", "route", "get", address], capture_output=True, text=True, timeout=10,
                          check=False)
    return gateway_of(proc.stdout) if proc.returncode == 0 else "unreachable"


def port_open(address: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False
