"""``tier3 inspect ipmi-sdr ipmi://127.0.0.1:PORT`` against OpenIPMI's ipmi_sim (real IPMI 2.0 over UDP).

ipmi_sim runs tests/fixtures/ipmi/power.emu (two Power Supply sensors, one Power Unit redundancy
sensor); faults are injected live on its console port and then cleared. What ipmitool prints in
each state is also compared with the saved outputs under tests/fixtures/ipmi/ (which the unit tests
parse), so those files stay what a real ipmitool prints.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from conftest import BMC_PASSWORD, FIXTURES, IpmiSim, inspect_bmc
from tier3.bmc import Credentials
from tier3.bmc.ipmi import read_sdr

pytestmark = pytest.mark.live
SAVED = FIXTURES / "ipmi"

# sensor numbers in power.emu: 1 = PS1 Status, 2 = PS2 Status, 3 = PS Redundancy
HEAL = (
    "sensor_set_bit_clr_rest 0x20 0 1 0 1 1",
    "sensor_set_bit_clr_rest 0x20 0 2 0 1 1",
    "sensor_set_bit_clr_rest 0x20 0 3 0 1 1",
)
STATES: dict[str, tuple[tuple[str, ...], bool, list[tuple[str, str]]]] = {
    # saved file: (console commands from the healthy state, redundant, findings (rule id, subject))
    "sdr_healthy.txt": ((), True, []),
    "sdr_ps2_failure.txt": (
        ("sensor_set_bit 0x20 0 2 1 1 1", "sensor_set_bit_clr_rest 0x20 0 3 1 1 1"),
        False,
        [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy")],
    ),
    "sdr_ps2_failure_ac_lost.txt": (
        ("sensor_set_bit 0x20 0 2 1 1 1", "sensor_set_bit 0x20 0 2 3 1 1", "sensor_set_bit_clr_rest 0x20 0 3 1 1 1"),
        False,
        [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy"), ("T3-OBS-PWR-004", "PS2 Status")],
    ),
    "sdr_ps1_absent.txt": (
        ("sensor_set_bit 0x20 0 1 0 0 1", "sensor_set_bit_clr_rest 0x20 0 3 2 1 1"),
        False,
        [("T3-OBS-PWR-001", "PS1 Status"), ("T3-OBS-PWR-003", "PS Redundancy")],
    ),
    "sdr_ps1_predictive_failure.txt": (("sensor_set_bit 0x20 0 1 2 1 1",), True, [("T3-OBS-PWR-006", "PS1 Status")]),
    "sdr_ps2_ac_out_of_range_config_error.txt": (
        (
            "sensor_set_bit 0x20 0 2 4 1 1",
            "sensor_set_bit 0x20 0 2 5 1 1",
            "sensor_set_bit 0x20 0 2 6 1 1",
            "sensor_set_bit_clr_rest 0x20 0 3 6 1 1",
        ),
        False,
        [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy"), ("T3-OBS-PWR-004", "PS2 Status")],
    ),
}


def inspect(source: str, **options: Any) -> tuple[int, dict[str, Any] | None, str]:
    return inspect_bmc("ipmi-sdr", source, **options)


def verdict(report: dict[str, Any] | None) -> tuple[bool, list[tuple[str, str]]]:
    assert report is not None
    return report["redundant"], sorted((f["rule_id"], f["subject"]) for f in report["findings"])


def _sdr(sim: IpmiSim) -> str:
    return read_sdr(sim.url, credentials=Credentials("tier3-lab", BMC_PASSWORD), timeout=5, retries=1)


@pytest.mark.parametrize("saved", sorted(STATES))
def test_state_read_live_matches_saved_output_and_verdict(saved: str, ipmi_sim: IpmiSim) -> None:
    commands, redundant, findings = STATES[saved]
    ipmi_sim.console(*commands)
    assert _sdr(ipmi_sim) == (SAVED / saved).read_text()
    code, report, error = inspect(ipmi_sim.url, timeout=5)
    assert (code, error) == (0, "")
    assert verdict(report) == (redundant, findings)


def test_failure_injected_then_cleared(ipmi_sim: IpmiSim) -> None:
    """Fail PS2 and cut its AC, read the verdict change, then clear and read redundant again."""
    assert verdict(inspect(ipmi_sim.url)[1]) == (True, [])
    ipmi_sim.console(*STATES["sdr_ps2_failure_ac_lost.txt"][0])
    _, report, _ = inspect(ipmi_sim.url)
    assert verdict(report) == (
        False,
        [("T3-OBS-PWR-001", "PS2 Status"), ("T3-OBS-PWR-003", "PS Redundancy"), ("T3-OBS-PWR-004", "PS2 Status")],
    )
    assert report is not None
    assert [f["message"] for f in report["findings"]] == [  # in (rule id, subject) order
        "power supply PS2 Status: Failure detected",
        "redundancy sensor PS Redundancy: Redundancy Lost",
        "power supply PS2 Status: Power Supply AC lost",
    ]
    ipmi_sim.console(*HEAL)
    _, report, _ = inspect(ipmi_sim.url)
    assert verdict(report) == (True, [])
    assert report is not None
    assert [(s["name"], s["states"]) for s in report["supplies"]] == [
        ("PS1 Status", ["Presence detected"]),
        ("PS2 Status", ["Presence detected"]),
    ]


def test_wrong_password_exit_2(ipmi_sim: IpmiSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIER3_BMC_PASSWORD", "not-the-password")
    code, _, error = inspect(ipmi_sim.url, timeout=2, retries=0)
    assert code == 2
    assert error == (
        f"tier3 inspect: {ipmi_sim.url}: ipmitool sdr type 'Power Supply' failed: Error: Unable to "
        "establish IPMI v2 / RMCP+ session (fix: check the BMC address, port and IPMI user/password)"
    )
    assert "not-the-password" not in error


def test_nothing_listening_exit_2(closed_udp_port: int, bmc_env: tuple[str, str]) -> None:
    url = f"ipmi://127.0.0.1:{closed_udp_port}"
    code, _, error = inspect(url, timeout=1, retries=0)
    assert code == 2
    assert error.startswith(f"tier3 inspect: {url}: ipmitool sdr type 'Power Supply' failed: ")


def test_without_credentials_exit_2(ipmi_sim: IpmiSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIER3_BMC_USERNAME")
    monkeypatch.delenv("TIER3_BMC_PASSWORD")
    code, _, error = inspect(ipmi_sim.url)
    assert code == 2
    assert error == (
        f"tier3 inspect: {ipmi_sim.url}: IPMI needs a user: TIER3_BMC_USERNAME and TIER3_BMC_PASSWORD "
        "are not set (fix: export TIER3_BMC_USERNAME and TIER3_BMC_PASSWORD)"
    )


def test_password_never_on_the_command_line(ipmi_sim: IpmiSim, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ipmitool gets the password through IPMI_PASSWORD (-E); its argv never holds it."""
    seen = tmp_path / "argv"
    wrapper = tmp_path / "ipmitool"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {seen}\nexec /usr/bin/ipmitool "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert verdict(inspect(ipmi_sim.url)[1]) == (True, [])
    argv = seen.read_text().splitlines()
    assert "-E" in argv
    assert BMC_PASSWORD not in seen.read_text()
    assert argv[:5] == ["-I", "lanplus", "-C", "3", "-H"]


@pytest.fixture
def closed_udp_port() -> int:
    """A UDP port nothing answers on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
