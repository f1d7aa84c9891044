"""``tier3 archive verify -i INVENTORY``: every archive replica of a site, and the MX pair's log, judged here.

One round trip per host, through ansible-runner (ad hoc, read-only): each archive host answers
``tier3-archive snapshot`` (its log, heads, objects with hashes and flags, policy); each MX host answers
its cleanup log lines (what Postfix accepted) and ``postqueue -j`` (which journal copies still wait).
On this machine each snapshot is examined against the witness kept from the last clean verification
(the T3-OBS-ARC-001..009 rules), and the accepted messages are reconciled with every replica
(T3-OBS-ARC-010). A clean replica's newest head becomes its witness; a replica with findings keeps the
old one, so a tampered state never becomes the reference.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tier3.archive.verify import Verdict, verify_snapshot
from tier3.errors import Tier3Error
from tier3.ledger.examine import Witness, load_snapshot
from tier3.ledger.reconcile import Reconciliation, reconcile
from tier3.ledger.retention import Policy
from tier3.model import Finding
from tier3.parsers.cleanup import notifications, parse_cleanup_log
from tier3.parsers.postqueue import parse_postqueue_json
from tier3.rules import RULES, Context
from tier3.rules.observed.archive import RECONCILIATION

ROOT = Path(__file__).resolve().parents[3]
STORE = "/var/lib/tier3-archive"
SEPARATOR = "----- tier3 postqueue -----"


@dataclass(frozen=True)
class SiteOptions:
    inventory: tuple[str, ...]
    witness_dir: Path
    since: str = "-7d"  # how far back the MX log is read (journalctl --since)
    policy: Policy | None = None
    store: str = STORE


@dataclass
class SiteVerdict:
    replicas: dict[str, Verdict] = field(default_factory=dict)
    reconciliation: Reconciliation | None = None
    findings: list[Finding] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)  # host -> why it could not be read
    witnesses: dict[str, str] = field(default_factory=dict)  # host -> "advanced to N", "kept at N", "first"


def ad_hoc(inventory: Sequence[str], pattern: str, module: str, args: str) -> tuple[dict[str, dict[str, Any]],
                                                                                   dict[str, str]]:
    """(host -> the module's result, host -> why it failed) of one ad hoc module run over ``pattern``."""
    try:
        import ansible_runner  # noqa: PLC0415  (heavy; only this command needs it)
    except ImportError:
        raise Tier3Error("ansible-runner", "", "ansible-runner is not installed",
                         hint="pip install ansible-runner (make setup installs it)") from None
    answers: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}

    def on_event(event: dict[str, Any]) -> bool:
        data = event.get("event_data", {})
        host, res = data.get("host"), data.get("res", {})
        if event.get("event") == "runner_on_ok" and host:
            answers[host] = dict(res)
        elif event.get("event") in ("runner_on_failed", "runner_on_unreachable") and host:
            failed[host] = str(res.get("stderr") or res.get("msg") or "failed").strip()
        return False

    env = {"ANSIBLE_CONFIG": os.environ.get("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg")),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", "ANSIBLE_NOCOLOR": "1"}
    with tempfile.TemporaryDirectory(prefix="tier3-archive-") as private:
        ansible_runner.run(private_data_dir=private, host_pattern=pattern, module=module, module_args=args,
                           inventory=list(inventory) or None, envvars=env, quiet=True, event_handler=on_event,
                           project_dir=str(ROOT))
    return answers, failed


def witness_path(directory: Path, host: str) -> Path:
    return directory / f"{host}.json"


def read_witness(directory: Path, host: str) -> tuple[Witness | None, str | None]:
    """The kept head of ``host`` and the signing key pinned with it (None, None before the first)."""
    path = witness_path(directory, host)
    if not path.exists():
        return None, None
    try:
        data = json.loads(path.read_text())
        return Witness.from_data(data["head"]), str(data["key"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Tier3Error(str(path), "", f"not a witness file: {exc}",
                         hint="restore it from your records; removing it starts trust afresh") from None


def write_witness(directory: Path, host: str, witness: Witness, key: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = witness_path(directory, host)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"host": host, "key": key, "head": witness.to_data()}, indent=1) + "\n")
    os.replace(temporary, path)


def _head_key(snapshot: Mapping[str, Any]) -> str:
    heads = snapshot.get("heads") or []
    return str(json.loads(heads[-1]).get("key", "")) if heads else ""


