"""``tier3 validate --diagram FILE.svg``: the picture of the declared inventory, written beside the report, with
the declared findings and the single points of failure marked; a path that cannot be an SVG file is exit 2."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tier3.cli import main

ROOT = Path(__file__).resolve().parents[3]
INVENTORIES = ROOT / "tests" / "fixtures" / "inventories"
SVG = "{http://www.w3.org/2000/svg}"


def marks(path: Path) -> dict[str, set[str]]:
    root = ET.parse(path).getroot()
    return {g.attrib["data-subject"]: set(g.attrib["data-marks"].split())
            for g in root.iter(f"{SVG}g") if "data-subject" in g.attrib}


def test_the_picture_of_a_broken_inventory_marks_its_findings_and_spofs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "reports" / "site.svg"  # the directory is made
    assert main(["validate", str(INVENTORIES / "broken" / "rule_mx_on_one_feed"), "--diagram", str(target)]) == 1
    out = capsys.readouterr().out
    assert "4 rule violations" in out  # the report is printed as without --diagram
    found = marks(target)
    assert {k for k, v in found.items() if "fail" in v} == {"mx1", "mx2", "vip:mx-vip"}
    assert {k for k, v in found.items() if "spof" in v} == {"site:site1", "feed:feed-a"}


def test_the_picture_of_a_clean_inventory_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "example.svg"
    assert main(["validate", str(ROOT / "inventory" / "example"), "--diagram", str(target)]) == 0
    assert capsys.readouterr().out.strip().endswith("24 hosts, 2 sites: clean")
    found = marks(target)
    assert len([k for k in found if k.startswith("rack:")]) == 8
    assert not [k for k, v in found.items() if "fail" in v]


@pytest.mark.parametrize(("given", "says", "fix"), [
    ("{tmp}", "is a directory, not a file", "name a file in it, e.g. --diagram {tmp}/site.svg"),
    ("{tmp}/site.png", "does not end in .svg", "--diagram {tmp}/site.svg"),
    ("/proc/tier3-site.svg", "cannot write the site picture", "choose a writable path"),  # /proc takes no new file
])
def test_a_bad_path_is_exit_2_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           given: str, says: str, fix: str) -> None:
    path = given.format(tmp=tmp_path)
    code = main(["validate", str(INVENTORIES / "healthy"), "--diagram", path])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in out + err
    assert err.count("\n") == 1
    assert f"{path}: --diagram: {says}" in err
    assert f"(fix: {fix.format(tmp=tmp_path)}" in err
    assert not Path(path).is_file()


def test_bad_input_writes_no_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "site.svg"
    assert main(["validate", str(INVENTORIES / "broken" / "ref_host_unknown_rack"), "--diagram", str(target)]) == 2
    assert "no rule was run" in capsys.readouterr().err
    assert not target.exists()
