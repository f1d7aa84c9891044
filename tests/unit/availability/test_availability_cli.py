"""`tier3 availability` as a user runs it: the figures per service, the formats, --what-if before and
after, exit 1 for a missed target (and the same verdict from `tier3 validate` through T3-AVL-001/002),
exit 2 for bad input with one line naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tier3.cli import main

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "inventory" / "example"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["availability", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_example_prints_every_service_its_paths_and_top_cut_sets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-i", str(EXAMPLE), "--top", "2")
    assert code == 0
    for line in ("smtp-in ", "submission ", "imap@fra1 ", "imap@ams1 ",
                 "fra1: ingress@fra1 (2) -> lb@fra1 (2) -> mx@fra1 (2) -> dns (4)",
                 "carrier Carrier-A + carrier Carrier-B", "single points of failure: site fra1",
                 "target 99.999 %: met; RTO 60 s: met"):
        assert line in out, line
    assert out.count("%  ") >= 8  # two cut sets per service
    assert "4 service(s)" in err


def test_json_is_versioned_and_carries_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-i", str(EXAMPLE), "--service", "smtp-in", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["schema"] == "tier3-availability/1"
    [smtp] = data["services"]
    assert smtp["name"] == "smtp-in"
    assert smtp["meets_availability"] is True
    assert 0.9999 < smtp["availability"] < 1
    assert smtp["nines"] > 5
    assert smtp["downtime_minutes_per_year"] == pytest.approx(smtp["unavailability"] * 8766 * 60)
    assert [e["id"] for e in smtp["cut_sets"][0]["events"]] == ["carrier:Carrier-A", "carrier:Carrier-B"]
    assert [s["site"] for s in smtp["paths"]] == ["fra1", "ams1"]


def test_html_is_written_to_the_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out" / "availability.html"
    code, out, _ = run(capsys, "-i", str(EXAMPLE), "--format", "html", "--output", str(target))
    html = target.read_text()
    assert code == 0
    assert out == ""
    assert html.startswith("<!doctype html>")
    assert "imap@ams1" in html
    assert "carrier Carrier-A + carrier Carrier-B" in html


def test_what_if_prints_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "-i", str(EXAMPLE), "--service", "imap", "--what-if",
                       "set uplink fra1-inet-b carrier=Carrier-A")
    assert code == 0
    assert "what if: set uplink fra1-inet-b carrier=Carrier-A" in out
    fra1 = out.split("\nimap@fra1 ")[1].split("\nimap@ams1 ")[0]
    assert "before: 99.98140 %" in fra1
    assert "the change: +" in fra1
    assert "carrier Carrier-A" in fra1.split("top cut sets")[1].splitlines()[1]


def _with_targets(tmp_path: Path, targets: dict[str, dict[str, str]]) -> Path:
    target = tmp_path / "example"
    shutil.copytree(EXAMPLE, target)
    path = target / "group_vars" / "all" / "availability.yml"
    data = yaml.safe_load(path.read_text())
    data["tier3_targets"] = targets
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def test_a_missed_target_is_exit_1_here_and_in_validate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inv = _with_targets(tmp_path, {"smtp-in": {"availability": "99.9999999 %"}, "imap": {"rto": "60 s"}})
    code, out, _ = run(capsys, "-i", str(inv))
    assert code == 1
    assert "target 99.9999999 %: NOT MET" in out
    assert "RTO 60 s: NOT MET (1 single point(s))" in out
    assert main(["validate", str(inv), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    failed = {(f["rule_id"], f["subject"]) for f in report["findings"] if f["status"] == "fail"}
    assert ("T3-AVL-001", "service:smtp-in") in failed
    assert {("T3-AVL-002", "service:imap@fra1"), ("T3-AVL-002", "service:imap@ams1")} <= failed
    message = next(f["message"] for f in report["findings"] if f["rule_id"] == "T3-AVL-001")
    assert "smtp-in reaches 99.999991231 % (2.8 s down a year), below its target 99.9999999 %" in message
    assert "largest cut set: carrier Carrier-A + carrier Carrier-B" in message
    rto = next(f for f in report["findings"] if (f["rule_id"], f["subject"]) == ("T3-AVL-002", "service:imap@fra1"))
    assert rto["message"] == ("site fra1 alone stops imap@fra1; its repair takes 1.6 h, longer than the RTO of 60 s")
    assert rto["location"]["key"] == "tier3_targets.imap.rto"


def test_the_example_meets_its_targets_in_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert not [f for f in report["findings"] if f["rule_id"].startswith("T3-AVL")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--what-if", "set uplink nowhere carrier=X"],
         "--what-if: 'set uplink nowhere carrier=X': no uplink 'nowhere'"),
        (["--top", "0"], "--top: 0 is not a positive count"),
        (["--output", "/proc/forbidden/x.txt"], "cannot write the report"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "-i", str(EXAMPLE), *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_monte_carlo_cross_check_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "-i", str(EXAMPLE), "--service", "imap", "--monte-carlo", "20000")
    assert code == 0
    assert "imap: Monte Carlo (20000 draws)" in err
    assert "exact 1.860e-04" in err
