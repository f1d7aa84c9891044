"""The metal lab's parts that need no VM: its processes (found by pid file and marker, stopped by pid),
the SSH keys and known_hosts, the switches' lldpd configuration, and the guest image's recipe."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tier3.errors import LabError
from tier3.lab import guest, procs, secrets, switches
from tier3.lab.guest_image import METAL_FILES, guest_image, load_guest_recipe
from tier3.lab.metal import LINK_PREFIX, METAL, SWITCHES, metal
from tier3.lab.recipe import load_recipe


def test_a_process_is_the_labs_only_while_its_marker_is_on_its_command_line(tmp_path: Path) -> None:
    marker = str(tmp_path / "marker-of-this-test")
    pidfile = tmp_path / "sleeper.pid"
    pid = procs.spawn([sys.executable, "-c", "import time; time.sleep(60)", marker], tmp_path / "log", pidfile)
    try:
        assert procs.running(pidfile, marker) == pid
        assert procs.running(pidfile, "tier3-metal-someone-else") is None
        assert stat.S_IMODE((tmp_path / "log").stat().st_mode) == 0o600
        assert not procs.stop(pid, "tier3-metal-someone-else")  # not ours: left running
        assert procs.ours(pid, marker)
        assert procs.stop_pidfile(pidfile, marker)
        assert not procs.ours(pid, marker)
        assert not pidfile.exists()
    finally:
        if procs.ours(pid, marker):
            os.kill(pid, 9)


def test_a_stale_pid_file_never_ends_another_process(tmp_path: Path) -> None:
    pidfile = tmp_path / "stale.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # this test's own process: alive, and not the lab's
    assert procs.running(pidfile, "tier3-metal-metal1") is None
    assert not procs.stop_pidfile(pidfile, "tier3-metal-metal1")
    assert not pidfile.exists()


def test_a_short_command_that_fails_is_a_lab_error_naming_it() -> None:
    with pytest.raises(LabError, match=r"`false` failed \(1\)"):
        procs.run(["false"], "false")
    with pytest.raises(LabError, match="no-such-tool-t3m is not installed"):
        procs.run(["no-such-tool-t3m"], "tool")


def test_the_client_key_and_host_keys_are_made_once_mode_0600(tmp_path: Path) -> None:
    keys = guest.lab_keys(tmp_path)
    assert guest.ensure_client_key(keys)
    assert not guest.ensure_client_key(keys)
    assert stat.S_IMODE(keys.private.stat().st_mode) == 0o600
    assert keys.public.read_text().startswith("ssh-ed25519 ")
    host = metal("metal1")
    public = guest.ensure_host_key(host, tmp_path)
    assert guest.ensure_host_key(host, tmp_path) == public  # kept while the VM's state is
    line = guest.known_hosts_line(host, public)
    assert line == f"[127.0.0.1]:22101 ssh-ed25519 {public.split()[1].decode()}"
    # ssh-keygen agrees that the private key is the OpenSSH form of that public key
    private = tmp_path / "metal1" / "ssh_host_ed25519_key"
    derived = subprocess.run(["ssh-keygen", "-y", "-f", str(private)], capture_output=True, text=True,
                             check=True).stdout.split()[:2]
    assert derived == public.decode().split()[:2]


def test_ssh_to_a_guest_checks_its_host_key_with_the_labs_known_hosts(tmp_path: Path) -> None:
    keys = guest.lab_keys(tmp_path)
    argv = guest.ssh_argv(metal("metal2"), keys, "true")
    assert argv[:1] == ["ssh"]
    assert argv[-3:] == ["22102", "root@127.0.0.1", "true"]
    assert f"UserKnownHostsFile={keys.known_hosts}" in argv
    assert "StrictHostKeyChecking=yes" in argv


def test_each_switch_advertises_its_inventory_name_from_its_own_namespace(tmp_path: Path) -> None:
    sw = SWITCHES[0]
    assert "configure system hostname lab-sw-a\n" in switches.lldpd_config(sw)
    argv = switches.lldpd_argv(sw, tmp_path)
    assert argv[:4] == ["ip", "netns", "exec", "t3m-sw-a"]
    assert argv[argv.index("-u") + 1] == str(tmp_path / "switches" / "t3m-sw-a.lldpd.socket")
    assert argv[argv.index("-I") + 1] == "t3m-*"  # the VMs' taps and the inter-switch link only
    names = [s.namespace for s in SWITCHES] + [s.isl for s in SWITCHES] + [m.tap(n) for m in METAL for n in m.nics]
    assert all(name.startswith(LINK_PREFIX) and len(name) <= 15 for name in names)
    assert len(set(names)) == len(names)


def test_the_guest_recipe_is_its_own_and_names_the_image(tmp_path: Path) -> None:
    recipe = load_guest_recipe()
    wanted = {"linux-image-amd64", "mdadm", "multipath-tools", "cryptsetup", "lldpd", "python3-apt"}
    assert wanted <= set(recipe.packages)
    assert "build-guest.sh" in recipe.files
    image = guest_image(recipe, tmp_path)
    assert image.base == tmp_path / f"base-{recipe.digest}.raw"
    assert not image.complete
    # the container image's recipe does not move when the guest's does (metal_files/ is not under files/)
    assert "build-guest.sh" not in load_recipe().files
    copy = tmp_path / "files"
    copy.mkdir()
    for path in METAL_FILES.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    assert load_guest_recipe(copy).digest == recipe.digest
    (copy / "10-tier3-mgmt.network").write_text("[Match]\nName=enp0s9\n")
    assert load_guest_recipe(copy).digest != recipe.digest


def test_the_bmc_password_fits_ipmi() -> None:
    made = {secrets.complete({})[secrets.BMC_PASSWORD_VAR] for _ in range(20)}
    assert len(made) == 20  # each one new
    assert all(len(p) == secrets.BMC_PASSWORD_CHARS == 16 for p in made)  # IPMI 1.5: 16 bytes, ipmi_sim 19


def test_a_kept_bmc_password_too_long_for_ipmi_is_made_anew() -> None:
    kept = secrets.complete({secrets.BMC_PASSWORD_VAR: "x" * 32, secrets.TSIG_VAR: "kept-tsig"})
    assert len(kept[secrets.BMC_PASSWORD_VAR]) == 16
    assert kept[secrets.TSIG_VAR] == "kept-tsig"
    assert secrets.complete({secrets.BMC_PASSWORD_VAR: "short-and-kept"})[secrets.BMC_PASSWORD_VAR] == "short-and-kept"
