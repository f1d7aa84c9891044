"""The pair workflow: ``plan`` (compare), ``push`` (commit with a revert timer, verify, confirm, or roll
back) and ``rollback``, on both members of a firewall pair, with NAPALM's verbs as the model.

One Netmiko session per member for the whole run, opened before anything changes:
1. connect to both members (a member that cannot be reached stops the run: nothing is changed);
2. read each member's HA role (``Driver.ha_state``): exactly one must be active;
3. read each member's running policy and diff it against the intended render (``plan`` stops here);
4. keep a rollback copy of each member's running policy on the controller (``state_dir``);
5. push, batched in one ``send_config_set`` per member, with the device's revert timer armed: to the
   active member alone where the pair syncs its configuration, else to both, the standby first (a
   mistake lands where it carries no traffic);
6. verify: both members still have the same active member as in step 2 and both run the intended
   policy; then confirm each member pushed to.
Any failure after the first change rolls back every member already changed (a member whose session
was lost is reconnected and rolled back; one that cannot be reached is left to its revert timer) and
the report says what happened on each. The workflow is pure orchestration: each platform's commands are
its driver's (``tier3.firewall.platforms``), the connection is a parameter (``connect``).
"""

from __future__ import annotations

import difflib
import functools
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tier3.firewall.platforms.base import ACTIVE, DeviceError, Driver, HaState
from tier3.firewall.report import MemberReport, PairReport

if TYPE_CHECKING:
    from netmiko import BaseConnection

REVERT_SECONDS = 120  # the device rolls a push back after this long unless the workflow confirms it
SECRET_KEYS = frozenset({"password", "secret", "passphrase"})

Connect = Callable[[Driver, "Member"], "BaseConnection"]
OnStep = Callable[[str, str], None]  # (member, step): progress lines, and the tests' fault injection


