"""The inventory loader: Ansible's variable precedence, group_vars directories, !vault, encrypted files."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml

from tier3.errors import InventoryError
from tier3.model import Location
from tier3.schema import InventorySchemaErrors, Vaulted, load_inventory, load_topology, yamlio
from tier3.schema.yamlio import ENCRYPTED, parse_yaml, read_all

HEALTHY = Path(__file__).parents[2] / "fixtures" / "inventories" / "healthy"
VAULTED_FILE = (
    "$ANSIBLE_VAULT;1.1;AES256\n62313365396662343061393464336163383764373764613633653634306231386433626436623361\n"
)


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    """A copy of the healthy fixture inventory to modify."""
    target = tmp_path / "inv"
    for path in HEALTHY.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(HEALTHY)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())
    return target


def _yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))


def test_healthy_topology_with_locations(inv: Path) -> None:
    topology = load_topology(inv)
    assert [h.name for h in topology.hosts] == ["mx1", "mx2", "fw1", "fw2"]
    mx1 = topology.host("mx1")
    assert mx1 is not None
    assert mx1.groups == frozenset({"mx"})
    assert mx1.rack == "r1"
    assert mx1.location.key == "tier3_host"
    assert mx1.location.file.endswith("host_vars/mx1.yml")
    assert mx1.power_supplies[1].location.key == "tier3_host.power_supplies[1]"
    assert mx1.bonds[0].members[1].location.key == "tier3_host.bonds[0].members[1]"
    assert mx1.multipath_luns[0].paths[0].location.key == "tier3_host.multipath_luns[0].paths[0]"
    assert topology.feed_of("r2-pdu-b") == "feed-b"
    assert topology.sites[0].racks[1].pdus[0].location.key == "tier3_sites[0].racks[1].pdus[0]"
    assert topology.vips[0].members[1].location.key == "tier3_vips[0].members[1]"
    assert topology.group_locations["mx"] == Location(topology.group_locations["mx"].file, "all.children.mx")


def _move_tier3_host_of_mx1(inv: Path) -> dict:  # type: ignore[type-arg]
    """Take mx1's tier3_host out of host_vars; return it so tests can place it at other levels."""
    doc = _yaml(inv / "host_vars" / "mx1.yml")["tier3_host"]
    (inv / "host_vars" / "mx1.yml").unlink()
    return doc  # type: ignore[no-any-return]


def test_precedence_all_group_child_group_host_inventory_host_vars(inv: Path) -> None:
    doc = _move_tier3_host_of_mx1(inv)
    hosts = _yaml(inv / "hosts.yml")
    # mx1 also in fra_mx (child of mx, sorting before it by name): deeper groups win over their parents
    hosts["all"]["children"]["mx"]["children"] = {"fra_mx": {"hosts": {"mx1": None}}}
    hosts["all"]["vars"] = {"tier3_host": {**doc, "rack": "r0"}}  # lowest: inventory-file vars of all
    _write(inv / "hosts.yml", hosts)
    levels = [
        (inv / "group_vars" / "mx.yml", "r1"),
        (inv / "group_vars" / "fra_mx.yml", "r2"),
    ]
    sites = _yaml(inv / "group_vars" / "all.yml")
    sites["tier3_sites"][0]["racks"] += [
        {"name": f"r{i}", "pdus": [{"name": f"r{i}-pdu-a", "feed": "feed-a"}]} for i in (0, 3, 4)
    ]
    _write(inv / "group_vars" / "all.yml", sites)
    racks_seen = [load_topology(inv).host("mx1").rack]  # type: ignore[union-attr]
    for path, rack in levels:
        _write(path, {"tier3_host": {**doc, "rack": rack}})
        racks_seen.append(load_topology(inv).host("mx1").rack)  # type: ignore[union-attr]
    hosts["all"]["children"]["mx"]["hosts"]["mx1"] = {"tier3_host": {**doc, "rack": "r3"}}
    _write(inv / "hosts.yml", hosts)
    racks_seen.append(load_topology(inv).host("mx1").rack)  # type: ignore[union-attr]
    _write(inv / "host_vars" / "mx1.yml", {"tier3_host": {**doc, "rack": "r4"}})
    topology = load_topology(inv)
    racks_seen.append(topology.host("mx1").rack)  # type: ignore[union-attr]
    assert racks_seen == ["r0", "r1", "r2", "r3", "r4"]
    assert topology.host("mx1").groups == frozenset({"mx", "fra_mx"})  # type: ignore[union-attr]


