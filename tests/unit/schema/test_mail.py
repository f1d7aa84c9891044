"""tier3_mail, tier3_drill and the VIPs' services: the model built (no secret kept), !vault and Jinja
secrets accepted unread, and every check naming its key (exit 2 in `tier3 validate`)."""

from __future__ import annotations

import builtins
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from support import edit_all_vars
from tier3.model.mail import KEY_NOT_PEM, KEY_PEM, KEY_VAULTED
from tier3.schema import InventorySchemaErrors, Vaulted, load_topology
from tier3.schema.mail import key_form
from tier3.schema.yamlio import Unsafe

MAIL_BASE = Path(__file__).parents[2] / "fixtures" / "inventories" / "broken" / "mail_healthy"
Doc = dict[str, Any]


def pem(key: Any, fmt: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8,
        encryption: serialization.KeySerializationEncryption | None = None) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt,  # type: ignore[no-any-return]
                             encryption or serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    good = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "rsa1024": pem(small, serialization.PrivateFormat.TraditionalOpenSSL),
        "rsa2048": pem(good),
        "rsa2048_encrypted": pem(good, encryption=serialization.BestAvailableEncryption(b"passphrase")),
        "ed25519": pem(ed25519.Ed25519PrivateKey.generate()),
        "ec": pem(ec.generate_private_key(ec.SECP256R1())),
    }


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(MAIL_BASE, target)
    return target


def edit(inv: Path, change: Callable[[Doc], None]) -> None:
    edit_all_vars(inv, change)


def errors_of(inv: Path) -> list[str]:
    with pytest.raises(InventorySchemaErrors) as caught:
        load_topology(inv)
    return [f"{e.where}: {e.message}" for e in caught.value.errors]


def test_the_mail_model_keeps_no_secret(inv: Path) -> None:
    edit(inv, lambda d: d["tier3_mail"]["users"].append({"address": "bob@example.net", "password": "hunter2-plain"}))
    topology = load_topology(inv)
    mail = topology.mail
    assert mail is not None
    assert (mail.hostname, mail.imap_hostname, mail.relay_networks) == (
        "mail.example.net", "imap.example.net", ("198.51.100.0/24",))
    assert [d.name for d in mail.domains] == ["example.net"]
    (key,) = mail.domains[0].dkim
    assert (key.selector, key.form, key.key_type, key.key_bits) == ("s2026", KEY_VAULTED, "", 0)
    assert key.location.key == "tier3_mail.domains[0].dkim[0]"
    assert [(u.address, u.has_password, u.password_is_vaulted) for u in mail.users] == [
        ("alice@example.net", True, True), ("drill@example.net", True, True), ("bob@example.net", True, False)]
    assert mail.users[2].domain == "example.net"
    assert mail.users[2].location.key == "tier3_mail.users[2]"
    assert [(t.domain, t.nexthop) for t in mail.transports] == [("outside.test", "[192.0.2.61]:25")]
    assert mail.has_replication_password
    assert mail.user("ALICE@example.net") is mail.users[0]
    assert "hunter2-plain" not in repr(topology)
    assert "vault_tier3_mail_alice" not in repr(topology)
    assert topology.drill is not None
    assert (topology.drill.mailbox, topology.drill.rto_seconds, topology.drill.rpo_messages) == (
        "drill@example.net", 3.0, 0)
    assert topology.vips[0].services == ("smtp", "submission")


