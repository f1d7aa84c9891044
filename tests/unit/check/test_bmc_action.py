"""The action tier3.dc.tier3_check reading BMCs, run for real: ansible-playbook playbooks/check.yml on a small
inventory written here (hosts on this machine, ``connection: local``) whose BMCs are sushy-static and ipmi_sim
on 127.0.0.1, the password a vaulted variable (ansible-vault, a password file). And ``tier3 check --no-bmc``
through ansible-runner. About 30 s.

What is asserted: the BMC is read in the host's own task, beside the host's one tier3_evidence call, which is
never asked for a BMC kind; its documents are in the report's evidence manifest; a fault fires its rule on that
host and supply; a wrong password and a BMC that is down are one ``error`` finding each, naming the URL; and
neither password is anywhere in the playbook's output (every task result, as JSON) or the reports.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from support import ANSIBLE_PLAYBOOK, ROOT, bmc_peers, load_redfish_mockups
from tier3.check.bmc import READ_BY
from tier3.cli import main

PEERS = bmc_peers()
lab_ca, sushy, closed_port = PEERS.lab_ca, PEERS.sushy, PEERS.closed_port
bmc_env, ipmi_sim = PEERS.bmc_env, PEERS.ipmi_sim
BMC_USER, BMC_PASSWORD = PEERS.BMC_USER, PEERS.BMC_PASSWORD
MOCKUPS = load_redfish_mockups()
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
VAULT_PASSWORD = "vault-of-the-test-3b1d"
pytestmark = pytest.mark.live

SITES = [{"name": "s1", "feeds": [{"name": "s1-a"}, {"name": "s1-b"}], "racks": [
    {"name": "r01", "pdus": [{"name": "r01-pdu-a", "feed": "s1-a"}, {"name": "r01-pdu-b", "feed": "s1-b"}]},
    {"name": "r02", "pdus": [{"name": "r02-pdu-a", "feed": "s1-a"}, {"name": "r02-pdu-b", "feed": "s1-b"}]}]}]


def vaulted(value: str, name: str, secret_file: Path) -> str:
    """``name: !vault |...``: ``value`` encrypted with ansible-vault, as an operator keeps it."""
    # the password file through the environment, so that it replaces one the caller's environment names
    # (make exports the lab's): two would leave ansible-vault asking which to encrypt with
    done = subprocess.run([str(ANSIBLE_PLAYBOOK.parent / "ansible-vault"), "encrypt_string", "--name", name, value],
                          capture_output=True, text=True, check=True, timeout=60,
                          env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_VAULT_PASSWORD_FILE": str(secret_file)})
    return done.stdout


def inventory(where: Path, hosts: dict[str, dict[str, Any]]) -> tuple[Path, Path]:
    """An inventory of ``hosts`` (name -> address, protocol, password, host vars), each in rack r01 with PSU1 on
    r01-pdu-a and PSU2 on r01-pdu-b (outlet 3), its BMC password a vaulted variable: (inventory, vault password
    file)."""
    secret = where / "vault-password"
    secret.write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    inv = where / "inventory"
    (inv / "group_vars" / "all").mkdir(parents=True)
    (inv / "host_vars").mkdir()
    (inv / "group_vars" / "all" / "topology.yml").write_text(yaml.safe_dump({"tier3_sites": SITES}), encoding="utf-8")
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": dict.fromkeys(hosts, local)}}), encoding="utf-8")
    vault = ""
    for host, spec in hosts.items():
        variable = f"vault_bmc_password_{host.replace('-', '_')}"
        vault += vaulted(spec["password"], variable, secret)
        declared = {"site": "s1", "rack": "r01", "power_supplies": [
            {"name": "PSU1", "pdu": "r01-pdu-a", "outlet": 3}, {"name": "PSU2", "pdu": "r01-pdu-b", "outlet": 3}],
            "bmc": {"address": spec["address"], "protocol": spec.get("protocol", "redfish"), "username": BMC_USER,
                    "password": f"{{{{ {variable} }}}}"}}
        (inv / "host_vars" / f"{host}.yml").write_text(
            yaml.safe_dump({"tier3_host": declared, **spec.get("vars", {})}), encoding="utf-8")
    (inv / "group_vars" / "all" / "vault.yml").write_text(vault, encoding="utf-8")
    return inv, secret


def check_playbook(inv: Path, secret: Path, reports: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """ansible-playbook -i INV playbooks/check.yml with the vault password file (ANSIBLE_VAULT_PASSWORD_FILE):
    the run and check.json."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_VAULT_PASSWORD_FILE": str(secret)}
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(inv), str(ROOT / "playbooks" / "check.yml"),
                           "-e", f"tier3_check_report_dir={reports}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=300)
    report = reports / "check.json"
    assert report.is_file(), f"no report (rc {done.returncode}): {done.stdout[-3000:]}{done.stderr[-3000:]}"
    checked: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(checked, SCHEMA)
    return done, checked


