"""Reliability figures and targets: every value carries its unit, an impossible one is exit 2 naming
the file and key, overrides apply object -> site -> kind -> built-in, and each default has a source."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.availability.figures import (
    HOURS_PER_YEAR,
    KINDS,
    availability_fraction,
    duration_hours,
    figure_for,
    rate_per_hour,
)
from tier3.cli import main
from tier3.errors import InventoryError
from tier3.model import Location
from tier3.schema import InventorySchemaErrors, load_topology

HEALTHY = Path(__file__).parents[2] / "fixtures" / "inventories" / "healthy"
HERE = Location("group_vars/all.yml", "tier3_reliability.kinds.psu")


@pytest.mark.parametrize(
    ("text", "hours"),
    [("4 h", 4.0), ("30 min", 0.5), ("2 d", 48.0), ("90 s", 0.025), ("1 y", HOURS_PER_YEAR), ("1.5e5 h", 150000.0),
     ("150000 hours", 150000.0)],
)
def test_durations(text: str, hours: float) -> None:
    assert duration_hours(text, HERE, "mttr") == pytest.approx(hours)


@pytest.mark.parametrize(
    ("text", "per_hour"),
    [("2 /year", 2 / HOURS_PER_YEAR), ("1.5 %/year", 0.015 / HOURS_PER_YEAR), ("1 / d", 1 / 24.0)],
)
def test_rates(text: str, per_hour: float) -> None:
    assert rate_per_hour(text, HERE, "rate") == pytest.approx(per_hour)


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        (duration_hours, "4", "is not a duration with a unit"),
        (duration_hours, 4, "is not a duration with a unit"),
        (duration_hours, "4 parsecs", "is not a duration with a unit"),
        (duration_hours, "0 h", "is not a positive duration"),
        (duration_hours, "-1 h", "is not a duration with a unit"),
        (rate_per_hour, "2", "is not a failure rate with a unit"),
        (rate_per_hour, "150 %/year", "an annualised failure rate above 100 %"),
        (rate_per_hour, "0 /year", "is not a positive failure rate"),
        (availability_fraction, "99.99", "is not an availability in percent"),
        (availability_fraction, 0.9999, "is not an availability in percent"),
        (availability_fraction, "100 %", "between 0 and 100 % (exclusive)"),
        (availability_fraction, "0 %", "between 0 and 100 % (exclusive)"),
    ],
)
def test_a_value_without_its_unit_or_impossible_is_refused_naming_the_key(parse: Any, value: Any, message: str) -> None:
    with pytest.raises(InventoryError) as raised:
        parse(value, HERE, "mtbf")
    assert message in raised.value.message
    assert raised.value.where == "tier3_reliability.kinds.psu.mtbf"
    assert raised.value.hint


def test_every_default_has_a_source_and_a_plausible_figure() -> None:
    for kind, (what, figure) in KINDS.items():
        assert what, kind
        assert len(figure.source) > 20, kind
        assert figure.mtbf_hours > 100 * figure.mttr_hours > 0, kind  # fails far less often than it is repaired


def _inventory(tmp_path: Path, **variables: Any) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(HEALTHY, target)
    path = target / "group_vars" / "all.yml"
    data = yaml.safe_load(path.read_text())
    data.update(variables)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def test_overrides_apply_object_then_site_then_kind_then_built_in(tmp_path: Path) -> None:
    reliability = {
        "kinds": {"psu": {"mtbf": "100000 h", "mttr": "8 h"}, "feed": {"rate": "1 /year", "mttr": "2 h"}},
        "sites": {"site1": {"psu": {"mtbf": "50000 h", "mttr": "8 h", "source": "site1 is hot"}}},
        "objects": {"psu:mx1/PSU1": {"mtbf": "10000 h", "mttr": "1 d"}},
    }
    topology = load_topology(_inventory(tmp_path, tier3_reliability=reliability))
    r = topology.reliability
    assert figure_for(r, "psu", "mx1/PSU1", "site1").mttr_hours == 24.0
    assert figure_for(r, "psu", "mx1/PSU2", "site1").source == "site1 is hot"
    assert figure_for(r, "psu", "mx1/PSU2", "site9").mtbf_hours == 100000.0
    assert figure_for(r, "feed", "feed-a", "site1").mtbf_hours == pytest.approx(HOURS_PER_YEAR)
    assert figure_for(r, "switch", "sw1", "site1") is KINDS["switch"][1]
    assert "group_vars/all.yml: tier3_reliability.kinds.psu" in figure_for(r, "psu", "mx1/PSU2", "site9").source


BAD = [
    ({"tier3_reliability": {"kinds": {"psu": {"mtbf": 150000, "mttr": "4 h"}}}},
     "tier3_reliability.kinds.psu.mtbf", "150000 is not a duration with a unit"),
    ({"tier3_reliability": {"kinds": {"swtich": {"mtbf": "1 h", "mttr": "4 h"}}}},
     "tier3_reliability.kinds.swtich", "unknown component kind 'swtich' (fix: did you mean switch?)"),
    ({"tier3_reliability": {"kinds": {"psu": {"mttr": "4 h"}}}},
     "tier3_reliability.kinds.psu.mtbf", "a figure needs exactly one of mtbf and rate"),
    ({"tier3_reliability": {"kinds": {"psu": {"mtbf": "1 h", "rate": "1 /year", "mttr": "4 h"}}}},
     "tier3_reliability.kinds.psu.rate", "a figure needs exactly one of mtbf and rate"),
    ({"tier3_reliability": {"kinds": {"psu": {"mtbf": "1 h"}}}},
     "tier3_reliability.kinds.psu.mttr", "required field"),
    ({"tier3_reliability": {"objects": {"psu:nohost/PSU1": {"mtbf": "1 h", "mttr": "4 h"}}}},
     "tier3_reliability.objects.psu:nohost/PSU1", "no host 'nohost' in the inventory"),
    ({"tier3_reliability": {"objects": {"feed-a": {"mtbf": "1 h", "mttr": "4 h"}}}},
     "tier3_reliability.objects.feed-a", "object 'feed-a' does not say its kind"),
    ({"tier3_reliability": {"objects": {"feed:feed-c": {"mtbf": "1 h", "mttr": "4 h"}}}},
     "tier3_reliability.objects.feed:feed-c", "no feed 'feed-c' in the inventory (fix: did you mean feed-"),
    ({"tier3_reliability": {"sites": {"site9": {"feed": {"rate": "1 /year", "mttr": "1 h"}}}}},
     "tier3_reliability.sites.site9", "no site 'site9' in tier3_sites"),
    ({"tier3_targets": {"smtp-in": {"availability": "99.999"}}},
     "tier3_targets.smtp-in.availability", "'99.999' is not an availability in percent"),
    ({"tier3_targets": {"smtp-in": {"rto": "60"}}}, "tier3_targets.smtp-in.rto", "'60' is not a duration with a unit"),
    ({"tier3_targets": {"smtp-in": {}}}, "tier3_targets.smtp-in", "a target with neither availability nor rto"),
    ({"tier3_targets": {"pop3": {"availability": "99 %"}}}, "tier3_targets.pop3", "unknown field"),
]


@pytest.mark.parametrize(("variables", "key", "message"), BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_figures_and_targets_are_exit_2_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], variables: dict[str, Any], key: str, message: str
) -> None:
    inv = _inventory(tmp_path, **variables)
    with pytest.raises(InventorySchemaErrors) as raised:
        load_topology(inv)
    lines = raised.value.lines()
    assert any(f"group_vars/all.yml: {key}: " in line and message in line for line in lines), lines
    assert main(["availability", "-i", str(inv)]) == 2
    assert message in capsys.readouterr().err
    assert main(["validate", str(inv)]) == 2


def test_targets_are_read_with_their_units(tmp_path: Path) -> None:
    targets = {"smtp-in": {"availability": "99.999 %", "rto": "5 min"}, "imap": {"rto": "4 h"}}
    topology = load_topology(_inventory(tmp_path, tier3_targets=targets))
    read = {t.service: (t.availability, t.rto_seconds) for t in topology.targets}
    assert read == {"smtp-in": (pytest.approx(0.99999), 300.0), "imap": (None, 14400.0)}
