"""roles/luks refuses, on a real kernel, every device that holds something, and changes nothing.

On metal1, converged by playbooks/hardware.yml, the role is run with one volume declared on a device
that is not blank, as an operator's typo would: the root disk (an ext4 filesystem), a member of the
RAID1 array md0 (an md superblock), and the LUKS2 volume the lab made, with a key that does not open
it. Each run must fail naming the device and what it holds, and leave the device, /etc/crypttab, the
mappings and the array exactly as they were (the unit tests show the same on loop devices).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
INVENTORY = ROOT / "inventory" / "lab"
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
HOST = "metal1"


def declared() -> dict[str, object]:
    doc = yaml.safe_load((INVENTORY / "host_vars" / f"{HOST}.yml").read_text(encoding="utf-8"))
    host: dict[str, object] = doc["tier3_host"]
    return host


def on_host(command: str) -> str:
    """``command`` on metal1 through Ansible (the inventory's SSH), its standard output."""
    done = subprocess.run([str(PLAYBOOK.parent / "ansible"), "-i", str(INVENTORY), HOST, "-m", "ansible.builtin.shell",
                           "-a", command, "-o"], capture_output=True, text=True, check=False, timeout=300, cwd=ROOT,
                          env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.split("(stdout)", 1)[-1].strip()


def state(device: str) -> str:
    """What must not change, read in one call: the device's signatures and (but for the mounted root,
    whose journal moves) its first MiB, /etc/crypttab, the mappings, md0's line in /proc/mdstat."""
    first_mib = "" if device.endswith("-root") else f"dd if={device} bs=1M count=1 status=none | sha256sum; "
    return on_host(f"blkid -p -o export {device} | grep -v '^DEVNAME='; {first_mib}"
                   "sha256sum /etc/crypttab 2>&1; ls /dev/mapper | sort; grep -A1 '^md0' /proc/mdstat")


def run_luks(tmp_path: Path, device: str, key: str) -> subprocess.CompletedProcess[str]:
    play = [{"name": "refusal | roles/luks on a device that holds something", "hosts": HOST, "gather_facts": True,
             "roles": [{"role": "tier3.dc.luks", "luks_volumes": [{"name": "t3refused", "device": device}],
                        "luks_keys": {"t3refused": key}}]}]
    (tmp_path / "refusal.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "playbooks" / "collections"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run([str(PLAYBOOK), "-i", str(INVENTORY), str(tmp_path / "refusal.yml")], capture_output=True,
                          text=True, check=False, timeout=900, cwd=ROOT, env=env)


def cases() -> list[object]:
    host = declared()
    member = host["raid_arrays"][0]["devices"][0]  # type: ignore[index]
    volume = host["encrypted_volumes"][0]["device"]  # type: ignore[index]
    return [pytest.param(f"/dev/disk/by-id/virtio-{HOST}-root", id="root filesystem"),
            pytest.param(member, id="RAID member"),
            pytest.param(volume, id="LUKS2 its key does not open")]


@pytest.mark.parametrize("device", cases())
def test_luks_refuses_a_device_that_holds_something_and_changes_nothing(tmp_path: Path, device: str) -> None:
    before = state(device)
    done = run_luks(tmp_path, device, "a-key-that-opens-nothing-here-0123")
    said = done.stdout + done.stderr
    assert done.returncode != 0, f"roles/luks did not refuse {device}:\n{said[-4000:]}"
    refusal = [line.strip() for line in said.splitlines() if "refusing to" in line and device in line]
    assert refusal, f"no refusal naming {device}:\n{said[-4000:]}"
    print(f"\n{device}: {refusal[0][:300]}")
    assert state(device) == before, f"{device} or the host changed"
