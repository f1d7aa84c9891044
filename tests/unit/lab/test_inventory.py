"""inventory/lab generated from the host table: a normal Ansible inventory that validates clean, with
the lab's mail service and its secrets (made once, kept across `lab up`, mode 0600)."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tier3.cli import main
from tier3.errors import LabError
from tier3.lab import inventory, secrets
from tier3.lab.hosts import HOSTS, PEER_GROUPS, PEERS_GROUP, LabHost, select
from tier3.lab.secrets import (
    BMC_PASSWORD_VAR,
    DKIM_VAR,
    FW_KEY_PASSPHRASE_VAR,
    LUKS_KEY_VAR,
    NAMES,
    REPLICATION_VAR,
    SECRETS_FILE,
    TSIG_VAR,
    LabSecrets,
    password_var,
)
from tier3.model.topology import SERVICE_GROUPS
from tier3.schema import load_topology

ROOT = Path(__file__).resolve().parents[3]
ANSIBLE = Path(sys.executable).parent / "ansible"

CA_DIR = Path("/srv/project/.cache/lab/pki")
# fixed stand-ins: render is pure, the secrets are its argument
FIXED = LabSecrets({name: f"secret-of-{name}" for name in NAMES}
                   | {DKIM_VAR: "-----BEGIN RSA PRIVATE KEY-----\nMIIfixed\n-----END RSA PRIVATE KEY-----\n"})


def render(hosts: tuple[LabHost, ...] = HOSTS, lab_secrets: LabSecrets = FIXED) -> dict[str, str]:
    return inventory.render(hosts, secrets=lab_secrets, pki_ca_dir=CA_DIR)


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    target = tmp_path / "lab"
    assert inventory.write(target, render())
    return target


def load(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def test_hosts_yml_groups_and_connection(generated: Path) -> None:
    data = load(generated / "hosts.yml")
    groups = data["all"]["children"]["lab"]["children"]
    assert list(groups) == [*SERVICE_GROUPS, PEERS_GROUP]  # the model's one list, in its order; then the peers
    assert groups["firewall"] == {}  # present while empty: plays may name it
    assert groups["archive"]["hosts"] == {"archive1": {"ansible_host": "tier3-lab-archive1"},
                                          "archive2": {"ansible_host": "tier3-lab-archive2"}}
    assert groups["mx"]["hosts"] == {"mx1": {"ansible_host": "tier3-lab-mx1"},
                                     "mx2": {"ansible_host": "tier3-lab-mx2"}}
    main_vars = load(generated / "group_vars/all/main.yml")
    assert main_vars["ansible_connection"] == "tier3.dc.podman"
    assert main_vars["baseline_chrony_sources"] == []
    assert (main_vars["pki_mode"], main_vars["pki_ca_dir"]) == ("internal_ca", str(CA_DIR))


def test_the_peers_are_in_lab_peers_and_no_service_group(generated: Path) -> None:
    groups = load(generated / "hosts.yml")["all"]["children"]["lab"]["children"]
    assert groups[PEERS_GROUP] == {"children": {
        "clients": {"hosts": {"client": {"ansible_host": "tier3-lab-client"}}},
        "outside_mx": {"hosts": {"outside": {"ansible_host": "tier3-lab-outside"}}},
    }}
    assert list(groups[PEERS_GROUP]["children"]) == list(PEER_GROUPS)
    for service in SERVICE_GROUPS:
        assert not {"client", "outside"} & set(groups[service].get("hosts", {}))
    for peer, address in (("client", "10.89.30.51"), ("outside", "10.89.30.61")):
        assert load(generated / f"host_vars/{peer}.yml") == {"tier3_lab_address": address}  # no tier3_host
    topology = load_topology(generated)
    assert {h.name for h in topology.hosts} == {h.name for h in HOSTS if h.is_service_host}
    assert topology.host("client") is None  # not in the topology: no rule judges it


def test_every_file_says_it_is_generated_and_the_topology_says_it_is_imaginary(generated: Path) -> None:
    for path in generated.rglob("*.yml"):
        assert path.read_text().startswith(inventory.HEADER), path
    assert "imaginary" in (generated / "group_vars/all/topology.yml").read_text()


def test_host_vars_place_each_host_on_two_feeds_and_two_switches(generated: Path) -> None:
    for host in HOSTS:
        if not host.is_service_host:
            continue
        tier3_host = load(generated / f"host_vars/{host.name}.yml")["tier3_host"]
        assert tier3_host["rack"] == host.rack
        assert {ps["pdu"] for ps in tier3_host["power_supplies"]} == {f"{host.rack}-pdu-a", f"{host.rack}-pdu-b"}
        (bond,) = tier3_host["bonds"]
        assert len({m["switch"] for m in bond["members"]}) == 2


def test_the_vips_sit_on_the_load_balancers_one_master_each(generated: Path) -> None:
    topo = load(generated / "group_vars/all/topology.yml")
    vips = {v["name"]: v for v in topo["tier3_vips"]}
    assert vips == {
        "lab-smtp": {"name": "lab-smtp", "address": "10.89.30.100", "network": "10.89.30.0/24", "vrid": 51,
                     "services": ["smtp", "submission"],
                     "members": [{"host": "lb1", "priority": 150}, {"host": "lb2", "priority": 100}]},
        "lab-imap": {"name": "lab-imap", "address": "10.89.30.101", "network": "10.89.30.0/24", "vrid": 52,
                     "services": ["imap", "imaps", "lmtp"],
                     "members": [{"host": "lb2", "priority": 150}, {"host": "lb1", "priority": 100}]},
    }


def test_mail_yml_declares_the_lab_mail_service_by_reference(generated: Path) -> None:
    text = (generated / "group_vars/all/mail.yml").read_text()
    assert "secret-of-" not in text  # the values live in secrets.yml only
    data = yaml.safe_load(text)
    assert data["tier3_mail"] == {
        "hostname": "mail.lab.tier3.test",
        "imap_hostname": "imap.lab.tier3.test",
        "relay_networks": [],
        "domains": [{"name": "lab.tier3.test",
                     "dkim": [{"selector": "lab2026", "private_key": "{{ vault_tier3_dkim_lab2026 }}"}],
                     "dmarc": {"policy": "reject", "rua": "mailto:dmarc@lab.tier3.test"},
                     "mta_sts": {"mode": "testing", "max_age": 86400},
                     "tls_rpt": "mailto:tlsrpt@lab.tier3.test"}],
        "users": [{"address": f"{u}@lab.tier3.test", "password": f"{{{{ vault_tier3_mail_{u} }}}}"}
                  for u in ("alice", "bob", "drill")],
        "transports": [{"domain": "outside.test", "nexthop": "[10.89.30.61]:25"}],
        "replication_password": "{{ vault_tier3_mail_replication }}",
    }
    assert data["tier3_drill"] == {"mailbox": "drill@lab.tier3.test", "rto_seconds": 3.0, "rpo_messages": 0}
    mail = load_topology(generated).mail
    assert mail is not None
    assert [u.address for u in mail.users] == ["alice@lab.tier3.test", "bob@lab.tier3.test", "drill@lab.tier3.test"]


def test_secrets_yml_holds_every_secret_mode_0600(generated: Path) -> None:
    path = generated / SECRETS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = load(path)
    assert data == dict(FIXED)
    assert set(data) == {password_var("alice"), password_var("bob"), password_var("drill"), REPLICATION_VAR, DKIM_VAR,
                         TSIG_VAR, BMC_PASSWORD_VAR, LUKS_KEY_VAR, FW_KEY_PASSPHRASE_VAR}
    assert "|" in path.read_text()  # the PEM key as a literal block, line for line


def test_dns_yml_declares_the_lab_dns_by_reference(generated: Path) -> None:
    text = (generated / "group_vars/all/dns.yml").read_text()
    assert "secret-of-" not in text
    assert yaml.safe_load(text) == {"tier3_dns": {
        "primary": "dns1", "contact": "hostmaster@lab.tier3.test", "tsig_secret": "{{ vault_tier3_dns_tsig }}",
        "dnssec": True, "ttl": 300}}
    without = inventory.render(tuple(h for h in HOSTS if "dns" not in h.groups), secrets=FIXED, pki_ca_dir=CA_DIR)
    assert yaml.safe_load(without["group_vars/all/dns.yml"]) == {}  # no dns host: the DNS play does nothing


def test_the_tsig_key_is_32_random_bytes_in_base64() -> None:
    key = secrets.new_tsig_key()
    assert len(base64.b64decode(key, validate=True)) == 32
    assert secrets.new_tsig_key() != key


def test_render_is_pure_same_secrets_same_text() -> None:
    assert render() == render()
    other = LabSecrets({**FIXED, password_var("alice"): "another"})
    changed = {name for name, text in render(lab_secrets=other).items() if text != render()[name]}
    assert changed == {SECRETS_FILE}


def test_secrets_are_made_once_then_kept(tmp_path: Path) -> None:
    target = tmp_path / "lab"
    first = secrets.load_or_create(target / SECRETS_FILE, tmp_path / "cache")
    assert set(first) == set(NAMES)
    passwords = [first[name] for name in NAMES if name != DKIM_VAR]
    assert len(set(passwords)) == len(passwords)
    assert all(len(first[name]) >= 32 for name in NAMES if name not in (DKIM_VAR, BMC_PASSWORD_VAR))
    assert len(first[BMC_PASSWORD_VAR]) == 16  # what every IPMI carries
    key = serialization.load_pem_private_key(first[DKIM_VAR].encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert "MII" not in repr(first)  # never a secret in a repr
    assert inventory.write(target, render(lab_secrets=first))
    again = secrets.load_or_create(target / SECRETS_FILE, tmp_path / "cache")
    assert dict(again) == dict(first)
    assert not inventory.write(target, render(lab_secrets=again))  # a second up: nothing changes


def test_the_bmc_password_is_kept_vaulted_and_ansible_decrypts_it(tmp_path: Path) -> None:
    target, cache = tmp_path / "lab", tmp_path / "cache"
    kept = secrets.load_or_create(target / SECRETS_FILE, cache)
    assert inventory.write(target, render(lab_secrets=kept))
    text = (target / SECRETS_FILE).read_text()
    assert kept[BMC_PASSWORD_VAR] not in text
    assert f"{BMC_PASSWORD_VAR}: !vault |\n  $ANSIBLE_VAULT;1.2;AES256;lab\n" in text
    password_file = cache / secrets.VAULT_PASSWORD_FILE
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    # as the Makefile and molecule/metal give it to Ansible: tools/lab-vault-password, here pointed at this lab
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "ANSIBLE_VAULT_PASSWORD_FILE": str(ROOT / "tools" / "lab-vault-password"),
           "TIER3_LAB_VAULT_PASSWORD_FILE": str(password_file)}
    shown = subprocess.run([str(ANSIBLE), "localhost", "-i", str(target), "-m", "debug",
                            "-a", f"var={BMC_PASSWORD_VAR}"],
                           capture_output=True, text=True, check=False, env=env, timeout=120)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert f"{BMC_PASSWORD_VAR}: {kept[BMC_PASSWORD_VAR]}" in shown.stdout


def test_a_plain_bmc_password_kept_from_before_is_sealed_and_a_foreign_vault_refused(tmp_path: Path) -> None:
    path, cache = tmp_path / "secrets.yml", tmp_path / "cache"
    path.write_text(yaml.safe_dump({BMC_PASSWORD_VAR: "plain-from-old"}))
    sealed = secrets.load_or_create(path, cache)
    assert sealed[BMC_PASSWORD_VAR] == "plain-from-old"
    assert sealed.sealed[BMC_PASSWORD_VAR].startswith("$ANSIBLE_VAULT;1.2;AES256;lab\n")
    (cache / secrets.VAULT_PASSWORD_FILE).write_text("another-vault-password\n")
    path.write_text(f"{BMC_PASSWORD_VAR}: !vault |\n" + "".join(
        f"  {line}\n" for line in sealed.sealed[BMC_PASSWORD_VAR].splitlines()))
    with pytest.raises(LabError, match=f"{BMC_PASSWORD_VAR}: does not decrypt with the lab's vault password"):
        secrets.load_or_create(path, cache)


def test_a_missing_secret_is_made_and_the_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yml"
    kept = {name: f"kept-{name}" for name in NAMES if name != password_var("bob")} | {BMC_PASSWORD_VAR: "kept-bmc"}
    path.write_text(yaml.safe_dump({**kept, password_var("bob"): ""}))
    completed = secrets.load_or_create(path, tmp_path / "cache")
    assert {name: completed[name] for name in kept} == kept
    assert completed[password_var("bob")] not in ("", f"kept-{password_var('bob')}")


@pytest.mark.parametrize(("text", "says"), [
    ("a: [\n", "cannot read the lab's secrets"),
    ("- just a list\n", "not a mapping of variables"),
    (f"{REPLICATION_VAR}: 42\n", "must be a string, not int"),
])
def test_an_unusable_secrets_file_is_a_lab_error(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "secrets.yml"
    path.write_text(text)
    with pytest.raises(LabError, match=says):
        secrets.load_or_create(path, tmp_path / "cache")


def test_write_restores_the_mode_of_the_secrets_file(generated: Path) -> None:
    path = generated / SECRETS_FILE
    path.chmod(0o644)
    assert inventory.write(generated, render())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.unlink()
    assert inventory.write(generated, render())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_tier3_validate_is_clean(generated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(generated)]) == 0
    assert "12 hosts, 1 site: clean" in capsys.readouterr().out


def test_a_partial_lab_is_reported_by_the_rules(tmp_path: Path) -> None:
    inventory.write(tmp_path / "lab", render(select(["mx1", "lb1"])))
    assert main(["validate", str(tmp_path / "lab")]) == 1  # one mx, one lb: single points of failure


def test_write_is_idempotent_and_replaces_stale_files(generated: Path) -> None:
    assert not inventory.write(generated, render())
    (generated / "host_vars" / "old.yml").write_text("---\n")
    (generated / "group_vars" / "old").mkdir()
    (generated / "group_vars" / "old" / "x.yml").write_text("---\n")
    assert inventory.write(generated, render())
    assert not (generated / "host_vars" / "old.yml").exists()
    assert not (generated / "group_vars" / "old").exists()
    assert not inventory.write(generated, render())


def test_the_archive_vars_carry_the_reader_public_key_and_a_retention_policy(tmp_path: Path) -> None:
    recipient = "age1" + "q" * 58
    files = inventory.render(HOSTS, secrets=FIXED, pki_ca_dir=CA_DIR, archive_recipient=recipient)
    assert inventory.write(tmp_path / "lab", files)
    assert load_topology(tmp_path / "lab") is not None  # tier3_archive passes its schema
    archive = yaml.safe_load(files["group_vars/all/archive.yml"])
    assert archive["tier3_archive"]["recipients"] == [recipient]  # the public key; the identity stays in the cache
    assert archive["tier3_archive"]["retention"]["default"] == "7y"
    without = render(tuple(h for h in HOSTS if "archive" not in h.groups))["group_vars/all/archive.yml"]
    assert yaml.safe_load(without) is None or "tier3_archive" not in yaml.safe_load(without)