def test_group_vars_all_over_inventory_file_group_vars(inv: Path) -> None:
    doc = _move_tier3_host_of_mx1(inv)
    hosts = _yaml(inv / "hosts.yml")
    hosts["all"]["children"]["mx"]["vars"] = {"tier3_host": {**doc, "rack": "r1"}}
    _write(inv / "hosts.yml", hosts)
    _write(inv / "group_vars" / "mx.yml", {"tier3_host": {**doc, "rack": "r2"}})
    mx1 = load_topology(inv).host("mx1")
    assert mx1 is not None
    assert mx1.rack == "r2"
    assert mx1.location == Location(mx1.location.file, "tier3_host")
    assert mx1.location.file.endswith("group_vars/mx.yml")


def test_ansible_group_priority_orders_sibling_groups(inv: Path) -> None:
    doc = _move_tier3_host_of_mx1(inv)
    hosts = _yaml(inv / "hosts.yml")
    hosts["all"]["children"]["a_first"] = {"hosts": {"mx1": None}, "vars": {"ansible_group_priority": 10}}
    hosts["all"]["children"]["b_second"] = {"hosts": {"mx1": None}}
    _write(inv / "hosts.yml", hosts)
    _write(inv / "group_vars" / "a_first.yml", {"tier3_host": {**doc, "rack": "r1"}})
    _write(inv / "group_vars" / "b_second.yml", {"tier3_host": {**doc, "rack": "r2"}})
    assert load_topology(inv).host("mx1").rack == "r1"  # type: ignore[union-attr]  # priority 10 beats name order


def test_group_vars_directory_merged_in_file_order_and_encrypted_file_skipped(inv: Path) -> None:
    all_vars = _yaml(inv / "group_vars" / "all.yml")
    (inv / "group_vars" / "all.yml").unlink()
    _write(inv / "group_vars" / "all" / "10-topology.yml", {"tier3_sites": all_vars["tier3_sites"], "tier3_vips": []})
    _write(inv / "group_vars" / "all" / "20-services.yml", {k: v for k, v in all_vars.items() if k != "tier3_sites"})
    _write(inv / "group_vars" / "all" / "vault.yml", VAULTED_FILE)
    loaded = load_inventory(inv)
    assert [v.name for v in loaded.topology.vips] == ["mx-vip"]  # 20-services.yml replaces 10-topology.yml's
    assert loaded.topology.vips[0].location.file.endswith("group_vars/all/20-services.yml")
    assert any("vault.yml: encrypted with ansible-vault, not read" in note for note in loaded.notes)


def test_encrypted_file_holding_the_topology_is_an_error(inv: Path) -> None:
    (inv / "group_vars" / "all.yml").write_text(VAULTED_FILE)
    with pytest.raises(InventorySchemaErrors) as caught:
        load_topology(inv)
    (error,) = caught.value.errors
    assert error.source.endswith("group_vars/all.yml")
    assert error.where == "tier3_sites"
    assert "encrypted" in error.message


@pytest.mark.parametrize(
    ("password", "extra_vars", "vaulted"),
    [
        ("{{ vault_bmc_password }}", {}, True),  # vault_* convention, defined in a vaulted file not shipped
        ("{{ bmc_password }}", {"bmc_password": "!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6231\n"}, True),
        ("{{ bmc_password }}", {"bmc_password": "calvin"}, False),  # a reference to a literal is a literal
        ("{{ bmc_password }}", {}, False),  # undefined, not vault_*, no encrypted file in scope
        ("{{ lookup('community.hashi_vault.hashi_vault', 'bmc') }}", {}, True),
        ("calvin", {}, False),
        ("!vault '$ANSIBLE_VAULT;1.1;AES256 6231'", {}, True),
    ],
)
def test_bmc_password_is_vaulted(inv: Path, password: str, extra_vars: dict[str, str], vaulted: bool) -> None:
    path = inv / "host_vars" / "mx1.yml"
    literal = password if password.startswith("!vault") else f'"{password}"'
    text = path.read_text().replace("'{{ vault_bmc_password }}'", literal)
    for name, value in extra_vars.items():
        rendered = value if value.startswith("!vault") else f'"{value}"'
        text += f"{name}: {rendered}\n"
    path.write_text(text)
    mx1 = load_topology(inv).host("mx1")
    assert mx1 is not None
    assert mx1.bmc is not None
    assert mx1.bmc.password_is_vaulted is vaulted
    assert "calvin" not in repr(mx1)  # the secret (or the literal) is never kept


