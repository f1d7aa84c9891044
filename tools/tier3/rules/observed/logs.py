"""Observed log-retention rules over what journald is configured with (kind ``journald``:
``JournaldConfig``): the journal kept on disk (T3-OBS-LOG-001) and for no less than the policy's
``log_retention_days`` (T3-OBS-LOG-002).

The mail log is in the journal: Postfix and Dovecot log to syslog, which on these hosts is journald
(roles/postfix sets no ``maillog_file``), so the journal's retention is the mail log's. Not redundancy
findings: a host that forgets its logs still delivers mail; the audit trail is what is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tier3.model import Severity
from tier3.parsers.journald import MAIN, SIZE_KEYS, JournaldConfig
from tier3.rules._registry import Category, Context, Violation, observed

RETENTION_CONTROLS = ("PCI-DSS:10.5.1", "HIPAA:164.312(b)", "ISO27001:A.8.15", "NIST-800-53:AU-11")
DAY = 86400
COMMON: dict[str, Any] = {"kinds": ("journald",), "category": Category.LOGS, "controls": RETENTION_CONTROLS,
                          "breaks_redundancy": False}
H, M = Severity.HIGH, Severity.MEDIUM


def _said(facts: JournaldConfig) -> dict[str, Any]:
    """What the evidence shows: each setting in force with its file and line, and the files read."""
    keys = ("Storage", "MaxRetentionSec", "MaxFileSec", *SIZE_KEYS)
    return {"files": list(facts.files), "settings": facts.shown(keys)}


def _where(facts: JournaldConfig, key: str) -> str:
    said = facts.settings.get(key)
    return said.where if said is not None else f"{facts.files[0] if facts.files else MAIN} (not set: the default)"


@observed("T3-OBS-LOG-001", severity=M, title="journal not kept on disk",
          rationale="""journald keeps the journal on disk only with Storage=persistent. volatile and none
          lose every log line at reboot (none keeps nothing at all), and auto, the default, writes to disk
          only while /var/log/journal happens to exist: one removed directory and the host's audit trail,
          the mail log among it, lives in memory until the next reboot. Judged on journald.conf and its
          drop-ins as systemd merges them.""",
          hint="set Storage=persistent in a drop-in (roles/baseline writes /etc/systemd/journald.conf.d/"
               "50-tier3-retention.conf) and restart systemd-journald", **COMMON)
def journal_not_persistent(facts: JournaldConfig, _ctx: Context) -> Iterator[Violation]:
    storage = facts.storage
    if storage == "persistent":
        return
    why = {"auto": "on disk only while /var/log/journal exists", "volatile": "in memory: lost at reboot",
           "none": "nothing kept"}[storage]
    yield Violation("journald", f"Storage={storage} ({why}); the policy needs persistent", _said(facts),
                    where=_where(facts, "Storage"))


@observed("T3-OBS-LOG-002", severity=H, title="journal retention shorter than the policy",
          rationale="""MaxRetentionSec makes journald delete entries older than it: set below the policy value
          ``log_retention_days`` (default 365: PCI DSS 10.5.1 asks for a year of audit log history), the
          host forgets the mail log and its logins before the auditor's window closes. No time limit
          (0 or unset) passes: journald then deletes by size only (SystemMaxUse and SystemKeepFree,
          shown in the evidence), which the configuration cannot prove long enough; the disk must be
          sized for it.""",
          hint="set MaxRetentionSec to at least the policy's days (roles/baseline: baseline_journald_retention_days)",
          policy=("log_retention_days",), **COMMON)
def retention_short(facts: JournaldConfig, ctx: Context) -> Iterator[Violation]:
    days: int = ctx.policy["log_retention_days"]
    kept = facts.max_retention_s
    if kept is None or kept >= days * DAY:
        return
    said = facts.settings["MaxRetentionSec"]
    yield Violation("journald", f"MaxRetentionSec={said.value} keeps {kept / DAY:g} days; the policy needs {days}",
                    {**_said(facts), "kept_days": round(kept / DAY, 3), "policy_days": days}, where=said.where)