@dataclass(frozen=True)
class Member:
    """One member and how to reach it: Netmiko ``ConnectHandler`` keywords (host, port, username and a
    password, or a key file and its passphrase). ``repr`` never shows a secret."""

    name: str
    connection: Mapping[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        shown = {k: ("***" if k in SECRET_KEYS else v) for k, v in self.connection.items()}
        return f"Member({self.name!r}, {shown})"


class _Failed(Exception):
    """A step failed: the run stops; ``member`` names where (None: the pair as a whole)."""

    def __init__(self, member: str | None, message: str) -> None:
        super().__init__(message)
        self.member = member
        self.message = message


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no message'}"


def connect_netmiko(driver: Driver, member: Member) -> BaseConnection:
    """A Netmiko session to ``member`` with the driver's device type."""
    from netmiko import ConnectHandler  # noqa: PLC0415  (netmiko is slow to import; only here)

    params = {"conn_timeout": 10, "auth_timeout": 15, "banner_timeout": 15, **member.connection}
    return ConnectHandler(device_type=driver.device_type, **params)


@dataclass
class _Run:
    driver: Driver
    members: tuple[Member, ...]
    report: PairReport
    connect: Connect
    on_step: OnStep
    sessions: dict[str, BaseConnection] = field(default_factory=dict)

    def step(self, member: str, step: str, event: str = "") -> None:
        if event:
            self.report.members[member].events.append(event)
        self.on_step(member, step)

    def open(self, member: Member) -> BaseConnection:
        entry = self.report.members[member.name]
        entry.sessions += 1
        try:
            conn = self.connect(self.driver, member)
        except Exception as exc:
            raise _Failed(member.name, f"{member.name} unreachable: {_why(exc)}") from exc
        self.sessions[member.name] = conn
        self.step(member.name, "connected", "connected")
        return conn

    def close(self) -> None:
        for conn in self.sessions.values():
            with suppress(Exception):
                self.driver.close(conn)
        self.sessions.clear()

    def call(self, member: str, what: str, action: Callable[[BaseConnection], Any]) -> Any:
        try:
            return action(self.sessions[member])
        except DeviceError as exc:
            raise _Failed(member, f"{member}: {what} refused: {exc.line}") from exc
        except Exception as exc:
            self.sessions.pop(member, None)
            raise _Failed(member, f"{member}: session lost during {what}: {_why(exc)}") from exc

    def roles(self) -> dict[str, HaState]:
        states = {}
        for m in self.members:
            state: HaState = self.call(m.name, "the HA status read", self.driver.ha_state)
            entry = self.report.members[m.name]
            entry.role, entry.detail = state.role, state.detail
            states[m.name] = state
        active = [name for name, s in states.items() if s.role == ACTIVE]
        if len(active) != 1:
            shown = ", ".join(f"{n} {s.role}" for n, s in states.items())
            raise _Failed(None, f"{'no member is' if not active else 'both members are'} active ({shown}): "
                                "the pair is not in a state to change")
        return states


def _active(states: Mapping[str, HaState]) -> str:
    return next(name for name, s in states.items() if s.role == ACTIVE)


def _diff(name: str, running: str, intended: str) -> str:
    return "".join(difflib.unified_diff(running.splitlines(keepends=True), intended.splitlines(keepends=True),
                                        f"{name} (running)", f"{name} (intended)"))


@contextmanager
def _timed(report: PairReport) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        report.seconds = time.monotonic() - started


def _new_report(pair: str, driver: Driver, members: tuple[Member, ...], verb: str) -> PairReport:
    return PairReport(pair, driver.platform, verb, {m.name: MemberReport(m.name) for m in members})


def _compare(run: _Run, intended: str) -> dict[str, str]:
    """Each member's running policy (canonical), its diff recorded in the report."""
    wanted = run.driver.canonical(intended)
    running = {}
    for m in run.members:
        text: str = run.call(m.name, "the running policy read", run.driver.running)
        entry = run.report.members[m.name]
        entry.differs = text != wanted
        entry.diff = _diff(m.name, text, wanted) if entry.differs else ""
        running[m.name] = text
        run.step(m.name, "read", "running policy read: " + ("differs from the intended" if entry.differs
                                                             else "already the intended"))
    return running


def plan(pair: str, driver: Driver, members: tuple[Member, ...], intended: str, *,
         connect: Connect = connect_netmiko, on_step: OnStep = lambda _m, _s: None) -> PairReport:
    """Connect, read roles and running policies, diff; change nothing."""
    report = _new_report(pair, driver, members, "plan")
    run = _Run(driver, members, report, connect, on_step)
    with _timed(report):
        try:
            for m in members:
                run.open(m)
            run.roles()
            _compare(run, intended)
        except _Failed as failed:
            _fail(report, failed)
            return report
        finally:
            run.close()
    differing = [m.name for m in report.members.values() if m.differs]
    report.ok = True
    report.message = (f"would change {', '.join(differing)}" if differing else "no change: both members run the "
                      "intended policy")
    return report


def _fail(report: PairReport, failed: _Failed) -> None:
    report.ok = False
    report.message = failed.message
    if failed.member is not None and failed.member in report.members:
        entry = report.members[failed.member]
        entry.events.append(failed.message)
        if "unreachable" in failed.message and entry.outcome == "unchanged":
            entry.outcome = "unreachable"


def _order(driver: Driver, states: Mapping[str, HaState], running: Mapping[str, str], wanted: str) -> list[str]:
    """The members to push to: the active alone where the pair syncs, else each that differs, standby first."""
    active = _active(states)
    if driver.syncs_config:
        return [active] if any(text != wanted for text in running.values()) else []
    return [name for name in sorted(running, key=lambda n: n == active) if running[name] != wanted]


def _save(state_dir: Path | None, pair: str, running: Mapping[str, str]) -> None:
    """The rollback copies on the controller: ``<state_dir>/<pair>/<member>.saved`` (the newest) and a
    timestamped one beside it; written before any change."""
    if state_dir is None:
        return
    where = state_dir / pair
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for name, text in running.items():
        for target in (where / f"{name}.saved", where / f"{name}-{stamp}.saved"):
            tmp = target.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.chmod(0o600)
            tmp.replace(target)


def push(pair: str, driver: Driver, members: tuple[Member, ...], intended: str, *,
         revert_seconds: int = REVERT_SECONDS, state_dir: Path | None = None, connect: Connect = connect_netmiko,
         on_step: OnStep = lambda _m, _s: None) -> PairReport:
    """Plan, then push with the revert timer armed, verify both members, confirm; or roll back."""
    report = _new_report(pair, driver, members, "push")
    run = _Run(driver, members, report, connect, on_step)
    changed: list[str] = []
    running: dict[str, str] = {}
    wanted = driver.canonical(intended)
    with _timed(report):
        try:
            for m in members:
                run.open(m)
            states = run.roles()
            running = _compare(run, intended)
            targets = _order(driver, states, running, wanted)
            if not targets:
                report.ok, report.message = True, "no change: both members run the intended policy"
                return report
            _save(state_dir, pair, running)
            for name in targets:
                run.step(name, "pushing", f"pushing ({driver.revert}; {revert_seconds} s)")
                changed.append(name)
                run.call(name, "the push", functools.partial(driver.push, intended=intended, saved=running[name],
                                                             revert_seconds=revert_seconds))
                report.members[name].outcome = "applied, not confirmed"
                run.step(name, "pushed", "applied; revert timer armed")
            _verify(run, states, wanted)
            for name in targets:
                run.call(name, "the confirm", driver.confirm)
                report.members[name].outcome = "applied"
                run.step(name, "confirmed", "confirmed: revert timer disarmed")
        except _Failed as failed:
            _fail(report, failed)
            _undo(run, changed, running)
            return report
        finally:
            run.close()
    report.ok, report.changed = True, True
    report.message = f"applied to {', '.join(targets)}; both members run the intended policy"
    return report


def _verify(run: _Run, before: Mapping[str, HaState], wanted: str) -> None:
    """Both members still see the same active member, and both run ``wanted``."""
    after = run.roles()
    if _active(after) != _active(before):
        raise _Failed(None, f"the active member changed during the push ({_active(before)} -> {_active(after)})")
    for m in run.members:
        text = run.call(m.name, "the verify read", run.driver.running)
        if text != wanted:
            raise _Failed(m.name, f"{m.name} does not run the intended policy after the push")
        run.step(m.name, "verified", "verified: runs the intended policy")


def _undo(run: _Run, changed: list[str], running: Mapping[str, str]) -> None:
    """Roll back every member already changed (newest first), reconnecting where the session was lost. Where
    the pair syncs its configuration, the rollback goes to the member active now (it may have changed
    during the push), and carries the pair's saved policy to both."""
    if not changed:
        return
    if run.driver.syncs_config:
        now = _active_now(run) or changed[-1]
        _roll_back(run, now, running[changed[0]])
        for name in changed:
            if name != now:
                entry = run.report.members[name]
                entry.outcome = run.report.members[now].outcome
                entry.events.append(f"{entry.outcome} through {now}, active now (the pair syncs its configuration)")
        return
    for name in reversed(changed):
        _roll_back(run, name, running[name])


def _active_now(run: _Run) -> str | None:
    try:
        return _active(run.roles())
    except _Failed:
        return None


def _roll_back(run: _Run, name: str, saved: str) -> None:
    entry = run.report.members[name]
    by_name = {m.name: m for m in run.members}
    try:
        if name not in run.sessions:
            run.open(by_name[name])
        run.call(name, "the rollback", functools.partial(run.driver.rollback, saved=saved))
    except _Failed as failed:
        if run.driver.has_revert_timer:
            entry.outcome = "left to its revert timer"
            entry.events.append(f"rollback failed ({failed.message}); the device's revert timer restores it")
        else:
            entry.outcome = "left changed"
            entry.events.append(f"rollback failed ({failed.message}); the device has no revert timer: run "
                                "`tier3 fw rollback` once it is reachable")
        return
    entry.outcome = "rolled back"
    run.step(name, "rolled back", "rolled back to the saved policy")


def rollback(pair: str, driver: Driver, members: tuple[Member, ...], state_dir: Path, *,
             connect: Connect = connect_netmiko, on_step: OnStep = lambda _m, _s: None) -> PairReport:
    """Put each member back on its newest rollback copy (the policy it ran before the last push)."""
    report = _new_report(pair, driver, members, "rollback")
    run = _Run(driver, members, report, connect, on_step)
    saved: dict[str, str] = {}
    for m in members:
        source = state_dir / pair / f"{m.name}.saved"
        if not source.is_file():
            report.message = f"no rollback copy of {m.name} ({source}): no push of this pair was made from here"
            return report
        saved[m.name] = source.read_text(encoding="utf-8")
    with _timed(report):
        try:
            for m in members:
                run.open(m)
            run.roles()
            for m in members:
                current = run.call(m.name, "the running policy read", driver.running)
                entry = report.members[m.name]
                entry.differs = current != saved[m.name]
                entry.diff = _diff(m.name, current, saved[m.name]) if entry.differs else ""
                if not entry.differs:
                    continue
                run.call(m.name, "the rollback", functools.partial(driver.rollback, saved=saved[m.name]))
                report.members[m.name].outcome = "rolled back"
                run.step(m.name, "rolled back", "rolled back to the saved policy")
        except _Failed as failed:
            _fail(report, failed)
            return report
        finally:
            run.close()
    rolled = [m.name for m in report.members.values() if m.outcome == "rolled back"]
    report.ok, report.changed = True, bool(rolled)
    report.message = f"rolled back {', '.join(rolled)}" if rolled else "no change: both members run the saved policy"
    return report
