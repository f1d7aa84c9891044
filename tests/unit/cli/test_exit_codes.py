"""Exit codes a CI job can trust: 0 clean, 1 findings, 2 bad input (one line naming the file, key or
option and the fix), 3 internal error (one line asking for a bug report), 141 when the reader of
standard output goes away. Never a traceback; never a finding's exit code for anything else.

Each case is a row: the command line, the exit code, and a piece of the one line it must print.
Subprocess cases run the installed ``tier3`` command with a timeout, as a CI job would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tier3.cli import EXIT_INTERNAL, EXIT_PIPE, main

ROOT = Path(__file__).parents[3]
HEALTHY = ROOT / "tests" / "fixtures" / "inventories" / "healthy"
EXAMPLE = ROOT / "inventory" / "example"
BROKEN = ROOT / "tests" / "fixtures" / "inventories" / "broken"
MDSTAT = ROOT / "tests" / "fixtures" / "real" / "proc_mdstat.txt"
TIER3 = [sys.executable, "-c", "import sys; from tier3.cli import main; sys.exit(main())"]

# argv, exit code, what the one stderr line says
IN_PROCESS = [
    (["inspect", "redfish", "https://bmc.invalid", "--timeout", "0"], 2, "--timeout: expected seconds above 0"),
    (["inspect", "redfish", "https://bmc.invalid", "--timeout", "-1"], 2, "--timeout: expected seconds above 0"),
    (["inspect", "redfish", "https://bmc.invalid", "--timeout", "nan"], 2, "argument --timeout: expected seconds"),
    (["inspect", "ipmi-sdr", "ipmi://bmc.invalid", "--retries", "-5"], 2, "argument --retries: expected 0 or more"),
    (["inspect", "redfish", "https://[::1"], 2, "https://[::1: not a valid URL (Invalid IPv6 URL)"),
    (["inspect", "redfish", "https://bmc.invalid:99999"], 2, "not a valid URL (Port out of range"),
    (["inspect", "ipmi-sdr", "ipmi://[::1"], 2, "ipmi://[::1: not a valid URL (Invalid IPv6 URL)"),
    (["inspect", "ipmi-sdr", "ipmi://bmc.invalid:0x1"], 2, "not a valid URL"),
    (["validate", "/nonexistent/inventory"], 2, "no such inventory file or directory"),
    (["validate", str(EXAMPLE), "--fail-on", "severe"], 2, "argument --fail-on: invalid choice: 'severe'"),
    (["inspect", "mdstat", str(MDSTAT), "--host", "mx1"], 2, "--host needs -i INVENTORY"),
    # tier3 check refuses before any host is touched
    (["check", "-i", "/nonexistent/inventory"], 2, "/nonexistent/inventory: no such inventory file or directory"),
    (["check", "-i", str(BROKEN / "mail_domain_duplicate")], 2,
     "tier3_mail.domains[1].name: duplicate mail domain 'EXAMPLE.net'"),
    (["check", "--kind", "nonsense"], 2, "--kind: not a kind a host gives: nonsense"),
]


@pytest.mark.parametrize(("argv", "code", "says"), IN_PROCESS, ids=[" ".join(a[:3]) + f" {a[-1]}" for a, _, _ in
                                                                     IN_PROCESS])
def test_bad_input_exits_2_with_one_line(argv: list[str], code: int, says: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert says in err
    assert len([line for line in err.splitlines() if line.startswith("tier3 ")]) == 1, err


def test_an_internal_error_is_exit_3_and_one_line_asking_for_a_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("tier3.cli.validate.validate", broken)
    monkeypatch.delenv("TIER3_DEBUG", raising=False)
    assert main(["validate", str(EXAMPLE)]) == EXIT_INTERNAL == 3
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("tier3 validate: internal error at test_exit_codes.py:")
    assert "KeyError: 'a bug'" in line
    assert "this is a bug in tier3" in line
    assert "please report it" in line


def test_tier3_debug_adds_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("tier3.cli.validate.validate", lambda _path: 1 / 0)
    monkeypatch.setenv("TIER3_DEBUG", "1")
    assert main(["validate", str(EXAMPLE)]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_findings_are_exit_1_and_fail_on_moves_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = ROOT / "tests" / "fixtures" / "inventories" / "broken" / "rule_power_not_n_plus_1"  # one medium finding
    assert main(["validate", str(broken)]) == 1  # default --fail-on low: every failed rule fails the run
    capsys.readouterr()
    assert main(["validate", str(broken), "--fail-on", "medium"]) == 1
    capsys.readouterr()
    assert main(["validate", str(broken), "--fail-on", "high"]) == 0
    out, err = capsys.readouterr()
    assert "T3-PWR-004 [medium]" in out  # still reported
    assert "1 failed rule(s) below --fail-on high: reported, not failing" in err


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*TIER3, *args], capture_output=True, timeout=60, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


@pytest.mark.parametrize("argv", [["validate", str(EXAMPLE), "--format", "json"], ["rules", "--json"],
                                  ["inspect", "mdstat", str(MDSTAT)]])
def test_a_closed_pipe_is_quiet_and_exit_141(argv: list[str]) -> None:
    """``tier3 ... | head -c 10`` once head has gone: the pipe's reader is closed before tier3 writes
    (deterministic, whatever the pipe buffer holds). Quiet, and 141 (128 + SIGPIPE) as Unix tools do."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([*TIER3, *argv], stdout=write_end, stderr=subprocess.PIPE, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (EXIT_PIPE, b"")


