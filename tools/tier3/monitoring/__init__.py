"""Monitoring generated from the inventory: pure functions, no I/O.

``tier3.monitoring.thresholds`` names the alert thresholds of ``tier3_monitoring`` with their defaults
and parses durations, percents and counts; ``tier3.monitoring.alerts`` turns a ``MonitoringConfig``
into the Prometheus rule file, ``tier3.monitoring.routes`` into the Alertmanager configuration. Both
return plain dicts in a stable order, so the roles' templates are idempotent. The filters of
plugins/filter/tier3_monitoring.py call them; ``promtool test rules`` and ``amtool config routes
test`` prove them in tests/unit/monitoring. ``tier3.schema.monitoring`` (the same layer, beside
``tier3.dns``; tests/unit/test_layering.py) imports the thresholds; nothing here imports above ``model``.
"""
