"""roles/luks refuses, on a real kernel, every device that holds something, and changes nothing.

On metal1, converged by playbooks/hardware.yml, the role is run with one volume declared on a device
that is not blank, as an operator's typo would: the root disk (an ext4 filesystem), a member of the
RAID1 array md0 (an md superblock), the LUKS2 volume the lab made, with a key that does not open it,
and a loop device with an ext4 holding a file. Each run must fail naming the device and what it holds,
and leave the device, /etc/crypttab, the mappings and the array exactly as they were; the file on the
loop device's filesystem is read back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tier3.lab import guest
from tier3.lab.metal import metal

ROOT = Path(__file__).resolve().parents[3]
INVENTORY = ROOT / "inventory" / "lab"
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
HOST = "metal1"


def declared() -> dict[str, object]:
    doc = yaml.safe_load((INVENTORY / "host_vars" / f"{HOST}.yml").read_text(encoding="utf-8"))
    host: dict[str, object] = doc["tier3_host"]
    return host


def on_host(command: str) -> str:
    """``command`` on metal1 as root over the lab's SSH (``tier3.lab.guest.run``: a failure fails the
    test, naming the command), its standard output."""
    return guest.run(metal(HOST), command, timeout=300).stdout.strip()


def state(device: str) -> str:
    """What must not change, read in one call: the device's signatures and (but for the mounted root,
    whose journal moves) its first MiB, /etc/crypttab, the mappings, md0's line in /proc/mdstat."""
    first_mib = "" if device.endswith("-root") else f"dd if={device} bs=1M count=1 status=none | sha256sum; "
    return on_host(f"blkid -p -o export {device} | grep -v '^DEVNAME='; {first_mib}"
                   "sha256sum /etc/crypttab 2>&1; ls /dev/mapper | sort; grep -A1 '^md0' /proc/mdstat")


def run_luks(tmp_path: Path, device: str, key: str, name: str = "t3refused") -> subprocess.CompletedProcess[str]:
    play = [{"name": "refusal | roles/luks on a device that holds something", "hosts": HOST, "gather_facts": True,
             "roles": [{"role": "tier3.dc.luks", "luks_volumes": [{"name": name, "device": device}],
                        "luks_keys": {name: key}}]}]
    (tmp_path / "refusal.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "playbooks" / "collections"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run([str(PLAYBOOK), "-i", str(INVENTORY), str(tmp_path / "refusal.yml")], capture_output=True,
                          text=True, check=False, timeout=900, cwd=ROOT, env=env)


def cases() -> list[object]:
    host = declared()
    member = host["raid_arrays"][0]["devices"][0]  # type: ignore[index]
    volume = host["encrypted_volumes"][0]["device"]  # type: ignore[index]
    volume_name = host["encrypted_volumes"][0]["name"]  # type: ignore[index]
    return [pytest.param(f"/dev/disk/by-id/virtio-{HOST}-root", "t3refused", id="root filesystem"),
            pytest.param(member, "t3refused", id="RAID member"),
            # its own name, a wrong key: the header is refused, not taken for another volume's
            pytest.param(volume, volume_name, id="LUKS2 its key does not open"),
            pytest.param(volume, "t3refused", id="LUKS2 open under another name")]


@pytest.mark.parametrize(("device", "name"), cases())
def test_luks_refuses_a_device_that_holds_something_and_changes_nothing(tmp_path: Path, device: str,
                                                                        name: str) -> None:
    before = state(device)
    done = run_luks(tmp_path, device, "a-key-that-opens-nothing-here-0123", name)
    said = done.stdout + done.stderr
    assert done.returncode != 0, f"roles/luks did not refuse {device}:\n{said[-4000:]}"
    refusal = [line.strip() for line in said.splitlines() if device in line and (
        "refusing to" in line or "is open as" in line)]
    assert refusal, f"no refusal naming {device}:\n{said[-4000:]}"
    print(f"\n{device} as {name}: {refusal[0][:300]}")
    assert state(device) == before, f"{device} or the host changed"


def test_luks_refuses_a_disk_holding_a_filesystem_and_its_data_reads_back(tmp_path: Path) -> None:
    """A loop device on metal1 with an ext4 holding a file: refused, and the file reads back unchanged."""
    content = "mail that must survive a typo in tier3_host.encrypted_volumes"
    image, mnt = "/var/tmp/t3-refusal.img", "/mnt/t3-refusal"
    device = on_host(f"set -e; truncate -s 64M {image}; d=$(losetup --find --show {image});"
                     f" mkfs.ext4 -q -L t3refusal $d; mkdir -p {mnt}; mount $d {mnt};"
                     f" printf '%s' '{content}' > {mnt}/kept.txt; umount {mnt}; echo $d")
    try:
        assert device.startswith("/dev/loop"), device
        done = run_luks(tmp_path, device, "a-key-that-opens-nothing-here-0123")
        said = done.stdout + done.stderr
        assert done.returncode != 0, f"roles/luks did not refuse {device}:\n{said[-4000:]}"
        refusal = [line.strip() for line in said.splitlines() if f"refusing to format {device}: it holds" in line]
        assert refusal, f"no refusal naming {device}:\n{said[-4000:]}"
        print(f"\n{refusal[0][:300]}")
        read_back = on_host(f"mount -o ro {device} {mnt}; cat {mnt}/kept.txt; umount {mnt}")
        assert read_back == content
    finally:
        on_host(f"umount {mnt} 2>/dev/null; losetup -d {device} 2>/dev/null; rm -f {image}; true")