def test_a_full_disk_is_exit_2_naming_the_cause() -> None:
    with Path("/dev/full").open("wb") as full:
        done = subprocess.run([*TIER3, "validate", str(EXAMPLE), "--format", "json"], stdout=full,
                              stderr=subprocess.PIPE, timeout=60, check=False)
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert line.startswith("tier3 validate: cannot write the output: No space left on device")


def test_bad_input_still_writes_each_report_format_with_error_findings(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    shutil.copytree(HEALTHY, inventory)
    mx1 = inventory / "host_vars" / "mx1.yml"
    mx1.write_text(mx1.read_text(encoding="utf-8").replace("rack: r1", "rack: r9"), encoding="utf-8")
    for fmt in ("json", "junit", "html"):
        target = tmp_path / f"report.{fmt}"
        done = run(["validate", str(inventory), "--format", fmt, "--output", str(target)])
        assert done.returncode == 2, done.stderr
        assert b"Traceback" not in done.stderr
        text = target.read_text(encoding="utf-8")
        if fmt == "json":
            report = json.loads(text)
            jsonschema.validate(report, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
            [finding] = report["findings"]
            assert (finding["status"], finding["rule_id"], finding["location"]["key"]) == (
                "error", "input", "tier3_host.rack")
            assert "r9" in finding["message"]
        elif fmt == "junit":
            suite = ET.fromstring(text).find("testsuite")
            assert suite is not None
            assert (suite.get("errors"), suite.get("failures"), suite.get("tests")) == ("1", "0", "1")
        else:
            assert "r9" in text
            assert "error" in text


def test_control_characters_never_reach_the_terminal_or_break_the_junit_xml(tmp_path: Path) -> None:
    """A \\x01 and an escape sequence in an inventory value: escaped in text, well-formed JUnit XML."""
    inventory = tmp_path / "inv"
    shutil.copytree(HEALTHY, inventory)
    mx1 = inventory / "host_vars" / "mx1.yml"
    doc = mx1.read_text(encoding="utf-8")
    two = "    - name: PSU1\n      pdu: r1-pdu-a\n      capacity_watts: 800\n    - name: PSU2\n"
    assert two in doc
    # one supply left (T3-PWR-001 names it in its message), named with a \x01 and an ANSI escape
    one = '    - name: "PSU\\x01\\e[31m"\n      pdu: r1-pdu-a\n      capacity_watts: 800\n    - name: PSU2\n'
    doc = doc.replace(two, one)
    doc = doc.replace("    - name: PSU2\n      pdu: r1-pdu-b\n      capacity_watts: 800\n", "")
    mx1.write_text(doc, encoding="utf-8")
    text = run(["validate", str(inventory)])
    assert text.returncode == 1, text.stderr
    assert b"\x01" not in text.stdout
    assert b"\x1b" not in text.stdout
    assert b"PSU\\x01\\x1b[31m" in text.stdout
    junit = tmp_path / "r.xml"
    assert run(["validate", str(inventory), "--format", "junit", "--output", str(junit)]).returncode == 1
    ET.parse(junit)  # well-formed
    assert "PSU\\x01\\x1b[31m" in junit.read_text(encoding="utf-8")
    report = tmp_path / "r.json"
    assert run(["validate", str(inventory), "--format", "json", "--output", str(report)]).returncode == 1
    assert "PSU\\u0001\\u001b[31m" in report.read_text(encoding="utf-8")  # JSON keeps the exact value, escaped
