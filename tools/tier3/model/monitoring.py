"""Monitoring as declared in the inventory: ``tier3_monitoring`` (docs/monitoring.md).

Built by ``tier3.schema.monitoring`` after the schema check, every duration, count and percent
already in base units (seconds, messages, percent); read by ``tier3.monitoring``, which turns it
into the Prometheus rule file and the Alertmanager configuration. Defaults are filled in when
built, so a consumer never has to know them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tier3.model.finding import Location

NOWHERE = Location("<unknown>")


@dataclass(frozen=True)
class Threshold:
    """One alert's policy: fire when the value is past ``limit`` (above or below, as the alert says),
    counted over ``within`` seconds where the alert counts events, for ``hold`` seconds."""

    limit: float | None = None  # messages, seconds, percent or events; None for fixed logic
    within: int | None = None  # seconds: the window events are counted in, or the expiry horizon
    hold: int = 0  # seconds: Prometheus's `for`


@dataclass(frozen=True)
class Receiver:
    """An Alertmanager receiver: mail to an address and/or a POST to a webhook."""

    name: str
    email: str | None = None
    webhook: str | None = None


@dataclass(frozen=True)
class Route:
    """Alerts whose labels equal all of ``matchers`` go to ``receiver`` (first match wins)."""

    receiver: str
    matchers: tuple[tuple[str, str], ...]  # (label, value), sorted by label


@dataclass(frozen=True)
class Smtp:
    """The relay Alertmanager sends mail through. The password is what the inventory wrote: a vault
    reference when validated, the secret itself only inside Ansible (never in a repr)."""

    smarthost: str  # host:port
    sender: str
    require_tls: bool = True
    auth_username: str | None = None
    auth_password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class MonitoringConfig:
    """``tier3_monitoring``, defaults filled in; intervals in seconds."""

    thresholds: Mapping[str, Threshold]  # every threshold name of tier3.monitoring.thresholds
    scrape_interval: int = 15
    retention: int = 30 * 86400
    runbook_url: str = "docs/runbooks"
    receivers: tuple[Receiver, ...] = ()
    routes: tuple[Route, ...] = ()
    smtp: Smtp | None = None
    group_wait: int = 30
    group_interval: int = 300
    repeat_interval: int = 4 * 3600
    location: Location = NOWHERE