def test_a_domain_keeps_what_it_publishes_in_dns(inv: Path) -> None:
    def change(d: Doc) -> None:
        d["tier3_mail"]["domains"][0].update(
            dmarc={"policy": "reject", "rua": "mailto:dmarc@example.net", "pct": 50},
            spf={"include": ["_spf.partner.example.com"], "ip4": ["198.51.100.0/24"], "ip6": ["2001:db8::25"]},
            mta_sts={"mode": "enforce"}, tls_rpt="mailto:tlsrpt@example.net")
        d["tier3_mail"]["domains"].append({"name": "example.org", "dmarc": {}})
        d["tier3_mail"]["domains"].append({"name": "example.com"})

    edit(inv, change)
    mail = load_topology(inv).mail
    assert mail is not None
    net, org, com = mail.domains
    assert net.dmarc is not None
    assert (net.dmarc.policy, net.dmarc.rua, net.dmarc.pct, net.dmarc.location.key) == (
        "reject", "mailto:dmarc@example.net", 50, "tier3_mail.domains[0].dmarc")
    assert (net.spf.include, net.spf.ip4, net.spf.ip6) == (
        ("_spf.partner.example.com",), ("198.51.100.0/24",), ("2001:db8::25",))
    assert net.mta_sts is not None
    assert (net.mta_sts.mode, net.mta_sts.max_age, net.tls_rpt) == ("enforce", 604800, "mailto:tlsrpt@example.net")
    assert (org.dmarc_policy.policy, org.dmarc_policy.pct) == ("quarantine", 100)  # declared, defaults filled in
    assert (com.dmarc, com.mta_sts, com.spf.include, com.tls_rpt) == (None, None, (), "")
    assert com.dmarc_policy.policy == "quarantine"  # what tier3 publishes when a domain says nothing


def test_an_inventory_without_mail_has_none(tmp_path: Path) -> None:
    topology = load_topology(Path(__file__).parents[2] / "fixtures" / "inventories" / "healthy")
    assert (topology.mail, topology.drill, topology.vips[0].services) == (None, None, ())


def test_vault_tagged_secrets_are_accepted_unread() -> None:
    topology = load_topology(MAIL_BASE.parent / "mail_secrets_vault_tagged")
    assert topology.mail is not None
    assert all(u.password_is_vaulted for u in topology.mail.users)
    assert topology.mail.domains[0].dkim[0].form == KEY_VAULTED
    assert topology.mail.has_replication_password


def test_key_form(keys: dict[str, str]) -> None:
    assert key_form(Vaulted()) == (KEY_VAULTED, "", 0)
    assert key_form("{{ vault_tier3_dkim_s1 }}") == (KEY_VAULTED, "", 0)
    assert key_form("{% if x %}k{% endif %}") == (KEY_VAULTED, "", 0)
    assert key_form(Unsafe("{{ not templated }}")) == (KEY_NOT_PEM, "", 0)  # !unsafe: its braces are the value
    assert key_form("changeme") == (KEY_NOT_PEM, "", 0)
    assert key_form(keys["rsa1024"]) == (KEY_PEM, "rsa", 1024)
    assert key_form(keys["rsa2048"]) == (KEY_PEM, "rsa", 2048)
    assert key_form(Unsafe(keys["rsa2048"])) == (KEY_PEM, "rsa", 2048)
    assert key_form(keys["ed25519"]) == (KEY_PEM, "ed25519", 0)
    assert key_form(keys["ec"]) == (KEY_PEM, "ec", 0)
    assert key_form(keys["rsa2048_encrypted"]) == (KEY_PEM, "", 0)  # cannot be read: not judged
    assert key_form("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n") == (KEY_PEM, "", 0)


def _key(value: str) -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        d["tier3_mail"]["domains"][0]["dkim"][0]["private_key"] = value

    return change


@pytest.mark.parametrize(("name", "expected"), [
    ("rsa2048", None), ("ed25519", None), ("rsa2048_encrypted", None),
    ("rsa1024", "tier3_mail.domains[0].dkim[0].private_key: an RSA key of 1024 bits: DKIM keys need 2048 bits or more"),
    ("ec", "tier3_mail.domains[0].dkim[0].private_key: a key of type ec: DKIM signs with RSA (or Ed25519, RFC 8463)"),
])
def test_plain_pem_keys_are_judged(inv: Path, keys: dict[str, str], name: str, expected: str | None) -> None:
    edit(inv, _key(keys[name]))
    if expected is None:
        assert load_topology(inv).mail is not None
    else:
        assert errors_of(inv) == [expected]


