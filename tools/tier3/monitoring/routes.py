"""The Alertmanager configuration of a site: ``MonitoringConfig`` -> alertmanager.yml as a dict.

The default route sends to the first receiver; the inventory's routes are its children, first match
wins (none continues). An inventory without receivers gets one that sends nowhere, so alerts still
show in Alertmanager and ``amtool alert``. The inhibit rules keep one cause from paging as many:

- a host whose node exporter does not answer (``Tier3TargetDown`` of job ``node``) silences that
  instance's other alerts: they are its consequences, and their figures are stale;
- a split brain (``Tier3VipSplitBrain``) silences the flapping and takeover alerts of its VIP;
- a unit that is down (``Tier3UnitDown``) silences its own crash loop: systemd has given up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from tier3.model.monitoring import MonitoringConfig, Receiver
from tier3.monitoring.thresholds import format_duration

DEFAULT_RECEIVER: Final = "default"  # the receiver of an inventory that lists none: sends nowhere
GROUP_BY: Final = ("alertname", "site", "service")
INHIBIT_RULES: Final[tuple[dict[str, Any], ...]] = (
    {"source_matchers": ['alertname="Tier3TargetDown"', 'job="node"'],
     "target_matchers": ['alertname=~"Tier3.+"'], "equal": ["instance"]},
    {"source_matchers": ['alertname="Tier3VipSplitBrain"'],
     "target_matchers": ['alertname=~"Tier3VrrpFlapping|Tier3VipMoved"'], "equal": ["vip"]},
    {"source_matchers": ['alertname="Tier3UnitDown"'],
     "target_matchers": ['alertname="Tier3CrashLoop"'], "equal": ["instance", "unit"]},
)


def matcher(label: str, value: str) -> str:
    """``label="value"`` in Alertmanager's matcher syntax, the value quoted and escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{label}="{escaped}"'


def _receiver(receiver: Receiver) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name}
    if receiver.email is not None:
        out["email_configs"] = [{"to": receiver.email, "send_resolved": True}]
    if receiver.webhook is not None:
        out["webhook_configs"] = [{"url": receiver.webhook, "send_resolved": True}]
    return out


def _global(config: MonitoringConfig) -> dict[str, Any]:
    smtp = config.smtp
    if smtp is None:
        return {}
    out: dict[str, Any] = {"smtp_smarthost": smtp.smarthost, "smtp_from": smtp.sender,
                           "smtp_require_tls": smtp.require_tls}
    if smtp.auth_username is not None:
        out["smtp_auth_username"] = smtp.auth_username
    if smtp.auth_password is not None:
        out["smtp_auth_password"] = smtp.auth_password
    return out


def _routes(config: MonitoringConfig) -> Iterable[dict[str, Any]]:
    for route in config.routes:
        child: dict[str, Any] = {"receiver": route.receiver}
        if route.matchers:
            child["matchers"] = [matcher(label, value) for label, value in route.matchers]
        yield child


def alertmanager_config(config: MonitoringConfig) -> dict[str, Any]:
    """alertmanager.yml: global SMTP settings (when any), the route tree, the inhibit rules, the receivers."""
    receivers = config.receivers or (Receiver(DEFAULT_RECEIVER),)
    route: dict[str, Any] = {
        "receiver": receivers[0].name,
        "group_by": list(GROUP_BY),
        "group_wait": format_duration(config.group_wait),
        "group_interval": format_duration(config.group_interval),
        "repeat_interval": format_duration(config.repeat_interval),
    }
    children = list(_routes(config))
    if children:
        route["routes"] = children
    out: dict[str, Any] = {}
    smtp = _global(config)
    if smtp:
        out["global"] = smtp
    out["route"] = route
    out["inhibit_rules"] = [dict(rule) for rule in INHIBIT_RULES]
    out["receivers"] = [_receiver(r) for r in receivers]
    return out