def host_result(done: subprocess.CompletedProcess[str], host: str) -> dict[str, Any]:
    """The host's result of the check task (the first play's only task) in the JSON callback's output."""
    played = json.loads(done.stdout[done.stdout.find("{"):])
    result: dict[str, Any] = played["plays"][0]["tasks"][0]["hosts"][host]
    return result


def everything_shown(done: subprocess.CompletedProcess[str], reports: Path) -> str:
    return done.stdout + done.stderr + "".join(p.read_text(encoding="utf-8") for p in sorted(reports.iterdir()))


def served(tmp_path: Path, start: Any, name: str) -> Any:
    return start(MOCKUPS.build(name, tmp_path / name))


def test_the_bmc_is_read_in_the_hosts_own_task_beside_its_one_evidence_call(
        sushy: Any, lab_ca: Any, tmp_path: Path) -> None:
    peer = served(tmp_path, sushy, "declared-pdus")
    inv, secret = inventory(tmp_path, {"bmc1": {"address": peer.url.removeprefix("https://"), "password": BMC_PASSWORD,
                                                "vars": {"tier3_bmc_ca_file": str(lab_ca.ca_file),
                                                         "tier3_check_kinds": ["lsblk"]}}})
    done, report = check_playbook(inv, secret, tmp_path / "reports")
    result = host_result(done, "bmc1")
    assert result["kinds"] == ["lsblk", "redfish"]
    module_records = [r for r in result["evidence"] if r.get("detail") != READ_BY]
    assert {r["kind"] for r in module_records} == {"lsblk"}  # tier3_evidence is asked for the host's kinds only
    assert next(r["id"] for r in result["evidence"] if r["kind"] == "redfish") == f"{peer.url}/redfish/v1"
    power = [f for f in report["findings"] if f["rule_id"].startswith("T3-OBS-PWR") or f["subject"] == "bmc1:redfish"]
    assert power == []  # healthy, and on the declared PDUs
    manifest = [e for e in report["evidence"] if e["kind"] == "redfish"]
    assert len(manifest) == 8
    assert {e["host"] for e in manifest} == {"bmc1"}
    assert {"T3-OBS-PWR-001", "T3-OBS-PWR-010", "T3-OBS-PWR-013"} <= {c["rule_id"] for c in report["checks"]}
    token = base64.b64encode(f"{BMC_USER}:{BMC_PASSWORD}".encode()).decode()
    assert f"Authorization: Basic {token}" in peer.log.read_text()  # the vaulted password reached the BMC
    assert BMC_PASSWORD not in everything_shown(done, tmp_path / "reports")


@pytest.mark.parametrize(("variant", "expected"), [
    ("psu2-other-rack", [("T3-OBS-PWR-012", "bmc1:PSU2")]),
    ("two-on-one-feed", [("T3-OBS-PWR-012", "bmc1:PSU2"), ("T3-OBS-PWR-013", "bmc1:feed:s1-a")]),
])
def test_a_cabling_fault_fires_its_rule_on_that_host_and_supply(variant: str, expected: list[tuple[str, str]],
                                                                sushy: Any, lab_ca: Any, tmp_path: Path) -> None:
    peer = served(tmp_path, sushy, variant)
    inv, secret = inventory(tmp_path, {"bmc1": {"address": peer.url.removeprefix("https://"), "password": BMC_PASSWORD,
                                                "vars": {"tier3_bmc_ca_file": str(lab_ca.ca_file)}}})
    done, report = check_playbook(inv, secret, tmp_path / "reports")
    assert done.returncode == 2  # the site step fails on findings at low or worse
    assert sorted((f["rule_id"], f["subject"]) for f in report["findings"]) == expected
    (finding,) = [f for f in report["findings"] if f["rule_id"] == "T3-OBS-PWR-012"]
    assert finding["location"]["file"].endswith("host_vars/bmc1.yml")
    assert finding["location"]["key"] == "tier3_host.power_supplies[1].pdu"
    assert host_result(done, "bmc1")["failed_rules"] == sorted(f"{r} {s}" for r, s in expected)