def test_without_cryptography_plain_keys_are_not_judged(
    inv: Path, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(inv, _key(keys["rsa1024"]))
    real_import = builtins.__import__

    def no_cryptography(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("cryptography"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cryptography)
    mail = load_topology(inv).mail
    assert mail is not None
    assert (mail.domains[0].dkim[0].form, mail.domains[0].dkim[0].key_bits) == (KEY_PEM, 0)


def _append(path: str, item: Any) -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        node: Any = d
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        node.append(item)

    return change


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def change(d: Doc) -> None:
        node: Any = d
        *parts, last = path.split(".")
        for part in parts:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


# one fault each -> the one error, "key: message" (the broken inventories of broken/cases-mail.yml pin more)
CHECKS: list[tuple[str, Callable[[Doc], None], str]] = [
    ("transport twice", _append("tier3_mail.transports", {"domain": "Outside.test", "nexthop": "[192.0.2.62]:25"}),
     "tier3_mail.transports[1].domain: duplicate transport domain 'Outside.test' (first declared as 'outside.test'"),
    ("selector twice", _append("tier3_mail.domains.0.dkim", {"selector": "s2026", "private_key": "{{ vault_x }}"}),
     "tier3_mail.domains[0].dkim[1].selector: duplicate DKIM selector of example.net 's2026'"),
    ("relay network", _set("tier3_mail.relay_networks", ["10.0.0.0/8", "fe80::/10", "not-a-net"]),
     "tier3_mail.relay_networks[2]: not a network in CIDR notation: 'not-a-net' does not appear to be"),
    ("hostname", _set("tier3_mail.hostname", "mail"),
     "tier3_mail.hostname: value does not match regex"),
    ("address", _set("tier3_mail.users.0.address", "alice"),
     "tier3_mail.users[0].address: value does not match regex"),
    ("password", _set("tier3_mail.users.0.password", ""),
     "tier3_mail.users[0].password: empty values not allowed (schema: mail)"),
    ("no domains", _set("tier3_mail.domains", []),
     "tier3_mail.domains: empty values not allowed (schema: mail)"),
    ("mail not a mapping", _set("tier3_mail", ["mail.example.net"]),
     "tier3_mail: tier3_mail must be a mapping, not list"),
    ("rto a boolean", _set("tier3_drill.rto_seconds", True),
     "tier3_drill.rto_seconds: must be of number type (schema: drill)"),
    ("rto infinite", _set("tier3_drill.rto_seconds", float("inf")),
     "tier3_drill.rto_seconds: must be a number of seconds above 0, not inf"),
    ("rto negative", _set("tier3_drill.rto_seconds", -1.5),
     "tier3_drill.rto_seconds: must be a number of seconds above 0, not -1.5"),
    ("rpo negative", _set("tier3_drill.rpo_messages", -1),
     "tier3_drill.rpo_messages: min value is 0 (schema: drill)"),
    ("rpo a float", _set("tier3_drill.rpo_messages", 0.5),
     "tier3_drill.rpo_messages: must be of integer type (schema: drill)"),
    ("dmarc policy", _set("tier3_mail.domains.0.dmarc", {"policy": "monitor"}),
     "tier3_mail.domains[0].dmarc.policy: unallowed value monitor (schema: mail)"),
    ("dmarc pct", _set("tier3_mail.domains.0.dmarc", {"policy": "reject", "pct": 150}),
     "tier3_mail.domains[0].dmarc.pct: max value is 100 (schema: mail)"),
    ("dmarc rua", _set("tier3_mail.domains.0.dmarc", {"rua": "dmarc@example.net"}),
     "tier3_mail.domains[0].dmarc.rua: value does not match regex"),
    ("spf include", _set("tier3_mail.domains.0.spf", {"include": ["partner"]}),
     "tier3_mail.domains[0].spf.include[0]: value does not match regex"),
    ("spf unknown mechanism", _set("tier3_mail.domains.0.spf", {"a": ["mail.example.net"]}),
     "tier3_mail.domains[0].spf.a: unknown field (schema: mail)"),
    ("spf ip4 not a network", _set("tier3_mail.domains.0.spf", {"ip4": ["198.51.100.0/24", "partner-relays"]}),
     "tier3_mail.domains[0].spf.ip4[1]: not an address or a network in CIDR notation: 'partner-relays'"),
    ("spf ip4 host bits", _set("tier3_mail.domains.0.spf", {"ip4": ["198.51.100.7/24"]}),
     "tier3_mail.domains[0].spf.ip4[0]: not an address or a network in CIDR notation: 198.51.100.7/24 has host"),
    ("spf ip4 of the other family", _set("tier3_mail.domains.0.spf", {"ip4": ["2001:db8::/32"]}),
     "tier3_mail.domains[0].spf.ip4[0]: 2001:db8::/32 is an IPv6 network, not one for ip4:"),
    ("spf ip6 of the other family", _set("tier3_mail.domains.0.spf", {"ip6": ["2001:db8::25", "192.0.2.25"]}),
     "tier3_mail.domains[0].spf.ip6[1]: 192.0.2.25 is an IPv4 network, not one for ip6:"),
    ("mta-sts mode", _set("tier3_mail.domains.0.mta_sts", {"mode": "strict"}),
     "tier3_mail.domains[0].mta_sts.mode: unallowed value strict (schema: mail)"),
    ("mta-sts max_age", _set("tier3_mail.domains.0.mta_sts", {"max_age": 31557601}),
     "tier3_mail.domains[0].mta_sts.max_age: max value is 31557600 (schema: mail)"),
    ("tls-rpt", _set("tier3_mail.domains.0.tls_rpt", "tlsrpt@example.net"),
     "tier3_mail.domains[0].tls_rpt: value does not match regex"),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CHECKS], ids=[c[0] for c in CHECKS])
def test_each_fault_is_one_error_naming_its_key(inv: Path, change: Callable[[Doc], None], expected: str) -> None:
    edit(inv, change)
    (error,) = errors_of(inv)
    assert error.startswith(expected), error


def test_an_integer_rto_is_a_number(inv: Path) -> None:
    edit(inv, _set("tier3_drill.rto_seconds", 2))
    drill = load_topology(inv).drill
    assert drill is not None
    assert drill.rto_seconds == 2.0


@pytest.mark.parametrize(("services", "members", "bad"), [
    (["smtp", "submission"], ["mx1", "mx2"], []),
    ([], ["mx1", "fw1"], []),  # a VIP that declares no services is not judged by them
    (["smtp", "imaps"], ["lb1", "lb2"], []),  # a load balancer fronts every service
    (["imap"], ["mx1", "lb1"], [0]),
    (["smtp", "lmtp"], ["fw1", "mx1"], [0, 0, 1]),  # fw1 serves neither; mx1 not lmtp
])
def test_vip_members_must_serve_its_services(inv: Path, services: list[str], members: list[str],
                                             bad: list[int]) -> None:
    def change(d: Doc) -> None:
        vip = d["tier3_vips"][0]
        vip["services"] = services
        vip["members"] = [{"host": h, "priority": 150 - 50 * i} for i, h in enumerate(members)]

    edit(inv, change)
    hosts = inv / "hosts.yml"
    data = yaml.safe_load(hosts.read_text())
    data["all"]["children"]["lb"] = {"hosts": {"lb1": None, "lb2": None}}
    hosts.write_text(yaml.safe_dump(data))
    for name, rack in (("lb1", "r1"), ("lb2", "r2")):
        doc = yaml.safe_load((inv / "host_vars" / "mx1.yml").read_text())
        doc["tier3_host"]["rack"] = rack
        (inv / "host_vars" / f"{name}.yml").write_text(yaml.safe_dump(doc))
    if not bad:
        assert load_topology(inv).vips[0].services == tuple(services)
        return
    found = errors_of(inv)
    assert [int(e.split("members[")[1][0]) for e in found] == bad
    assert all("a VIP member without the service" in e for e in found)


def test_every_problem_is_listed_at_once(inv: Path) -> None:
    def change(d: Doc) -> None:
        d["tier3_mail"]["users"].append({"address": "alice@example.net", "password": "{{ vault_a }}"})
        d["tier3_mail"]["users"].append({"address": "eve@elsewhere.test", "password": "{{ vault_e }}"})
        d["tier3_mail"]["domains"].append({"name": "example.net"})
        d["tier3_drill"]["mailbox"] = "nobody@example.net"

    edit(inv, change)
    assert [e.split(":")[0] for e in errors_of(inv)] == [
        "tier3_mail.domains[1].name", "tier3_mail.users[2].address", "tier3_mail.users[3].address",
        "tier3_drill.mailbox"]
