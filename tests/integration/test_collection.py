"""The collection tier3.dc as Ansible users get it: `ansible-galaxy collection build` of this
checkout and `install` into temporary paths, then ansible-playbook in another directory runs
tier3.dc.tier3_preflight from the installed collection, with the tier3 package it ships.

No ANSIBLE_* variable of the caller (`make` exports ANSIBLE_CONFIG) and no path of the checkout
reaches those runs: only ANSIBLE_COLLECTIONS_PATH, the temporary install. About 15 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INVENTORIES = ROOT / "tests" / "fixtures" / "inventories"
VERSION = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]
TIMEOUT = 120

PLAYBOOK = """\
---
- name: Installed | preflight from the collection
  hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - name: Installed | validate the inventory of this run
      tier3.dc.tier3_preflight:
      register: installed_preflight

    - name: Installed | show the verdict
      ansible.builtin.debug:
        msg: "{{ installed_preflight.summary }}"
"""


@dataclass(frozen=True)
class Installed:
    tarball: Path
    collections: Path  # ANSIBLE_COLLECTIONS_PATH: <collections>/ansible_collections/tier3/dc

    @property
    def root(self) -> Path:
        return self.collections / "ansible_collections" / "tier3" / "dc"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any ANSIBLE_* setting or PYTHONPATH, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    return {**env, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", **extra}


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=TIMEOUT)


def text(done: subprocess.CompletedProcess[str]) -> str:
    """stdout and stderr with whitespace collapsed (the YAML callback folds long lines)."""
    return " ".join((done.stdout + done.stderr).split())


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The collection built from this checkout and installed into a temporary collections path."""
    out = tmp_path_factory.mktemp("dist")
    collections = tmp_path_factory.mktemp("collections")
    elsewhere = tmp_path_factory.mktemp("cwd")
    galaxy = str(BIN / "ansible-galaxy")
    built = run([galaxy, "collection", "build", str(ROOT), "--output-path", str(out)], elsewhere, clean_env())
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = out / f"tier3-dc-{VERSION}.tar.gz"
    assert tarball.is_file(), built.stdout
    done = run(
        [galaxy, "collection", "install", "--offline", str(tarball), "-p", str(collections)],
        elsewhere,
        clean_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return Installed(tarball, collections)


def play(installed: Installed, tmp_path: Path, inventory: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """ansible-playbook in a directory of its own, on a copy of ``inventory``, with ``PLAYBOOK`` (or ``argv``)."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copytree(inventory, work / "inventory")
    (work / "preflight.yml").write_text(PLAYBOOK, encoding="utf-8")
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed.collections))
    command = [str(BIN / "ansible-playbook"), "-i", "inventory", *(argv or ["-vvv", "preflight.yml"])]
    return run(command, work, env)


def test_the_tarball_is_the_collection_and_tier3_not_the_checkout(installed: Installed) -> None:
    with tarfile.open(installed.tarball) as tar:
        names = set(tar.getnames())
    manifest = json.loads((installed.root / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["collection_info"]["namespace"] == "tier3"
    assert manifest["collection_info"]["name"] == "dc"
    assert {
        "meta/runtime.yml",
        "LICENSE",
        "README.md",
        "plugins/action/tier3_preflight.py",
        "plugins/modules/tier3_preflight.py",
        "roles/baseline/tasks/main.yml",
        "playbooks/site.yml",
        "playbooks/preflight.yml",
        "tools/tier3/__init__.py",
        "tools/tier3/validate.py",
        "tools/tier3/schema/host.yml",
    } <= names
    leaked = sorted(
        n for n in names
        if n.split("/")[0] in {"tests", "molecule", "bench", ".venv", ".git", "reports", ".cache"}
        or n.startswith(("playbooks/collections", "inventory/lab", "tools/setup-machine"))
        or "__pycache__" in n or n.endswith((".pyc", ".egg-info"))
    )
    assert leaked == []


def test_installed_collection_runs_the_preflight_from_another_directory(installed: Installed, tmp_path: Path) -> None:
    done = play(installed, tmp_path, INVENTORIES / "healthy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "inventory: 4 hosts, 1 site: clean" in text(done)
    assert "config file = None" in done.stdout  # not the checkout's ansible.cfg
    # the plugin imported the tier3 the collection ships, not the checkout's (editable in this venv)
    assert f"tier3 {VERSION} from {installed.root / 'tools' / 'tier3'}" in done.stdout
    assert str(ROOT / "tools") not in done.stdout
    assert str(ROOT / "plugins") not in done.stdout


def test_installed_collection_fails_the_play_on_a_broken_inventory(installed: Installed, tmp_path: Path) -> None:
    done = play(installed, tmp_path, INVENTORIES / "broken" / "rule_one_psu")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "T3-PWR-001 [high] mx1" in text(done)
    assert "failed=1" in done.stdout


def test_the_collection_playbooks_run_by_their_fqcn(installed: Installed, tmp_path: Path) -> None:
    """tier3.dc.preflight passes; tier3.dc.site resolves its role tier3.dc.baseline (syntax check)."""
    done = play(installed, tmp_path, INVENTORIES / "healthy", "tier3.dc.preflight")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok=2" in done.stdout
    site = run(
        [str(BIN / "ansible-playbook"), "-i", "inventory", "--syntax-check", "tier3.dc.site"],
        tmp_path / "elsewhere",
        clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed.collections)),
    )
    assert site.returncode == 0, site.stdout + site.stderr
