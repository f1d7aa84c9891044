"""playbooks/drill.yml and the tier3_drill action: the same conductor as the CLI, bad input failing the play
before anything is touched, check mode touching nothing, the module documentation readable by ansible-doc."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
PLAYBOOK = ROOT / "playbooks" / "drill.yml"
ACTION = ROOT / "plugins" / "action" / "tier3_drill.py"


def _env() -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0"}


def _play(inventory: Path, *extra: str) -> tuple[int, str]:
    run = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), *extra], cwd=ROOT,
                         env=_env(), capture_output=True, text=True, check=False, timeout=180)
    return run.returncode, " ".join((run.stdout + run.stderr).split())


def test_the_action_calls_the_drill_conductor_not_the_cli() -> None:
    tree = ast.parse(ACTION.read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "tier3.drill" in imported
    assert not any(name.startswith("tier3.cli") for name in imported)


def test_a_missing_key_fails_the_play_naming_it(write_inventory: Callable[..., Path]) -> None:
    def no_drill(data: dict[str, Any]) -> None:
        del data["tier3_drill"]

    code, text = _play(write_inventory(no_drill), "-e", "tier3_drill_name=lb-failover")
    assert code == 2, text
    assert "tier3_drill: missing (fix: declare tier3_drill:" in text
    assert "failed=1" in text


def test_an_unknown_drill_fails_the_play(write_inventory: Callable[..., Path]) -> None:
    code, text = _play(write_inventory(), "-e", "tier3_drill_name=dns-failover")
    assert code == 2, text
    assert "name must be one of lb-failover, mx-failover, imap-failover, got 'dns-failover'" in text


def test_check_mode_reads_the_site_through_ansible_and_kills_nothing(write_inventory: Callable[..., Path]) -> None:
    """The password is a vault-style reference: Ansible templates it for the action (a bad one would fail)."""
    code, text = _play(write_inventory(), "--check", "-e", "tier3_drill_name=mx-failover")
    assert code == 0, text
    assert "check mode: drill mx-failover would kill a node of" in text
    assert "skipping: [localhost]" in text


def test_ansible_doc_reads_the_documentation() -> None:
    run = subprocess.run([str(BIN / "ansible-doc"), "tier3.dc.tier3_drill"], cwd=ROOT, env=_env(),
                         capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr
    text = " ".join(run.stdout.split())  # ansible-doc folds long lines
    assert "Kills one node of the mail cluster hard while a client on the controller streams mail" in text
    assert "choices: [lb-failover, mx-failover, imap-failover]" in text