def judge_replica(host: str, text: str, options: SiteOptions, verdict: SiteVerdict,
                  say: Callable[[str], None]) -> None:
    snapshot = load_snapshot(text, f"{host}: tier3-archive snapshot")
    witness, pinned = read_witness(options.witness_dir, host)
    key = pinned or _head_key(snapshot)
    judged = verify_snapshot(snapshot, source=host, policy=options.policy, witness=witness,
                             trusted_keys={host: key} if key else None)
    verdict.replicas[host] = judged
    verdict.findings.extend(judged.findings)
    newest = judged.facts.newest
    if judged.clean and newest is not None:
        write_witness(options.witness_dir, host, newest, key)
        verdict.witnesses[host] = f"witness {'advanced to' if witness else 'first kept at'} {newest.size} entries"
    else:
        verdict.witnesses[host] = f"witness kept at {witness.size if witness else 0} entries"
    mark = "✓" if judged.clean else "✗"
    say(f"{mark} {host}: {judged.facts.entries} log entries, {judged.facts.live} objects, "
        f"{len(judged.facts.heads)} signed heads, {len(judged.findings)} finding(s); {verdict.witnesses[host]}")


def _mx_evidence(texts: Mapping[str, str], archives: Sequence[str]) -> tuple[list[tuple[str, str]],
                                                                            dict[str, set[str]]]:
    accepted: list[tuple[str, str]] = []
    waiting: dict[str, set[str]] = {host: set() for host in archives}
    for mx, text in sorted(texts.items()):
        log_text, _, queue_text = text.partition(SEPARATOR)
        own = notifications(log_text)  # Postfix's own notices: never journaled
        accepted.extend((a.queue_id, a.message_id) for a in parse_cleanup_log(log_text, f"{mx}: postfix/cleanup")
                        if a.queue_id not in own)
        if queue_text.strip():
            for message in parse_postqueue_json(queue_text.strip(), f"{mx}: postqueue -j").messages:
                for recipient in message.recipients:
                    domain = recipient.address.rpartition("@")[2]
                    for host in archives:
                        if domain.startswith(f"{host}."):
                            waiting[host].add(message.queue_id)
    return accepted, waiting


def site_policy(inventory: Sequence[str]) -> Policy | None:
    """The retention policy of the inventory (tier3_archive.retention, as the archive hosts see it)."""
    answered, _ = ad_hoc(inventory, "archive", "ansible.builtin.debug", "var=tier3_archive")
    for host, res in sorted(answered.items()):
        settings = res.get("tier3_archive")
        if isinstance(settings, dict) and isinstance(settings.get("retention"), dict):
            try:
                return Policy.from_data(settings["retention"])
            except ValueError as exc:
                raise Tier3Error(f"{host}: tier3_archive", "retention", str(exc),
                                 hint="fix tier3_archive.retention in the inventory") from None
    return None


def verify_site(options: SiteOptions, say: Callable[[str], None]) -> SiteVerdict:
    verdict = SiteVerdict()
    answered, failed = ad_hoc(options.inventory, "archive", "ansible.builtin.command",
                              f"/usr/local/bin/tier3-archive snapshot --store {options.store}")
    snapshots = {host: str(res.get("stdout", "")) for host, res in answered.items()}
    verdict.unreachable.update(failed)
    for host in sorted(failed):
        say(f"✗ {host}: not read: {failed[host]}")
    for host in sorted(snapshots):
        judge_replica(host, snapshots[host], options, verdict, say)
    mx_command = (f"journalctl --no-pager -o cat -t postfix/cleanup -t postfix/bounce --since {options.since}; "
                  f"echo '{SEPARATOR}'; postqueue -j")
    mx_answered, mx_failed = ad_hoc(options.inventory, "mx", "ansible.builtin.shell", mx_command)
    mx_texts = {host: str(res.get("stdout", "")) for host, res in mx_answered.items()}
    verdict.unreachable.update(mx_failed)
    if mx_texts and snapshots:
        accepted, waiting = _mx_evidence(mx_texts, sorted(snapshots))
        archived = {h: v.facts.message_ids for h, v in verdict.replicas.items()}
        verdict.reconciliation = reconcile(accepted, archived, waiting)
        context = Context(source=", ".join(sorted(mx_texts)), read="journalctl -t postfix/cleanup; postqueue -j")
        found = [f for r in RULES.values() if RECONCILIATION in r.kinds
                 for f in r.findings(verdict.reconciliation, context)]
        verdict.findings.extend(found)
        rec = verdict.reconciliation
        say(f"{'✓' if not found else '✗'} reconciliation: {rec.accepted} message(s) accepted by "
            f"{', '.join(sorted(mx_texts))} since {options.since}; "
            + "; ".join(f"{h} {rec.archived[h]} archived, {rec.waiting[h]} waiting, {len(rec.missing[h])} missing"
                        for h in sorted(rec.archived)))
    return verdict
