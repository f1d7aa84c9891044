# Copyright: tier3 contributors
# Apache-2.0 (see LICENSE)
"""Filters tier3.dc.tier3_prometheus_rules and tier3_alertmanager_config: the alert rules and the
Alertmanager configuration of a site for roles/monitoring, computed on the controller from
C(tier3_monitoring) by the library `tier3 validate` checks it with (tier3.schema.monitoring, tier3.monitoring)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.tier3.dc.plugins.plugin_utils.tier3_package import missing, use_bundled

use_bundled()

try:
    from tier3.model.monitoring import MonitoringConfig
    from tier3.monitoring import alerts as _alerts
    from tier3.monitoring import routes as _routes
    from tier3.schema.errors import InventorySchemaErrors
    from tier3.schema.monitoring import monitoring_config
except ImportError as exc:  # neither bundled nor installed
    MISSING: str | None = missing(exc)
else:
    MISSING = None

DOCUMENTATION = r"""
---
name: tier3_prometheus_rules
short_description: The Prometheus alert rules of a site, from tier3_monitoring
version_added: "0.1.0"
description:
  - Builds the Prometheus rule file of C(tier3_monitoring) with tier3.monitoring.alerts, one group per
    service (C(tier3-mail), C(tier3-imap), C(tier3-lb), C(tier3-dns), C(tier3-host), C(tier3-monitoring)),
    every alert with labels C(severity) and C(service) and annotations C(summary), C(description),
    C(runbook_url). Thresholds not set take their defaults (docs/monitoring.md). Deterministic, so the
    template that writes it is idempotent.
  - Also in this file, C(tier3_alertmanager_config) (the Alertmanager configuration, with receivers,
    routes and inhibit rules).
  - Bad input fails with the key and the fix, as C(tier3 validate) reports it.
positional: _input
options:
  _input:
    description: C(tier3_monitoring); C({}) or null for every default.
    type: dict
    required: true
author:
  - tier3 contributors
"""

EXAMPLES = r"""
- name: Write the alert rules
  ansible.builtin.copy:
    content: "{{ tier3_monitoring | default({}) | tier3.dc.tier3_prometheus_rules | to_nice_yaml(indent=2) }}"
    dest: /etc/prometheus/rules/tier3.yml
    mode: "0644"
    validate: promtool check rules %s

- name: Write the Alertmanager configuration
  ansible.builtin.copy:
    content: "{{ tier3_monitoring | default({}) | tier3.dc.tier3_alertmanager_config | to_nice_yaml(indent=2) }}"
    dest: /etc/prometheus/alertmanager.yml
    mode: "0640"
    validate: amtool check-config %s
  no_log: true
"""

RETURN = r"""
_value:
  description:
    - tier3_prometheus_rules returns the rule file, a mapping with the list C(groups).
    - tier3_alertmanager_config returns the Alertmanager configuration, a mapping with C(global) (when a relay
      is set), C(route), C(inhibit_rules) and C(receivers).
  type: dict
"""


def _config(value: Mapping[str, Any] | None, name: str) -> MonitoringConfig:
    if MISSING:
        raise AnsibleFilterError(MISSING)
    try:
        return monitoring_config(value)
    except InventorySchemaErrors as exc:
        lines = "; ".join(f"{e.where}: {e.message} (fix: {e.hint})" for e in exc.errors)
        raise AnsibleFilterError(f"{name}: {lines}") from exc


def tier3_prometheus_rules(monitoring: Mapping[str, Any] | None) -> dict[str, Any]:
    return _alerts.rule_file(_config(monitoring, "tier3_prometheus_rules"))


def tier3_alertmanager_config(monitoring: Mapping[str, Any] | None) -> dict[str, Any]:
    return _routes.alertmanager_config(_config(monitoring, "tier3_alertmanager_config"))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "tier3_prometheus_rules": tier3_prometheus_rules,
            "tier3_alertmanager_config": tier3_alertmanager_config,
        }
