"""The firewall pair for real: namespaces, sshd and keepalived on this machine, reached with paramiko and
Netmiko over SSH with the lab's key, a real TCP connect through the pair, and a VRRP takeover.

Skipped when the machine lacks sshd or keepalived (``make setup``), or when a firewall lab already runs
(its namespaces and ports are the machine's: this test never tears down someone else's).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from tier3.lab import firewall, firewall_hooks
from tier3.lab.backends.firewall import FirewallBackend, namespaces
from tier3.lab.hosts import FIREWALL_HOSTS
from tier3.lab.progress import Steps
from tier3.lab.secrets import FW_KEY_PASSPHRASE_VAR, LabSecrets

pytestmark = pytest.mark.lab

PASSPHRASE = "a-test-passphrase-of-the-lab-key"
TAKEOVER_S = 5.0


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FirewallBackend]:
    if shutil.which("/usr/sbin/sshd") is None or shutil.which("keepalived") is None:
        pytest.skip("sshd or keepalived is not installed (make setup)")
    if namespaces():
        pytest.skip("a firewall lab runs on this machine already")
    monkeypatch.setenv(firewall.STATE_ENV, str(tmp_path / "firewall"))
    backend = FirewallBackend()
    try:
        backend.up(FIREWALL_HOSTS, Steps(), secrets=LabSecrets({FW_KEY_PASSPHRASE_VAR: PASSPHRASE}))
        assert firewall_hooks.wait_master(TAKEOVER_S) == "fw1"
        yield backend
    finally:
        backend.down(Steps())
        assert namespaces() == []
        assert not (tmp_path / "firewall").exists()


def ssh(member: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(str(firewall.known_hosts()))  # strict: the host keys the lab wrote
    client.connect("127.0.0.1", port=firewall.member(member).ssh_port, username="root",
                   key_filename=str(firewall.client_key()), passphrase=PASSPHRASE, allow_agent=False,
                   look_for_keys=False, timeout=10)
    return client


def run(client: paramiko.SSHClient, command: str) -> str:
    _, out, _ = client.exec_command(command, timeout=10)
    return str(out.read().decode())


def test_ssh_packets_and_a_takeover(pair: FirewallBackend) -> None:
    client = ssh("fw1")
    shown = run(client, "ip -br addr")
    assert "out0" in shown
    assert "10.89.41.1/24" in shown  # fw1 is master: it holds both VIPs
    assert "10.89.42.1/24" in shown
    assert run(client, "echo $TIER3_FW_STATE").strip() == str(firewall.paths("fw1").root)
    assert firewall_hooks.ruleset("fw1") == ""
    assert firewall_hooks.tcp_open("fwout", "10.89.42.10", 25)  # through the pair, no ruleset: forwarded
    assert not firewall_hooks.tcp_open("fwout", "10.89.42.10", 26, timeout=0.5)  # nothing listens there
    assert pair.up(FIREWALL_HOSTS, Steps(), secrets=LabSecrets({FW_KEY_PASSPHRASE_VAR: PASSPHRASE})).created == []

    assert firewall_hooks.cut_sessions("fw1") > 0
    with pytest.raises((paramiko.SSHException, EOFError, OSError)):
        run(client, "true")
    client = ssh("fw1")  # the listener survived
    assert run(client, "hostname -I").split()[0] == "10.89.41.2"

    start = time.monotonic()
    assert firewall_hooks.stop_vrrp("fw1") > 0
    assert firewall_hooks.wait_master(TAKEOVER_S, "fw2") == "fw2"
    print(f"VRRP takeover by fw2 in {time.monotonic() - start:.2f} s")
    assert "10.89.41.1/24" in run(ssh("fw2"), "ip -br addr show out0")
    assert firewall_hooks.tcp_open("fwout", "10.89.42.10", 25)  # through fw2 now
    assert firewall_hooks.start_vrrp("fw1")
    assert firewall_hooks.wait_master(TAKEOVER_S, "fw1") == "fw1"  # priority 150 takes the VIPs back

    assert firewall_hooks.stop_ssh("fw2")
    assert not firewall_hooks.port_open(2232)
    assert firewall_hooks.start_ssh("fw2")
    run(ssh("fw2"), "true")


def test_netmiko_drives_a_member(pair: FirewallBackend) -> None:
    netmiko = pytest.importorskip("netmiko")
    start = time.monotonic()
    conn = netmiko.ConnectHandler(device_type="linux", host="127.0.0.1", port=2231, username="root",
                                  key_file=str(firewall.client_key()), passphrase=PASSPHRASE, use_keys=True,
                                  allow_agent=False)
    print(f"Netmiko connected to fw1 in {time.monotonic() - start:.2f} s")
    try:
        assert conn.find_prompt() == "root@fw1:~#"
        assert conn.send_command("nft list ruleset").strip() == ""
        assert "10.89.40.2/24" in conn.send_command("ip -br addr show mgmt0")
    finally:
        conn.disconnect()
