"""``tier3 validate`` on inputs that used to hang, grow without bound or crash, run as a command with a
timeout and its peak memory measured; and the exact lines it prints for the broken inventories of
the same issue (a key set twice, literal passwords in expressions, a host listed twice, a supply
without capacity_watts, misleading fixes).

Proof asked of the loader: ``/dev/zero`` and a FIFO are refused before anything is read (exit 2,
one line naming the file), within 30 s and under 200 MB of peak RSS; a symbolic link that loops,
dangles or leads back into a directory being read is an error naming the link, not a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tier3.cli import main

ROOT = Path(__file__).parents[3]
INVENTORIES = ROOT / "tests" / "fixtures" / "inventories"
HEALTHY = INVENTORIES / "healthy"
BROKEN = INVENTORIES / "broken"
TIER3 = [sys.executable, "-c", "import sys; from tier3.cli import main; sys.exit(main())"]
TIMEOUT = 30  # seconds for one `tier3 validate`: a read that blocks or never ends fails here
MAX_RSS_MIB = 200
# runs the command given as arguments with the timeout and prints its exit status, output and peak RSS:
# the measuring process has no other child, so RUSAGE_CHILDREN is that command's alone
MEASURE = f"""
import json, resource, subprocess, sys
try:
    done = subprocess.run(sys.argv[1:], capture_output=True, timeout={TIMEOUT})
    result = {{"rc": done.returncode, "stdout": done.stdout.decode(), "stderr": done.stderr.decode()}}
except subprocess.TimeoutExpired:
    result = {{"rc": None, "stdout": "", "stderr": "timed out after {TIMEOUT} s"}}
result["maxrss_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps(result))
"""
NOT_REGULAR = (
    "an inventory file must be a regular file: tier3 never reads a FIFO or a device (it may block or never end)"
)
LOOP = "a symbolic link that loops (Too many levels of symbolic links) (fix: point the link at a real file or " \
    "directory, or remove it)"


def measured(args: list[str], cwd: Path) -> dict[str, Any]:
    """``tier3 ARGS`` run in ``cwd``: its exit status (None: killed at the timeout), output and peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *TIER3, *args], capture_output=True, cwd=cwd, timeout=TIMEOUT + 30, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _copy(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())


def _fifo(inv: Path, rel: str) -> None:
    (inv / rel).unlink(missing_ok=True)
    os.mkfifo(inv / rel)


def _link(rel: str, target: str) -> Callable[[Path], None]:
    def make(inv: Path) -> None:
        path = inv / rel
        path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    return make


def _vars_directory(inv: Path) -> None:
    """group_vars/all.yml moved to group_vars/all/main.yml (a directory of vars files)."""
    (inv / "group_vars" / "all").mkdir()
    (inv / "group_vars" / "all.yml").rename(inv / "group_vars" / "all" / "main.yml")


def _cycle(inv: Path) -> None:
    _vars_directory(inv)
    _link("group_vars/all/up", "..")(inv)


# (id, the PATH given to `tier3 validate` (relative to a temporary directory holding a copy of the
# healthy inventory in inv/), how to break it, the one line expected on stderr)
GUARDS: list[tuple[str, str, Callable[[Path], None], str]] = [
    ("dev-zero-as-the-inventory", "/dev/zero", lambda _inv: None,
     f"/dev/zero: a device, not a regular file (fix: {NOT_REGULAR})"),
    ("fifo-as-the-inventory", "pipe.yml", lambda inv: os.mkfifo(inv.parent / "pipe.yml"),
     f"pipe.yml: a FIFO (named pipe), not a regular file (fix: {NOT_REGULAR})"),
    ("fifo-as-an-inventory-source", "inv", lambda inv: _fifo(inv, "hosts.yml"),
     f"inv/hosts.yml: a FIFO (named pipe), not a regular file (fix: {NOT_REGULAR})"),
    ("fifo-as-host-vars", "inv", lambda inv: _fifo(inv, "host_vars/mx2.yml"),
     f"inv/host_vars/mx2.yml: a FIFO (named pipe), not a regular file (fix: {NOT_REGULAR})"),
    ("dev-zero-linked-as-host-vars", "inv", _link("host_vars/mx1.yml", "/dev/zero"),
     f"inv/host_vars/mx1.yml: a device, not a regular file (fix: {NOT_REGULAR})"),
    ("symlink-loop-as-an-inventory-source", "inv", _link("hosts.yml", "hosts.yml"), f"inv/hosts.yml: {LOOP}"),
    ("symlink-loop-under-group-vars", "inv", _link("group_vars/mx", "mx"), f"inv/group_vars/mx: {LOOP}"),
    ("directory-linked-to-its-parent", "inv", _cycle,
     "inv/group_vars/all/up: a symbolic link to {tmp}/inv/group_vars, a directory being read already: a directory "
     "cycle (fix: remove the link, or point it at a directory outside the ones that contain it)"),
    ("dangling-symlink-as-host-vars", "inv", _link("host_vars/mx1.yml", "../../nowhere.yml"),
     "inv/host_vars/mx1.yml: a symbolic link to ../../nowhere.yml, which does not exist (fix: point the link at an "
     "existing file or directory, or remove it)"),
]


