"""tier3_dns: the model built (the TSIG secret never kept), a vaulted secret accepted unread, and every
bad value one error naming its key and fix (exit 2 in `tier3 validate`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import edit_all_vars, two_site_inventory
from tier3.cli import main
from tier3.schema import InventorySchemaErrors, load_topology

TWO_SITES = Path(__file__).parents[2] / "fixtures" / "inventories" / "healthy-two-site"
DNS: dict[str, Any] = {"primary": "dns1", "contact": "hostmaster@example.net",
                       "tsig_secret": "{{ vault_tier3_dns_tsig }}"}
SECRET = "c2VjcmV0LXRzaWcta2V5LW9mLXRoZS10ZXN0"  # a literal TSIG secret, never to be printed
Doc = dict[str, Any]


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    return two_site_inventory(tmp_path, tier3_dns=DNS)


def edit(inv: Path, change: Callable[[Doc], None]) -> None:
    edit_all_vars(inv, change)


def errors_of(inv: Path) -> list[str]:
    with pytest.raises(InventorySchemaErrors) as caught:
        load_topology(inv)
    return [f"{e.where}: {e.message} (fix: {e.hint})" for e in caught.value.errors]


def _dns(**changes: Any) -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        for key, value in changes.items():
            if value is None:
                d["tier3_dns"].pop(key)
            else:
                d["tier3_dns"][key] = value

    return change


def test_the_dns_model_keeps_no_secret(inv: Path) -> None:
    topology = load_topology(inv)
    dns = topology.dns
    assert dns is not None
    assert (dns.primary, dns.contact, dns.tsig_is_vaulted, dns.dnssec, dns.ttl) == (
        "dns1", "hostmaster@example.net", True, True, 3600)
    assert (dns.location.file.endswith("group_vars/all.yml"), dns.location.key) == (True, "tier3_dns")
    assert "vault_tier3_dns_tsig" not in repr(topology)


def test_dnssec_and_ttl_as_declared(inv: Path) -> None:
    edit(inv, _dns(dnssec=False, ttl=300))
    dns = load_topology(inv).dns
    assert dns is not None
    assert (dns.dnssec, dns.ttl) == (False, 300)


def test_an_inventory_without_tier3_dns_has_none() -> None:
    assert load_topology(TWO_SITES).dns is None


def test_a_secret_store_lookup_or_a_reference_is_accepted_without_following_it(inv: Path) -> None:
    """The variable a reference names is not followed: the lab keeps vault_* in a plain secrets.yml."""
    for value in ("{{ lookup('community.hashi_vault.hashi_vault', 'secret=dns/tsig') }}",
                  "{{ vault_tier3_dns_tsig | trim }}"):
        edit(inv, _dns(tsig_secret=value))
        edit(inv, lambda d: d.update(vault_tier3_dns_tsig=SECRET))
        dns = load_topology(inv).dns
        assert dns is not None
        assert dns.tsig_is_vaulted
        assert SECRET not in repr(dns)


def test_a_vault_tagged_secret_is_accepted_unread(inv: Path) -> None:
    path = inv / "group_vars" / "all.yml"
    text = path.read_text().replace("tsig_secret: '{{ vault_tier3_dns_tsig }}'", "tsig_secret: !vault |\n"
                                    "    $ANSIBLE_VAULT;1.1;AES256\n    6162636465666768\n")
    assert "!vault" in text
    path.write_text(text)
    dns = load_topology(inv).dns
    assert dns is not None
    assert dns.tsig_is_vaulted


# one fault each -> the one error, "key: message (fix: hint)"
CHECKS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("primary not a dns host", _dns(primary="mx1"),
     "tier3_dns.primary: host 'mx1' is not in group dns: the primary must be one of the authoritative servers "
     "(fix: name a host of group dns: dns1, dns2, dns3, dns4)"),
    ("primary unknown", _dns(primary="dns9"),
     "tier3_dns.primary: 'dns9' is not a host of the inventory: the primary must be one of the authoritative"),
    ("primary missing", _dns(primary=None),
     "tier3_dns.primary: required field (schema: dns) (fix: name the host of group dns that holds the zones"),
    ("tsig literal", _dns(tsig_secret=SECRET),
     "tier3_dns.tsig_secret: the TSIG secret is a literal in the inventory (or may hold one), not a vault "
     "reference (fix: make a key (keymgr -t"),
    ("tsig literal in an expression", _dns(tsig_secret="{{ 'hunter2' }}"),
     "tier3_dns.tsig_secret: the TSIG secret is a literal"),
    ("tsig with a literal default", _dns(tsig_secret="{{ vault_tier3_dns_tsig | default('changeme') }}"),
     "tier3_dns.tsig_secret: the TSIG secret is a literal"),
    ("tsig text around the reference", _dns(tsig_secret="hmac-sha256:{{ vault_tier3_dns_tsig }}"),
     "tier3_dns.tsig_secret: the TSIG secret is a literal"),
    ("tsig missing", _dns(tsig_secret=None),
     "tier3_dns.tsig_secret: required field (schema: dns) (fix: add the zone transfers' TSIG key"),
    ("tsig empty", _dns(tsig_secret=""),
     "tier3_dns.tsig_secret: empty values not allowed (schema: dns) (fix: add the zone transfers' TSIG key"),
    ("contact not an address", _dns(contact="hostmaster.example.net"),
     "tier3_dns.contact: value does not match regex"),
    ("ttl too short", _dns(ttl=30), "tier3_dns.ttl: min value is 60 (schema: dns) (fix: use a value from 60 to 86400)"),
    ("ttl too long", _dns(ttl=604800), "tier3_dns.ttl: max value is 86400"),
    ("ttl with a unit", _dns(ttl="1h"), "tier3_dns.ttl: must be of integer type"),
    ("dnssec a string", _dns(dnssec="yes"), "tier3_dns.dnssec: must be of boolean type"),
    ("unknown key", _dns(serial=2026010101),
     "tier3_dns.serial: unknown field (schema: dns) (fix: remove `serial` or fix its spelling; allowed here: "
     "contact, dnssec, primary, tsig_secret, ttl)"),
    ("not a mapping", lambda d: d.update(tier3_dns=["dns1", "dns2"]),
     "tier3_dns: tier3_dns must be a mapping, not list"),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CHECKS], ids=[c[0] for c in CHECKS])
def test_each_fault_is_one_error_naming_its_key(inv: Path, change: Callable[[Doc], None], expected: str) -> None:
    edit(inv, change)
    (error,) = errors_of(inv)
    assert error.startswith(expected), error
    assert SECRET not in error


def test_tier3_dns_set_for_a_group_is_refused(inv: Path) -> None:
    (inv / "group_vars" / "dns.yml").write_text(yaml.safe_dump({"tier3_dns": dict(DNS)}))
    (error,) = errors_of(inv)
    assert error.startswith("tier3_dns: tier3_dns is set for a group or host, so hosts would see different")


@pytest.mark.parametrize(("change", "key"), [
    (_dns(tsig_secret=SECRET), "tier3_dns.tsig_secret"),
    (_dns(primary="mx1"), "tier3_dns.primary"),
    (_dns(ttl=30), "tier3_dns.ttl"),
])
def test_validate_exits_2_naming_file_and_key_and_never_prints_the_secret(
    inv: Path, change: Callable[[Doc], None], key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(inv, change)
    assert main(["validate", str(inv)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"group_vars/all.yml: {key}:" in err
    assert "(fix: " in err
    assert SECRET not in err
