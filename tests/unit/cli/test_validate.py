"""``tier3 validate``: the broken inventories table (one fault each), the example, the report formats,
and the text and JSON reports of one broken inventory against golden files (tests/golden/validate/)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.cli import main
from tier3.rules import select
from tier3.validate import format_text, validate

ROOT = Path(__file__).parents[3]
INVENTORIES = ROOT / "tests" / "fixtures" / "inventories"
BROKEN = INVENTORIES / "broken"
# broken/cases.yml and the tables of the broken_*.py generators (cases-*.yml), one row per case
CASES: list[dict[str, Any]] = [row for table in sorted(BROKEN.glob("cases*.yml"))
                               for row in yaml.safe_load(table.read_text()) or ()]
RULE_ID = re.compile(r"\bT3-[A-Z]{3}-\d{3}\b")
TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
# two findings whose rule-id order (text) is not their severity order (json, junit, html)
GOLDEN_CASE = "rule_psus_on_one_pdu_single_feed_site"


def test_table_lists_every_broken_inventory_once() -> None:
    on_disk = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())
    listed = [c["case"] for c in CASES]
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_broken_inventory(case: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    directory = BROKEN / case["case"]
    code = main(["validate", str(directory)])
    out, err = capsys.readouterr()
    assert code == case["exit"], f"stdout:\n{out}\nstderr:\n{err}"
    assert "Traceback" not in out + err
    if case["exit"] == 2:
        assert out == ""
        file = os.path.relpath(directory / case["file"]) if case["file"] else os.path.relpath(directory)
        place = f"{file}: {case['key']}:" if case["key"] else f"{file}:"
        lines = [line for line in err.splitlines() if place in line]
        assert lines, f"no error at {place!r} in:\n{err}"
        assert any(case["says"] in line and "(fix: " in line for line in lines), err
    else:
        assert set(RULE_ID.findall(out)) == set(case["rules"]), out
        if "findings" in case:  # the exact findings: [rule id, subject] each
            found = sorted([f.rule_id, f.subject] for f in validate(directory).failed)
            assert found == sorted(case["findings"]), out
        for line in out.splitlines()[:-1]:  # every finding names its file and key and a fix
            assert line.startswith(os.path.relpath(directory)), line
            assert "(fix: " in line


def test_example_validates_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "inventory" / "example")]) == 0
    out, err = capsys.readouterr()
    assert out.strip().endswith("24 hosts, 2 sites: clean")
    assert err == ""


def test_healthy_fixture_validates_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(INVENTORIES / "healthy")]) == 0
    assert capsys.readouterr().out.strip().endswith("4 hosts, 1 site: clean")


def test_schema_errors_are_all_listed_not_only_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "inv"
    _copy(INVENTORIES / "healthy", target)
    mx1 = target / "host_vars" / "mx1.yml"
    mx1.write_text(mx1.read_text().replace("protocol: redfish", "protocol: telnet"))
    mx2 = target / "host_vars" / "mx2.yml"
    mx2.write_text(mx2.read_text().replace("capacity_watts: 800", "capacity_watts: lots", 1))
    assert main(["validate", str(target)]) == 2
    err = capsys.readouterr().err
    assert "mx1.yml: tier3_host.bmc.protocol: unallowed value telnet" in err
    assert "mx2.yml: tier3_host.power_supplies[0].capacity_watts: must be of integer type" in err
    assert "2 inventory error(s); no rule was run" in err


@pytest.mark.parametrize("fmt", ["json", "junit", "html"])
def test_report_formats_written_to_file(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "reports" / f"findings.{fmt}"
    code = main(["validate", str(BROKEN / "rule_one_psu"), "--format", fmt, "--output", str(output)])
    assert code == 1
    text = output.read_text()
    assert "T3-PWR-001" in text
    assert "T3-PWR-001" in capsys.readouterr().out  # the verdict is still printed
    if fmt == "json":
        report = json.loads(text)
        assert [f["rule_id"] for f in report["findings"]] == ["T3-PWR-001"]
        assert report["findings"][0]["location"]["key"] == "tier3_host.power_supplies"
        assert report["summary"]["checks"] == len(select()) == 63  # the declared rules


def test_json_to_stdout_on_clean_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(INVENTORIES / "healthy"), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []


def test_missing_path_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert "no such inventory file or directory" in capsys.readouterr().err


def test_bmc_secret_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "inv"
    _copy(INVENTORIES / "healthy", target)
    mx1 = target / "host_vars" / "mx1.yml"
    mx1.write_text(mx1.read_text().replace("'{{ vault_bmc_password }}'", "s3cr3t-literal"))
    for fmt in ("text", "json"):
        assert main(["validate", str(target), "--format", fmt]) == 1
        out, err = capsys.readouterr()
        assert "T3-SEC-001" in out
        assert "s3cr3t-literal" not in out + err


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("json", "json")])
def test_report_matches_its_golden_file(
    fmt: str, suffix: str, golden: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole report, byte for byte, timestamps aside (``pytest --update-golden`` after a deliberate change)."""
    monkeypatch.chdir(ROOT)  # relative paths in the report, as a user in the checkout sees them
    assert main(["validate", os.path.relpath(BROKEN / GOLDEN_CASE), "--format", fmt]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    golden.check(f"validate/{GOLDEN_CASE}.{suffix}", TIMESTAMP.sub("<timestamp>", out))


def test_text_lists_failed_findings_by_rule_id_and_json_worst_first(capsys: pytest.CaptureFixture[str]) -> None:
    directory = BROKEN / GOLDEN_CASE
    checked = validate(directory)
    assert [f.rule_id for f in checked.findings] == ["T3-PWR-003", "T3-PWR-005"]  # medium, high
    assert main(["validate", str(directory)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [*(format_text(f) for f in checked.findings), checked.summary()]
    assert lines[-1].endswith("4 hosts, 1 site: 2 rule violations")
    assert main(["validate", str(directory), "--format", "json"]) == 1
    assert [f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["T3-PWR-005", "T3-PWR-003"]


def test_text_to_a_file_prints_nothing_else(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "verdict.txt"
    assert main(["validate", str(BROKEN / "rule_one_psu"), "--output", str(output)]) == 1
    assert capsys.readouterr().out == ""
    lines = output.read_text().splitlines()
    assert "T3-PWR-001 [high] mx1" in lines[0]
    assert lines[-1].endswith("4 hosts, 1 site: 1 rule violation")


def test_a_report_file_that_cannot_be_written_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("")
    output = tmp_path / "file" / "report.json"  # under a file, not a directory
    assert main(["validate", str(INVENTORIES / "healthy"), "--format", "json", "--output", str(output)]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_the_conductor_needs_no_cli() -> None:
    checked = validate(INVENTORIES / "healthy")
    assert checked.failed == []
    assert checked.summary().endswith("4 hosts, 1 site: clean")
    assert [c.rule_id for c in checked.checks] == [r.id for r in select()]
    report = checked.report()
    assert report.title == f"tier3 validate {checked.topology.source}"
    assert report.inventory is not None
    assert (report.inventory.hosts, report.inventory.sites) == (4, 1)


def _copy(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())
