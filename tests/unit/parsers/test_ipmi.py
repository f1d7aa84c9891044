"""parse_ipmi_sdr on real ipmitool outputs saved from ipmi_sim (tests/fixtures/ipmi/, see its README)
and on hand-written vendor-style and broken outputs: exact verdict, rule ids and supplies named."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from judged import findings, ids, is_redundant

from tier3.errors import DeviceError, ParseError
from tier3.inspect import InspectOptions
from tier3.inspect.bmc import KINDS
from tier3.parsers.ipmi import parse_ipmi_sdr

SAVED = Path(__file__).resolve().parents[2] / "fixtures" / "ipmi"

REAL = {
    "sdr_healthy.txt": (True, []),
    "sdr_ps2_failure.txt": (False, [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy")]),
    "sdr_ps2_failure_ac_lost.txt": (False, [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy"),
                                            ("T3-OBS-PWR-004", "PS2 Status")]),
    "sdr_ps1_absent.txt": (False, [("T3-OBS-PWR-001", "PS1 Status"), ("T3-OBS-PWR-003", "PS Redundancy")]),
    "sdr_ps1_predictive_failure.txt": (True, [("T3-OBS-PWR-006", "PS1 Status")]),
    "sdr_ps2_ac_out_of_range_config_error.txt": (False, [("T3-OBS-PWR-001", "PS2 Status"),
                                                         ("T3-OBS-PWR-003", "PS Redundancy"),
                                                         ("T3-OBS-PWR-004", "PS2 Status")]),
}


@pytest.mark.parametrize("saved", sorted(REAL))
def test_real_output(saved: str) -> None:
    report = KINDS["ipmi-sdr"].inspect(str(SAVED / saved), InspectOptions())
    assert (report["redundant"], sorted((f["rule_id"], f["subject"]) for f in report["findings"])) == REAL[saved]
    assert [s["name"] for s in report["supplies"]] == ["PS1 Status", "PS2 Status"]
    assert [s["name"] for s in report["redundancy_sensors"]] == ["PS Redundancy"]


def test_states_with_commas_are_whole_phrases() -> None:
    power = parse_ipmi_sdr((SAVED / "sdr_ps2_ac_out_of_range_config_error.txt").read_text(), "f")
    ps2 = power.supplies[1]
    assert ps2.states == ("Presence detected", "Config Error", "AC lost or out-of-range",
                          "AC out-of-range, but present")
    assert ps2.other == ""
    assert power.groups[0].states == ("Redundancy Degraded from Fully Redundant",)


def test_absent_supply_message() -> None:
    power = parse_ipmi_sdr((SAVED / "sdr_ps1_absent.txt").read_text(), "f")
    found = findings("ipmi-sdr", power)
    assert [f.message for f in found] == [
        "power supply PS1 Status: presence not detected (absent)",
        "redundancy sensor PS Redundancy: Redundancy Degraded",
    ]
    assert found[0].evidence["at"] == "line 1"
    assert found[0].location is not None
    assert found[0].location.key == "line 1"


VENDOR = """\
PS1 Status       | C8h | ok  | 10.1 | Presence detected
PS2 Status       | C9h | ns  | 10.2 | No Reading
PS Redundancy    | 77h | ok  |  7.1 | Non-Redundant: Sufficient from Redundant
Power Unit       | 01h | ok  | 21.1 | Power off/down
"""


def test_vendor_style_output() -> None:
    power = parse_ipmi_sdr(VENDOR, "vendor")
    assert [(s.name, s.kind, s.present) for s in power.sensors] == [
        ("PS1 Status", "supply", True), ("PS2 Status", "supply", False),
        ("PS Redundancy", "group", False), ("Power Unit", "other", False),
    ]
    assert power.sensors[1].other == "No Reading"
    assert [(f.rule_id, f.subject, f.message) for f in findings("ipmi-sdr", power)] == [
        ("T3-OBS-PWR-001", "PS2 Status", "power supply PS2 Status: no reading (ns)"),
        ("T3-OBS-PWR-003", "PS Redundancy",
         "redundancy sensor PS Redundancy: Non-Redundant: Sufficient from Redundant"),
    ]
    assert is_redundant("ipmi-sdr", power) is False


def test_one_supply_is_not_redundant() -> None:
    power = parse_ipmi_sdr("PS1 Status       | 01h | ok  | 10.1 | Presence detected\n", "one")
    assert [(f.rule_id, f.subject, f.message) for f in findings("ipmi-sdr", power)] == [
        ("T3-OBS-PWR-005", "power supplies", "1 power supply sensor(s); redundancy needs at least 2")]
    assert ids("ipmi-sdr", power, psu_min_count=1) == []


def test_predictive_failure_warns_but_keeps_redundancy() -> None:
    power = parse_ipmi_sdr((SAVED / "sdr_ps1_predictive_failure.txt").read_text(), "f")
    assert ids("ipmi-sdr", power) == [("T3-OBS-PWR-006", "PS1 Status")]
    assert is_redundant("ipmi-sdr", power) is True


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("", "line 1", "no sensor lines"),
        ("\n\n", "line 1", "no sensor lines"),
        ("Error: Unable to establish IPMI v2 / RMCP+ session\n", "line 1", "expected 'name | id | status"),
        ("PS1 Status | 01h | ok | 10.1 | Presence detected\nPS2 Status | 02h | ok\n", "line 2", "expected 'name"),
        ("PS1 Status | zzh | ok | 10.1 | Presence detected\n", "line 1", "expected 'name"),
        ("PS1 Status | 01h | ok | ten | Presence detected\n", "line 1", "expected 'name"),
        ('{"PowerSupplies": []}\n', "line 1", "expected 'name"),
    ],
    ids=["empty", "blank-lines", "ipmitool-error", "short-line", "bad-id", "bad-entity", "json"],
)
def test_broken_output(text: str, where: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_ipmi_sdr(text, "saved.txt")
    assert (caught.value.source, caught.value.where) == ("saved.txt", where)
    assert caught.value.message.startswith(message)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        KINDS["ipmi-sdr"].inspect(str(tmp_path / "missing.txt"), InspectOptions())
    (tmp_path / "bin.txt").write_bytes(b"PS1 \xff\xfe")
    with pytest.raises(ParseError, match="not UTF-8 text"):
        KINDS["ipmi-sdr"].inspect(str(tmp_path / "bin.txt"), InspectOptions())
    for url, message in (("ipmi://", "expected ipmi://HOST"), ("ipmi://h:99999", r"not a valid URL \(Port out"),
                         ("ipmi://u:pw@h", "credentials in the URL are refused"), ("snmp://h", "unknown scheme")):
        with pytest.raises(DeviceError, match=message):
            KINDS["ipmi-sdr"].inspect(url, InspectOptions(extra={"credentials": None}))


OFFSETS = ["Presence detected", "Failure detected", "Predictive failure", "Power Supply AC lost",
           "AC lost or out-of-range", "AC out-of-range, but present", "Config Error"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(OFFSETS), unique=True))
def test_redundant_iff_ps2_present_without_fault(asserted: list[str]) -> None:
    ordered = [o for o in OFFSETS if o in asserted]
    text = ("PS1 Status       | 01h | ok  | 10.1 | Presence detected\n"
            f"PS2 Status       | 02h | ok  | 10.2 | {', '.join(ordered)}\n"
            "PS Redundancy    | 03h | ok  | 19.1 | Fully Redundant\n")
    power = parse_ipmi_sdr(text, "gen")
    assert set(power.supplies[1].states) == set(asserted)
    faults = {"Failure detected", "Power Supply AC lost", "AC lost or out-of-range", "AC out-of-range, but present",
              "Config Error"}
    assert is_redundant("ipmi-sdr", power) == ("Presence detected" in asserted and not faults & set(asserted))


def test_ipmitool_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("TIER3_BMC_USERNAME", "u")
    monkeypatch.setenv("TIER3_BMC_PASSWORD", "p")
    with pytest.raises(DeviceError) as caught:
        KINDS["ipmi-sdr"].inspect("ipmi://127.0.0.1:623", InspectOptions())
    assert caught.value.one_line() == ("ipmi://127.0.0.1:623: ipmitool not found on PATH "
                                       "(fix: apt-get install ipmitool)")


def test_ipmitool_failure_never_echoes_the_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A (fake) ipmitool that prints the password it was given on stderr: the error masks it."""
    fake = tmp_path / "ipmitool"
    fake.write_text('#!/bin/sh\necho "Loading IANA PEN Registry..." >&2\necho "bad password $IPMI_PASSWORD" >&2\n'
                    "exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("TIER3_BMC_USERNAME", "u")
    monkeypatch.setenv("TIER3_BMC_PASSWORD", "Pa55-word")
    with pytest.raises(DeviceError) as caught:
        KINDS["ipmi-sdr"].inspect("ipmi://127.0.0.1", InspectOptions())
    assert caught.value.message == "ipmitool sdr type 'Power Supply' failed: bad password ***"
