"""Behaviour of roles/baseline in the Molecule container, through testinfra's podman backend.

The controller talks to the container's own address on the scenario's network only.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import paramiko
import pytest
import testinfra

NAME = "tier3-mol-baseline"
DECLARED = (8080, 25)  # baseline_firewall_allowed and postfix_firewall_allowed (molecule.yml)
UNDECLARED = 8081
JOURNALD_SETTINGS = {"Storage": "persistent", "MaxRetentionSec": "400day", "SystemMaxUse": "4G"}  # the defaults


@pytest.fixture(scope="module")
def box() -> testinfra.host.Host:
    return testinfra.get_host(f"podman://{NAME}")


@pytest.fixture(scope="module")
def address(box: testinfra.host.Host) -> str:
    return str(box.interface("eth0").addresses[0])


@pytest.fixture(scope="module")
def listeners(box: testinfra.host.Host) -> Iterator[tuple[int, ...]]:
    """A TCP listener inside the container on each declared port and on one undeclared port."""
    ports = (*DECLARED, UNDECLARED)
    for port in ports:
        box.run_test(f"systemd-run --unit tier3-mol-listen-{port} python3 -m http.server --bind 0.0.0.0 {port}")
    for port in ports:  # bounded wait until each listens (seen from inside: loopback is accepted)
        deadline = time.monotonic() + 10
        while box.run(f"python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 1)'").rc:
            assert time.monotonic() < deadline, f"listener on {port} did not start"
            time.sleep(0.2)
    yield ports
    for port in ports:
        box.run(f"systemctl stop tier3-mol-listen-{port}")


def connect(address: str, port: int, timeout: float = 3.0) -> str:
    """'open', 'refused' or 'dropped' (no answer at all: the firewall dropped the SYN)."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "dropped"


def test_sshd_offers_public_key_only(address: str) -> None:
    transport = paramiko.Transport((address, 22))
    try:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.BadAuthenticationType) as refused:
            transport.auth_none("root")
        assert refused.value.allowed_types == ["publickey"]
    finally:
        transport.close()


def test_sshd_refuses_a_password(address: str) -> None:
    transport = paramiko.Transport((address, 22))
    try:
        transport.start_client(timeout=10)
        with pytest.raises(paramiko.BadAuthenticationType):
            transport.auth_password("root", "not-a-password")
        assert not transport.is_authenticated()
    finally:
        transport.close()


def test_sshd_effective_settings(box: testinfra.host.Host) -> None:
    settings = dict(line.split(" ", 1) for line in box.check_output("sshd -T").splitlines() if " " in line)
    assert settings["passwordauthentication"] == "no"
    assert settings["kbdinteractiveauthentication"] == "no"
    assert settings["permitrootlogin"] == "without-password"  # sshd -T's name for prohibit-password


def test_firewall_drops_an_undeclared_port_and_accepts_declared_ones(
    address: str, listeners: tuple[int, ...]
) -> None:
    assert listeners
    assert connect(address, 22) == "open"
    for port in DECLARED:
        assert connect(address, port) == "open", port
    assert connect(address, UNDECLARED) == "dropped"


def test_firewall_ruleset_policy_drop(box: testinfra.host.Host) -> None:
    chain = box.check_output("nft list chain inet filter input")
    assert "policy drop;" in chain
    assert 'tcp dport 25 accept comment "molecule: smtp, declared by a role"' in chain


def test_chronyd_running(box: testinfra.host.Host) -> None:
    assert box.service("chrony").is_running
    assert box.run("chronyc -n tracking").rc == 0


def test_unattended_security_updates(box: testinfra.host.Host) -> None:
    dump = box.check_output("apt-config dump Unattended-Upgrade::Origins-Pattern APT::Periodic::Unattended-Upgrade")
    assert "label=Debian-Security" in dump
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert box.service("apt-daily-upgrade.timer").is_enabled


def test_journal_kept_on_disk_for_the_retention(box: testinfra.host.Host) -> None:
    dropin = box.file("/etc/systemd/journald.conf.d/50-tier3-retention.conf").content_string.splitlines()
    assert [f"{key}={value}" for key, value in JOURNALD_SETTINGS.items()] == dropin[-3:]
    merged: dict[str, str] = {}  # journald.conf, then its drop-ins in order: the last setting wins
    for line in box.check_output("systemd-analyze cat-config systemd/journald.conf").splitlines():
        key, equals, value = line.partition("=")
        if equals and not line.startswith(("#", ";")):
            merged[key.strip()] = value.strip()
    assert {key: merged.get(key) for key in JOURNALD_SETTINGS} == JOURNALD_SETTINGS
    # persistent after the handler's restart: an entry logged now is in /var/log/journal
    box.run_test("systemd-cat -t tier3-mol-journal echo kept on disk")
    box.run_test("journalctl --sync")
    assert "kept on disk" in box.check_output("journalctl -D /var/log/journal -t tier3-mol-journal -o cat")