@pytest.mark.parametrize(("path", "make", "line"), [pytest.param(*g[1:], id=g[0]) for g in GUARDS])
def test_refused_within_the_timeout_and_bounded_memory(
    tmp_path: Path, path: str, make: Callable[[Path], None], line: str
) -> None:
    base = tmp_path.resolve()
    _copy(HEALTHY, base / "inv")
    make(base / "inv")
    result = measured(["validate", path], cwd=base)
    rss_mib = result["maxrss_kib"] / 1024
    print(f"tier3 validate {path}: exit {result['rc']}, peak RSS {rss_mib:.1f} MiB")  # the figures, with -s
    assert result["rc"] == 2, result
    assert result["stdout"] == ""
    assert result["stderr"].splitlines() == [f"tier3 validate: {line.format(tmp=base)}"]
    assert rss_mib < MAX_RSS_MIB


def test_the_healthy_inventory_costs_about_as_much_memory(tmp_path: Path) -> None:
    """The yardstick for the figures above: a clean run of the same command."""
    result = measured(["validate", str(HEALTHY)], cwd=tmp_path)
    print(f"tier3 validate healthy: exit {result['rc']}, peak RSS {result['maxrss_kib'] / 1024:.1f} MiB")
    assert result["rc"] == 0, result
    assert result["maxrss_kib"] / 1024 < MAX_RSS_MIB


# ---- the broken inventories of this issue: the exact lines `tier3 validate` prints -----------------

FIX_POWER = "fix: fit larger supplies or add one, or correct tier3_host.power_draw_watts / capacity_watts"
FIX_VAULT = "fix: store the password with ansible-vault and reference the vaulted variable in tier3_host.bmc.password"
LITERAL = "T3-SEC-001 [high] mx1: BMC 192.0.2.200 password is a literal in the inventory, not a vault reference"
# case -> (exit status, the lines on stdout, the lines on stderr); {d} is the case's directory
PRINTED: dict[str, tuple[int, list[str], list[str]]] = {
    "schema_tier3_host_misspelt": (2, [], [
        "tier3 validate: {d}/hosts.yml: all.children.mx.hosts.mx2: host mx2 is in service group mx but has no "
        "tier3_host (fix: did you mean tier3_host? (host_vars/mx2.yml sets tier3_hosts))",
        "tier3 validate: {d}: 1 inventory error(s); no rule was run",
    ]),
    "schema_host_vars_file_is_a_directory": (2, [], [
        "tier3 validate: {d}/hosts.yml: all.children.mx.hosts.mx2: host mx2 is in service group mx but has no "
        "tier3_host (fix: host_vars/mx2.yml is a directory: name it host_vars/mx2/ (a directory of vars files) or "
        "make it a file)",
        "tier3 validate: {d}: 1 inventory error(s); no rule was run",
    ]),
    "yaml_duplicate_key_last_wins": (1, [
        "{d}/host_vars/mx1.yml: tier3_host.power_supplies: T3-PWR-004 [medium] mx1: supplies PSU1 (800 W), PSU2 "
        f"(800 W) leave 800 W after losing the largest (800 W); the host draws 900 W ({FIX_POWER})",
        "{d}: 4 hosts, 1 site: 1 rule violation",
    ], [
        "tier3 validate: note: {d}/host_vars/mx1.yml: line 17: key 'power_draw_watts' is set twice in one mapping "
        "(first at line 16); the last value wins, as in Ansible (fix: keep one)",
    ]),
    "rule_psu_without_capacity": (1, [
        "{d}/host_vars/mx1.yml: tier3_host.power_supplies: T3-PWR-004 [medium] mx1: supplies PSU1 (800 W), PSU2 "
        "(0 W) leave 0 W after losing the largest (800 W); the host draws 400 W; no capacity_watts declared for PSU2 "
        f"({FIX_POWER})",
        "{d}: 4 hosts, 1 site: 1 rule violation",
    ], []),
    "rule_vip_member_twice": (1, [
        "{d}/group_vars/all.yml: tier3_vips[0].members: T3-VRP-001 [high] vip:mx-vip: VIP 192.0.2.10 has 1 member "
        "(mx1, listed twice); needs at least 2 (fix: add a second host to the VIP's members (tier3_vips[].members), "
        "in another rack)",
        "{d}: 4 hosts, 1 site: 1 rule violation",
    ], []),
    "rule_firewall_pair_one_host_twice": (1, [
        "{d}/group_vars/all.yml: tier3_firewall_pairs[0].members: T3-PLC-005 [high] firewall-pair:edge: declares 1 "
        "member (fw1, listed twice); a pair needs 2, in two racks (fix: name the pair's two firewalls in "
        "tier3_firewall_pairs[].members, each in its own rack)",
        "{d}: 4 hosts, 1 site: 1 rule violation",
    ], []),
    "rule_bmc_password_literal_in_expression": (1, [
        f"{{d}}/host_vars/mx1.yml: tier3_host.bmc.password: {LITERAL} ({FIX_VAULT})",
        "{d}: 4 hosts, 1 site: 1 rule violation",
    ], []),
    "rule_bmc_password_default_literal": (1, [
        f"{{d}}/host_vars/mx1.yml: tier3_host.bmc.password: {LITERAL} ({FIX_VAULT})",
        "{d}: 4 hosts, 1 site: 1 rule violation",
    ], []),
}


@pytest.mark.parametrize("case", list(PRINTED))
def test_broken_inventory_prints_exactly(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    directory = os.path.relpath(BROKEN / case)
    code, out, err = PRINTED[case]
    assert main(["validate", directory]) == code
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [line.format(d=directory) for line in out]
    assert printed.err.splitlines() == [line.format(d=directory) for line in err]
