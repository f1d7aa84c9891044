"""What the cluster tests know of the lab: read from inventory/lab, as an operator's tools would.

The tests talk to the lab's own addresses only (the VIPs and the hosts on the lab network, which
the machine reaches through the Podman bridge), with the lab CA of roles/pki.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tier3.drill.cluster import Pending, replication_pending, to_kick
from tier3.lab.secrets import load_yaml

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")  # "{{ vault_x }}", as the lab's mail.yml writes
INVENTORY = ROOT / "inventory" / "lab"


def _yaml(path: Path) -> dict[str, Any]:
    data = load_yaml(path.read_text(encoding="utf-8"))  # secrets.yml holds a !vault value
    assert isinstance(data, dict), f"{path} is not a mapping"
    return data


@dataclass(frozen=True)
class Lab:
    all_vars: dict[str, Any]
    host_vars: dict[str, dict[str, Any]]

    @property
    def mail(self) -> dict[str, Any]:
        mail: dict[str, Any] = self.all_vars["tier3_mail"]
        return mail

    @property
    def service_hosts(self) -> list[str]:
        """The hosts with a topology that run as containers: every host with a ``tier3_host`` but the firewall
        pairs' members (network namespaces that Netmiko drives: no node exporter, no podman exec)."""
        firewalls = {m for pair in self.all_vars.get("tier3_firewall_pairs", []) for m in pair["members"]}
        return [h for h, v in self.host_vars.items() if v.get("tier3_host") and h not in firewalls]

    def vip(self, service: str) -> str:
        """The address of the VIP that fronts ``service`` (smtp, submission, imap, imaps, lmtp)."""
        for vip in self.all_vars["tier3_vips"]:
            if service in vip.get("services", []):
                return str(vip["address"])
        raise AssertionError(f"no VIP in inventory/lab fronts {service}")

    def vips(self) -> list[dict[str, Any]]:
        return list(self.all_vars["tier3_vips"])

    def address(self, host: str) -> str:
        return str(self.host_vars[host]["tier3_lab_address"])

    def resolve(self, value: str) -> str:
        """A secret as Ansible would see it: the lab's mail.yml names the variables of its secrets.yml."""
        match = REFERENCE.match(value.strip())
        return str(self.all_vars[match[1]]) if match else value

    def password(self, address: str) -> str:
        for user in self.mail["users"]:
            if user["address"] == address:
                return self.resolve(str(user["password"]))
        raise AssertionError(f"{address} is not a user of inventory/lab")

    @property
    def domain(self) -> str:
        return str(self.mail["domains"][0]["name"])

    @property
    def ca_file(self) -> str:
        return str(Path(self.all_vars["pki_ca_dir"]) / "ca.crt")


@pytest.fixture(scope="session")
def lab() -> Lab:
    if not (INVENTORY / "hosts.yml").is_file():
        pytest.fail("inventory/lab is missing: the cluster scenario's create step (tier3 lab up) did not run")
    all_vars: dict[str, Any] = {}
    for path in sorted((INVENTORY / "group_vars" / "all").glob("*.yml")):
        all_vars.update(_yaml(path))
    host_vars = {p.stem: _yaml(p) for p in sorted((INVENTORY / "host_vars").glob("*.yml"))}
    return Lab(all_vars, host_vars)


def podman_exec(host: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a read-only command in a lab container (tier3-lab-HOST)."""
    return subprocess.run(["podman", "exec", f"tier3-lab-{host}", *argv], capture_output=True, text=True,
                          check=check, timeout=60)


def wait_for(what: str, probe: Callable[[], Any], timeout: float, poll: float = 1.0) -> tuple[Any, float]:
    """(the probe's first truthy answer, seconds it took); fails naming ``what`` after ``timeout``."""
    start = time.monotonic()
    while True:
        found = probe()
        if found:
            return found, time.monotonic() - start
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(poll)


def replication_settled(hosts: tuple[str, ...] = ("imap1", "imap2"), timeout: float = 180.0,
                        grace: float = 10.0) -> float:
    """Seconds until no IMAP host has a queued or failed user (``doveadm replicator status '*'``); fails
    naming what is left after ``timeout``. A user still failed after ``grace`` is asked to sync again,
    once, on one host (the drills' rule, tier3.drill.cluster): Dovecot itself retries a failed user only
    minutes later, so a test that stopped a Dovecot leaves the lab as it found it by calling this."""
    start = time.monotonic()
    kicked: dict[str, str] = {}
    while True:
        state: dict[str, Pending | str] = {
            h: replication_pending(podman_exec(h, "doveadm", "replicator", "status", "*").stdout, h) for h in hosts}
        waited = time.monotonic() - start
        if all(isinstance(p, Pending) and p.caught_up for p in state.values()):
            return waited
        if waited > timeout:
            pytest.fail(f"replication on {', '.join(hosts)} not caught up within {timeout:.0f} s: {state}")
        if waited >= grace:
            for user, host in to_kick(state, kicked).items():
                kicked[user] = host
                podman_exec(host, "doveadm", "replicator", "replicate", user)
        time.sleep(1.0)
