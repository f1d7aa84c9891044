"""tier3.monitoring.alerts and routes: what the rule file and the Alertmanager configuration hold, that they
are the same for the same input (templates stay idempotent), and that every alert has its runbook."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from monitoring_support import EXAMPLE, FIXED, REPO

from tier3.monitoring.alerts import ALERTS, SERVICES, SEVERITIES, alert_names, rule_file
from tier3.monitoring.routes import INHIBIT_RULES, alertmanager_config, matcher
from tier3.schema.monitoring import monitoring_config

RUNBOOKS = REPO / "docs" / "runbooks"


def all_rules(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for g in rule_file(monitoring_config(doc))["groups"] for r in g["rules"]]


def rule(doc: dict[str, Any], name: str, service: str | None = None) -> dict[str, Any]:
    (found,) = [r for r in all_rules(doc) if r["alert"] == name and service in (None, r["labels"]["service"])]
    return found


def test_the_output_is_stable() -> None:
    first = yaml.safe_dump(rule_file(monitoring_config(copy.deepcopy(EXAMPLE))), sort_keys=False)
    second = yaml.safe_dump(rule_file(monitoring_config(copy.deepcopy(EXAMPLE))), sort_keys=False)
    assert first == second
    assert yaml.safe_dump(alertmanager_config(monitoring_config(EXAMPLE))) == yaml.safe_dump(
        alertmanager_config(monitoring_config(copy.deepcopy(EXAMPLE))))


def test_groups_per_service_in_order_at_the_scrape_interval() -> None:
    groups = rule_file(monitoring_config({"scrape_interval": "30s"}))["groups"]
    assert [g["name"] for g in groups] == [f"tier3-{s}" for s in SERVICES]
    assert {g["interval"] for g in groups} == {"30s"}


def test_every_rule_has_the_labels_and_annotations_of_the_contract() -> None:
    for found in all_rules({}):
        assert found["alert"].startswith("Tier3")
        assert found["labels"]["severity"] in SEVERITIES
        assert found["labels"]["service"] in SERVICES
        assert set(found["annotations"]) == {"summary", "description", "runbook_url"}
        assert found["annotations"]["runbook_url"] == f"docs/runbooks/{found['alert']}.md"
        assert "{{ $labels.instance }}" in found["annotations"]["description"] or "vip" in found["expr"]
        assert not re.search(r"<\w+>", found["expr"] + found["annotations"]["description"]), found


def test_the_runbook_base_is_the_inventorys_without_a_trailing_slash() -> None:
    assert rule(FIXED, "Tier3DiskFree")["annotations"]["runbook_url"] == (
        "https://runbooks.example.net/tier3/Tier3DiskFree.md")


def test_thresholds_reach_the_expressions_and_the_text() -> None:
    doc = {"thresholds": {"queue_depth": {"above": 42, "for": "7m"}, "disk_free": {"below": "12.5%"},
                          "restarts": {"above": 9, "within": "1h"}, "certificate_expiry": {"within": "7d"}}}
    depth = rule(doc, "Tier3MailQueueDepth")
    assert depth["expr"].endswith(") > 42")
    assert depth["for"] == "7m"
    assert "(more than 42 for 7m)" in depth["annotations"]["description"]
    assert rule(doc, "Tier3DiskFree")["expr"].endswith("< 12.5")
    assert "less than 12.5% for 10m" in rule(doc, "Tier3DiskFree")["annotations"]["description"]
    assert rule(doc, "Tier3CrashLoop", "mail")["expr"] == (
        'increase(tier3_unit_restarts_total{unit=~"postfix.*"}[1h]) > 9')
    assert rule(doc, "Tier3CertificateExpiry")["expr"].endswith("< 604800")


def test_an_alert_without_a_hold_has_no_for() -> None:
    assert "for" not in rule({}, "Tier3CertificateExpiry")
    assert rule({"thresholds": {"split_brain": {"for": "0s"}}}, "Tier3VipSplitBrain").get("for") is None


def test_split_alerts_cover_every_unit_and_job_once() -> None:
    units = {r["labels"]["service"]: r["expr"] for r in all_rules({}) if r["alert"] == "Tier3UnitDown"}
    assert units == {
        "mail": 'tier3_unit_active{unit=~"postfix.*"} == 0',
        "imap": 'tier3_unit_active{unit=~"dovecot.*"} == 0',
        "lb": 'tier3_unit_active{unit=~"haproxy.*|keepalived.*"} == 0',
        "dns": 'tier3_unit_active{unit=~"knot.*"} == 0',
        "monitoring": 'tier3_unit_active{unit=~"prometheus.*"} == 0',
        "host": 'tier3_unit_active{unit!~"postfix.*|dovecot.*|haproxy.*|keepalived.*|knot.*|prometheus.*"} == 0',
    }
    jobs = {r["labels"]["service"]: r["expr"] for r in all_rules({}) if r["alert"] == "Tier3TargetDown"}
    assert jobs == {"lb": 'up{job=~"haproxy"} == 0', "imap": 'up{job=~"dovecot"} == 0',
                    "monitoring": 'up{job=~"prometheus|alertmanager"} == 0',
                    "host": 'up{job!~"haproxy|dovecot|prometheus|alertmanager"} == 0'}


def test_alert_names_are_unique_rows() -> None:
    assert len(alert_names()) == len(set(alert_names())) == len(ALERTS)


def test_every_alert_has_a_runbook_that_says_what_to_check() -> None:
    for name in alert_names():
        path = RUNBOOKS / f"{name}.md"
        assert path.is_file(), f"no runbook docs/runbooks/{name}.md"
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f"# {name}\n"), path
        for heading in ("## What it means", "## First checks", "## Resolve", "## Escalate"):
            assert heading in text, f"{path.name}: no {heading!r}"
        assert "```" in text, f"{path.name}: no command to run"


def test_every_runbook_belongs_to_an_alert_or_a_drill() -> None:
    drills = {"imap-failover.md", "lb-failover.md", "mx-failover.md"}
    assert {p.name for p in RUNBOOKS.glob("*.md")} - drills == {f"{n}.md" for n in alert_names()}


def test_docs_list_every_alert() -> None:
    text = (REPO / "docs" / "monitoring.md").read_text(encoding="utf-8")
    for name in alert_names():
        assert f"[{name}](runbooks/{name}.md)" in text, name


def test_alertmanager_default_route_receivers_and_smtp() -> None:
    config = alertmanager_config(monitoring_config(EXAMPLE))
    assert config["global"] == {"smtp_smarthost": "mail.example.com:587", "smtp_from": "alertmanager@example.com",
                                "smtp_require_tls": True}
    assert config["route"] == {"receiver": "oncall", "group_by": ["alertname", "site", "service"],
                               "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h",
                               "routes": [{"receiver": "oncall", "matchers": ['severity="critical"']}]}
    assert config["receivers"] == [
        {"name": "oncall", "email_configs": [{"to": "ops@example.com", "send_resolved": True}]},
        {"name": "lab-webhook", "webhook_configs": [{"url": "http://10.89.30.51:9099/alerts", "send_resolved": True}]},
    ]


def test_without_receivers_one_that_sends_nowhere_and_no_smtp() -> None:
    config = alertmanager_config(monitoring_config({}))
    assert "global" not in config
    assert config["receivers"] == [{"name": "default"}]
    assert "routes" not in config["route"]


def test_route_matchers_are_sorted_and_quoted() -> None:
    doc = {"receivers": [{"name": "a", "webhook": "https://h/x"}],
           "routes": [{"site": 'fra"1', "severity": "warning", "receiver": "a"}]}
    (route,) = alertmanager_config(monitoring_config(doc))["route"]["routes"]
    assert route["matchers"] == ['severity="warning"', 'site="fra\\"1"']
    assert matcher("site", "a\\b") == 'site="a\\\\b"'


def test_the_inhibit_rules() -> None:
    assert alertmanager_config(monitoring_config({}))["inhibit_rules"] == [
        {"source_matchers": ['alertname="Tier3TargetDown"', 'job="node"'],
         "target_matchers": ['alertname=~"Tier3.+"'], "equal": ["instance"]},
        {"source_matchers": ['alertname="Tier3VipSplitBrain"'],
         "target_matchers": ['alertname=~"Tier3VrrpFlapping|Tier3VipMoved"'], "equal": ["vip"]},
        {"source_matchers": ['alertname="Tier3UnitDown"'],
         "target_matchers": ['alertname="Tier3CrashLoop"'], "equal": ["instance", "unit"]},
    ]


def test_inhibit_rules_name_real_alerts_and_keep_the_labels_they_compare() -> None:
    """Each source and named target alert exists, and no aggregation in their rules drops a label of
    ``equal`` (that would make the inhibit rule silently inert). The catch-all target of a host down
    is exempt: alerts of a VIP have no instance and are meant to survive it."""
    names = set(alert_names())
    for inhibit in INHIBIT_RULES:
        source = re.search(r'alertname="(\w+)"', inhibit["source_matchers"][0])
        target = re.search(r'alertname=~?"([\w.+|]+)"', inhibit["target_matchers"][0])
        assert source is not None
        assert target is not None
        assert source[1] in names
        targets = [] if target[1] == "Tier3.+" else target[1].split("|")
        assert set(targets) <= names, inhibit
        for found in all_rules({}):
            if found["alert"] in (source[1], *targets):
                by = re.search(r"by \(([^)]*)\)", found["expr"])
                assert by is None or set(inhibit["equal"]) <= {x.strip() for x in by[1].split(",")}, found
