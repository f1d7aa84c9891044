"""The Prometheus alert rules of a site: ``MonitoringConfig`` -> the rule file as a dict.

Each alert is one row of ``ALERTS``: its expression over the metric contract the hosts export
(docs/monitoring.md), the threshold it reads, its severity and service, and the text of its
annotations. Placeholders in angle brackets are filled from the threshold, so an expression and
the sentence that explains it can never disagree:

- ``<limit>`` the limit as the expression compares it (messages, seconds, percent, events);
- ``<limit_text>`` the same as the inventory writes it (``500``, ``30m``, ``15%``);
- ``<within>`` the counting window or horizon as a Prometheus duration, ``<within_s>`` in seconds;
- ``<for>`` how long the condition holds before the alert fires;
- ``<match>`` the label matcher of one variant (see below).

An alert whose service depends on a label (a unit, a scrape job) has one variant per service, each
a rule of the same name with its own matcher: ``UNIT_SERVICES`` and ``JOB_SERVICES``. Everything
else (``{{ $labels.x }}``, ``{{ $value }}``) is Prometheus's own template syntax, left as is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from tier3.model.monitoring import MonitoringConfig, Threshold
from tier3.monitoring.thresholds import DURATION, PERCENT, THRESHOLDS, format_duration

SEVERITIES: Final = ("critical", "warning", "info")
SERVICES: Final = ("mail", "imap", "lb", "dns", "host", "monitoring")  # also the order of the rule groups
# unit name prefixes -> the service a unit belongs to; any other unit with a restart policy is `host`
UNIT_SERVICES: Final[Mapping[str, tuple[str, ...]]] = {
    "mail": ("postfix",), "imap": ("dovecot",), "lb": ("haproxy", "keepalived"), "dns": ("knot",),
    "monitoring": ("prometheus",),  # prometheus, prometheus-alertmanager, prometheus-node-exporter
}
# scrape job -> service; any other job (node, the exporter on every host) is `host`
JOB_SERVICES: Final[Mapping[str, str]] = {"haproxy": "lb", "dovecot": "imap", "prometheus": "monitoring",
                                          "alertmanager": "monitoring"}
PSEUDO_FILESYSTEMS: Final = "tmpfs|ramfs|squashfs|iso9660"  # never "full" in a way that matters
_PLACEHOLDER: Final = re.compile(r"<(?:limit|limit_text|within|within_s|for|match)>")
STALE_AFTER: Final = 300  # seconds without a run of tier3-metrics (it runs every minute or less)


def _unit_variants() -> dict[str, str]:
    def pattern(prefixes: tuple[str, ...]) -> str:
        return "|".join(f"{p}.*" for p in prefixes)

    every = tuple(p for prefixes in UNIT_SERVICES.values() for p in prefixes)
    return {**{s: f'unit=~"{pattern(p)}"' for s, p in UNIT_SERVICES.items()}, "host": f'unit!~"{pattern(every)}"'}


def _job_variants() -> dict[str, str]:
    services = sorted(set(JOB_SERVICES.values()), key=SERVICES.index)
    variants = {s: f'job=~"{"|".join(j for j, js in JOB_SERVICES.items() if js == s)}"' for s in services}
    return {**variants, "host": f'job!~"{"|".join(JOB_SERVICES)}"'}


@dataclass(frozen=True)
class Alert:
    """One alert: ``service`` is fixed, or ``variants`` maps each service to its ``<match>``."""

    name: str
    threshold: str  # a name of THRESHOLDS: where `for` (and the limit) come from
    severity: str
    expr: str
    summary: str
    description: str
    service: str = ""
    variants: Mapping[str, str] | None = None


ALERTS: Final[tuple[Alert, ...]] = (
    Alert("Tier3MailQueueDepth", "queue_depth", "warning",
          'sum by (instance, site) (tier3_postfix_queue_messages{queue=~"active|incoming|deferred"}) > <limit>',
          "Mail queue of {{ $labels.instance }} above <limit_text> messages",
          "{{ $labels.instance }} holds {{ $value }} messages in its active, incoming and deferred queues "
          "(more than <limit_text> for <for>).", service="mail"),
    Alert("Tier3MailDeferred", "deferred", "warning",
          'tier3_postfix_queue_messages{queue="deferred"} > <limit>',
          "Deferred mail piling up on {{ $labels.instance }}",
          "{{ $labels.instance }} holds {{ $value }} deferred messages (more than <limit_text> for <for>): "
          "remote servers refuse or time out.", service="mail"),
    Alert("Tier3DeliveryLatency", "delivery_latency", "warning",
          'max by (instance, site) (tier3_postfix_queue_oldest_seconds{queue=~"active|deferred"}) > <limit>',
          "Mail waits longer than <limit_text> on {{ $labels.instance }}",
          "The oldest message in the active or deferred queue of {{ $labels.instance }} is "
          "{{ $value | humanizeDuration }} old (more than <limit_text> for <for>).", service="mail"),
    Alert("Tier3ReplicationLag", "replication_lag", "warning",
          "tier3_dovecot_replication_lag_seconds > <limit>",
          "Mailbox replication behind on {{ $labels.instance }}",
          "A user with pending dsync requests on {{ $labels.instance }} last synced "
          "{{ $value | humanizeDuration }} ago (more than <limit_text> for <for>): a failover now loses that mail.",
          service="imap"),
    Alert("Tier3ReplicationFailed", "replication_failed", "warning",
          "tier3_dovecot_replication_failed_users > 0",
          "Mailbox replication failing on {{ $labels.instance }}",
          "dsync replication has failed for {{ $value }} users on {{ $labels.instance }} for <for>.",
          service="imap"),
    Alert("Tier3VipSplitBrain", "split_brain", "critical",
          "sum by (vip, address, site) (tier3_vip_held) > 1",
          "VIP {{ $labels.vip }} held by {{ $value }} hosts",
          "VIP {{ $labels.vip }} ({{ $labels.address }}) has been held by {{ $value }} hosts at once for <for>: "
          "VRRP split brain, clients reach either host.", service="lb"),
    Alert("Tier3VipUnheld", "vip_unheld", "critical",
          "sum by (vip, address, site) (tier3_vip_held) == 0",
          "VIP {{ $labels.vip }} held by no host",
          "No member has held VIP {{ $labels.vip }} ({{ $labels.address }}) for <for>: the service behind it "
          "is unreachable.", service="lb"),
    Alert("Tier3VrrpFlapping", "vrrp_changes", "warning",
          "max by (vip, address, site) (changes(tier3_vip_held[<within>])) > <limit>",
          "VIP {{ $labels.vip }} flapping",
          "VIP {{ $labels.vip }} ({{ $labels.address }}) changed hands {{ $value }} times in <within> "
          "(more than <limit_text>).", service="lb"),
    Alert("Tier3VipMoved", "vrrp_changes", "info",
          "(tier3_vip_held == 1) and (changes(tier3_vip_held[<within>]) > 0)",
          "VIP {{ $labels.vip }} moved to {{ $labels.instance }}",
          "{{ $labels.instance }} took over VIP {{ $labels.vip }} ({{ $labels.address }}) within the last "
          "<within>: a failover happened; find out why the other member let it go.", service="lb"),
    Alert("Tier3LbBackendDown", "lb_backend_down", "critical",
          # active or backup: Dovecot's pair is one active and one backup server; and only backends that have
          # servers (a stats or exporter proxy has none, and always reads 0)
          "(haproxy_backend_active_servers + haproxy_backend_backup_servers) == 0"
          " and on (instance, proxy) (count by (instance, proxy) (haproxy_server_status) > 0)",
          "HAProxy backend {{ $labels.proxy }} down on {{ $labels.instance }}",
          "Backend {{ $labels.proxy }} on {{ $labels.instance }} has had no server up (active or backup) for <for>: "
          "its service fails through this balancer.", service="lb"),
    Alert("Tier3LbServerDown", "lb_server_down", "warning",
          'haproxy_server_status{state="DOWN"} == 1',
          "HAProxy server {{ $labels.server }} DOWN in {{ $labels.proxy }}",
          "{{ $labels.instance }} has seen server {{ $labels.server }} of backend {{ $labels.proxy }} fail its "
          "health checks for <for>: the backend runs without redundancy.", service="lb"),
    Alert("Tier3DiskFree", "disk_free", "warning",
          f'100 * node_filesystem_avail_bytes{{fstype!~"{PSEUDO_FILESYSTEMS}"}} '
          f'/ node_filesystem_size_bytes{{fstype!~"{PSEUDO_FILESYSTEMS}"}} < <limit>',
          "{{ $labels.mountpoint }} on {{ $labels.instance }} almost full",
          '{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | printf "%.1f" }}% free '
          "(less than <limit_text> for <for>).", service="host"),
    Alert("Tier3CertificateExpiry", "certificate_expiry", "warning",
          "tier3_certificate_expiry_timestamp_seconds - time() < <within_s>",
          "Certificate {{ $labels.path }} on {{ $labels.instance }} expires soon",
          "{{ $labels.path }} on {{ $labels.instance }} expires in {{ $value | humanizeDuration }} "
          "(within <within>).", service="host"),
    Alert("Tier3CrashLoop", "restarts", "warning",
          "increase(tier3_unit_restarts_total{<match>}[<within>]) > <limit>",
          "{{ $labels.unit }} crash-looping on {{ $labels.instance }}",
          '{{ $labels.unit }} on {{ $labels.instance }} restarted {{ $value | printf "%.0f" }} times in <within> '
          "(more than <limit_text>); at its start limit systemd gives up and the unit stays down.",
          variants=_unit_variants()),
    Alert("Tier3UnitDown", "unit_down", "critical",
          "tier3_unit_active{<match>} == 0",
          "{{ $labels.unit }} down on {{ $labels.instance }}",
          "{{ $labels.unit }} on {{ $labels.instance }} has not been active for <for>.",
          variants=_unit_variants()),
    Alert("Tier3TargetDown", "target_down", "critical",
          "up{<match>} == 0",
          "{{ $labels.job }} on {{ $labels.instance }} does not answer",
          "Prometheus has failed to scrape {{ $labels.job }} on {{ $labels.instance }} for <for>.",
          variants=_job_variants()),
    Alert("Tier3MetricsStale", "metrics_stale", "warning",
          f"time() - tier3_metrics_timestamp_seconds > {STALE_AFTER}",
          "tier3 metrics of {{ $labels.instance }} are stale",
          "tier3-metrics last ran {{ $value | humanizeDuration }} ago on {{ $labels.instance }} (for <for>): "
          "its queue, unit, VIP and replication figures are old, and alerts on them are blind.",
          service="monitoring"),
    Alert("Tier3RedundancyLost", "redundancy_lost", "critical",
          'label_replace(tier3_finding{breaks_redundancy="true"} == 1, '
          '"finding_severity", "$1", "severity", "(.*)")',
          "Redundancy lost: {{ $labels.rule }} on {{ $labels.subject }}",
          "tier3 check observes {{ $labels.rule }} on {{ $labels.subject }} ({{ $labels.instance }}): "
          "one more failure is an outage.", service="host"),
)


def _text(spec_kind: str, value: float) -> str:
    if spec_kind == DURATION:
        return format_duration(int(value))
    if spec_kind == PERCENT:
        return f"{value:g}%"
    return f"{value:g}"


def _fill(text: str, alert: Alert, threshold: Threshold, match: str) -> str:
    spec = THRESHOLDS[alert.threshold]
    values = {"<for>": format_duration(threshold.hold), "<match>": match}
    if spec.limit is not None and threshold.limit is not None:
        values["<limit>"] = f"{threshold.limit:g}"
        values["<limit_text>"] = _text(spec.limit[1].kind, threshold.limit)
    if threshold.within is not None:
        values["<within>"] = format_duration(threshold.within)
        values["<within_s>"] = str(threshold.within)
    for token, value in values.items():
        text = text.replace(token, value)
    if _PLACEHOLDER.search(text):
        raise ValueError(f"{alert.name}: a placeholder without a value in {text!r}")  # a bug in ALERTS
    return text


def rules(alert: Alert, config: MonitoringConfig) -> list[tuple[str, dict[str, Any]]]:
    """(service, Prometheus rule) for each variant of ``alert``."""
    threshold = config.thresholds[alert.threshold]
    variants = alert.variants or {alert.service: ""}
    out: list[tuple[str, dict[str, Any]]] = []
    for service, match in variants.items():
        rule: dict[str, Any] = {"alert": alert.name, "expr": _fill(alert.expr, alert, threshold, match)}
        if threshold.hold:
            rule["for"] = format_duration(threshold.hold)
        rule["labels"] = {"severity": alert.severity, "service": service}
        rule["annotations"] = {
            "summary": _fill(alert.summary, alert, threshold, match),
            "description": _fill(alert.description, alert, threshold, match),
            "runbook_url": runbook_url(config, alert.name),
        }
        out.append((service, rule))
    return out


def runbook_url(config: MonitoringConfig, name: str) -> str:
    return f"{config.runbook_url}/{name}.md"


def rule_file(config: MonitoringConfig) -> dict[str, Any]:
    """The Prometheus rule file: one group per service (``tier3-mail``, ...), evaluated at the scrape
    interval, rules in ``ALERTS`` order within each group."""
    by_service: dict[str, list[dict[str, Any]]] = {s: [] for s in SERVICES}
    for alert in ALERTS:
        for service, rule in rules(alert, config):
            by_service[service].append(rule)
    interval = format_duration(config.scrape_interval)
    return {"groups": [{"name": f"tier3-{service}", "interval": interval, "rules": found}
                       for service, found in by_service.items() if found]}


def alert_names() -> tuple[str, ...]:
    """Every alert name, in ``ALERTS`` order (each has a runbook: docs/runbooks/<name>.md)."""
    return tuple(a.name for a in ALERTS)
