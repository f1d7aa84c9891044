"""``tier3_monitoring``: the schema-clean document -> ``MonitoringConfig``, with every duration, percent
and count parsed (``tier3.monitoring.thresholds``) and the checks that tie its parts together (each an
``InventoryError`` naming the key and the fix): receiver names unique, every route's receiver
defined, ``smtp`` present when a receiver sends mail, the SMTP password a vault reference.

The same function serves ``tier3 validate`` (through the loader) and the Ansible filters
(``monitoring_config``), so a value the validator accepts is a value the roles can render.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from tier3.errors import InventoryError
from tier3.model.finding import Location
from tier3.model.monitoring import MonitoringConfig, Receiver, Route, Smtp
from tier3.monitoring.thresholds import parse_duration, parse_thresholds
from tier3.schema import compiled
from tier3.schema.errors import InventorySchemaErrors
from tier3.schema.inventory import Sourced
from tier3.schema.paths import hint, key_path

# inventory-wide mapping variables -> schema kind (set for all hosts, like DNS_VARS)
MONITORING_VARS: Final = {"tier3_monitoring": "monitoring"}
KIND: Final = "monitoring"
INTERVALS: Final = ("scrape_interval", "retention", "group_wait", "group_interval", "repeat_interval")
MATCHER_LABELS: Final = ("alertname", "instance", "service", "severity", "site")  # what a route may match on
PASSWORD_FIX: Final = ('keep the relay password in the vault (ansible-vault) and reference it: '
                       '"{{ vault_tier3_alertmanager_smtp }}"')


def build_monitoring(doc: Mapping[str, Any], file: str, key: str,
                     is_vaulted: Callable[[Any], bool]) -> tuple[MonitoringConfig, list[InventoryError]]:
    """The model of a schema-clean ``tier3_monitoring`` and every problem of its values."""
    location = Location(file, key)
    thresholds, errors = parse_thresholds(doc.get("thresholds") or {}, Location(file, f"{key}.thresholds"))
    intervals: dict[str, int] = {}
    for name in INTERVALS:
        if name in doc:
            try:
                intervals[name] = parse_duration(doc[name], location, name)
            except InventoryError as error:
                errors.append(error)
    receivers = tuple(Receiver(r["name"], r.get("email"), r.get("webhook")) for r in doc.get("receivers") or ())
    routes = tuple(Route(r["receiver"], tuple(sorted((label, str(r[label])) for label in MATCHER_LABELS if label in r)))
                   for r in doc.get("routes") or ())
    smtp_doc = doc.get("smtp")
    smtp = None if smtp_doc is None else Smtp(
        smtp_doc["smarthost"], smtp_doc["from"], bool(smtp_doc.get("require_tls", True)),
        smtp_doc.get("auth_username"), smtp_doc.get("auth_password"))
    default = MonitoringConfig(thresholds={})
    config = MonitoringConfig(
        thresholds=thresholds, receivers=receivers, routes=routes, smtp=smtp, location=location,
        scrape_interval=intervals.get("scrape_interval", default.scrape_interval),
        retention=intervals.get("retention", default.retention),
        group_wait=intervals.get("group_wait", default.group_wait),
        group_interval=intervals.get("group_interval", default.group_interval),
        repeat_interval=intervals.get("repeat_interval", default.repeat_interval),
        runbook_url=str(doc.get("runbook_url", default.runbook_url)).rstrip("/"))
    errors += _receiver_errors(config) + _smtp_errors(config, smtp_doc, is_vaulted)
    return config, errors


def _error(location: Location, key: str, message: str, fix: str) -> InventoryError:
    return InventoryError(location.file, f"{location.key}.{key}", message, hint=fix)


def _receiver_errors(config: MonitoringConfig) -> list[InventoryError]:
    where = config.location
    errors: list[InventoryError] = []
    names: list[str] = []
    for i, receiver in enumerate(config.receivers):
        if receiver.name in names:
            errors.append(_error(where, f"receivers[{i}].name", f"receiver {receiver.name!r} is defined twice",
                                 "give each receiver its own name, or merge the two into one with email and webhook"))
        names.append(receiver.name)
        if receiver.email is None and receiver.webhook is None:
            errors.append(_error(where, f"receivers[{i}]", f"receiver {receiver.name!r} sends nowhere",
                                 "give it an email (ops@example.com) and/or a webhook (https://host/path)"))
    for i, route in enumerate(config.routes):
        if route.receiver not in names:
            defined = ", ".join(names) if names else "none: add tier3_monitoring.receivers"
            errors.append(_error(where, f"routes[{i}].receiver", f"no receiver {route.receiver!r}",
                                 f"name a receiver of tier3_monitoring.receivers ({defined})"))
    return errors


def _smtp_errors(config: MonitoringConfig, smtp_doc: Mapping[str, Any] | None,
                 is_vaulted: Callable[[Any], bool]) -> list[InventoryError]:
    where = config.location
    mailers = [r.name for r in config.receivers if r.email is not None]
    if mailers and config.smtp is None:
        return [_error(where, "smtp", f"receiver {mailers[0]!r} sends mail but no relay is set",
                       "add smtp: {smarthost: 'mail.example.com:587', from: alertmanager@example.com}")]
    if smtp_doc is not None and "auth_password" in smtp_doc and not is_vaulted(smtp_doc["auth_password"]):
        return [_error(where, "smtp.auth_password",
                       "the SMTP password is a literal in the inventory (or may hold one), not a vault reference",
                       PASSWORD_FIX)]
    return []


def check_monitoring(globals_: Mapping[str, Sourced | None], is_vaulted: Callable[[Any], bool]) -> list[InventoryError]:
    """Every value problem of a schema-clean tier3_monitoring (none when it is not set)."""
    found = globals_.get("tier3_monitoring")
    if found is None:
        return []
    return build_monitoring(found.value, found.file, found.key, is_vaulted)[1]


def monitoring_config(doc: Mapping[str, Any] | None, source: str = "tier3_monitoring",
                      is_vaulted: Callable[[Any], bool] = lambda _: True) -> MonitoringConfig:
    """``tier3_monitoring`` as a role passes it (``{}`` or None: every default) -> the model;
    ``InventorySchemaErrors`` listing every schema and value problem. Inside Ansible the password
    has been templated already, so by default it is not judged."""
    doc = {} if doc is None else doc
    if not isinstance(doc, Mapping):
        raise InventorySchemaErrors(source, [InventoryError(
            source, "tier3_monitoring", f"tier3_monitoring must be a mapping, not {type(doc).__name__}",
            hint="write tier3_monitoring as a mapping (docs/monitoring.md)")])
    issues = compiled.issues(KIND, dict(doc))
    if issues:
        raise InventorySchemaErrors(source, [InventoryError(
            source, key_path("tier3_monitoring", i.path), f"{i.message} (schema: {KIND})",
            hint=hint(KIND, i, _at(doc, i.path))) for i in issues])
    config, errors = build_monitoring(doc, source, "tier3_monitoring", is_vaulted)
    if errors:
        raise InventorySchemaErrors(source, errors)
    return config


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return None
    return doc
