"""roles/luks on this machine (localhost) against loop devices, through its refusal path, its check mode and its
format step: a device that holds a filesystem is refused with its offset, and neither it nor the blank device
beside it is touched (the filesystem mounts read-only and its file reads back); check mode formats nothing;
the format step writes the declared LUKS2 header, which the key opens, and runs once only; the verify step
fails on tier3 check's finding about the volume and on no other. The open step needs the device mapper,
which this machine's kernel lacks: the whole role converges on the lab's metal hosts (QEMU), not here.
About 30 s."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from blockdevs import KEY, Loops, ext4_with_file, loops, luks_format, need_loop_devices, read_file_read_only

from support import ANSIBLE_PLAYBOOK, FIXTURES, ROOT, localhost_play, run_playbook

# the steps that touch no device mapper (open.yml and crypttab.yml's handler need systemd and dm)
UP_TO_FORMAT = "luks_preflight,luks_probe,luks_install,luks_keys,luks_format"
REFUSAL = "Luks | Refuse a device that holds anything but its volume's LUKS2 header, or a name crypttab has already"


def luks_play(tmp: Path, volumes: list[dict[str, str]], *extra: str) -> tuple[subprocess.CompletedProcess[str],
                                                                              dict[str, Any]]:
    """The role on localhost with ``volumes``; cryptsetup-bin is there, so its apt step is skipped."""
    playbook = tmp / "luks.yml"
    playbook.write_text(localhost_play(
        "Luks", [{"name": "luks", "ansible.builtin.include_role": {"name": "tier3.dc.luks"}, "tags": ["always"]}],
        tier3_installed_packages=["cryptsetup"], luks_volumes=volumes,
        luks_keys={v["name"]: KEY for v in volumes}, luks_pbkdf_iter_time_ms=100), encoding="utf-8")
    return run_playbook(playbook, *extra)


def results(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Task name (without the role's prefix) -> localhost's result, over every task of the run."""
    return {t["task"]["name"].removeprefix("tier3.dc.luks : "): t["hosts"].get("localhost", {})
            for t in report["plays"][0]["tasks"]}


def blkid(device: str) -> str:
    done = subprocess.run(["blkid", "-p", "-o", "export", device], capture_output=True, text=True, check=False)
    return done.stdout


@pytest.fixture
def made(tmp_path: Path) -> Any:
    need_loop_devices()
    with loops(tmp_path) as attached:
        yield attached


def test_a_filesystem_is_refused_and_nothing_is_touched(made: Loops, tmp_path: Path) -> None:
    blank, fs = made.blank("blank"), made.blank("fs")
    ext4_with_file(fs, tmp_path, "still here\n")
    done, report = luks_play(tmp_path, [{"name": "t3new", "device": blank}, {"name": "t3old", "device": fs}])
    assert done.returncode != 0
    said = results(report)
    refusal = said[REFUSAL]
    assert refusal["failed"] is True
    message = refusal["msg"]
    assert f"refusing to format {fs}: it holds a filesystem (ext4, UUID " in message
    assert "ext4 at offset 0x438); wipe it yourself if it is meant for luks" in message
    assert blank not in message  # the blank device was fine; it is not formatted all the same
    assert "Luks | Format each blank device as LUKS2 with its key" not in said  # the run stopped at the refusal
    assert blkid(blank) == ""  # still blank
    assert "TYPE=ext4" in blkid(fs)
    assert read_file_read_only(fs, tmp_path) == "still here\n"


def test_check_mode_formats_nothing_and_shows_the_crypttab_line(made: Loops, tmp_path: Path) -> None:
    blank = made.blank("blank")
    done, report = luks_play(tmp_path, [{"name": "t3check", "device": blank}], "--check", "--diff")
    assert done.returncode == 0, done.stdout[-3000:]
    said = results(report)
    assert said["Luks | Format each blank device as LUKS2 with its key"].get("changed") is not True
    assert f"would format {blank} as LUKS2 (aes-xts-plain64, 512-bit key, argon2id)" in \
        said["Luks | Note what check mode cannot show"]["msg"]
    crypttab = said["Luks | /etc/crypttab lines of the declared volumes (NAME UUID=... KEYFILE|none OPTIONS)"]
    shown = json.dumps(crypttab.get("diff"))
    assert f"t3check UUID=(set when {blank} is formatted) none luks,nofail" in shown
    assert blkid(blank) == ""


