"""Every real capture gets the documented verdict and exactly the documented findings.

Rows come from tests/fixtures/real/verdicts*.yml (verdicts.yml: ours, with rule ids and subjects;
verdicts-captured.yml: written by the capture engineer, verdicts only) and tests/fixtures/field/verdicts*.yml
(hand-written outputs in the shapes other machines print). Each runs
``tier3 inspect KIND FILE --json`` through ``tier3.cli.main``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tier3.cli import main
from tier3.cli.inspect import KIND_NAMES
from tier3.inspect import InspectOptions, linux_kinds

KINDS = linux_kinds()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REAL = FIXTURES / "real"
NOT_FIXTURES = {"README.md", "CAPTURED.md"}


def _rows() -> list[tuple[Path, dict[str, Any]]]:
    rows = []
    for table in sorted(FIXTURES.glob("*/verdicts*.yml")):
        rows.extend((table, row) for row in yaml.safe_load(table.read_text(encoding="utf-8")))
    return rows


ROWS = _rows()


def inspect(kind: str, path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    if kind not in KIND_NAMES:
        # ip-link is a Linux kind that tools/tier3/cli/inspect.py does not list yet: called directly
        return KINDS[kind].inspect(str(path), InspectOptions())
    code = main(["inspect", kind, str(path), "--json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    report: dict[str, Any] = json.loads(out)
    return report


@pytest.mark.parametrize(("table", "row"), ROWS, ids=[f"{t.parent.name}/{t.name}:{r['file']}" for t, r in ROWS])
def test_verdict(table: Path, row: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    path = table.parent / row["file"]
    report = inspect(row["kind"], path, capsys)
    assert report["kind"] == row["kind"]
    assert report["source"] == str(path)
    for key in ("redundant", "encrypted"):
        if key in row:
            assert report[key] is row[key], f"{key}: {row.get('why', '')}"
    if "findings" in row:
        assert [[f["rule_id"], f["subject"]] for f in report["findings"]] == row["findings"]
        assert all(f["status"] == "fail" and f["evidence"]["source"] == str(path)
                   for f in report["findings"])
    if "neighbours" in row:
        assert [[n["interface"], n["chassis_name"], n["port_descr"]] for n in report["neighbours"]] == row["neighbours"]


def test_every_real_fixture_has_a_row() -> None:
    files = {p.name for p in REAL.iterdir() if p.is_file() and p.name not in NOT_FIXTURES
             and not p.name.startswith("verdicts") and p.suffix != ".sh"}
    assert files - {row["file"] for _, row in ROWS} == set()


def test_rows_name_existing_files_and_known_kinds() -> None:
    assert [row["file"] for table, row in ROWS if not (table.parent / row["file"]).is_file()] == []
    assert {row["kind"] for _, row in ROWS} <= set(KINDS)


def test_both_tables_agree_on_each_file() -> None:
    seen: dict[tuple[str, str], Any] = {}
    for _, row in ROWS:
        for key in ("redundant", "encrypted"):
            if key in row:
                assert seen.setdefault((row["file"], key), row[key]) is row[key], row["file"]


def test_every_verdict_kind_is_covered_both_ways() -> None:
    """Each redundancy kind has at least one real capture judged true and one judged false."""
    verdicts: dict[str, set[bool]] = {}
    for _, row in ROWS:
        if row.get("redundant") is not None:
            verdicts.setdefault(row["kind"], set()).add(row["redundant"])
    assert {k: v for k, v in verdicts.items() if v != {True, False}} == {}
    assert set(verdicts) == {"bonding", "mdstat", "mdadm-detail", "multipath", "ip-link"}
