"""bench/audit_testinfra.py: the host checks of ``tier3 audit`` written the ordinary way, the baseline of bench/audit.

testinfra over its ansible backend (``--force-ansible``: the lab's ``tier3.dc.podman`` connection is not one
testinfra speaks itself, so every command is an ``ansible -m shell`` run), one test per command per host, on
the hosts of ``--hosts``; the same evidence the audit reads from each host (``tier3.evidence.kinds_owed``), judged
here with tier3's default policy values (tools/tier3/model/policy.py) and without tier3:

- an mx host: ``postqueue -j`` parsed, the queue judged (at most 100 messages, no deferred one older than
  3600 s: T3-OBS-MAL-001, -002);
- an imap host: ``doveadm replicator status '*'`` (no user whose last sync failed, none waiting over 60 s:
  T3-OBS-MAL-004, -005) and ``doveadm replicator status`` (no queued or failed request: T3-OBS-MAL-003, -004);
- a member of a VIP (``tier3_vips``): ``ip -j addr`` of every member among the hosts tested (each read once),
  each of its VIPs held by exactly one member on a link that is up, every member read (T3-OBS-VRP-001, -002);
- every host of the mail service's groups: ``systemd-analyze cat-config systemd/journald.conf`` (journald.conf
  and its drop-ins in systemd's order), the journal kept on disk for at least 365 days (T3-OBS-LOG-001, -002).

Nothing is probed from the controller (bench/audit turns the audit's VIP probes off). It lives under bench/, not
tests/: it is a baseline to time, not a test of tier3. Run by bench/audit as
``pytest bench/audit_testinfra.py --hosts=ansible://mx1,ansible://imap1 --ansible-inventory=inventory/lab
--force-ansible``; it counts the module runs per host from ansible's log, not here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import testinfra

QUEUE_MAX_MESSAGES = 100  # tier3's mail_queue_max_messages
QUEUE_MAX_AGE_S = 3600  # mail_queue_max_age_s
REPLICATION_MAX_LAG_S = 60  # replication_max_lag_s
LOG_RETENTION_DAYS = 365  # log_retention_days
LOG_GROUPS = ("mx", "imap", "lb", "archive", "dns", "monitoring")  # the groups that owe journald
_DAYS = {"d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7, "month": 30.44, "months": 30.44, "M": 30.44,
         "y": 365.25, "year": 365.25, "years": 365.25}
_AGO = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")

Read = Callable[[str, str], str]  # (host, command) -> its standard output


@dataclass(frozen=True)
class Target:
    """A host tested: its name and its inventory variables (from ``ansible-inventory --list``, no round trip)."""

    name: str
    hostvars: Mapping[str, Any]
    tested: frozenset[str]  # every host of --hosts, for the checks judged across hosts


# ---- judgements: text in, problems out ---------------------------------------------------------

def queue_problems(text: str, now: float) -> list[str]:
    """``postqueue -j`` (one JSON object per message; nothing for an empty queue) against the policy."""
    messages = {m["queue_id"]: m for m in (json.loads(line) for line in text.splitlines() if line.strip())}
    problems = []
    if len(messages) > QUEUE_MAX_MESSAGES:
        problems.append(f"{len(messages)} messages queued; at most {QUEUE_MAX_MESSAGES}")
    old = [m["queue_id"] for m in messages.values()
           if m["queue_name"] == "deferred" and now - m["arrival_time"] > QUEUE_MAX_AGE_S]
    if old:
        problems.append(f"deferred longer than {QUEUE_MAX_AGE_S} s: {', '.join(old)}")
    return problems


def _ago(field: str) -> int | None:
    """Dovecot's H:MM:SS since a sync (``-``: never)."""
    match = _AGO.match(field)
    return None if match is None else int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])


def replica_user_problems(text: str) -> list[str]:
    """``doveadm replicator status '*'``: no user whose last sync failed, none waiting longer than the lag."""
    problems = []
    for line in text.splitlines()[1:]:  # under the header "username priority fast sync ..."
        fields = line.split()
        if len(fields) != 6:
            continue
        user, priority, fast, full, success, failed = fields
        if failed == "y":
            problems.append(f"{user}: last sync failed")
            continue
        last = _ago(success)
        if last is None:  # never synced: waiting since its first attempt
            waited = max(_ago(fast) or 0, _ago(full) or 0)
        elif priority != "none":  # a sync queued: waiting since the last success at least
            waited = last
        else:  # in sync, however long ago: the replicator syncs on changes
            continue
        if waited > REPLICATION_MAX_LAG_S:
            problems.append(f"{user}: {priority} sync waiting {waited} s")
    return problems


def replicator_summary_problems(text: str) -> list[str]:
    """``doveadm replicator status``: no sync request queued, none failed."""
    counts = {key.strip(): int(value) for key, value in re.findall(r"^(.*?)\s+(\d+)\s*$", text, re.M)}
    if "Total number of known users" not in counts:
        return ["no summary: the output ends before 'Total number of known users'"]
    return [f"{key}: {n}" for key, n in counts.items() if n and not key.startswith("Total")]