def test_undefined_reference_counts_as_vaulted_when_an_encrypted_file_is_in_scope(inv: Path) -> None:
    path = inv / "host_vars" / "mx1.yml"
    path.write_text(path.read_text().replace("vault_bmc_password", "bmc_password"))
    path.rename(inv / "host_vars" / "main.yml")
    _write(inv / "host_vars" / "mx1" / "main.yml", (inv / "host_vars" / "main.yml").read_text())
    (inv / "host_vars" / "main.yml").unlink()
    _write(inv / "host_vars" / "mx1" / "vault.yml", VAULTED_FILE)
    loaded = load_inventory(inv)
    assert loaded.topology.host("mx1").bmc.password_is_vaulted is True  # type: ignore[union-attr]
    assert any("host_vars/mx1/vault.yml: encrypted" in note for note in loaded.notes)


def test_single_file_inventory_with_host_ranges_and_inline_vars(tmp_path: Path, inv: Path) -> None:
    docs = {name: _yaml(inv / "host_vars" / f"{name}.yml")["tier3_host"] for name in ("mx1", "mx2")}
    all_vars = _yaml(inv / "group_vars" / "all.yml")
    all_vars.pop("tier3_firewall_pairs")
    all_vars["tier3_load"] = [all_vars["tier3_load"][0]]
    single = tmp_path / "site.yml"
    _write(single, {"all": {"vars": all_vars, "children": {"mx": {"hosts": {"mx[1:2]": None}}}}})
    _write(tmp_path / "host_vars" / "mx1.yml", {"tier3_host": docs["mx1"]})
    _write(tmp_path / "host_vars" / "mx2.yml", {"tier3_host": docs["mx2"]})
    topology = load_topology(single)
    assert [h.name for h in topology.hosts] == ["mx1", "mx2"]
    assert topology.sites[0].location.key == "all.vars.tier3_sites[0]"


def test_stray_host_vars_noted(inv: Path) -> None:
    _write(inv / "host_vars" / "mx9.yml", {"foo": 1})
    assert any("no host 'mx9' in the inventory" in note for note in load_inventory(inv).notes)


def test_ini_inventory_source_refused(inv: Path) -> None:
    (inv / "hosts").write_text("[mx]\nmx1\n")
    with pytest.raises(InventoryError, match="not a YAML inventory source"):
        load_topology(inv)


def test_vault_tag_keeps_no_ciphertext_and_survives_pickling() -> None:
    doc = parse_yaml("a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6231\nb: !unsafe '{{ x }}'\n", "t.yml")
    assert isinstance(doc["a"], Vaulted)
    assert doc["a"] == "<vaulted>"
    assert doc["b"] == "{{ x }}"
    assert isinstance(pickle.loads(pickle.dumps(doc["a"])), Vaulted)
    assert pickle.loads(pickle.dumps(ENCRYPTED)) is ENCRYPTED


def test_yaml_error_names_file_and_line() -> None:
    with pytest.raises(InventoryError) as caught:
        parse_yaml("a: 1\nb: [1,\nc: 2\n", "bad.yml")
    assert caught.value.source == "bad.yml"
    assert caught.value.where == "line 4 column 1"


def test_parallel_read_matches_serial_and_reports_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = []
    for i in range(12):
        path = tmp_path / f"f{i}.yml"
        path.write_text(f"n: {i}\ns: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  31\n" if i % 3 else VAULTED_FILE)
        files.append((path, path.name))
    serial = read_all(files, workers=1)
    monkeypatch.setattr(yamlio, "PARALLEL_MIN_FILES", 2)
    parallel = read_all(files, workers=2)
    assert parallel == serial
    assert parallel[0] is ENCRYPTED
    assert isinstance(parallel[1]["s"], Vaulted)
    files[7][0].write_text("x: [\n")
    with pytest.raises(InventoryError) as caught:
        read_all(files, workers=2)
    assert caught.value.source == "f7.yml"
    assert caught.value.where.startswith("line 2")
