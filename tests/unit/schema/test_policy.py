"""``tier3_policy``: overrides checked with file and key, resolved with Ansible's precedence, and
changing the verdict of an observed rule both ways (through ``tier3 inspect -i INVENTORY --host``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tier3.cli import main
from tier3.model.policy import DEFAULT_POLICY, VALUES, Policy
from tier3.schema import load_inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
HEALTHY = FIXTURES / "inventories" / "healthy"
MDSTAT = FIXTURES / "real" / "proc_mdstat.txt"  # raid1 [2/2] [UU]: redundant under the default policy


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(HEALTHY, target)
    return target


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def inspect(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["inspect", "mdstat", str(MDSTAT), "--json", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    report: dict[str, object] = json.loads(out)
    return report


def test_defaults_are_the_policy_when_nothing_is_set(inventory: Path) -> None:
    topology = load_inventory(inventory).topology
    assert topology.policy_for("mx1") == DEFAULT_POLICY
    assert dict(topology.policy_for(None)) == {v.name: v.default for v in VALUES.values()}


def test_group_all_then_site_group_then_host_vars(inventory: Path) -> None:
    write(inventory / "group_vars" / "site1.yml", "---\ntier3_policy: {md_min_members: 3}\n")
    hosts = (inventory / "hosts.yml").read_text(encoding="utf-8")
    write(inventory / "hosts.yml", hosts + "    site1:\n      hosts:\n        mx1: null\n        mx2: null\n")
    write(inventory / "host_vars" / "mx2" / "policy.yml", "---\ntier3_policy: {crypt_min_key_bits: 512}\n")
    write(inventory / "group_vars" / "all" / "policy.yml", "---\ntier3_policy: {bond_min_members: 1}\n")
    (inventory / "group_vars" / "all" / "topology.yml").write_bytes((inventory / "group_vars" / "all.yml").read_bytes())
    (inventory / "group_vars" / "all.yml").unlink()
    topology = load_inventory(inventory).topology
    assert topology.policy_for(None).overrides == {"bond_min_members": 1}
    assert topology.policy_for("fw1").overrides == {"bond_min_members": 1}
    assert topology.policy_for("mx1").overrides == {"md_min_members": 3}  # the most specific wins whole
    assert topology.policy_for("mx2").overrides == {"crypt_min_key_bits": 512}
    assert topology.policy_for("mx1")["md_min_members"] == 3
    assert topology.policy_for("mx1")["crypt_min_key_bits"] == 256


def test_tightening_a_threshold_fails_a_healthy_array_and_relaxing_it_passes_again(
    inventory: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert inspect(capsys)["redundant"] is True
    write(inventory / "host_vars" / "mx1.yml", (inventory / "host_vars" / "mx1.yml").read_text(encoding="utf-8")
          + "tier3_policy:\n  md_min_members: 3\n")
    tightened = inspect(capsys, "-i", str(inventory), "--host", "mx1")
    assert tightened["redundant"] is False
    assert [(f["rule_id"], f["subject"], f["evidence"]["minimum"], f["evidence"]["host"])  # type: ignore[index]
            for f in tightened["findings"]] == [("T3-OBS-STO-006", "/dev/md0", 3, "mx1")]  # type: ignore[attr-defined]
    other = inspect(capsys, "-i", str(inventory), "--host", "mx2")  # mx2 keeps the default
    assert (other["redundant"], other["findings"]) == (True, [])
    write(inventory / "host_vars" / "mx1.yml", (inventory / "host_vars" / "mx1.yml").read_text(encoding="utf-8")
          .replace("md_min_members: 3", "md_min_members: 2"))
    assert inspect(capsys, "-i", str(inventory), "--host", "mx1")["redundant"] is True


@pytest.mark.parametrize(("policy", "key", "message"), [
    ("{md_min_memberz: 3}", "tier3_policy.md_min_memberz", "unknown policy value 'md_min_memberz' (fix: did you mean "
                                                           "md_min_members?)"),
    ("{md_min_members: three}", "tier3_policy.md_min_members", "md_min_members must be an integer, got str 'three'"),
    ("{md_min_members: 0}", "tier3_policy.md_min_members", "md_min_members must be at least 1, got 0"),
    ("{crypt_min_key_bits: true}", "tier3_policy.crypt_min_key_bits", "must be an integer, got bool True"),
    ("{crypt_allowed_ciphers: aes-xts-plain64}", "tier3_policy.crypt_allowed_ciphers",
     "must be a non-empty list of names"),
    ("{crypt_allowed_ciphers: []}", "tier3_policy.crypt_allowed_ciphers", "must be a non-empty list of names"),
    ("{crypt_require_luks2: 'no'}", "tier3_policy.crypt_require_luks2", "must be true or false"),
    ("[md_min_members]", "tier3_policy", "tier3_policy must be a mapping of policy value -> setting, not list"),
])
def test_a_bad_policy_value_exits_2_naming_the_file_and_key(
    inventory: Path, capsys: pytest.CaptureFixture[str], policy: str, key: str, message: str,
) -> None:
    write(inventory / "group_vars" / "all.yml", (inventory / "group_vars" / "all.yml").read_text(encoding="utf-8")
          + f"tier3_policy: {policy}\n")
    assert main(["validate", str(inventory)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if key in line]
    assert len(lines) == 1, err  # reported once, not once per host
    assert f"group_vars/all.yml: {key}: " in lines[0]
    assert message in lines[0]
    assert main(["inspect", "mdstat", str(MDSTAT), "-i", str(inventory), "--host", "mx1"]) == 2
    assert key in capsys.readouterr().err


def test_host_needs_an_inventory_and_must_be_in_it(inventory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "mdstat", str(MDSTAT), "--host", "mx1"]) == 2
    assert "--host needs -i INVENTORY" in capsys.readouterr().err
    assert main(["inspect", "mdstat", str(MDSTAT), "-i", str(inventory), "--host", "nope"]) == 2
    assert "host 'nope' is not in the inventory" in capsys.readouterr().err


def test_policy_refuses_unknown_names_from_direct_callers() -> None:
    with pytest.raises(KeyError, match="no_such"):
        Policy({"no_such": 1})
    assert Policy({"crypt_weak_pbkdfs": ["pbkdf2", "argon2i"]})["crypt_weak_pbkdfs"] == ("pbkdf2", "argon2i")
