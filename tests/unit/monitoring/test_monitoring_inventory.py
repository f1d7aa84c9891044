"""tier3_monitoring in an inventory (tests/fixtures/inventories/healthy-two-site with it added): accepted as
written, and every bad value one error naming its key and the fix, exit 2 from `tier3 validate`."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from monitoring_support import EXAMPLE

from support import FIXTURES, edit_all_vars
from tier3.cli import main
from tier3.schema import InventorySchemaErrors, load_topology

TWO_SITES = FIXTURES / "inventories" / "healthy-two-site"
SECRET = "hunter2-smtp-relay"  # a literal password, never to be printed
Doc = dict[str, Any]


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(TWO_SITES, target)
    edit_all_vars(target, lambda d: d.update(tier3_monitoring=copy.deepcopy(EXAMPLE)))
    return target


def errors_of(inv: Path) -> list[str]:
    with pytest.raises(InventorySchemaErrors) as caught:
        load_topology(inv)
    return [f"{e.where}: {e.message} (fix: {e.hint})" for e in caught.value.errors]


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """Set (or with None remove) tier3_monitoring.<path>, dots between keys, [i] for list items."""
    def change(d: Doc) -> None:
        node: Any = d["tier3_monitoring"]
        parts = path.replace("[", ".").replace("]", "").split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return change


def test_the_example_is_accepted(inv: Path) -> None:
    assert load_topology(inv).hosts


def test_an_empty_mapping_is_accepted(inv: Path) -> None:
    edit_all_vars(inv, lambda d: d.update(tier3_monitoring={}))
    assert load_topology(inv).hosts


CHECKS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("duration without unit", _set("thresholds.queue_depth.for", 10),
     "tier3_monitoring.thresholds.queue_depth.for: 10 has no unit (fix: write a Prometheus duration with its unit"),
    ("duration in words", _set("scrape_interval", "15 seconds"),
     "tier3_monitoring.scrape_interval: '15 seconds' is not a Prometheus duration (fix: write a Prometheus duration"),
    ("zero retention", _set("retention", "0d"), "tier3_monitoring.retention: '0d' is zero"),
    ("percent without unit", _set("thresholds.disk_free.below", 15),
     "tier3_monitoring.thresholds.disk_free.below: 15 has no unit (fix: write a share with its unit, e.g. 15%)"),
    ("count as text", _set("thresholds.deferred.above", "200"),
     "tier3_monitoring.thresholds.deferred.above: must be of integer type (schema: monitoring)"),
    ("negative count", _set("thresholds.deferred.above", -1),
     "tier3_monitoring.thresholds.deferred.above: min value is 0 (schema: monitoring)"),
    ("field the threshold has not", _set("thresholds.deferred.below", 3),
     "tier3_monitoring.thresholds.deferred.below: unknown field (schema: monitoring) (fix: remove `below` or fix "
     "its spelling; allowed here: above, for)"),
    ("unknown threshold", _set("thresholds.queue_size", {"above": 3}),
     "tier3_monitoring.thresholds.queue_size: unknown field (schema: monitoring) (fix: remove `queue_size`"),
    ("route to nobody", _set("routes[0].receiver", "pager"),
     "tier3_monitoring.routes[0].receiver: no receiver 'pager' (fix: name a receiver of "
     "tier3_monitoring.receivers (oncall, lab-webhook))"),
    ("route on an unknown severity", _set("routes[0].severity", "page"),
     "tier3_monitoring.routes[0].severity: unallowed value page (schema: monitoring) (fix: use one of: critical, "
     "warning, info)"),
    ("receiver twice", _set("receivers[1].name", "oncall"),
     "tier3_monitoring.receivers[1].name: receiver 'oncall' is defined twice"),
    ("receiver sends nowhere", _set("receivers[1].webhook", None),
     "tier3_monitoring.receivers[1]: receiver 'lab-webhook' sends nowhere (fix: give it an email"),
    ("webhook not a URL", _set("receivers[1].webhook", "10.89.30.51:9099"),
     "tier3_monitoring.receivers[1].webhook: value does not match regex"),
    ("email receiver without smtp", _set("smtp", None),
     "tier3_monitoring.smtp: receiver 'oncall' sends mail but no relay is set (fix: add smtp: {smarthost: "),
    ("smarthost without port", _set("smtp.smarthost", "mail.example.com"),
     "tier3_monitoring.smtp.smarthost: value does not match regex"),
    ("literal smtp password", _set("smtp.auth_password", SECRET),
     "tier3_monitoring.smtp.auth_password: the SMTP password is a literal in the inventory (or may hold one), "
     "not a vault reference (fix: keep the relay password in the vault"),
    ("not a mapping", lambda d: d.update(tier3_monitoring=["oncall"]),
     "tier3_monitoring: tier3_monitoring must be a mapping, not list"),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CHECKS], ids=[c[0] for c in CHECKS])
def test_each_fault_is_one_error_naming_its_key(inv: Path, change: Callable[[Doc], None], expected: str) -> None:
    edit_all_vars(inv, change)
    (error,) = errors_of(inv)
    assert error.startswith(expected), error
    assert SECRET not in error


def test_a_vaulted_smtp_password_is_accepted(inv: Path) -> None:
    edit_all_vars(inv, _set("smtp.auth_password", "{{ vault_tier3_alertmanager_smtp }}"))
    assert load_topology(inv).hosts


def test_tier3_monitoring_set_for_a_group_is_refused(inv: Path) -> None:
    (inv / "group_vars" / "mx.yml").write_text(yaml.safe_dump({"tier3_monitoring": {}}))
    (error,) = errors_of(inv)
    assert error.startswith("tier3_monitoring: tier3_monitoring is set for a group or host")


@pytest.mark.parametrize(("change", "key"), [
    (_set("thresholds.delivery_latency.above", 30), "tier3_monitoring.thresholds.delivery_latency.above"),
    (_set("routes[0].receiver", "pager"), "tier3_monitoring.routes[0].receiver"),
    (_set("smtp.auth_password", SECRET), "tier3_monitoring.smtp.auth_password"),
])
def test_validate_exits_2_naming_file_and_key(inv: Path, change: Callable[[Doc], None], key: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    edit_all_vars(inv, change)
    assert main(["validate", str(inv)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"group_vars/all.yml: {key}:" in err
    assert "(fix: " in err
    assert SECRET not in err


def test_validate_passes_the_example(inv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(inv)]) == 0
    capsys.readouterr()