def journald_problems(text: str) -> list[str]:
    """``systemd-analyze cat-config systemd/journald.conf`` (the file and its drop-ins, merged in order): the last
    Storage= is persistent, the last MaxRetentionSec= keeps at least the policy's days (0 or unset: no limit)."""
    last: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.strip().partition("=")
        if eq and not key.startswith(("#", ";")):
            last[key.strip()] = value.strip()
    problems = []
    if last.get("Storage", "auto") != "persistent":
        problems.append(f"Storage={last.get('Storage', 'auto')}, not persistent")
    kept = last.get("MaxRetentionSec", "")
    number = re.fullmatch(r"(\d+)\s*([a-zA-Z]*)", kept)
    days = float(number[1]) * _DAYS.get(number[2], 1 / 86400) if number and number[2] in (*_DAYS, "", "s") else None
    if kept and days is None:
        problems.append(f"MaxRetentionSec={kept}: not read")
    elif days and days < LOG_RETENTION_DAYS:
        problems.append(f"MaxRetentionSec={kept} keeps {days:g} days, under {LOG_RETENTION_DAYS}")
    return problems


def holds(address: str, addresses: Sequence[dict[str, Any]]) -> bool:
    """Whether one host's ``ip -j addr`` holds ``address`` on a link that is up."""
    return any("UP" in link.get("flags", ()) and info.get("local") == address
               for link in addresses for info in link.get("addr_info", ()))


def vip_problems(target: Target, read: Read) -> list[str]:
    """Every VIP ``target`` is a member of: held by exactly one member, every member read."""
    problems = []
    for vip in target.hostvars.get("tier3_vips", ()):
        members = [m["host"] for m in vip["members"]]
        if target.name not in members:
            continue
        unread = [m for m in members if m not in target.tested]
        holders = [m for m in members if m in target.tested and holds(
            vip["address"], json.loads(read(m, "ip -j addr")))]
        if unread:
            problems.append(f"{vip['name']}: member(s) {', '.join(unread)} not read")
        if len(holders) != 1:
            problems.append(f"{vip['name']} {vip['address']}: held by {', '.join(holders) or 'no member'}")
    return problems


# ---- the checks, one test per check per host -----------------------------------------------------

def _in_group(group: str) -> Callable[[Target], bool]:
    return lambda target: group in target.hostvars.get("group_names", ())


def _vip_member(target: Target) -> bool:
    return any(m["host"] == target.name for vip in target.hostvars.get("tier3_vips", ()) for m in vip["members"])


@dataclass(frozen=True)
class Check:
    name: str
    applies: Callable[[Target], bool]
    problems: Callable[[Target, Read], list[str]]


CHECKS = (
    Check("postqueue", _in_group("mx"), lambda t, read: queue_problems(read(t.name, "postqueue -j"), time.time())),
    Check("replicator-users", _in_group("imap"),
          lambda t, read: replica_user_problems(read(t.name, "doveadm replicator status '*'"))),
    Check("replicator-summary", _in_group("imap"),
          lambda t, read: replicator_summary_problems(read(t.name, "doveadm replicator status"))),
    Check("vip-holders", _vip_member, vip_problems),
    Check("journald", lambda t: bool(set(LOG_GROUPS) & set(t.hostvars.get("group_names", ()))),
          lambda t, read: journald_problems(read(t.name, "systemd-analyze cat-config systemd/journald.conf"))),
)


def _tested_hosts(config: pytest.Config) -> dict[str, testinfra.host.Host]:
    """The hosts of --hosts, as testinfra's own plugin builds them (ansible backend, the inventory given)."""
    specs = (config.option.hosts or "").split(",")
    hosts = testinfra.get_hosts([s for s in specs if s], ansible_inventory=config.option.ansible_inventory,
                                force_ansible=config.option.force_ansible)
    return {host.backend.host: host for host in hosts}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One case per check per host it applies to: a host that owes a check gets its test, no other does."""
    if "case" not in metafunc.fixturenames:
        return
    hosts = _tested_hosts(metafunc.config)
    targets = [Target(name, host.ansible.get_variables(), frozenset(hosts)) for name, host in hosts.items()]
    cases = [(t, c) for t in targets for c in CHECKS if c.applies(t)]
    metafunc.parametrize("case", cases, ids=[f"{t.name}-{c.name}" for t, c in cases])


@pytest.fixture(scope="session")
def read(pytestconfig: pytest.Config) -> Read:
    """Runs a command on a host once (``ansible -m shell``); a second read of the same is the first's output."""
    hosts = _tested_hosts(pytestconfig)
    outputs: dict[tuple[str, str], str] = {}

    def read_output(name: str, command: str) -> str:
        if (name, command) not in outputs:
            result = hosts[name].run(command)
            assert result.rc == 0, f"{name}: {command} exited {result.rc}: {result.stderr.strip()[:300]}"
            outputs[name, command] = result.stdout
        return outputs[name, command]

    return read_output


def test_check(case: tuple[Target, Check], read: Read) -> None:
    target, check = case
    problems = check.problems(target, read)
    assert not problems, f"{target.name} {check.name}: " + "; ".join(problems)
