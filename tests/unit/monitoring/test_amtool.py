"""The Alertmanager configuration proven offline by Alertmanager's own tool: ``amtool check-config`` on the
configurations of the defaults, of the issue's example and of ``ROUTED``, and ``amtool config routes test``
for every route of ``ROUTED`` and its default route, asserting the receiver each label set reaches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from monitoring_support import EXAMPLE, run, write_yaml

from tier3.monitoring.routes import alertmanager_config
from tier3.schema.monitoring import monitoring_config

# three receivers, routes that overlap (first match wins) and a default that is not the last
ROUTED: dict[str, Any] = {
    "receivers": [
        {"name": "team-mail", "email": "mail-team@example.com"},
        {"name": "oncall", "email": "oncall@example.com", "webhook": "https://pager.example.com/hooks/tier3"},
        {"name": "lb-team", "webhook": "http://10.89.30.51:9099/alerts"},
        {"name": "ber1-ops", "email": "ber1-ops@example.com"},
    ],
    "routes": [
        {"severity": "critical", "receiver": "oncall"},
        {"service": "lb", "receiver": "lb-team"},
        {"site": "ber1", "severity": "warning", "receiver": "ber1-ops"},
    ],
    "smtp": {"smarthost": "mail.example.com:587", "from": "alertmanager@example.com",
             "auth_username": "alertmanager", "auth_password": "not-a-real-secret"},
}
# label set -> the receiver it must reach
ROUTING: list[tuple[dict[str, str], str]] = [
    ({"alertname": "Tier3UnitDown", "severity": "critical", "service": "mail", "site": "fra1"}, "oncall"),
    ({"alertname": "Tier3VipSplitBrain", "severity": "critical", "service": "lb", "site": "fra1"}, "oncall"),
    ({"alertname": "Tier3LbServerDown", "severity": "warning", "service": "lb", "site": "fra1"}, "lb-team"),
    ({"alertname": "Tier3VipMoved", "severity": "info", "service": "lb", "site": "ber1"}, "lb-team"),
    ({"alertname": "Tier3DiskFree", "severity": "warning", "service": "host", "site": "ber1"}, "ber1-ops"),
    ({"alertname": "Tier3DiskFree", "severity": "info", "service": "host", "site": "ber1"}, "team-mail"),
    ({"alertname": "Tier3MailDeferred", "severity": "warning", "service": "mail", "site": "fra1"}, "team-mail"),
]


def config_file(tmp_path: Path, doc: dict[str, Any]) -> Path:
    return write_yaml(tmp_path / "alertmanager.yml", alertmanager_config(monitoring_config(doc)))


@pytest.mark.parametrize(("name", "doc"), [("defaults", {}), ("example", EXAMPLE), ("routed", ROUTED)])
def test_amtool_accepts_the_generated_configuration(name: str, doc: dict[str, Any], amtool: str,
                                                     tmp_path: Path) -> None:
    done = run(amtool, "check-config", str(config_file(tmp_path, doc)))
    assert done.returncode == 0, done.stdout + done.stderr
    receivers = len(doc.get("receivers", [])) or 1
    assert f"{receivers} receivers" in done.stdout
    assert "3 inhibit rules" in done.stdout


def test_amtool_refuses_a_route_to_an_undefined_receiver(amtool: str, tmp_path: Path) -> None:
    """The check above can fail: a route naming a receiver that is not defined."""
    config = alertmanager_config(monitoring_config(ROUTED))
    config["route"]["routes"][0]["receiver"] = "nobody"
    done = run(amtool, "check-config", str(write_yaml(tmp_path / "broken.yml", config)))
    assert done.returncode != 0
    assert "nobody" in done.stdout + done.stderr


def route_test(amtool: str, path: Path, labels: dict[str, str], *extra: str) -> Any:
    return run(amtool, "config", "routes", "test", f"--config.file={path}", *extra,
               *(f"{k}={v}" for k, v in sorted(labels.items())))


@pytest.mark.parametrize(("labels", "receiver"), ROUTING, ids=[f"{r}-{i}" for i, (_, r) in enumerate(ROUTING)])
def test_each_label_set_reaches_its_receiver(labels: dict[str, str], receiver: str, amtool: str,
                                             tmp_path: Path) -> None:
    path = config_file(tmp_path, ROUTED)
    done = route_test(amtool, path, labels)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split() == [receiver]
    assert route_test(amtool, path, labels, f"--verify.receivers={receiver}").returncode == 0


def test_every_route_and_the_default_are_exercised() -> None:
    reached = {receiver for _, receiver in ROUTING}
    assert reached == {r["receiver"] for r in ROUTED["routes"]} | {ROUTED["receivers"][0]["name"]}


def test_verify_fails_for_the_wrong_receiver(amtool: str, tmp_path: Path) -> None:
    """amtool's verdict can fail: a critical alert does not reach the default receiver."""
    labels, _ = ROUTING[0]
    done = route_test(amtool, config_file(tmp_path, ROUTED), labels, "--verify.receivers=team-mail")
    assert done.returncode != 0


def test_without_receivers_everything_reaches_the_silent_default(amtool: str, tmp_path: Path) -> None:
    done = route_test(amtool, config_file(tmp_path, {}), {"severity": "critical", "alertname": "Tier3UnitDown"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["default"]


def test_example_routes_critical_to_oncall_and_the_rest_to_the_first_receiver(amtool: str, tmp_path: Path) -> None:
    path = config_file(tmp_path, EXAMPLE)
    assert route_test(amtool, path, {"severity": "critical"}).stdout.split() == ["oncall"]
    assert route_test(amtool, path, {"severity": "warning"}).stdout.split() == ["oncall"]