def test_wrong_password_and_bmc_down_are_errors_and_no_password_shows(
        ipmi_sim: Any, sushy: Any, lab_ca: Any, closed_port: int, tmp_path: Path) -> None:
    """bmc1: ipmi_sim refuses a wrong (vaulted) password; bmc2: nothing listens; bmc3: its module fails (no
    such interpreter) while its BMC is read: the host is an error and its BMC finding is kept."""
    wrong = "not-the-Pa55-9x"
    peer = served(tmp_path, sushy, "psu2-other-rack")
    inv, secret = inventory(tmp_path, {
        "bmc1": {"address": ipmi_sim.url.removeprefix("ipmi://"), "protocol": "ipmi", "password": wrong,
                 "vars": {"tier3_bmc_timeout": 2, "tier3_bmc_retries": 0}},
        "bmc2": {"address": f"127.0.0.1:{closed_port}", "password": BMC_PASSWORD},
        "bmc3": {"address": peer.url.removeprefix("https://"), "password": BMC_PASSWORD,
                 "vars": {"tier3_bmc_ca_file": str(lab_ca.ca_file), "tier3_check_kinds": ["lsblk"],
                          "ansible_python_interpreter": str(tmp_path / "no-python")}},
    })
    done, report = check_playbook(inv, secret, tmp_path / "reports")
    assert done.returncode == 2
    found = {(f["rule_id"], f["subject"], f["status"]) for f in report["findings"]}
    assert found == {("evidence", "bmc1:ipmi-sdr", "error"), ("evidence", "bmc2:redfish", "error"),
                     ("evidence", "bmc3", "error"), ("T3-OBS-PWR-012", "bmc3:PSU2", "fail")}
    messages = {f["subject"]: f["message"] for f in report["findings"]}
    assert messages["bmc1:ipmi-sdr"] == (f"ipmi-sdr: {ipmi_sim.url}: ipmitool sdr type 'Power Supply' failed: Error: "
                                         "Unable to establish IPMI v2 / RMCP+ session")
    assert messages["bmc2:redfish"] == (f"redfish: https://127.0.0.1:{closed_port}/redfish/v1: cannot connect: "
                                        "Connection refused")
    assert messages["bmc3"].startswith("bmc3 gave no evidence: tier3.dc.tier3_evidence failed")
    assert len([e for e in report["evidence"] if e["host"] == "bmc3" and e["kind"] == "redfish"]) == 8
    shown = everything_shown(done, tmp_path / "reports")
    assert wrong not in shown
    assert BMC_PASSWORD not in shown


def test_cli_no_bmc_reads_no_bmc(sushy: Any, lab_ca: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    peer = served(tmp_path, sushy, "psu2-other-rack")
    inv, secret = inventory(tmp_path, {"bmc1": {"address": peer.url.removeprefix("https://"), "password": BMC_PASSWORD,
                                                "vars": {"tier3_bmc_ca_file": str(lab_ca.ca_file)}}})
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(secret))
    code = main(["check", "-i", str(inv), "-o", str(tmp_path / "reports"), "--no-bmc"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert "✓ bmc1: the inventory declares nothing tier3 check reads on this host" in err
    report = json.loads((tmp_path / "reports" / "check.json").read_text(encoding="utf-8"))
    assert (report["findings"], report.get("evidence", [])) == ([], [])  # an empty manifest is left out
    assert "GET /redfish/v1" not in peer.log.read_text()  # never contacted
