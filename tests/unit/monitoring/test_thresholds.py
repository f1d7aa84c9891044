"""tier3.monitoring.thresholds: durations, percents and counts as an inventory writes them, the defaults,
and the schema's thresholds section kept equal to the table."""

from __future__ import annotations

from typing import Any

import pytest

from tier3.errors import InventoryError
from tier3.model.finding import Location
from tier3.model.monitoring import Threshold
from tier3.monitoring.thresholds import (
    THRESHOLDS,
    defaults,
    fields,
    format_duration,
    parse_count,
    parse_duration,
    parse_percent,
    parse_thresholds,
)
from tier3.schema.schemas import schema

HERE = Location("group_vars/all.yml", "tier3_monitoring.thresholds.queue_depth")


@pytest.mark.parametrize(("text", "seconds"), [
    ("15s", 15), ("30m", 1800), ("1h30m", 5400), ("21d", 21 * 86400), ("2w", 14 * 86400), ("1y", 365 * 86400),
    ("0s", 0), (" 5m ", 300),
])
def test_durations_in_prometheus_syntax(text: str, seconds: int) -> None:
    assert parse_duration(text, HERE, "for", positive=False) == seconds


@pytest.mark.parametrize(("value", "message"), [
    (30, "30 has no unit"),
    (1.5, "1.5 has no unit"),
    ("30", "'30' is not a Prometheus duration"),
    ("30 min", "'30 min' is not a Prometheus duration"),
    ("30M", "'30M' is not a Prometheus duration"),
    ("1m1h", "'1m1h' is not a Prometheus duration"),
    ("", "'' is not a Prometheus duration"),
    (True, "True is not a Prometheus duration"),
])
def test_a_duration_without_its_unit_is_an_error_naming_the_key(value: Any, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_duration(value, HERE, "for")
    assert caught.value.where == "tier3_monitoring.thresholds.queue_depth.for"
    assert caught.value.message == message
    assert caught.value.hint.startswith("write a Prometheus duration with its unit, e.g. 90s, 30m")


def test_a_zero_duration_is_refused_where_it_must_be_positive() -> None:
    with pytest.raises(InventoryError, match="'0m' is zero"):
        parse_duration("0m", HERE, "within")


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (15, "15s"), (90, "1m30s"), (1800, "30m"),
                                               (5400, "1h30m"), (21 * 86400, "21d"), (86400 + 1, "1d1s")])
def test_durations_written_back(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text, HERE, "for", positive=False) == seconds


@pytest.mark.parametrize(("text", "percent"), [("15%", 15.0), ("12.5 %", 12.5), ("0.5%", 0.5)])
def test_percents(text: str, percent: float) -> None:
    assert parse_percent(text, HERE, "below") == percent


@pytest.mark.parametrize(("value", "message"), [(15, "15 has no unit"), ("15", "'15' is not a percent"),
                                                ("0%", "'0%' is not between 0 and 100"),
                                                ("100%", "'100%' is not between 0 and 100")])
def test_bad_percents(value: Any, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_percent(value, HERE, "below")
    assert caught.value.message.startswith(message)
    assert caught.value.hint.startswith("write")


@pytest.mark.parametrize("value", [-1, "500", 1.5, True])
def test_bad_counts(value: Any) -> None:
    with pytest.raises(InventoryError, match="is not a count"):
        parse_count(value, HERE, "above")


def test_the_defaults() -> None:
    found = defaults()
    assert list(found) == list(THRESHOLDS)
    assert found["queue_depth"] == Threshold(limit=500, hold=600)
    assert found["deferred"] == Threshold(limit=200, hold=900)
    assert found["delivery_latency"] == Threshold(limit=1800, hold=300)
    assert found["replication_lag"] == Threshold(limit=300, hold=300)
    assert found["disk_free"] == Threshold(limit=15, hold=600)
    assert found["certificate_expiry"] == Threshold(within=21 * 86400)
    assert found["restarts"] == Threshold(limit=3, within=900)
    assert found["vrrp_changes"] == Threshold(limit=2, within=600)
    assert found["split_brain"] == Threshold(hold=60)


def test_set_values_override_the_defaults_field_by_field() -> None:
    found, errors = parse_thresholds({"queue_depth": {"above": 50}, "restarts": {"within": "1h"}},
                                     Location("f.yml", "tier3_monitoring.thresholds"))
    assert errors == []
    assert found["queue_depth"] == Threshold(limit=50, hold=600)
    assert found["restarts"] == Threshold(limit=3, within=3600)


def test_every_bad_value_is_reported() -> None:
    _, errors = parse_thresholds({"queue_depth": {"for": 10}, "disk_free": {"below": 15}},
                                 Location("f.yml", "tier3_monitoring.thresholds"))
    assert [(e.where, e.message) for e in errors] == [
        ("tier3_monitoring.thresholds.queue_depth.for", "10 has no unit"),
        ("tier3_monitoring.thresholds.disk_free.below", "15 has no unit"),
    ]


def test_the_schema_lists_exactly_the_thresholds_and_their_fields() -> None:
    section = schema("monitoring")["thresholds"]["schema"]
    assert list(section) == list(THRESHOLDS)
    assert {name: tuple(section[name]["schema"]) for name in section} == {
        name: fields(spec) for name, spec in THRESHOLDS.items()}
