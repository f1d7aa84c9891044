"""The lab end to end: ``tier3 lab up``, site.yml twice (the second run changes nothing),
``tier3 lab down`` leaves no container, network or volume of the lab.

Marker ``lab``: minutes, not seconds (about 5 min on 2 cores with the image cached; add about
90 s when the image is built). It owns the lab: it starts with ``tier3 lab down`` and ends with it,
so do not run it while you use the lab (``pytest -m "not lab"`` skips it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(
        shutil.which("podman") is None or shutil.which("runc") is None, reason="needs podman and runc (make setup)"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RECAP = re.compile(
    r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
    r"failed=(?P<failed>\d+)",
    re.MULTILINE,
)
LAB_HOSTS = {"mx1", "mx2", "imap1", "imap2", "dns1", "dns2", "lb1", "lb2"}


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP lines -> host -> counters (the last recap of a host wins)."""
    recap = output.rsplit("PLAY RECAP", 1)[-1]
    return {
        m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")} for m in RECAP.finditer(recap)
    }


def test_parse_recap() -> None:
    text = (
        "PLAY RECAP ****\n"
        "localhost                  : ok=2    changed=0    unreachable=0    failed=0    skipped=0\n"
        "mx1                        : ok=21   changed=3    unreachable=0    failed=1    skipped=4\n"
    )
    assert parse_recap(text) == {
        "localhost": {"ok": 2, "changed": 0, "unreachable": 0, "failed": 0},
        "mx1": {"ok": 21, "changed": 3, "unreachable": 0, "failed": 1},
    }


def run(*argv: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return subprocess.run(list(argv), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def lab_objects() -> dict[str, list[str]]:
    podman = shutil.which("podman")
    assert podman is not None
    found = {}
    for kind, cmd in (
        ("containers", ["ps", "--all", "--format", "{{.Names}}"]),
        ("networks", ["network", "ls", "--format", "{{.Name}}"]),
        ("volumes", ["volume", "ls", "--format", "{{.Name}}"]),
    ):
        out = subprocess.run([podman, *cmd], capture_output=True, text=True, check=True).stdout.split()
        found[kind] = [name for name in out if name.startswith("tier3-lab")]
    return found


def test_lab_up_site_twice_down() -> None:
    assert run("tier3", "lab", "down").returncode == 0
    try:
        up = run("tier3", "lab", "up")
        assert up.returncode == 0, up.stdout + up.stderr
        again = run("tier3", "lab", "up")
        assert again.returncode == 0, again.stderr
        assert "nothing to do" in again.stdout
        assert (ROOT / "inventory" / "lab" / "hosts.yml").is_file()
        assert run("tier3", "validate", "inventory/lab").returncode == 0

        first = run("ansible-playbook", "playbooks/site.yml")
        assert first.returncode == 0, first.stdout[-4000:]
        recap = parse_recap(first.stdout)
        assert set(recap) >= LAB_HOSTS
        assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recap.values())

        second = run("ansible-playbook", "playbooks/site.yml")
        assert second.returncode == 0, second.stdout[-4000:]
        recap = parse_recap(second.stdout)
        assert set(recap) >= LAB_HOSTS
        assert {h: r["changed"] for h, r in recap.items() if r["changed"]} == {}
    finally:
        down = run("tier3", "lab", "down")
    assert down.returncode == 0, down.stderr
    assert lab_objects() == {"containers": [], "networks": [], "volumes": []}
    assert not (ROOT / "inventory" / "lab").exists()
