"""The inventory loader: Ansible's variable precedence, group_vars directories, !vault, encrypted files."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tier3.errors import InventoryError
from tier3.model import Location
from tier3.schema import InventorySchemaErrors, Vaulted, load_inventory, load_topology, yamlio
from tier3.schema.inventory import read_inventory
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
        ("{{vault_bmc_password}}", {}, True),
        ("{{- vault_bmc_password -}}", {}, True),
        ("{{ vault_bmc_password | trim }}", {}, True),  # a filter that cannot put a literal in
        ("{{ vault_bmc_password | default(vault_ipmi_password) }}", {}, True),  # both vaulted
        ("{{ bmc_password }}", {"bmc_password": "!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6231\n"}, True),
        ("{{ bmc_password }}", {"bmc_password": "calvin"}, False),  # a reference to a literal is a literal
        ("{{ bmc_password }}", {"bmc_password": "{{ 'calvin' }}"}, False),
        ("{{ bmc_password }}", {"bmc_password": "{{ vault_bmc_password }}"}, True),  # followed
        ("{{ bmc_password }}", {}, False),  # undefined, not vault_*, no encrypted file in scope
        ("{{ 'calvin' }}", {}, False),  # a literal inside an expression is still a literal
        ("{{ vault_bmc_password | default('calvin') }}", {}, False),  # the default is a literal
        ("{{ vault_bmc_password | default(bmc_password) }}", {"bmc_password": "calvin"}, False),
        ("{{ vault_bmc_password | default() }}", {}, False),  # default('')
        ("{{ vault_bmc_password | default(omit) }}", {}, False),  # a Jinja constant, not a vaulted variable
        ("{{ vault_bmc_password | lower }}", {}, False),  # only filters known not to inject a literal
        ("{{ vault_bmc_password ~ 'calvin' }}", {}, False),
        ("calvin{{ vault_bmc_password }}", {}, False),  # text around the braces
        ("{{ vault_bmc_password }}{{ vault_x }}", {}, False),
        ("{% if true %}calvin{% endif %}", {}, False),
        ("{{ lookup('community.hashi_vault.hashi_vault', 'secret=bmc') }}", {}, True),  # a secret store
        ("{{ query('amazon.aws.aws_secret', 'bmc', region='eu-west-1') | first }}", {}, True),
        ("{{ lookup('pipe', 'echo calvin') }}", {}, False),  # not a secret store: may print a literal
        ("{{ lookup('hashi_vault', 'a') ~ 'calvin' }}", {}, False),
        ("calvin", {}, False),
        ("!vault '$ANSIBLE_VAULT;1.1;AES256 6231'", {}, True),
        ("!unsafe '{{ vault_bmc_password }}'", {}, False),  # never templated: these very characters
    ],
)
def test_bmc_password_is_vaulted(inv: Path, password: str, extra_vars: dict[str, str], vaulted: bool) -> None:
    path = inv / "host_vars" / "mx1.yml"
    literal = password if password.startswith("!") else f"'{password}'" if '"' in password else f'"{password}"'
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


# ---- keys set twice: last wins, as in Ansible, with a note naming file, line and key ---------------


def _shown(path: Path) -> str:
    """A path as the loader shows it: relative to the current directory when below it."""
    rel = os.path.relpath(path)
    return str(path.absolute()) if rel.startswith("..") else rel


def test_a_key_set_twice_is_noted_with_file_line_and_key_and_the_last_value_wins(inv: Path) -> None:
    path = inv / "host_vars" / "mx1.yml"
    path.write_text(path.read_text().replace("  rack: r1\n", "  rack: r2\n  rack: r1\n", 1))
    hosts = inv / "hosts.yml"
    hosts.write_text(hosts.read_text() + "  vars: {a: 1, a: 2}\n")
    loaded = load_inventory(inv)
    assert loaded.topology.host("mx1").rack == "r1"  # type: ignore[union-attr]
    shown = _shown(path)
    assert [n for n in loaded.notes if "set twice" in n] == [
        f"{_shown(hosts)}: line {len(hosts.read_text().splitlines())}: key 'a' is set twice in one mapping "
        f"(first at line {len(hosts.read_text().splitlines())}); the last value wins, as in Ansible (fix: keep one)",
        f"{shown}: line 5: key 'rack' is set twice in one mapping (first at line 4); the last value wins, as in "
        "Ansible (fix: keep one)",
    ]


@pytest.mark.parametrize(
    ("text", "duplicates"),
    [
        ("a: 1\nb: 2\n", []),
        ("a: 1\nb: 2\na: 3\n", ["line 3: key 'a' (first at line 1)"]),
        (
            "x:\n  a: 1\n  a: 1\ny: [{b: 1, b: 2}]\n",
            ["line 3: key 'a' (first at line 2)", "line 4: key 'b' (first at line 4)"],
        ),
        ("base: &b {a: 1, c: 2}\nmerged:\n  <<: *b\n  a: 3\n", []),  # a merged key overridden: not a repeat
        ("base: &b {a: 1}\nmerged:\n  <<: *b\n  c: 3\n  c: 4\n", ["line 5: key 'c' (first at line 4)"]),
        ("1: a\n1: b\n", ["line 2: key '1' (first at line 1)"]),
        ("k: !unsafe {a: 1, a: 2}\n", ["line 1: key 'a' (first at line 1)"]),
    ],
)
def test_duplicate_keys_are_found_in_every_mapping(text: str, duplicates: list[str]) -> None:
    notes: list[str] = []
    parse_yaml(text, "f.yml", notes)
    assert [n.removeprefix("f.yml: ").replace(" is set twice in one mapping", "").split(";")[0] for n in notes] == (
        duplicates
    )
    assert parse_yaml(text, "f.yml") == yaml.safe_load(text.replace("!unsafe ", ""))  # last wins, as yaml does


def test_parallel_read_brings_notes_and_read_errors_back_from_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for i in range(6):
        path = tmp_path / f"f{i}.yml"
        path.write_text(f"n: {i}\nn: {i + 1}\n")
        files.append((path, path.name))
    monkeypatch.setattr(yamlio, "PARALLEL_MIN_FILES", 2)
    notes: list[str] = []
    docs = read_all(files, workers=2, notes=notes)
    assert docs == [{"n": i + 1} for i in range(6)]
    assert notes == [
        f"f{i}.yml: line 2: key 'n' is set twice in one mapping (first at line 1); the last value wins, as in Ansible "
        "(fix: keep one)"
        for i in range(6)
    ]
    files[4][0].unlink()
    os.mkfifo(files[4][0])  # a worker must refuse it (not block) and send the error back
    with pytest.raises(InventoryError) as caught:
        read_all(files, workers=2)
    assert caught.value.one_line() == (
        "f4.yml: a FIFO (named pipe), not a regular file (fix: an inventory file must be a regular file: tier3 never "
        "reads a FIFO or a device (it may block or never end))"
    )


# ---- files that are not regular, symbolic links that dangle, loop or cycle -------------------------


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _link(target: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        if path.is_file():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    return make


def _big(path: Path) -> None:
    with path.open("wb") as out:
        out.truncate(64 * 1024 * 1024 + 1)  # sparse: no disk used


NOT_REGULAR = (
    "an inventory file must be a regular file: tier3 never reads a FIFO or a device (it may block or never end)"
)


@pytest.mark.parametrize(
    ("where", "make", "message"),
    [
        ("hosts.yml", _fifo, f"a FIFO (named pipe), not a regular file (fix: {NOT_REGULAR})"),
        ("host_vars/mx1.yml", _fifo, f"a FIFO (named pipe), not a regular file (fix: {NOT_REGULAR})"),
        ("group_vars/all.yml", _link("/dev/zero"), f"a device, not a regular file (fix: {NOT_REGULAR})"),
        ("host_vars/mx2.yml", _big, "larger than 64 MiB: not an inventory file (fix: check the path: inventory files "
         "are far smaller (split a huge one into group_vars/host_vars files))"),
        ("hosts.yml", _link("hosts.yml"), "a symbolic link that loops (Too many levels of symbolic links) (fix: point "
         "the link at a real file or directory, or remove it)"),
        ("group_vars/mx", _link("mx"), "a symbolic link that loops (Too many levels of symbolic links) (fix: point "
         "the link at a real file or directory, or remove it)"),
        ("group_vars/all/loop.yml", _link("loop.yml"), "a symbolic link that loops (Too many levels of symbolic links) "
         "(fix: point the link at a real file or directory, or remove it)"),
        ("host_vars/mx1.yml", _link("gone.yml"), "a symbolic link to gone.yml, which does not exist (fix: point the "
         "link at an existing file or directory, or remove it)"),
        ("more/hosts.yml", _link("../nowhere.yml"), "a symbolic link to ../nowhere.yml, which does not exist (fix: "
         "point the link at an existing file or directory, or remove it)"),
    ],
)
def test_unreadable_files_and_broken_links_are_errors_naming_them(
    inv: Path, where: str, make: Callable[[Path], None], message: str
) -> None:
    if where.startswith("group_vars/all/"):
        all_vars = inv / "group_vars" / "all.yml"
        _write(inv / "group_vars" / "all" / "main.yml", all_vars.read_text())
        all_vars.unlink()
    make(inv / where)
    with pytest.raises(InventoryError) as caught:
        load_inventory(inv)
    assert caught.value.one_line() == f"{_shown(inv / where)}: {message}"


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("group_vars/all/again", "."),  # a directory linked to itself
        ("group_vars/all/up", ".."),  # to its parent: group_vars/all/up/all/up/... for ever
        ("host_vars/mx1/up", "../.."),  # to the inventory root, which holds host_vars
        ("sub/back", ".."),  # among the inventory sources
        ("host_vars/mx1", "."),  # host_vars/mx1 -> host_vars itself
    ],
)
def test_a_directory_cycle_through_a_symbolic_link_is_an_error_naming_the_link(
    inv: Path, link: str, target: str
) -> None:
    if link.startswith("group_vars/all/"):
        all_vars = inv / "group_vars" / "all.yml"
        _write(inv / "group_vars" / "all" / "main.yml", all_vars.read_text())
        all_vars.unlink()
    if link.startswith("host_vars/mx1/"):
        mx1 = inv / "host_vars" / "mx1.yml"
        _write(inv / "host_vars" / "mx1" / "main.yml", mx1.read_text())
        mx1.unlink()
    path = inv / link
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    with pytest.raises(InventoryError) as caught:
        load_inventory(inv)
    real = os.path.realpath(path)
    assert caught.value.one_line() == (
        f"{_shown(path)}: a symbolic link to {real}, a directory being read already: a directory cycle "
        "(fix: remove the link, or point it at a directory outside the ones that contain it)"
    )


def test_links_that_lead_elsewhere_are_followed_and_broken_links_with_ignored_names_skipped(
    inv: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    _write(shared / "all.yml", (inv / "group_vars" / "all.yml").read_text())
    (inv / "group_vars" / "all.yml").unlink()
    (inv / "group_vars" / "all").symlink_to(shared)  # a linked vars directory outside the inventory
    _write(tmp_path / "services" / "main.yml", {"ntp_servers": ["192.0.2.1"]})
    (inv / "group_vars" / "mx").symlink_to(tmp_path / "services")  # one directory for two groups: no cycle
    (inv / "group_vars" / "firewall").symlink_to(tmp_path / "services")
    (inv / "README.md").symlink_to("nowhere.md")  # ignored by name, as Ansible ignores *.md
    (inv / "host_vars" / "notes.txt").symlink_to("nowhere")  # not a vars file name
    loaded = load_inventory(inv)
    assert [s.name for s in loaded.topology.sites] == ["site1"]
    raw = read_inventory(inv)
    assert [layer["ntp_servers"].value for g in ("mx", "firewall") for layer in raw.group_files[g]] == [
        ["192.0.2.1"], ["192.0.2.1"]
    ]


def test_a_vars_file_that_is_a_directory_is_noted_and_named_in_the_fix(inv: Path) -> None:
    all_vars = inv / "group_vars" / "all.yml"
    text = all_vars.read_text()
    all_vars.unlink()
    _write(all_vars / "main.yml", text)
    with pytest.raises(InventorySchemaErrors) as caught:
        load_inventory(inv)
    assert caught.value.lines() == [
        f"{_shown(inv)}: tier3_sites: tier3_sites is not defined (fix: group_vars/all.yml is a directory: "
        "name it group_vars/all/ (a directory of vars files) or make it a file)"
    ]


def test_a_misspelt_tier3_host_in_the_inventory_file_is_named_with_its_key(inv: Path) -> None:
    doc = _move_tier3_host_of_mx1(inv)
    hosts = _yaml(inv / "hosts.yml")
    hosts["all"]["children"]["mx"]["hosts"]["mx1"] = {"tier3-host": doc}
    _write(inv / "hosts.yml", hosts)
    with pytest.raises(InventorySchemaErrors) as caught:
        load_inventory(inv)
    assert caught.value.lines() == [
        f"{_shown(inv / 'hosts.yml')}: all.children.mx.hosts.mx1: host mx1 is in service group mx but has "
        "no tier3_host (fix: did you mean tier3_host? (hosts.yml sets all.children.mx.hosts.mx1.tier3-host))"
    ]


def test_a_host_without_any_tier3_host_is_told_to_add_host_vars(inv: Path) -> None:
    _move_tier3_host_of_mx1(inv)
    with pytest.raises(InventorySchemaErrors) as caught:
        load_inventory(inv)
    assert caught.value.lines()[0].endswith(
        "(fix: add host_vars/mx1.yml with tier3_host (site, rack, bmc, power_supplies, ...))"
    )


# ---- documented contradictions, settled --------------------------------------------------------------


def test_a_supply_without_capacity_watts_is_accepted_and_counts_zero_watts(inv: Path) -> None:
    path = inv / "host_vars" / "mx1.yml"
    path.write_text(path.read_text().replace("      capacity_watts: 800\n", "", 1))
    mx1 = load_topology(inv).host("mx1")
    assert mx1 is not None
    assert [p.capacity_watts for p in mx1.power_supplies] == [0, 800]


def test_a_firewall_pair_listing_one_host_twice_is_left_to_the_rules(inv: Path) -> None:
    path = inv / "group_vars" / "all.yml"
    doc = _yaml(path)
    doc["tier3_firewall_pairs"][0]["members"] = ["fw1", "fw1"]
    _write(path, doc)
    assert load_topology(inv).firewall_pairs[0].members == ("fw1", "fw1")  # T3-PLC-005 blames it