def test_the_format_step_writes_the_declared_header_once(made: Loops, tmp_path: Path) -> None:
    blank = made.blank("blank")
    volumes = [{"name": "t3fmt", "device": blank}]
    done, report = luks_play(tmp_path, volumes, "--tags", UP_TO_FORMAT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert results(report)["Luks | Format each blank device as LUKS2 with its key"]["changed"] is True
    dump = subprocess.run(["cryptsetup", "luksDump", blank], capture_output=True, text=True, check=True).stdout
    lines = {" ".join(line.split()) for line in dump.splitlines()}
    assert {"Version: 2", "Label: t3fmt", "cipher: aes-xts-plain64", "Cipher key: 512 bits", "PBKDF: argon2id"} <= lines
    opened = subprocess.run(["cryptsetup", "open", "--test-passphrase", "--key-file=-", blank], input=KEY,
                            capture_output=True, text=True, check=False)
    assert opened.returncode == 0, opened.stderr
    assert KEY not in done.stdout  # no_log: the key is in no output

    again, report = luks_play(tmp_path, volumes, "--tags", UP_TO_FORMAT)
    assert again.returncode == 0, again.stdout[-3000:]
    said = results(report)
    assert said["Luks | Format each blank device as LUKS2 with its key"].get("changed") is not True
    key_test = "Luks | Test each volume's key against its LUKS2 header, closed or open (no mapping is made)"
    assert said[key_test]["changed"] is False
    assert subprocess.run(["cryptsetup", "luksUUID", blank], capture_output=True, text=True, check=True).stdout.strip()


def test_a_header_the_key_does_not_open_is_refused(made: Loops, tmp_path: Path) -> None:
    foreign = made.blank("foreign")
    subprocess.run(["cryptsetup", "luksFormat", "--batch-mode", "--type=luks2", "--pbkdf=pbkdf2",
                    "--pbkdf-force-iterations=1000", "--key-file=-", foreign], input="someone else's key 1234",
                   capture_output=True, text=True, check=True)
    before = subprocess.run(["cryptsetup", "luksUUID", foreign], capture_output=True, text=True, check=True).stdout
    done, report = luks_play(tmp_path, [{"name": "t3foreign", "device": foreign}], "--tags", UP_TO_FORMAT)
    assert done.returncode != 0
    refusal = results(report)["Luks | Refuse a LUKS2 header that the volume's key does not open"]
    assert f"refusing to use {foreign} for t3foreign: it holds a LUKS2 header that luks_keys.t3foreign does not open" \
        in refusal["msg"]
    after = subprocess.run(["cryptsetup", "luksUUID", foreign], capture_output=True, text=True, check=True).stdout
    assert after == before


def metal_inventory(tmp: Path, volumes: list[dict[str, str]]) -> Path:
    """tests/fixtures/inventories/healthy with localhost as a metal host (connection local) declaring ``volumes``."""
    inventory = tmp / "inventory"
    shutil.copytree(FIXTURES / "inventories" / "healthy", inventory)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text(encoding="utf-8"))
    hosts["all"]["children"]["metal"] = {"hosts": {"localhost": None}}
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    (inventory / "host_vars" / "localhost.yml").write_text(yaml.safe_dump({
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "tier3_host": {"site": "site1", "rack": "r1", "encrypted_volumes": volumes}}), encoding="utf-8")
    return inventory


def test_verify_fails_on_tier3_checks_finding_about_the_volume_only(made: Loops, tmp_path: Path) -> None:
    """The verify step, run for real: tier3_check reads this machine (cryptsetup, luksdump, lsblk and the declared
    against observed rules) and finds the declared volume not open (no device mapper here): the role fails on that
    finding, named by its mapping; not on this machine's unencrypted root filesystem (T3-OBS-ENC-010)."""
    device = made.blank("verify")
    luks_format(device, 2)
    inventory = metal_inventory(tmp_path, [{"name": "t3verify", "device": device}])
    playbook = tmp_path / "verify.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Verify", "hosts": "metal", "gather_facts": False, "tasks": [
        {"name": "luks", "ansible.builtin.include_role": {"name": "tier3.dc.luks"}, "tags": ["always"]}],
        "vars": {"luks_keys": {"t3verify": KEY}}}], sort_keys=False), encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
           "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(playbook), "--tags", "luks_verify"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600)
    report = json.loads(done.stdout[done.stdout.find("{"):])
    assert done.returncode != 0
    said = results(report)
    check = said["Luks | tier3 check - the volumes as cryptsetup, luksDump and lsblk show them, against the inventory"]
    assert "topology" in check["kinds"]  # owed by the declared volume
    failed = said["Luks | Every volume is LUKS2 and open as its name; tier3 check finds nothing wrong with them"]
    assert failed["failed_checks"] == ["Luks | Every volume is LUKS2 and open as /dev/mapper/NAME",
                                       "Luks | tier3 check finds nothing wrong with the volumes"]
    assert f"t3verify on {device}: luks2, open as nothing" in failed["msg"]
    # tier3 check's findings about the volume (its mapping, or the role's kinds unreadable: this machine has no
    # device mapper) are the role's; the others (this machine's root filesystem, not on dm-crypt) are not
    ours = {f"localhost:{kind}" for kind in ("cryptsetup", "luksdump", "lsblk", "topology")} | {"/dev/mapper/t3verify"}
    failing = [f for f in check["findings"] if f["status"] in ("fail", "error")]
    about_it = [f for f in failing if f["subject"] in ours]
    others = [f for f in failing if f["subject"] not in ours]
    assert about_it
    assert others
    assert "T3-OBS-ENC-010" in {f["rule_id"] for f in others}
    assert all(f"{f['rule_id']} {f['subject']}: " in failed["msg"] for f in about_it)
    assert not any(f"{f['rule_id']} {f['subject']}" in failed["msg"] for f in others)
